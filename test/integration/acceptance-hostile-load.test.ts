// Acceptance: hostile input while real clients work. A flood of connections sending garbage,
// a frame cut off by end of stream, a 2 GiB size prefix or an unknown api key is closed by
// Turnout, each with a logged reason, while a kcat producer and a kafkajs producer carry on
// through Turnout without an error or a lost record; meanwhile Turnout's memory stays bounded,
// even with connections parked mid-way through a large legal frame.
//
// proxy-hostile-input.test.ts checks each kind of bad input one connection at a time (closed,
// counted in metrics, the process survives); this runs them in bulk and concurrently with
// clients, and checks the log and the memory.
import { spawn } from 'node:child_process';
import net from 'node:net';
import kafkajs from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProxyHandle } from '../../src/proxy.js';
import { readTopic, settledMemory, startTurnout, type LogLine } from './acceptance-helpers.js';
import { createTopic, mainCluster, waitFor } from './rig.js';

const { Kafka, logLevel } = kafkajs;
const CLUSTER_ID = 'tUrNoUtAcCePtHoStIlE00';
const MiB = 1024 * 1024;
const MAX_FRAME_BYTES = 10 * MiB;
let proxy: ProxyHandle;
let logs: LogLine[];

beforeAll(async () => {
  ({ proxy, logs } = await startTurnout(CLUSTER_ID, { limits: { maxFrameBytes: MAX_FRAME_BYTES } }));
});

afterAll(async () => {
  await proxy?.close();
});

function frame(apiKey: number, version: number, correlationId: number): Buffer {
  const body = Buffer.alloc(10 + 16);
  body.writeInt16BE(apiKey, 0);
  body.writeInt16BE(version, 2);
  body.writeInt32BE(correlationId, 4);
  body.writeInt16BE(-1, 8); // null client id
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length);
  return Buffer.concat([size, body]);
}

interface HostileKind {
  name: string;
  /** The close reason Turnout logs for it. */
  reason: string;
  bytes: () => Buffer;
  /** Half-close after sending (end of stream). */
  end?: boolean;
}

const KINDS: HostileKind[] = [
  { name: 'garbage (an HTTP request)', reason: 'frame_too_large', bytes: () => Buffer.from('POST /api HTTP/1.1\r\nHost: turnout\r\nContent-Length: 5\r\n\r\nhello') },
  {
    name: 'a 2 GiB size prefix',
    reason: 'frame_too_large',
    bytes: () => {
      const b = Buffer.alloc(4 + 64, 0x41);
      b.writeUInt32BE(0x7fffffff, 0);
      return b;
    },
  },
  { name: 'a frame truncated by end of stream', reason: 'truncated_frame', bytes: () => frame(3, 12, 7).subarray(0, 13), end: true },
  { name: 'an unknown api key', reason: 'unknown_api_key', bytes: () => frame(29_999, 0, 9) },
];

/** Sends `bytes` on a new connection and resolves once Turnout closes it (false on timeout). */
function hostileConnection(port: number, kind: HostileKind, timeoutMs = 15_000): Promise<{ closedByTurnout: boolean; bytesBack: number }> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let bytesBack = 0;
    let settled = false;
    const finish = (closedByTurnout: boolean): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ closedByTurnout, bytesBack });
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    socket.on('data', (b: Buffer) => (bytesBack += b.length));
    socket.on('error', () => finish(true));
    socket.on('close', () => finish(true));
    // Turnout closing its side shows as 'end' when the client has not half-closed.
    socket.on('end', () => finish(true));
    socket.on('connect', () => {
      socket.write(kind.bytes());
      if (kind.end === true) socket.end();
    });
  });
}

/** Runs `total` hostile connections per kind, `concurrency` at a time, over every Turnout port. */
async function flood(perKind: number, concurrency: number): Promise<{ notClosed: number; answered: number }> {
  const ports = [proxy.ports().bootstrap, ...proxy.ports().nodes.values()];
  const jobs: Array<{ kind: HostileKind; port: number }> = [];
  for (let i = 0; i < perKind; i++) for (const kind of KINDS) jobs.push({ kind, port: ports[jobs.length % ports.length] });
  let next = 0;
  let notClosed = 0;
  let answered = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < jobs.length) {
        const job = jobs[next++];
        const outcome = await hostileConnection(job.port, job.kind);
        if (!outcome.closedByTurnout) notClosed++;
        if (outcome.bytesBack > 0) answered++;
      }
    }),
  );
  return { notClosed, answered };
}

/** Opens connections that announce a large legal frame (9 MiB), send 1 KiB of it and wait. */
async function parkMidFrame(count: number): Promise<net.Socket[]> {
  const port = proxy.ports().bootstrap;
  const sockets = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<net.Socket>((resolve, reject) => {
          const s = net.connect({ host: '127.0.0.1', port }, () => {
            const head = Buffer.alloc(4 + 1024, 0x42);
            head.writeInt32BE(9 * MiB, 0);
            s.write(head, () => resolve(s));
          });
          s.on('error', reject);
        }),
    ),
  );
  return sockets;
}

/** Waits until Turnout holds no more than `max` client connections. */
async function connectionsReleased(max: number, what: string): Promise<void> {
  await waitFor(
    () => {
      if (proxy.clientConnections <= max) return true;
      throw new Error(`${proxy.clientConnections} client connections open, at most ${max} expected`);
    },
    { timeoutMs: 30_000, what: `${what} to be released` },
  );
}

function closeLogs(reason: string): LogLine[] {
  return logs.filter((l) => l.msg === 'client connection closed' && l.reason === reason);
}

describe('hostile input while real clients work', () => {
  it('closes every hostile connection with a logged reason while kcat and kafkajs producers carry on, and memory stays bounded', { timeout: 300_000 }, async () => {
    const topic = await createTopic(mainCluster(), { partitions: 3, replicationFactor: 3 });

    // Bystander 1: kafkajs, one acks=all send at a time.
    const kafka = new Kafka({ clientId: 'acceptance-bystander', brokers: [proxy.bootstrapServers()], logLevel: logLevel.NOTHING });
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    const kafkajsAcked: string[] = [];
    const kafkajsFailures: string[] = [];
    let producing = true;
    const kafkajsLoop = (async () => {
      for (let i = 0; producing; i++) {
        const value = `kafkajs-${i}`;
        try {
          await producer.send({ topic, acks: -1, messages: [{ key: 'kafkajs', value }] });
          kafkajsAcked.push(value);
        } catch (err) {
          kafkajsFailures.push(String(err));
        }
        await new Promise((r) => setTimeout(r, 10));
      }
    })();

    // Bystander 2: a kcat producer fed line by line through the whole run.
    const kcatProducer = spawn('kcat', ['-b', proxy.bootstrapServers(), '-P', '-t', topic, '-K', '\t', '-X', 'acks=all', '-X', 'linger.ms=1'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let kcatStderr = '';
    kcatProducer.stderr.on('data', (b: Buffer) => (kcatStderr += b.toString('utf8')));
    const kcatExited = new Promise<number | null>((r) => kcatProducer.once('close', (code: number | null) => r(code)));
    const kcatLines: string[] = [];
    const kcatFeeder = setInterval(() => {
      const value = `kcat-${kcatLines.length}`;
      kcatLines.push(value);
      kcatProducer.stdin.write(`kcat\t${value}\n`);
    }, 20);

    try {
      await waitFor(() => kafkajsAcked.length >= 20, { timeoutMs: 60_000, what: 'the kafkajs bystander to get going' });
      // Each bystander holds at most one connection per Turnout port; every other connection
      // Turnout still holds after a flood is one it failed to release.
      const bystanderConnections = 2 * (1 + proxy.ports().nodes.size);
      expect(proxy.clientConnections).toBeLessThanOrEqual(bystanderConnections);

      // Warm-up, so that one-off allocations (code, pools, metric series) are out of the way.
      const warm = await flood(50, 50);
      expect(warm.notClosed).toBe(0);
      await connectionsReleased(bystanderConnections, 'the warm-up connections');
      const baseline = await settledMemory();
      const logsBefore = new Map(KINDS.map((k) => [k.reason, closeLogs(k.reason).length]));
      const ackedBefore = kafkajsAcked.length;

      // The flood, with connections parked mid-way through a 9 MiB frame the whole time.
      let peakRssBytes = 0;
      let peakBufferBytes = 0;
      const sample = (): void => {
        const m = process.memoryUsage();
        peakRssBytes = Math.max(peakRssBytes, m.rss);
        // Buffers count here when allocated, even before their pages are touched.
        peakBufferBytes = Math.max(peakBufferBytes, m.arrayBuffers);
      };
      sample();
      const sampler = setInterval(sample, 50);
      const parked = await parkMidFrame(200);
      const perKind = 500;
      const result = await flood(perKind, 100);
      sample();
      clearInterval(sampler);
      // The parked connections were not closed: a slow legal frame is not hostile.
      expect(parked.every((s) => !s.destroyed && s.readyState === 'open')).toBe(true);
      for (const s of parked) s.destroy();

      expect(result.notClosed, 'hostile connections Turnout left open').toBe(0);
      expect(result.answered, 'hostile connections Turnout answered').toBe(0);

      // Each close is logged once, at warn, with its reason and the error that explains it.
      const expectedByReason = new Map<string, number>();
      for (const k of KINDS) expectedByReason.set(k.reason, (expectedByReason.get(k.reason) ?? 0) + perKind);
      await waitFor(() => [...expectedByReason].every(([reason, n]) => closeLogs(reason).length - (logsBefore.get(reason) ?? 0) >= n), {
        timeoutMs: 10_000,
        what: 'a log line for every hostile close',
      });
      for (const [reason, n] of expectedByReason) {
        const lines = closeLogs(reason).slice(logsBefore.get(reason) ?? 0);
        expect(lines.length, `closes logged with reason ${reason}`).toBe(n);
        expect(lines.every((l) => l.level === 40 && typeof l.conn === 'number' && typeof (l.err as { message?: unknown } | undefined)?.message === 'string')).toBe(true);
      }

      // The bystanders kept going during the flood, without an error (a send starved past
      // kafkajs's request timeout would be one).
      expect(kafkajsAcked.length - ackedBefore, 'kafkajs records acknowledged during the flood').toBeGreaterThan(10);
      expect(kafkajsFailures).toEqual([]);

      // Memory: the parked frames were not allocated up front, and nothing is left behind.
      await connectionsReleased(bystanderConnections, 'the flood connections');
      logs.length = 0;
      const after = await settledMemory();
      expect((peakRssBytes - baseline.rssBytes) / MiB, 'RSS growth during the flood, MiB').toBeLessThan(256);
      expect((peakBufferBytes - baseline.arrayBufferBytes) / MiB, 'buffer memory growth during the flood, MiB').toBeLessThan(64);
      expect((after.heapUsedBytes - baseline.heapUsedBytes) / MiB, 'heap growth after the flood, MiB').toBeLessThan(16);
      expect((after.rssBytes - baseline.rssBytes) / MiB, 'RSS growth after the flood, MiB').toBeLessThan(96);
      expect(proxy.isReady()).toBe(true);
    } finally {
      clearInterval(kcatFeeder);
      producing = false;
      await kafkajsLoop;
      await producer.disconnect().catch(() => undefined);
      kcatProducer.stdin.end();
    }

    // kcat flushed every line and exits cleanly; it never saw an error or a dropped connection.
    const kcatCode = await Promise.race([kcatExited, new Promise<string>((r) => setTimeout(() => r('timeout'), 60_000))]);
    expect(kcatCode, kcatStderr).toBe(0);
    expect(kcatStderr).not.toMatch(/fail|error|disconnect/i);

    // Everything both bystanders were told was written is on the cluster, each in order.
    const stored = await readTopic(mainCluster().bootstrapServers, topic);
    const valuesOf = (key: string) => stored.filter((r) => r.key === key).map((r) => r.value);
    expect(valuesOf('kcat')).toEqual(kcatLines);
    expect(valuesOf('kafkajs')).toEqual(kafkajsAcked);
  });
});
