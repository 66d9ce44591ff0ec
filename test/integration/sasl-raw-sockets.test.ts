// SASL clients on raw sockets against Turnout: a burst of 10,000 failed logins (random users, random
// and cut tokens), clients that start a login and never finish it, and the SaslHandshake v0
// login whose tokens travel as bare frames. Each failure closes only its own connection; a
// bystander on SCRAM keeps producing, and the failed-login log stays bounded.
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import kafkajs from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileCredentialStore } from '../../src/auth/file-credential-store.js';
import { deriveScramCredential } from '../../src/auth/scram-credential.js';
import { ApiKey, decodeResponseHeader, decodeResponseBody, encodeRequestFrame, responseHeaderVersion, type AnyRequest } from '../../src/codec/index.js';
import { createApiVersionsRequest } from '../../src/codec/generated/api-versions.js';
import { createMetadataRequest } from '../../src/codec/generated/metadata.js';
import type { SaslAuthenticateResponse } from '../../src/codec/generated/sasl-authenticate.js';
import { createLogger } from '../../src/observability/logger.js';
import type { ProxyHandle } from '../../src/proxy.js';
import { readTopic, startTurnout, type LogLine } from './acceptance-helpers.js';
import { createTopic, mainCluster } from './rig.js';

const { Kafka, logLevel } = kafkajs;

let dir: string;
let users: FileCredentialStore;
let turnout: { proxy: ProxyHandle; logs: LogLine[] };

const LOGIN_TIMEOUT_MS = 2_000;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'turnout-sasl-hostile-'));
  users = await FileCredentialStore.open({ file: join(dir, 'users.json'), log: createLogger({ level: 'silent' }), watch: false });
  await users.setUser('bystander', { 'SCRAM-SHA-512': await deriveScramCredential('SCRAM-SHA-512', 'pw', 4096) });
  turnout = await startTurnout(
    'tUrNoUtSaSlHoStIlE00001',
    {
      listeners: [{ bindHost: '127.0.0.1', advertisedHost: '127.0.0.1', bootstrapPort: 0, nodePortBase: 0, sasl: { mechanisms: ['SCRAM-SHA-512', 'PLAIN'] } }],
      authentication: { failedLoginDelayMs: 20, loginTimeoutMs: LOGIN_TIMEOUT_MS },
    },
    { credentialStore: users },
  );
});

afterAll(async () => {
  await turnout?.proxy.close();
  await users?.close();
  await rm(dir, { recursive: true, force: true });
});

let correlationId = 0;
function request(apiKey: number, apiVersion: number, body: AnyRequest): Buffer {
  return encodeRequestFrame({ apiKey, apiVersion, correlationId: ++correlationId, clientId: 'hostile' }, body);
}

/** A raw client: sends requests one at a time and reads their answers, until Turnout closes it. */
class RawClient {
  private readonly socket: net.Socket;
  private buffered = Buffer.alloc(0);
  private waiting: ((frame: Buffer | null) => void) | null = null;
  readonly closed: Promise<void>;

  constructor(port: number) {
    this.socket = net.connect({ host: '127.0.0.1', port });
    this.socket.on('error', () => undefined);
    this.socket.on('data', (b: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, b]);
      this.deliver();
    });
    this.closed = new Promise((resolve) =>
      this.socket.on('close', () => {
        this.waiting?.(null);
        resolve();
      }),
    );
  }

  send(frame: Buffer): void {
    this.socket.write(frame);
  }

  /** A bare SASL token frame, as after SaslHandshake v0. */
  sendToken(token: Buffer): void {
    const size = Buffer.alloc(4);
    size.writeInt32BE(token.length, 0);
    this.socket.write(Buffer.concat([size, token]));
  }

  /** The next answer frame (size prefix removed), or null once closed. */
  next(): Promise<Buffer | null> {
    return new Promise((resolve) => {
      this.waiting = resolve;
      this.deliver();
    });
  }

  destroy(): void {
    this.socket.destroy();
  }

  private deliver(): void {
    if (this.waiting === null || this.buffered.length < 4) return;
    const size = this.buffered.readInt32BE(0);
    if (this.buffered.length < 4 + size) return;
    const frame = this.buffered.subarray(4, 4 + size);
    this.buffered = this.buffered.subarray(4 + size);
    const w = this.waiting;
    this.waiting = null;
    w(frame);
  }
}

function authenticateAnswer(frame: Buffer): SaslAuthenticateResponse {
  const header = decodeResponseHeader(frame, responseHeaderVersion(ApiKey.SaslAuthenticate, 2));
  return decodeResponseBody(ApiKey.SaslAuthenticate, 2, frame.subarray(header.headerSizeBytes));
}

/** One failed PLAIN or SCRAM login over a raw socket; resolves with the error code and once Turnout closed it. */
async function failedLogin(i: number): Promise<number> {
  const client = new RawClient(turnout.proxy.ports().bootstrap);
  const scram = i % 2 === 0;
  client.send(request(ApiKey.SaslHandshake, 1, { mechanism: scram ? 'SCRAM-SHA-512' : 'PLAIN' }));
  await client.next();
  const token = scram
    ? [Buffer.from(`n,,n=random-${i},r=${'x'.repeat(i % 40)}`), Buffer.from('n,,n='), Buffer.from([0xff, 0x00, 0x2c, i & 0xff])][i % 3]
    : Buffer.from(`\u0000intruder-${i}\u0000guess-${i}`);
  client.send(request(ApiKey.SaslAuthenticate, 2, { authBytes: token }));
  const answer = await client.next();
  await client.closed;
  return answer === null ? -1 : authenticateAnswer(answer).errorCode;
}

describe('SASL clients on raw sockets', () => {
  it('answers a burst of 10,000 failed logins with SASL_AUTHENTICATION_FAILED and closes each, in bounded memory, while a SCRAM client carries on', async () => {
    const topic = await createTopic(mainCluster(), { partitions: 1 });
    const producer = new Kafka({ brokers: [turnout.proxy.bootstrapServers()], sasl: { mechanism: 'scram-sha-512', username: 'bystander', password: 'pw' }, logLevel: logLevel.NOTHING }).producer();
    await producer.connect();
    let sent = 0;
    let stop = false;
    const bystander = (async () => {
      while (!stop) await producer.send({ topic, messages: [{ value: `b${sent++}` }] });
    })();

    const codes: number[] = [];
    const heapBefore = process.memoryUsage().heapUsed;
    let heapPeak = heapBefore;
    for (let batch = 0; batch < 50; batch++) {
      codes.push(...(await Promise.all(Array.from({ length: 200 }, (_, j) => failedLogin(batch * 200 + j)))));
      heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
    }
    // Turnout runs in this process: its failed-login bookkeeping must not grow with the logins.
    const heapGrowthMiB = (heapPeak - heapBefore) / 2 ** 20;
    console.log(`10,000 failed logins: heap grew at most ${heapGrowthMiB.toFixed(1)} MiB (test clients included)`);
    expect(heapGrowthMiB).toBeLessThan(256);
    expect(turnout.proxy.clientConnections).toBeLessThan(50);
    stop = true;
    await bystander;
    await producer.disconnect();

    expect(codes.filter((c) => c !== 58)).toEqual([]);
    expect(sent).toBeGreaterThan(0);
    expect(await readTopic(mainCluster().bootstrapServers, topic)).toHaveLength(sent);
    // Failed logins are logged at a bounded rate, not once each.
    const logged = turnout.logs.filter((l) => l.msg === 'authentication failed').length;
    expect(logged).toBeGreaterThan(0);
    expect(logged).toBeLessThanOrEqual(100);
  });

  it('closes clients that start a login and never finish it, at the login deadline', async () => {
    const stalled = [
      // only ApiVersions
      (c: RawClient) => c.send(request(ApiKey.ApiVersions, 3, createApiVersionsRequest())),
      // a handshake and nothing more
      (c: RawClient) => c.send(request(ApiKey.SaslHandshake, 1, { mechanism: 'SCRAM-SHA-512' })),
      // the first SCRAM message and no final one
      (c: RawClient) => {
        c.send(request(ApiKey.SaslHandshake, 1, { mechanism: 'SCRAM-SHA-512' }));
        c.send(request(ApiKey.SaslAuthenticate, 2, { authBytes: Buffer.from('n,,n=bystander,r=abc') }));
      },
    ];
    const clients = stalled.map((begin) => {
      const c = new RawClient(turnout.proxy.ports().bootstrap);
      begin(c);
      return c;
    });
    await Promise.all(clients.map((c) => c.closed));
    const m = (await turnout.proxy.registry.getSingleMetric('turnout_connection_closes_total')!.get()).values;
    expect(m.find((v) => v.labels.reason === 'sasl_login_timeout')?.value).toBe(3);
  });

  it('logs a SaslHandshake v0 client in with bare token frames, then serves it; a failed raw login is closed without an answer', async () => {
    const ok = new RawClient(turnout.proxy.ports().bootstrap);
    ok.send(request(ApiKey.SaslHandshake, 0, { mechanism: 'PLAIN' }));
    expect(await ok.next()).not.toBeNull();
    ok.sendToken(Buffer.from('\u0000bystander\u0000pw'));
    expect(await ok.next()).toEqual(Buffer.alloc(0));
    ok.send(request(ApiKey.Metadata, 4, { ...createMetadataRequest(), topics: [] }));
    const metadata = await ok.next();
    expect(metadata?.readInt32BE(0)).toBe(correlationId);
    ok.destroy();

    const refused = new RawClient(turnout.proxy.ports().bootstrap);
    refused.send(request(ApiKey.SaslHandshake, 0, { mechanism: 'PLAIN' }));
    await refused.next();
    refused.sendToken(Buffer.from('\u0000bystander\u0000wrong'));
    expect(await refused.next()).toBeNull();
    await refused.closed;
  });
});
