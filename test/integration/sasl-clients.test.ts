// SASL termination with real clients through Turnout in front of the shared cluster: the Java
// tools and kafkajs over SCRAM, kcat (librdkafka 2.0.2, whose SCRAM client-final nonce Kafka 4
// refuses) over PLAIN and both SCRAMs, wrong passwords, clients without SASL, a mechanism not
// offered, a user removed while Turnout runs, kafkajs over OAUTHBEARER with a JWT from a local
// key pair, and KIP-368 sessions: the Java producer and kafkajs re-authenticate on their
// connections for several lifetimes; librdkafka 2.0.2, which cannot, has its connection
// closed at its first request after the session ended and carries on over a new one.
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import kafkajs from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileCredentialStore } from '../../src/auth/file-credential-store.js';
import { deriveScramCredential } from '../../src/auth/scram-credential.js';
import { createLogger } from '../../src/observability/logger.js';
import type { ProxyHandle } from '../../src/proxy.js';
import { readTopic, startTurnout, verifiableProducerEvents, type LogLine } from './acceptance-helpers.js';
import { createTopic, kafkaTool, kcat, mainCluster, startTool, waitFor } from './rig.js';

const { Kafka, logLevel } = kafkajs;

let dir: string;
let users: FileCredentialStore;
let turnout: { proxy: ProxyHandle; logs: LogLine[] };
/** Sessions of 4 s, for re-authentication. */
let shortSessions: { proxy: ProxyHandle; logs: LogLine[] };

/** The identity provider's signing key; its public half is the JWKS file Turnout reads. */
let idpKey: CryptoKey;

const SASL_LISTENER = { bindHost: '127.0.0.1', advertisedHost: '127.0.0.1', bootstrapPort: 0, nodePortBase: 0 };
const MECHANISMS = ['SCRAM-SHA-512', 'SCRAM-SHA-256', 'PLAIN'] as const;

async function addUser(name: string, password: string): Promise<void> {
  await users.setUser(name, {
    'SCRAM-SHA-256': await deriveScramCredential('SCRAM-SHA-256', password, 4096),
    'SCRAM-SHA-512': await deriveScramCredential('SCRAM-SHA-512', password, 4096),
  });
}

function kcatSasl(mechanism: string, user: string, password: string): string[] {
  return ['-X', 'security.protocol=SASL_PLAINTEXT', '-X', `sasl.mechanisms=${mechanism}`, '-X', `sasl.username=${user}`, '-X', `sasl.password=${password}`];
}

async function metric(proxy: ProxyHandle, name: string, labels: Record<string, string>): Promise<number> {
  const m = proxy.registry.getSingleMetric(name);
  if (m === undefined) return 0;
  const values = (await m.get()).values.filter((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x));
  return values.reduce((sum, v) => sum + v.value, 0);
}

/** A Java client properties file logging in with SCRAM-SHA-512. */
async function javaScramConfig(user: string, password: string): Promise<string> {
  const file = join(dir, `${user}-${password}.properties`);
  await writeFile(
    file,
    [
      'security.protocol=SASL_PLAINTEXT',
      'sasl.mechanism=SCRAM-SHA-512',
      `sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="${user}" password="${password}";`,
      '',
    ].join('\n'),
  );
  return file;
}

function kafkajsClient(proxy: ProxyHandle, mechanism: 'scram-sha-256' | 'scram-sha-512' | 'plain', username: string, password: string, extra: object = {}) {
  return new Kafka({
    clientId: 'sasl-it',
    brokers: [proxy.bootstrapServers()],
    sasl: { mechanism, username, password } as kafkajs.SASLOptions,
    logLevel: logLevel.NOTHING,
    retry: { retries: 2 },
    ...extra,
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'turnout-sasl-it-'));
  users = await FileCredentialStore.open({ file: join(dir, 'turnout.users.json'), log: createLogger({ level: 'silent' }), watch: false });
  await addUser('alice', 'alice-secret');
  await addUser('kcat-user', 'kcat-secret');
  await addUser('short-lived', 'pw');
  const listeners = [{ ...SASL_LISTENER, sasl: { mechanisms: [...MECHANISMS], required: true } }];
  turnout = await startTurnout('tUrNoUtSaSlClIeNtS00001', { listeners, authentication: { failedLoginDelayMs: 50 } }, { credentialStore: users, captureLevel: 'debug' });
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  idpKey = privateKey;
  const jwksFile = join(dir, 'jwks.json');
  await writeFile(jwksFile, JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'idp-1', alg: 'ES256' }] }));
  shortSessions = await startTurnout(
    'tUrNoUtSaSlReAuTh000001',
    {
      listeners: [{ ...SASL_LISTENER, sasl: { mechanisms: [...MECHANISMS, 'OAUTHBEARER'], required: true } }],
      authentication: { maxSessionLifetimeMs: 4_000, oauthbearer: { jwksFile, issuer: 'https://idp.test', audience: 'turnout' } },
    },
    { credentialStore: users },
  );
});

afterAll(async () => {
  await turnout?.proxy.close();
  await shortSessions?.proxy.close();
  await users?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('SASL through Turnout with real clients', () => {
  it('kafkajs over SCRAM-SHA-512 produces through Turnout, and the records are stored once', async () => {
    const topic = await createTopic(mainCluster(), { partitions: 2 });
    const producer = kafkajsClient(turnout.proxy, 'scram-sha-512', 'alice', 'alice-secret').producer();
    await producer.connect();
    await producer.send({ topic, messages: Array.from({ length: 20 }, (_, i) => ({ key: `k${i % 4}`, value: `v${i}` })) });
    await producer.disconnect();
    const stored = await readTopic(mainCluster().bootstrapServers, topic);
    expect(stored.map((r) => r.value).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `v${i}`).sort());
    expect(await metric(turnout.proxy, 'turnout_authentications_total', { mechanism: 'SCRAM-SHA-512', result: 'success' })).toBeGreaterThan(0);
  });

  it('kafkajs with a wrong password gets an authentication error naming the failure, and nothing is produced', async () => {
    const topic = await createTopic(mainCluster(), { partitions: 1 });
    const producer = kafkajsClient(turnout.proxy, 'scram-sha-256', 'alice', 'not-her-password').producer();
    const error = await producer.connect().then(
      () => null,
      (err: Error) => err,
    );
    expect(error?.name).toBe('KafkaJSSASLAuthenticationError');
    expect(error?.message).toContain('SASL SCRAM SHA256 authentication failed');
    expect(error?.message).toContain('Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-256');
    await producer.disconnect();
    expect(await readTopic(mainCluster().bootstrapServers, topic)).toEqual([]);
  });

  it('the Java tools over SCRAM-SHA-512 list topics through Turnout, and a wrong password gets the authentication error', async () => {
    const topic = await createTopic(mainCluster(), { partitions: 1 });
    const ok = await kafkaTool('kafka-topics', ['--bootstrap-server', turnout.proxy.bootstrapServers(), '--list', '--command-config', await javaScramConfig('alice', 'alice-secret')]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout.split('\n')).toContain(topic);
    const refused = await kafkaTool('kafka-topics', ['--bootstrap-server', turnout.proxy.bootstrapServers(), '--list', '--command-config', await javaScramConfig('alice', 'wrong')]);
    expect(refused.code).not.toBe(0);
    expect(refused.stdout + refused.stderr).toContain('Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512');
  });

  for (const mechanism of MECHANISMS) {
    it(`kcat (librdkafka 2.0.2) over ${mechanism} produces and consumes through Turnout`, async () => {
      const topic = await createTopic(mainCluster(), { partitions: 1 });
      const lines = Array.from({ length: 10 }, (_, i) => `${mechanism} record ${i}`);
      const put = await kcat(['-b', turnout.proxy.bootstrapServers(), '-P', '-t', topic, ...kcatSasl(mechanism, 'kcat-user', 'kcat-secret')], { input: `${lines.join('\n')}\n`, timeoutMs: 60_000 });
      expect(put.code, put.stderr).toBe(0);
      expect((await readTopic(mainCluster().bootstrapServers, topic)).map((r) => r.value)).toEqual(lines);
      const got = await kcat(['-b', turnout.proxy.bootstrapServers(), '-C', '-t', topic, '-o', 'beginning', '-e', '-q', ...kcatSasl(mechanism, 'kcat-user', 'kcat-secret')], { timeoutMs: 60_000 });
      expect(got.code, got.stderr).toBe(0);
      expect(got.stdout.trim().split('\n')).toEqual(lines);
    });
  }

  it("accepts librdkafka 2.0.2's SCRAM client-final nonce as Kafka 3.9 did, and says so in the debug log", () => {
    const logins = turnout.logs.filter((l) => l.msg === 'authenticated' && l.principal === 'User:kcat-user' && String(l.mechanism).startsWith('SCRAM'));
    expect(logins.length).toBeGreaterThan(0);
    expect(logins.every((l) => String(l.notice).includes('librdkafka before 2.6.1'))).toBe(true);
  });

  it('kcat with a wrong password fails with the authentication error, and nothing is produced', async () => {
    const topic = await createTopic(mainCluster(), { partitions: 1 });
    const put = await kcat(['-b', turnout.proxy.bootstrapServers(), '-P', '-t', topic, ...kcatSasl('SCRAM-SHA-512', 'kcat-user', 'wrong')], { input: 'x\n', timeoutMs: 30_000 });
    expect(put.code).not.toBe(0);
    expect(put.stderr).toContain('Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512');
    expect(await readTopic(mainCluster().bootstrapServers, topic)).toEqual([]);
  });

  it('tells a client asking for a mechanism Turnout does not offer which ones it does', async () => {
    const result = await kcat(
      ['-b', turnout.proxy.bootstrapServers(), '-L', '-m', '5', '-X', 'security.protocol=SASL_PLAINTEXT', '-X', 'sasl.mechanisms=OAUTHBEARER', '-X', 'enable.sasl.oauthbearer.unsecure.jwt=true', '-X', 'sasl.oauthbearer.config=principal=x'],
      { timeoutMs: 30_000 },
    );
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('SCRAM-SHA-512,SCRAM-SHA-256,PLAIN');
    expect(await metric(turnout.proxy, 'turnout_authentications_total', { mechanism: 'unsupported', result: 'failure' })).toBeGreaterThan(0);
  });

  it('closes a client that does not log in at its first request other than ApiVersions', async () => {
    const before = await metric(turnout.proxy, 'turnout_connection_closes_total', { side: 'client', reason: 'sasl_required' });
    const result = await kcat(['-b', turnout.proxy.bootstrapServers(), '-L', '-m', '3'], { timeoutMs: 30_000 });
    expect(result.code).not.toBe(0);
    expect(await metric(turnout.proxy, 'turnout_connection_closes_total', { side: 'client', reason: 'sasl_required' })).toBeGreaterThan(before);
  });

  it('refuses a user removed while Turnout runs at its next login', async () => {
    await addUser('leaver', 'pw');
    const ok = await kcat(['-b', turnout.proxy.bootstrapServers(), '-L', '-m', '10', ...kcatSasl('SCRAM-SHA-256', 'leaver', 'pw')], { timeoutMs: 30_000 });
    expect(ok.code, ok.stderr).toBe(0);
    await users.removeUser('leaver');
    const refused = await kcat(['-b', turnout.proxy.bootstrapServers(), '-L', '-m', '5', ...kcatSasl('SCRAM-SHA-256', 'leaver', 'pw')], { timeoutMs: 30_000 });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('Authentication failed');
  });
});

describe('OAUTHBEARER through Turnout', () => {
  async function token(key: CryptoKey, sub: string): Promise<string> {
    return new SignJWT({ sub, iss: 'https://idp.test', aud: 'turnout' }).setProtectedHeader({ alg: 'ES256', kid: 'idp-1' }).setExpirationTime('10m').sign(key);
  }

  function oauthProducer(value: () => Promise<string>) {
    return new Kafka({
      brokers: [shortSessions.proxy.bootstrapServers()],
      sasl: { mechanism: 'oauthbearer', oauthBearerProvider: async () => ({ value: await value() }) },
      logLevel: logLevel.NOTHING,
      retry: { retries: 1 },
    }).producer();
  }

  it('kafkajs produces with a JWT signed by the configured key set', async () => {
    const topic = await createTopic(mainCluster(), { partitions: 1 });
    const before = await metric(shortSessions.proxy, 'turnout_authentications_total', { mechanism: 'OAUTHBEARER', result: 'success' });
    const producer = oauthProducer(() => token(idpKey, 'svc-orders'));
    await producer.connect();
    await producer.send({ topic, messages: [{ value: 'with a token' }] });
    await producer.disconnect();
    expect((await readTopic(mainCluster().bootstrapServers, topic)).map((r) => r.value)).toEqual(['with a token']);
    expect(await metric(shortSessions.proxy, 'turnout_authentications_total', { mechanism: 'OAUTHBEARER', result: 'success' })).toBeGreaterThan(before);
  });

  it('produces nothing with a JWT signed by another key', async () => {
    const topic = await createTopic(mainCluster(), { partitions: 1 });
    const { privateKey: stranger } = await generateKeyPair('ES256');
    const producer = oauthProducer(() => token(stranger, 'svc-orders'));
    const failed = await producer
      .connect()
      .then(() => producer.send({ topic, messages: [{ value: 'forged' }] }))
      .then(
        () => false,
        () => true,
      );
    await producer.disconnect();
    expect(failed).toBe(true);
    expect(await readTopic(mainCluster().bootstrapServers, topic)).toEqual([]);
  });
});

describe('KIP-368 sessions through Turnout', () => {
  const expiredSessions = (): Promise<number> => metric(shortSessions.proxy, 'turnout_connection_closes_total', { side: 'client', reason: 'sasl_session_expired' });

  it('keeps the Java producer running for several session lifetimes by re-authenticating, without loss', async () => {
    const topic = await createTopic(mainCluster(), { partitions: 1 });
    const logins = (): Promise<number> => metric(shortSessions.proxy, 'turnout_authentications_total', { mechanism: 'SCRAM-SHA-512', result: 'success' });
    const before = await logins();
    const expiredBefore = await expiredSessions();
    const producer = await startTool('kafka-verifiable-producer', [
      '--bootstrap-server', shortSessions.proxy.bootstrapServers(), '--topic', topic, '--acks', '-1',
      '--throughput', '10', '--max-messages', '140', '--producer.config', await javaScramConfig('short-lived', 'pw'),
    ]);
    const events = verifiableProducerEvents(producer);
    await events.progress('every record acknowledged', 140, 90_000);
    expect(await events.finish()).toBe(true);
    expect(events.errors).toEqual([]);
    const stored = await readTopic(mainCluster().bootstrapServers, topic);
    expect(new Set(stored.map((r) => r.value)).size).toBe(140);
    expect(stored).toHaveLength(140);
    // 14 s of sessions lasting 4 s: the producer's connections logged in again on themselves.
    expect((await logins()) - before).toBeGreaterThanOrEqual(4);
    expect(await expiredSessions()).toBe(expiredBefore);
  });

  it('keeps a kafkajs producer running for several session lifetimes by re-authenticating, without loss', async () => {
    const topic = await createTopic(mainCluster(), { partitions: 1 });
    const before = await metric(shortSessions.proxy, 'turnout_authentications_total', { mechanism: 'SCRAM-SHA-512', result: 'success' });
    const expiredBefore = await expiredSessions();
    const producer = kafkajsClient(shortSessions.proxy, 'scram-sha-512', 'short-lived', 'pw', { reauthenticationThreshold: 2_000 }).producer();
    await producer.connect();
    const sent: string[] = [];
    const until = Date.now() + 13_000;
    for (let i = 0; Date.now() < until; i++) {
      await producer.send({ topic, messages: [{ value: `r${i}` }], acks: -1 });
      sent.push(`r${i}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    await producer.disconnect();
    expect((await readTopic(mainCluster().bootstrapServers, topic)).map((r) => r.value)).toEqual(sent);
    const logins = (await metric(shortSessions.proxy, 'turnout_authentications_total', { mechanism: 'SCRAM-SHA-512', result: 'success' })) - before;
    // At least one re-authentication per elapsed lifetime on the producer's connection.
    expect(logins).toBeGreaterThanOrEqual(4);
    expect(await expiredSessions()).toBe(expiredBefore);
  });

  it('closes the connection of a client that cannot re-authenticate (librdkafka 2.0.2) at its first request after expiry; it reconnects and reads on', async () => {
    const topic = await createTopic(mainCluster(), { partitions: 1 });
    const expiredBefore = await expiredSessions();
    const consumer = spawn('kcat', ['-b', shortSessions.proxy.bootstrapServers(), '-C', '-t', topic, '-o', 'beginning', '-u', '-X', 'fetch.wait.max.ms=200', ...kcatSasl('SCRAM-SHA-256', 'short-lived', 'pw')], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let errors = '';
    consumer.stdout.on('data', (b: Buffer) => (output += b.toString()));
    consumer.stderr.on('data', (b: Buffer) => (errors += b.toString()));
    try {
      const producer = kafkajsClient(shortSessions.proxy, 'scram-sha-256', 'short-lived', 'pw', { reauthenticationThreshold: 2_000 }).producer();
      await producer.connect();
      const values = Array.from({ length: 10 }, (_, i) => `late ${i}`);
      for (const value of values) {
        await producer.send({ topic, messages: [{ value }] });
        await new Promise((r) => setTimeout(r, 1_000));
      }
      await producer.disconnect();
      await waitFor(() => output.trim().split('\n').length >= values.length, { timeoutMs: 30_000, what: 'kcat to read every record' }).catch((err: Error) => {
        throw new Error(`${err.message}; kcat read ${JSON.stringify(output)}; its stderr: ${errors.slice(-3_000)}`);
      });
      expect(output.trim().split('\n')).toEqual(values);
      expect(await expiredSessions()).toBeGreaterThan(expiredBefore);
    } finally {
      consumer.kill('SIGTERM');
    }
  });
});
