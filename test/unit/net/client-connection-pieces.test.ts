// Requests that arrive over several socket reads are forwarded as those reads, not joined:
// the broker must still get every byte as the client sent it (but the correlation id), and
// the client its answers in order, acks=0 requests answered by nothing.
import type net from 'node:net';
import { describe, expect, it } from 'vitest';
import type { ClientSession, RequestExchange } from '../../../src/net/request-router.js';
import { ProxyMetrics } from '../../../src/observability/metrics.js';
import { RequestPipeline } from '../../../src/pipeline/pipeline.js';
import { ProduceAcksFilter } from '../../../src/pipeline/produce-acks-filter.js';
import { readProduceAcks } from '../../../src/routing/produce-acks.js';
import { FakeBrokerServer, FakeRouterBase, apiKeyResponse, clientConnection, connectClient, limitsWith, testCleanups, waitUntil } from './socket-test-kit.js';

const PRODUCE = 0;

/** A broker that keeps a copy of every request and answers each but acks=0 Produce. */
class RecordingBroker extends FakeBrokerServer {
  readonly frames: Buffer[] = [];
  constructor() {
    super((socket, frame, chain) => {
      this.frames.push(Buffer.from(frame));
      const corr = frame.readInt32BE(8);
      const silent = frame.readInt16BE(4) === PRODUCE && readProduceAcks(frame, frame.readInt16BE(6)) === 0;
      chain(async () => {
        if (!socket.destroyed && !silent) socket.write(apiKeyResponse(corr, PRODUCE));
      });
    });
  }
}

class OneBrokerRouter extends FakeRouterBase {
  /** Requests of these client correlation ids are held until `release` is called, once each. */
  readonly holdIds = new Set<number>();
  private releaseHeld: () => void = () => undefined;
  private readonly held = new Promise<void>((r) => (this.releaseHeld = r));

  routeRequest(_s: ClientSession, ex: RequestExchange): void {
    if (this.holdIds.delete(ex.correlationId)) {
      ex.held = this.held;
      return;
    }
    ex.targetBrokerId = 1;
  }

  release(): void {
    this.releaseHeld();
  }
}

/** A Produce v7 request: header, a null transactional id, `acks`, then `bodyBytes` of patterned bytes. */
function produce(correlationId: number, acks: number, bodyBytes: number, clientId = 'perf-producer'): Buffer {
  const id = Buffer.from(clientId);
  const size = 2 + 2 + 4 + 2 + id.length + 2 + 2 + bodyBytes;
  const b = Buffer.alloc(4 + size);
  let p = b.writeInt32BE(size, 0);
  p = b.writeInt16BE(PRODUCE, p);
  p = b.writeInt16BE(7, p);
  p = b.writeInt32BE(correlationId, p);
  p = b.writeInt16BE(id.length, p);
  p += id.copy(b, p);
  p = b.writeInt16BE(-1, p);
  p = b.writeInt16BE(acks, p);
  for (let i = 0; p < b.length; i++) b[p++] = (i * 13 + correlationId) & 0xff;
  return b;
}

const cleanups = testCleanups();

async function harness(router = new OneBrokerRouter()): Promise<{ broker: RecordingBroker; server: () => net.Socket; answers: number[] }> {
  const broker = new RecordingBroker();
  router.ports.set(1, await broker.listen());
  cleanups.push(() => broker.close());
  const metrics = new ProxyMetrics({ apiName: () => undefined });
  const pipeline = new RequestPipeline([new ProduceAcksFilter()], router);
  const answers: number[] = [];
  let accepted: net.Socket | undefined;
  await connectClient(
    cleanups,
    (socket) => {
      accepted = socket;
      return clientConnection(socket, 1, pipeline, limitsWith({}), metrics);
    },
    (f) => answers.push(f.readInt32BE(4)),
  );
  return { broker, server: () => accepted as net.Socket, answers };
}

/** The frame as the broker should get it: Turnout's correlation id in place of the client's. */
function withCorrelation(frame: Buffer, correlationId: number): Buffer {
  const out = Buffer.from(frame);
  out.writeInt32BE(correlationId, 8);
  return out;
}

describe('ClientConnection with requests over several reads', () => {
  it('forwards identical bytes for a request split at every byte boundary, answers in order', async () => {
    const h = await harness();
    // Frame i is cut at byte i: below the head, inside it, and well past it (a 700-byte frame).
    const frames = Array.from({ length: 700 }, (_, i) => produce(1000 + i, i % 7 === 3 ? 0 : -1, 700 - produce(0, 0, 0).length));
    expect(frames[0].length).toBe(700);
    const stream = Buffer.concat(frames);
    // Each read is fed straight to the connection's data handler, so the cuts are exact.
    let from = 0;
    for (let i = 0; i < frames.length; i++) {
      const cut = i * 700 + Math.max(1, i);
      h.server().emit('data', Buffer.from(stream.subarray(from, cut)));
      from = cut;
    }
    h.server().emit('data', Buffer.from(stream.subarray(from)));
    const answered = frames.map((_, i) => 1000 + i).filter((_, i) => i % 7 !== 3);
    await waitUntil(() => h.broker.frames.length === frames.length && h.answers.length === answered.length);
    const wrong = frames.flatMap((f, i) => (h.broker.frames[i].equals(withCorrelation(f, i + 1)) ? [] : [i]));
    expect(wrong).toEqual([]);
    expect(h.answers).toEqual(answered);
  });

  it('reads acks from the whole frame when a long client id puts it past the head', async () => {
    const h = await harness();
    const longId = 'c'.repeat(600);
    const frames = [produce(1, 0, 3000, longId), produce(2, 1, 3000, longId), produce(3, 0, 100)];
    const stream = Buffer.concat(frames);
    for (let at = 0; at < stream.length; at += 1000) h.server().emit('data', Buffer.from(stream.subarray(at, at + 1000)));
    await waitUntil(() => h.broker.frames.length === 3 && h.answers.length === 1);
    expect(h.broker.frames).toEqual(frames.map((f, i) => withCorrelation(f, i + 1)));
    expect(h.answers).toEqual([2]);
  });

  it('forwards a request held over later reads with its bytes intact, its answer in its place', async () => {
    const router = new OneBrokerRouter();
    router.holdIds.add(2);
    const h = await harness(router);
    const frames = [produce(1, -1, 3000), produce(2, -1, 3000), produce(3, -1, 3000)];
    const stream = Buffer.concat(frames);
    for (let at = 0; at < stream.length; at += 700) h.server().emit('data', Buffer.from(stream.subarray(at, at + 700)));
    await waitUntil(() => h.broker.frames.length === 2);
    // The reads the held request's pieces point into are behind it now; they must not have changed.
    router.release();
    await waitUntil(() => h.answers.length === 3);
    const got = h.broker.frames.map((f) => withCorrelation(f, 0));
    expect(got).toEqual([frames[0], frames[2], frames[1]].map((f) => withCorrelation(f, 0)));
    expect(h.answers).toEqual([1, 2, 3]);
  });
});
