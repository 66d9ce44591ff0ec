import { Registry } from 'prom-client';
import { beforeEach, describe, expect, it } from 'vitest';
import { FailedLoginLog } from '../../../src/auth/failed-login-log.js';
import { createSaslMechanisms } from '../../../src/auth/sasl-mechanisms.js';
import type { SaslMechanismName } from '../../../src/auth/sasl-mechanism.js';
import { ApiKey } from '../../../src/codec/generated/apis.js';
import { createMetadataRequest } from '../../../src/codec/generated/metadata.js';
import { createApiVersionsRequest } from '../../../src/codec/generated/api-versions.js';
import type { SaslAuthenticateResponse } from '../../../src/codec/generated/sasl-authenticate.js';
import type { SaslHandshakeResponse } from '../../../src/codec/generated/sasl-handshake.js';
import { AuthenticationMetrics } from '../../../src/observability/authentication-metrics.js';
import { parseConfig, type ListenerSaslConfig } from '../../../src/policy/config.js';
import { createLogger } from '../../../src/observability/logger.js';
import {
  AuthenticationFilter,
  ILLEGAL_SASL_STATE,
  MAX_SASL_TOKEN_BYTES,
  SASL_AUTHENTICATION_FAILED,
  UNSUPPORTED_SASL_MECHANISM,
  type AuthenticationFilterOptions,
} from '../../../src/pipeline/authentication-filter.js';
import type { FilterOutcome } from '../../../src/pipeline/filter.js';
import { kafkajsClient } from '../auth/kafkajs-sasl-client.js';
import { MemoryCredentials } from '../auth/memory-credentials.js';
import { answerBody, FakeSession, filterRequest, settle } from './filter-test-kit.js';

const SCRAM = 'SCRAM-SHA-512';
const WALL = 1_700_000_000_000;
const minimalConfig = { virtualCluster: { clusterId: 'c' }, listeners: [{ bootstrapPort: 0, nodePortBase: 0 }], backends: [{ name: 'b', bootstrapServers: ['b:9092'] }] };
const users = new MemoryCredentials();
let registry: Registry;
let metrics: AuthenticationMetrics;
let failedLogins: FailedLoginLog;
let clock = 1_000_000;

beforeEach(async () => {
  registry = new Registry();
  metrics = new AuthenticationMetrics(registry);
  failedLogins = new FailedLoginLog({ log: createLogger({ level: 'silent' }) });
  clock = 1_000_000;
  users.users.clear();
  await users.add('alice', 'alice-secret');
  await users.add('bob', 'bob-secret');
});

function filterOf(
  opts: Partial<AuthenticationFilterOptions> & { mechanisms?: never; sasl?: ListenerSaslConfig | null } = {},
  enabled: SaslMechanismName[] = [SCRAM, 'PLAIN'],
): AuthenticationFilter {
  const { sasl, ...rest } = opts;
  return new AuthenticationFilter({
    listeners: [{ name: 'sasl', sasl: sasl === null ? undefined : (sasl ?? { mechanisms: enabled, required: true }) }, { name: 'plaintext' }],
    mechanisms: createSaslMechanisms({ enabled, credentials: users, authentication: parseConfig(minimalConfig).authentication, configDir: '.' }),
    maxSessionLifetimeMs: 0,
    failedLoginDelayMs: 250,
    loginTimeoutMs: 30_000,
    wallClock: () => WALL,
    failedLogins,
    metrics,
    now: () => clock,
    ...rest,
  });
}

const handshake = (mechanism: string, version = 1) => filterRequest(ApiKey.SaslHandshake, version, { mechanism });
const metadata = () => filterRequest(ApiKey.Metadata, 12, createMetadataRequest());

async function handshakeAnswer(filter: AuthenticationFilter, session: FakeSession, mechanism: string, version = 1): Promise<{ outcome: FilterOutcome; body: SaslHandshakeResponse }> {
  const outcome = await settle(filter, handshake(mechanism, version), session);
  return { outcome, body: await answerBody<SaslHandshakeResponse>(outcome, ApiKey.SaslHandshake, version) };
}

/** What the client saw of its last SaslAuthenticate, and the outcome that carried it. */
interface Login {
  error: Error | null;
  last: SaslAuthenticateResponse | null;
  outcome: FilterOutcome | null;
}

/** Logs in through the filter with kafkajs's client for `mechanism`, SaslAuthenticate v`version`. */
async function login(filter: AuthenticationFilter, session: FakeSession, mechanism: string, sasl: object, version = 2): Promise<Login> {
  const result: Login = { error: null, last: null, outcome: null };
  const hs = await handshakeAnswer(filter, session, mechanism);
  if (hs.body.errorCode !== 0) return { ...result, error: new Error(`handshake error ${hs.body.errorCode}`), outcome: hs.outcome };
  try {
    await kafkajsClient(mechanism, sasl, async (token) => {
      const outcome = await settle(filter, filterRequest(ApiKey.SaslAuthenticate, version, { authBytes: token }), session);
      result.outcome = outcome;
      result.last = await answerBody<SaslAuthenticateResponse>(outcome, ApiKey.SaslAuthenticate, version);
      if (result.last.errorCode !== 0) throw new Error(result.last.errorMessage ?? `error ${result.last.errorCode}`);
      return result.last.authBytes;
    });
  } catch (err) {
    result.error = err as Error;
  }
  return result;
}

async function metricValue(mechanism: string, result: string): Promise<number> {
  const m = (await registry.getSingleMetric('turnout_authentications_total')!.get()).values;
  return m.find((v) => v.labels.mechanism === mechanism && v.labels.result === result)?.value ?? 0;
}

describe('authentication filter: before the login', () => {
  it('lets ApiVersions through and closes the connection on any other api', () => {
    const filter = filterOf();
    const session = new FakeSession();
    expect(filter.onRequest(filterRequest(ApiKey.ApiVersions, 3, createApiVersionsRequest()), session)).toEqual({ kind: 'forward' });
    expect(filter.onRequest(metadata(), session)).toEqual({
      kind: 'close',
      reason: 'sasl_required',
      message: 'unexpected Metadata request before SASL authentication',
    });
  });

  it('answers an unsupported mechanism with UNSUPPORTED_SASL_MECHANISM and the enabled list, then closes after the delay', async () => {
    const { outcome, body } = await handshakeAnswer(filterOf(), new FakeSession(), 'GSSAPI');
    expect(body).toEqual({ errorCode: UNSUPPORTED_SASL_MECHANISM, mechanisms: [SCRAM, 'PLAIN'] });
    expect(outcome.kind === 'answer' && outcome.thenClose).toEqual({ reason: 'authentication_failed', message: 'Unsupported SASL mechanism GSSAPI', delayMs: 250 });
    // A mechanism Turnout knows but this listener does not offer is as unsupported.
    expect((await handshakeAnswer(filterOf(), new FakeSession(), 'OAUTHBEARER')).body.errorCode).toBe(UNSUPPORTED_SASL_MECHANISM);
    expect(await metricValue('unsupported', 'failure')).toBe(2);
    expect(await metricValue('OAUTHBEARER', 'failure')).toBe(0);
  });

  it('closes on a SaslAuthenticate before any SaslHandshake', () => {
    const outcome = filterOf().onRequest(filterRequest(ApiKey.SaslAuthenticate, 2, { authBytes: Buffer.from('x') }), new FakeSession());
    expect(outcome).toMatchObject({ kind: 'close', reason: 'sasl_protocol' });
  });

  it('lets requests through as the principal the connection has, when SASL is not required', () => {
    const filter = filterOf({ sasl: { mechanisms: [SCRAM], required: false } });
    const session = new FakeSession();
    expect(filter.onRequest(metadata(), session)).toEqual({ kind: 'forward' });
    expect(session.principal).toEqual({ type: 'User', name: 'ANONYMOUS' });
  });
});

describe('authentication filter: logging in with kafkajs', () => {
  it('logs kafkajs in over SCRAM-SHA-512, sets the principal, and then forwards everything', async () => {
    const filter = filterOf();
    const session = new FakeSession();
    const result = await login(filter, session, SCRAM, { username: 'alice', password: 'alice-secret' });
    expect(result.error).toBeNull();
    expect(result.last).toMatchObject({ errorCode: 0, errorMessage: null, sessionLifetimeMs: 0n });
    expect(session.principal).toEqual({ type: 'User', name: 'alice' });
    expect(filter.onRequest(metadata(), session)).toEqual({ kind: 'forward' });
    expect(await metricValue(SCRAM, 'success')).toBe(1);
  });

  it('logs kafkajs in over PLAIN', async () => {
    const session = new FakeSession();
    expect((await login(filterOf(), session, 'PLAIN', { username: 'bob', password: 'bob-secret' })).error).toBeNull();
    expect(session.principal.name).toBe('bob');
  });

  it('answers a wrong password with SASL_AUTHENTICATION_FAILED and a message, counts it, and closes after the delay', async () => {
    const session = new FakeSession({ clientHost: '192.0.2.9' });
    const result = await login(filterOf(), session, SCRAM, { username: 'alice', password: 'nope' });
    expect(result.error?.message).toContain('Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512');
    expect(result.last?.errorCode).toBe(SASL_AUTHENTICATION_FAILED);
    expect(result.outcome?.kind === 'answer' && result.outcome.thenClose).toMatchObject({ reason: 'authentication_failed', delayMs: 250 });
    expect(session.principal.name).toBe('ANONYMOUS');
    expect(await metricValue(SCRAM, 'failure')).toBe(1);
    expect(failedLogins.failures('alice', '192.0.2.9')).toBe(1);
  });

  it("passes PLAIN's own failure message to the client", async () => {
    const result = await login(filterOf(), new FakeSession(), 'PLAIN', { username: 'mallory', password: 'x' });
    expect(result.last?.errorMessage).toBe('Authentication failed: Invalid username or password');
  });

  it('refuses a token larger than a broker accepts before login', async () => {
    const filter = filterOf();
    const session = new FakeSession();
    await handshakeAnswer(filter, session, 'PLAIN');
    const outcome = await settle(filter, filterRequest(ApiKey.SaslAuthenticate, 2, { authBytes: Buffer.alloc(MAX_SASL_TOKEN_BYTES + 1) }), session);
    expect(await answerBody<SaslAuthenticateResponse>(outcome, ApiKey.SaslAuthenticate, 2)).toMatchObject({ errorCode: SASL_AUTHENTICATION_FAILED, errorMessage: 'SASL token larger than 524288 bytes' });
  });

  it('closes a connection that sends another request while its SaslAuthenticate is being evaluated', async () => {
    const filter = filterOf();
    const session = new FakeSession();
    await handshakeAnswer(filter, session, 'PLAIN');
    const first = filter.onRequest(filterRequest(ApiKey.SaslAuthenticate, 2, { authBytes: Buffer.from('\u0000alice\u0000alice-secret') }), session);
    expect(first.kind).toBe('hold');
    expect(filter.onRequest(metadata(), session)).toMatchObject({ kind: 'close', reason: 'sasl_protocol', message: 'unexpected Metadata request during SASL authentication' });
    expect(filter.onRequest(filterRequest(ApiKey.SaslAuthenticate, 2, { authBytes: Buffer.from('x') }), session)).toMatchObject({
      kind: 'close',
      message: 'SaslAuthenticate sent before the previous one was answered',
    });
  });

  it('answers SaslAuthenticate on an authenticated connection with ILLEGAL_SASL_STATE, as a broker does', async () => {
    const filter = filterOf();
    const session = new FakeSession();
    await login(filter, session, 'PLAIN', { username: 'bob', password: 'bob-secret' });
    const outcome = filter.onRequest(filterRequest(ApiKey.SaslAuthenticate, 2, { authBytes: Buffer.from('x') }), session);
    expect(await answerBody<SaslAuthenticateResponse>(outcome, ApiKey.SaslAuthenticate, 2)).toMatchObject({
      errorCode: ILLEGAL_SASL_STATE,
      errorMessage: 'SaslAuthenticate request received after successful authentication',
    });
  });
});

describe('authentication filter: SaslHandshake v0 and raw tokens', () => {
  it('switches to raw frames after a v0 handshake and resumes Kafka framing once logged in', async () => {
    const filter = filterOf();
    const session = new FakeSession();
    const { body } = await handshakeAnswer(filter, session, 'PLAIN', 0);
    expect(body.errorCode).toBe(0);
    expect(session.rawHandler).not.toBeNull();
    const result = await session.rawHandler!(Buffer.from('\u0000bob\u0000bob-secret'));
    expect(result).toEqual({ reply: Buffer.alloc(0), done: true });
    expect(session.principal.name).toBe('bob');
    expect(filter.onRequest(metadata(), session)).toEqual({ kind: 'forward' });
  });

  it('carries a whole SCRAM exchange in raw frames', async () => {
    const filter = filterOf();
    const session = new FakeSession();
    await handshakeAnswer(filter, session, SCRAM, 0);
    let done = false;
    await kafkajsClient(SCRAM, { username: 'alice', password: 'alice-secret' }, async (token) => {
      const r = await session.rawHandler!(token);
      done = r.done;
      if (r.close !== undefined) throw new Error(r.close.message);
      return r.reply!;
    });
    expect(done).toBe(true);
    expect(session.principal.name).toBe('alice');
  });

  it('closes, without an answer, a raw login that fails', async () => {
    const filter = filterOf();
    const session = new FakeSession();
    await handshakeAnswer(filter, session, 'PLAIN', 0);
    expect(await session.rawHandler!(Buffer.from('\u0000bob\u0000wrong'))).toEqual({
      reply: null,
      done: true,
      close: { reason: 'authentication_failed', message: 'Authentication failed: Invalid username or password', delayMs: 250 },
    });
  });
});

describe('authentication filter: session lifetime and re-authentication (KIP-368)', () => {
  it('answers SessionLifetimeMs from the configured maximum and closes the connection on its first request after expiry', async () => {
    const filter = filterOf({ maxSessionLifetimeMs: 60_000 });
    const session = new FakeSession();
    const result = await login(filter, session, SCRAM, { username: 'alice', password: 'alice-secret' });
    expect(result.last?.sessionLifetimeMs).toBe(60_000n);
    clock += 59_999;
    expect(filter.onRequest(metadata(), session)).toEqual({ kind: 'forward' });
    clock += 1;
    expect(filter.onRequest(metadata(), session)).toEqual({ kind: 'close', reason: 'sasl_session_expired', message: "User:alice's session expired without re-authentication" });
  });

  it('re-authenticates on a new SaslHandshake, even after expiry, and starts a new session', async () => {
    const filter = filterOf({ maxSessionLifetimeMs: 60_000 });
    const session = new FakeSession();
    await login(filter, session, SCRAM, { username: 'alice', password: 'alice-secret' });
    clock += 70_000;
    const again = await login(filter, session, SCRAM, { username: 'alice', password: 'alice-secret' });
    expect(again.error).toBeNull();
    expect(again.last?.sessionLifetimeMs).toBe(60_000n);
    expect(filter.onRequest(metadata(), session)).toEqual({ kind: 'forward' });
    expect(await metricValue(SCRAM, 'success')).toBe(2);
  });

  it('refuses a re-authentication as another principal, as Kafka does', async () => {
    const filter = filterOf();
    const session = new FakeSession();
    await login(filter, session, SCRAM, { username: 'alice', password: 'alice-secret' });
    const again = await login(filter, session, SCRAM, { username: 'bob', password: 'bob-secret' });
    expect(again.last).toMatchObject({ errorCode: SASL_AUTHENTICATION_FAILED, errorMessage: 'Cannot change principals during re-authentication from User.alice: User.bob' });
    expect(again.outcome?.kind === 'answer' && again.outcome.thenClose?.reason).toBe('authentication_failed');
    expect(session.principal.name).toBe('alice');
  });

  it('refuses a re-authentication with another mechanism at its first token', async () => {
    const filter = filterOf();
    const session = new FakeSession();
    await login(filter, session, SCRAM, { username: 'alice', password: 'alice-secret' });
    const again = await login(filter, session, 'PLAIN', { username: 'alice', password: 'alice-secret' });
    expect(again.last?.errorMessage).toBe("SASL mechanism 'PLAIN' requested by client is not supported for re-authentication of mechanism 'SCRAM-SHA-512'");
  });

  it('refuses the re-authentication of a user removed since the login, and of a changed password', async () => {
    const filter = filterOf();
    const a = new FakeSession();
    const b = new FakeSession();
    await login(filter, a, SCRAM, { username: 'alice', password: 'alice-secret' });
    await login(filter, b, SCRAM, { username: 'bob', password: 'bob-secret' });
    users.users.delete('alice');
    await users.add('bob', 'new-secret');
    expect((await login(filter, a, SCRAM, { username: 'alice', password: 'alice-secret' })).last?.errorCode).toBe(SASL_AUTHENTICATION_FAILED);
    expect((await login(filter, b, SCRAM, { username: 'bob', password: 'bob-secret' })).last?.errorCode).toBe(SASL_AUTHENTICATION_FAILED);
    const c = new FakeSession();
    expect((await login(filter, c, SCRAM, { username: 'bob', password: 'new-secret' })).error).toBeNull();
  });

  it('refuses re-authentication to a client that logged in with SaslAuthenticate v0 (it cannot read a lifetime)', async () => {
    const filter = filterOf({ maxSessionLifetimeMs: 1000 });
    const session = new FakeSession();
    const first = await login(filter, session, 'PLAIN', { username: 'bob', password: 'bob-secret' }, 0);
    expect(first.error).toBeNull();
    const { outcome, body } = await handshakeAnswer(filter, session, 'PLAIN');
    expect(body.errorCode).toBe(ILLEGAL_SASL_STATE);
    expect(outcome.kind === 'answer' && outcome.thenClose).toBeUndefined();
    clock += 1000;
    expect(filter.onRequest(metadata(), session)).toMatchObject({ kind: 'close', reason: 'sasl_session_expired' });
  });

  it("bounds the session by an OAUTHBEARER token's expiry when that comes first", async () => {
    const wall = 1_700_000_000_000;
    const filter = new AuthenticationFilter({
      listeners: [{ name: 'sasl', sasl: { mechanisms: ['OAUTHBEARER'], required: true } }],
      mechanisms: new Map([
        [
          'OAUTHBEARER',
          {
            name: 'OAUTHBEARER',
            start: () => ({ evaluate: async () => ({ kind: 'success', principal: { type: 'User', name: 'svc' }, token: Buffer.alloc(0), credentialExpiresAtMs: wall + 30_000 }) }),
          },
        ],
      ]),
      maxSessionLifetimeMs: 60_000,
      failedLoginDelayMs: 0,
      loginTimeoutMs: 30_000,
      failedLogins,
      metrics,
      now: () => clock,
      wallClock: () => wall,
    });
    const session = new FakeSession();
    await handshakeAnswer(filter, session, 'OAUTHBEARER');
    const outcome = await settle(filter, filterRequest(ApiKey.SaslAuthenticate, 2, { authBytes: Buffer.from('token') }), session);
    expect((await answerBody<SaslAuthenticateResponse>(outcome, ApiKey.SaslAuthenticate, 2)).sessionLifetimeMs).toBe(30_000n);
  });
});

describe('authentication filter: the login deadline', () => {
  it('gives a client the login timeout from its first request, and lifts it once logged in', async () => {
    const filter = filterOf();
    const session = new FakeSession();
    filter.onRequest(filterRequest(ApiKey.ApiVersions, 3, createApiVersionsRequest()), session);
    expect(session.deadline).toEqual({ atMs: WALL + 30_000, reason: 'sasl_login_timeout', message: 'SASL authentication not completed within 30000 ms' });
    await login(filter, session, 'PLAIN', { username: 'bob', password: 'bob-secret' });
    expect(session.deadline).toBeNull();
    // The pre-login frame cap goes with it: the configured cap applies from now on.
    expect(session.frameLimit).toBeNull();
  });

  it('sets the deadline at the handshake where SASL is optional, and again for a re-authentication', async () => {
    const filter = filterOf({ sasl: { mechanisms: [SCRAM], required: false } });
    const session = new FakeSession();
    filter.onRequest(metadata(), session);
    expect(session.deadline).toBeUndefined();
    await handshakeAnswer(filter, session, SCRAM);
    expect(session.deadline?.atMs).toBe(WALL + 30_000);
    const fresh = new FakeSession();
    await login(filter, fresh, SCRAM, { username: 'alice', password: 'alice-secret' });
    expect(fresh.deadline).toBeNull();
    await handshakeAnswer(filter, fresh, SCRAM);
    expect(fresh.deadline?.reason).toBe('sasl_login_timeout');
  });
});

describe('authentication filter on a listener without SASL', () => {
  it('lets every request through on a listener without SASL while another listener has it', () => {
    const filter = filterOf();
    expect(filter.wants(ApiKey.Metadata)).toBe(true);
    const session = new FakeSession({ listenerName: 'plaintext' });
    expect(filter.onRequest(metadata(), session)).toEqual({ kind: 'forward' });
    expect(session.deadline).toBeUndefined();
  });

  it('wants only the SASL apis and answers them ILLEGAL_SASL_STATE without closing', async () => {
    const filter = filterOf({ sasl: null });
    expect(filter.wants(ApiKey.Metadata)).toBe(false);
    expect(filter.wants(ApiKey.SaslHandshake)).toBe(true);
    const session = new FakeSession();
    const hs = await handshakeAnswer(filter, session, 'PLAIN');
    expect(hs.body).toEqual({ errorCode: ILLEGAL_SASL_STATE, mechanisms: [] });
    const auth = filter.onRequest(filterRequest(ApiKey.SaslAuthenticate, 1, { authBytes: Buffer.alloc(0) }), session);
    expect(await answerBody<SaslAuthenticateResponse>(auth, ApiKey.SaslAuthenticate, 1)).toMatchObject({ errorCode: ILLEGAL_SASL_STATE, errorMessage: 'SASL is not enabled on listener sasl' });
  });
});
