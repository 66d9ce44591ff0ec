// Hostile or broken input closes that one client connection with a logged reason; the
// process keeps running and every other client carries on.
import net from 'node:net';
import kafkajs from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProxy, type ProxyHandle } from '../../src/proxy.js';
import { createTopic, deleteTopics, mainCluster } from './rig.js';

const { Kafka, logLevel } = kafkajs;

let proxy: ProxyHandle;
let topic: string;
let producer: kafkajs.Producer;
let sent = 0;

beforeAll(async () => {
  proxy = await startProxy({
    virtualCluster: { clusterId: 'tUrNoUtHoStIlEiNpUt000' },
    listeners: [{ bindHost: '127.0.0.1', advertisedHost: '127.0.0.1', bootstrapPort: 0, nodePortBase: 0 }],
    backends: [{ name: 'main', bootstrapServers: mainCluster().bootstrapServers.split(',') }],
    admin: { host: '127.0.0.1', port: 0 },
    limits: { maxFrameBytes: 10 * 1024 * 1024 },
    logging: { level: 'silent' },
  });
  topic = await createTopic(mainCluster(), { partitions: 3, cleanup: false });
  const kafka = new Kafka({ clientId: 'it-bystander', brokers: [proxy.bootstrapServers()], logLevel: logLevel.NOTHING });
  producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  await produceOne();
});

afterAll(async () => {
  await producer?.disconnect().catch(() => undefined);
  await proxy?.close();
  if (topic !== undefined) await deleteTopics(mainCluster(), [topic]);
});

/** The bystander: an ordinary client on its own connections, which must never notice. */
async function produceOne(): Promise<void> {
  await producer.send({ topic, acks: -1, messages: [{ value: `bystander-${sent++}` }] });
}

interface Outcome {
  closedByTurnout: boolean;
  received: Buffer;
}

/** Opens a raw connection, sends `bytes` (then half-closes if `end`), waits for Turnout to close it. */
function sendRaw(port: number, chunks: Buffer[], opts: { end?: boolean; timeoutMs?: number } = {}): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const received: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ closedByTurnout: false, received: Buffer.concat(received) });
    }, opts.timeoutMs ?? 5_000);
    socket.on('data', (b: Buffer) => received.push(b));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ closedByTurnout: true, received: Buffer.concat(received) });
    });
    socket.on('connect', () => {
      for (const c of chunks) socket.write(c);
      if (opts.end === true) socket.end();
    });
    socket.on('timeout', () => reject(new Error('timeout')));
  });
}

function header(apiKey: number, version: number, correlationId: number, extra: Buffer = Buffer.alloc(0)): Buffer {
  const body = Buffer.alloc(8 + 2 + extra.length);
  body.writeInt16BE(apiKey, 0);
  body.writeInt16BE(version, 2);
  body.writeInt32BE(correlationId, 4);
  body.writeInt16BE(-1, 8);
  extra.copy(body, 10);
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length);
  return Buffer.concat([size, body]);
}

async function closesCount(reason: string): Promise<number> {
  const text = await proxy.registry.metrics();
  const m = text.match(new RegExp(`turnout_connection_closes_total\\{side="client",reason="${reason}"\\} (\\d+)`));
  return m === null ? 0 : Number(m[1]);
}

const cases: Array<{ name: string; reason: string; chunks: () => Buffer[]; end?: boolean }> = [
  { name: 'an HTTP request (garbage)', reason: 'frame_too_large', chunks: () => [Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n')] },
  {
    name: 'a 2 GiB size prefix',
    reason: 'frame_too_large',
    chunks: () => {
      const b = Buffer.alloc(4);
      b.writeUInt32BE(0x7fffffff);
      return [b];
    },
  },
  { name: 'a negative size prefix', reason: 'negative_frame_size', chunks: () => [Buffer.from([0x80, 0, 0, 1, 1, 2, 3])] },
  { name: 'a frame shorter than a request header', reason: 'short_frame', chunks: () => [Buffer.from([0, 0, 0, 3, 0, 3, 0])] },
  {
    name: 'a frame truncated at end of stream',
    reason: 'truncated_frame',
    chunks: () => [header(3, 12, 1).subarray(0, 9)],
    end: true,
  },
  { name: 'an unknown api key', reason: 'unknown_api_key', chunks: () => [header(31_000, 0, 1)] },
  { name: 'an unsupported version', reason: 'unsupported_version', chunks: () => [header(3, 999, 1)] },
  {
    name: 'a produce request too short to decode',
    reason: 'malformed_request',
    chunks: () => [header(0, 9, 1)],
  },
  {
    name: 'random bytes with a plausible size',
    reason: 'unknown_api_key',
    chunks: () => {
      const body = Buffer.alloc(64, 0xab);
      const size = Buffer.alloc(4);
      size.writeInt32BE(body.length);
      return [size, body];
    },
  },
];

describe('hostile input', () => {
  for (const c of cases) {
    it(`closes the connection on ${c.name}; another client continues`, async () => {
      const before = await closesCount(c.reason);
      for (const port of [proxy.ports().bootstrap, [...proxy.ports().nodes.values()][0]]) {
        const outcome = await sendRaw(port, c.chunks(), { end: c.end });
        expect(outcome.closedByTurnout).toBe(true);
        expect(outcome.received.length).toBe(0);
      }
      expect(await closesCount(c.reason)).toBe(before + 2);
      await produceOne();
    });
  }

  it('closes the connection on a request sent in one-byte pieces then cut off', async () => {
    const frame = header(18, 3, 5);
    const outcome = await sendRaw(proxy.ports().bootstrap, [...frame.subarray(0, 6)].map((b) => Buffer.from([b])), { end: true });
    expect(outcome.closedByTurnout).toBe(true);
    await produceOne();
  });

  it('still serves new clients after all of it', async () => {
    const kafka = new Kafka({ clientId: 'it-after', brokers: [proxy.bootstrapServers()], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    const offsets = await admin.fetchTopicOffsets(topic);
    await admin.disconnect();
    const total = offsets.reduce((n, p) => n + Number(p.high), 0);
    expect(total).toBe(sent);
    expect(proxy.isReady()).toBe(true);
  });
});
