// The connector against fake brokers: plain backends get no extra round trip; a SASL backend
// is logged in to before the requests sent meanwhile, which then go out in order; a refusal
// fails them with a kind routers answer with retriable errors, is counted and reported, and
// holds off new logins for a moment; a login that hangs ends at the connect timeout; TLS
// verifies the broker and presents Turnout's certificate.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKey, createMetadataRequest, encodeMetadataRequest } from '../../../src/codec/index.js';
import { encodeRequestFrame } from '../../../src/codec/message-frames.js';
import { createCa, createDevCertificates, issueCertificate, type DevCertificates } from '../../../src/devkit/dev-certificates.js';
import { UpstreamError, type UpstreamConnection, type UpstreamListener } from '../../../src/net/upstream-connection.js';
import { BackendTlsError, UpstreamConnector } from '../../../src/net/upstream-connector.js';
import { sendRequest } from '../../../src/net/upstream-request.js';
import { createLogger } from '../../../src/observability/logger.js';
import { ProxyMetrics } from '../../../src/observability/metrics.js';
import { parseConfig, type BackendConfig } from '../../../src/policy/config.js';
import { FakeKafkaBroker, type FakeBrokerOptions } from '../routing/fake-kafka.js';
import { limitsWith, testCleanups } from './socket-test-kit.js';

const log = createLogger({ level: 'silent' });
const cleanups = testCleanups();
let dir: string;
let certs: DevCertificates;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'turnout-connector-'));
  certs = await createDevCertificates(join(dir, 'certs'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const idle: UpstreamListener = { onUpstreamDrain: () => undefined, onUpstreamClosed: () => undefined };

async function broker(opts: FakeBrokerOptions = {}): Promise<FakeKafkaBroker> {
  const b = new FakeKafkaBroker(1, { clusterId: 'c', controllerId: 1, brokers: [], maxVersions: new Map() }, opts);
  await b.listen();
  cleanups.push(() => b.close());
  return b;
}

function backend(extra: Record<string, unknown>): BackendConfig {
  return parseConfig({
    virtualCluster: { clusterId: 'v' },
    listeners: [{ bootstrapPort: 0, nodePortBase: 0 }],
    backends: [{ name: 'b', bootstrapServers: ['127.0.0.1:1'], ...extra }],
  }).backends[0];
}

function connectorFor(b: BackendConfig, opts: { holdOffMs?: number; connectTimeoutMs?: number } = {}): { connector: UpstreamConnector; metrics: ProxyMetrics } {
  const metrics = new ProxyMetrics({ apiName: () => undefined });
  const connector = new UpstreamConnector({
    backends: [b],
    limits: limitsWith({ upstreamConnectTimeoutMs: opts.connectTimeoutMs ?? 5_000 }),
    metrics,
    log,
    ...(opts.holdOffMs !== undefined ? { refusalHoldOffMs: opts.holdOffMs } : {}),
  });
  return { connector, metrics };
}

function open(connector: UpstreamConnector, port: number): UpstreamConnection {
  const upstream = connector.open({ backend: 'b', brokerId: 1, host: '127.0.0.1', port }, idle, { log });
  cleanups.push(() => upstream.close());
  return upstream;
}

function metadataRequest(): Buffer {
  const req = createMetadataRequest();
  req.topics = [];
  return encodeRequestFrame({ apiKey: ApiKey.Metadata, apiVersion: 12, correlationId: 0, clientId: 'test' }, req, encodeMetadataRequest);
}

async function passwordFile(password: string): Promise<string> {
  const file = join(await mkdtemp(join(dir, 'pw-')), 'password');
  await writeFile(file, `${password}\n`);
  return file;
}

async function failureOf(p: Promise<unknown>): Promise<UpstreamError> {
  const err = await p.then(
    () => new Error('expected a failure'),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(UpstreamError);
  return err as UpstreamError;
}

async function authFailures(metrics: ProxyMetrics, stage: string): Promise<number> {
  const text = await metrics.registry.metrics();
  return Number(text.match(new RegExp(`^turnout_backend_auth_failures_total\\{backend="b",stage="${stage}"\\} (\\d+)$`, 'm'))?.[1] ?? 0);
}

const users = new Map([['turnout', 'right']]);

describe('upstream connector', () => {
  it('sends nothing of its own to a backend without TLS or SASL', async () => {
    const fake = await broker();
    const { connector } = connectorFor(backend({}));
    await sendRequest(open(connector, fake.port), metadataRequest());
    expect(fake.requests.map((r) => r.apiKey)).toEqual([ApiKey.Metadata]);
  });

  it('logs in with SASL first; requests sent meanwhile go out after it, in order', async () => {
    const fake = await broker({ plainUsers: users });
    const { connector } = connectorFor(backend({ credentials: { sasl: { mechanism: 'PLAIN', username: 'turnout', passwordFile: await passwordFile('right') } } }));
    const upstream = open(connector, fake.port);
    const answers = await Promise.all([1, 2, 3].map(() => sendRequest(upstream, metadataRequest())));
    expect(answers).toHaveLength(3);
    expect(fake.requests.map((r) => r.apiKey)).toEqual([
      ApiKey.ApiVersions,
      ApiKey.SaslHandshake,
      ApiKey.SaslAuthenticate,
      ApiKey.Metadata,
      ApiKey.Metadata,
      ApiKey.Metadata,
    ]);
    expect(connector.identities.reasons()).toEqual([]);
  });

  it('still logs in while its owner has paused reading, and pauses once ready', async () => {
    const fake = await broker({ plainUsers: users });
    const { connector } = connectorFor(backend({ credentials: { sasl: { mechanism: 'PLAIN', username: 'turnout', passwordFile: await passwordFile('right') } } }));
    const upstream = open(connector, fake.port);
    upstream.pauseReading();
    let answered = false;
    const pending = sendRequest(upstream, metadataRequest()).then(() => (answered = true));
    await new Promise((r) => setTimeout(r, 300));
    expect(fake.requests.map((r) => r.apiKey)).toContain(ApiKey.Metadata);
    expect(answered).toBe(false);
    upstream.resumeReading();
    await pending;
    expect(answered).toBe(true);
  });

  it('fails waiting requests with auth_failed when the broker refuses the password, counts and reports it', async () => {
    const fake = await broker({ plainUsers: users });
    const { connector, metrics } = connectorFor(backend({ credentials: { sasl: { mechanism: 'PLAIN', username: 'turnout', passwordFile: await passwordFile('wrong') } } }));
    const upstream = open(connector, fake.port);
    const failures = await Promise.all([failureOf(sendRequest(upstream, metadataRequest())), failureOf(sendRequest(upstream, metadataRequest()))]);
    for (const err of failures) {
      expect(err.kind).toBe('auth_failed');
      expect(err.message).toMatch(/Invalid username or password/);
    }
    expect(fake.requests.map((r) => r.apiKey)).not.toContain(ApiKey.Metadata);
    expect(await authFailures(metrics, 'sasl')).toBe(1);
    expect(connector.identities.reasons()).toEqual([expect.stringMatching(/^backend b refuses Turnout's credentials .*Invalid username or password/)]);
  });

  it('fails new connections at once for a moment after a refusal, then logs in with a fixed password', async () => {
    const fake = await broker({ plainUsers: users });
    const file = await passwordFile('wrong');
    const { connector, metrics } = connectorFor(backend({ credentials: { sasl: { mechanism: 'PLAIN', username: 'turnout', passwordFile: file } } }), { holdOffMs: 400 });
    await failureOf(sendRequest(open(connector, fake.port), metadataRequest()));
    const connections = fake.connections;
    const held = await failureOf(sendRequest(open(connector, fake.port), metadataRequest()));
    expect(held.kind).toBe('auth_failed');
    expect(held.message).toMatch(/refused Turnout's credentials \d+ ms ago/);
    expect(fake.connections).toBe(connections);
    expect(await authFailures(metrics, 'sasl')).toBe(1);

    await writeFile(file, 'right\n');
    await new Promise((r) => setTimeout(r, 450));
    await sendRequest(open(connector, fake.port), metadataRequest());
    expect(connector.identities.reasons()).toEqual([]);
  });

  it('names an unset password variable', async () => {
    const fake = await broker({ plainUsers: users });
    const { connector } = connectorFor(backend({ credentials: { sasl: { mechanism: 'PLAIN', username: 'turnout', passwordEnv: 'TURNOUT_TEST_UNSET_PASSWORD' } } }));
    const err = await failureOf(sendRequest(open(connector, fake.port), metadataRequest()));
    expect(err.kind).toBe('auth_failed');
    expect(err.message).toMatch(/TURNOUT_TEST_UNSET_PASSWORD/);
  });

  it('says which mechanisms the broker enables when it refuses Turnout\'s', async () => {
    const fake = await broker({ plainUsers: users });
    const { connector } = connectorFor(backend({ credentials: { sasl: { mechanism: 'SCRAM-SHA-512', username: 'turnout', passwordFile: await passwordFile('right') } } }));
    const err = await failureOf(sendRequest(open(connector, fake.port), metadataRequest()));
    expect(err.kind).toBe('auth_failed');
    expect(err.message).toMatch(/does not enable SCRAM-SHA-512 \(enabled: PLAIN\)/);
  });

  it('ends a login that never finishes at the connect timeout, failing what waited', async () => {
    const fake = await broker({ plainUsers: users, stallLogin: true });
    const { connector } = connectorFor(backend({ credentials: { sasl: { mechanism: 'PLAIN', username: 'turnout', passwordFile: await passwordFile('right') } } }), {
      connectTimeoutMs: 300,
    });
    const err = await failureOf(sendRequest(open(connector, fake.port), metadataRequest()));
    expect(err.kind).toBe('connect_timeout');
    expect(err.message).toMatch(/^login to .* timed out after 300 ms/);
  });

  it('logs in again on the same connection before a session the broker limits ends, holding requests meanwhile', async () => {
    const fake = await broker({ plainUsers: users, sessionLifetimeMs: 300 });
    const { connector } = connectorFor(backend({ credentials: { sasl: { mechanism: 'PLAIN', username: 'turnout', passwordFile: await passwordFile('right') } } }));
    const upstream = open(connector, fake.port);
    const until = Date.now() + 1_200;
    let answered = 0;
    while (Date.now() < until) {
      await Promise.all([sendRequest(upstream, metadataRequest()), sendRequest(upstream, metadataRequest())]);
      answered += 2;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(upstream.isClosed).toBe(false);
    expect(fake.connections).toBe(1);
    expect(fake.expiredSessions).toBe(0);
    const keys = fake.requests.map((r) => r.apiKey);
    expect(keys.filter((k) => k === ApiKey.ApiVersions)).toHaveLength(1);
    expect(keys.filter((k) => k === ApiKey.SaslAuthenticate).length).toBeGreaterThanOrEqual(3);
    expect(keys.filter((k) => k === ApiKey.Metadata)).toHaveLength(answered);
  });

  it('renews a session only once its owner reads again', async () => {
    const fake = await broker({ plainUsers: users, sessionLifetimeMs: 200 });
    const { connector } = connectorFor(backend({ credentials: { sasl: { mechanism: 'PLAIN', username: 'turnout', passwordFile: await passwordFile('right') } } }));
    const upstream = open(connector, fake.port);
    await sendRequest(upstream, metadataRequest());
    upstream.pauseReading();
    await new Promise((r) => setTimeout(r, 250));
    const logins = fake.requests.filter((r) => r.apiKey === ApiKey.SaslAuthenticate).length;
    expect(logins).toBe(1);
    upstream.resumeReading();
    await sendRequest(upstream, metadataRequest());
    expect(fake.requests.filter((r) => r.apiKey === ApiKey.SaslAuthenticate).length).toBe(2);
  });

  it('verifies the broker against caFile and presents Turnout\'s certificate to a broker that requires one', async () => {
    const fake = await broker({
      tls: {
        cert: await readFile(certs.server.certFile),
        key: await readFile(certs.server.keyFile),
        ca: await readFile(certs.caFile),
        requestCert: true,
        rejectUnauthorized: true,
      },
    });
    const { connector } = connectorFor(backend({ tls: { caFile: certs.caFile, certFile: certs.client.certFile, keyFile: certs.client.keyFile } }));
    await sendRequest(open(connector, fake.port), metadataRequest());
    expect(fake.requests.map((r) => r.apiKey)).toEqual([ApiKey.Metadata]);
  });

  it('fails with tls_failed on a broker certificate no trusted CA signed, and counts it', async () => {
    const other = await createCa(join(dir, 'untrusted'), '/CN=untrusted');
    const served = await issueCertificate(other, join(dir, 'untrusted'), 'broker', { subject: '/CN=localhost', altNames: ['IP:127.0.0.1'], usage: ['serverAuth'] });
    const fake = await broker({ tls: { cert: await readFile(served.certFile), key: await readFile(served.keyFile) } });
    const { connector, metrics } = connectorFor(backend({ tls: { caFile: certs.caFile } }));
    const err = await failureOf(sendRequest(open(connector, fake.port), metadataRequest()));
    expect(err.kind).toBe('tls_failed');
    expect(await authFailures(metrics, 'tls')).toBe(1);
    // With verification off (tests only) the same broker is taken.
    const lax = connectorFor(backend({ tls: { insecureSkipVerify: true } })).connector;
    await sendRequest(open(lax, fake.port), metadataRequest());
  });

  it('takes a client certificate refused after the TLS handshake as a refusal, never as an acceptance', async () => {
    const fake = await broker({
      tls: { cert: await readFile(certs.server.certFile), key: await readFile(certs.server.keyFile), ca: await readFile(certs.caFile), requestCert: true, rejectUnauthorized: true },
    });
    const lines: string[] = [];
    const captured = createLogger({ level: 'info', destination: { write: (line: string) => void lines.push(line) } });
    const metrics = new ProxyMetrics({ apiName: () => undefined });
    const connector = new UpstreamConnector({ backends: [backend({ tls: { caFile: certs.caFile } })], limits: limitsWith({}), metrics, log: captured, refusalHoldOffMs: 0 });
    for (let i = 0; i < 2; i++) expect((await failureOf(sendRequest(open(connector, fake.port), metadataRequest()))).kind).toBe('tls_failed');
    expect(connector.identities.isRefused('b')).toBe(true);
    expect(lines.filter((l) => l.includes('accepts Turnout'))).toEqual([]);
    expect(await authFailures(metrics, 'tls')).toBe(2);
  });

  it('fails at construction on a TLS file it cannot read', () => {
    expect(() => connectorFor(backend({ tls: { caFile: join(dir, 'missing-ca.pem') } }))).toThrow(BackendTlsError);
  });
});
