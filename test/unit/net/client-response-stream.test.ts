import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ApiKey, decodeFetchResponse, encodeFetchResponse, encodeResponseFrame, type FetchResponse } from '../../../src/codec/index.js';
import { decodeResponseFrame, encodeResponseFrame as encodeDecodedResponseFrame } from '../../../src/codec/message-frames.js';
import type { ClientConnection } from '../../../src/net/client-connection.js';
import { FrameReader } from '../../../src/net/frame-reader.js';
import type { ClientSession, RequestExchange, ResponseBytesSink, ResponseStream } from '../../../src/net/request-router.js';
import { ProxyMetrics } from '../../../src/observability/metrics.js';
import { createFetchResponseStream } from '../../../src/routing/fetch-stream.js';
import { rewriteFetchResponse } from '../../../src/routing/node-endpoints-rewrite.js';
import { SHARED_READ_BUFFER_BYTES } from '../../../src/net/shared-reads.js';
import type { RewriteContext } from '../../../src/routing/rewrite-context.js';
import { FakeBrokerServer, FakeRouterBase, apiKeyResponse, clientConnection, limitsWith, request, testCleanups, waitUntil } from './socket-test-kit.js';

// Client connections streaming large Fetch responses from fake brokers: order, backpressure,
// and what a broker that fails or sends garbage mid-stream does (closes that connection only).

const FETCH_VERSION = 12;
const LOCAL_API = 18;
/** Backend broker 7 is virtual node 1. */
const CTX: RewriteContext = {
  clusterId: 'virtual',
  toVirtual: (id) => (id === 7 ? 1 : id),
  toBackend: (id) => (id === 1 ? 7 : -1),
  endpoint: () => null,
};

/** A Fetch v12 response with `recordBytes` of (opaque) records, naming broker 7 as preferred replica. */
function fetchResponse(correlationId: number, recordBytes: number, fill = 0x5a, brokerId = 7): Buffer {
  const body: FetchResponse = {
    throttleTimeMs: 0,
    errorCode: 0,
    sessionId: 0,
    responses: [
      {
        topic: 'streamed',
        topicId: '',
        partitions: [
          {
            partitionIndex: 0,
            errorCode: 0,
            highWatermark: 10n,
            lastStableOffset: 10n,
            logStartOffset: 0n,
            abortedTransactions: null,
            preferredReadReplica: brokerId,
            records: Buffer.alloc(recordBytes, fill),
            currentLeader: { leaderId: brokerId, leaderEpoch: 3 },
          },
        ],
      },
    ],
  };
  return encodeResponseFrame(correlationId, ApiKey.Fetch, FETCH_VERSION, body);
}

/** How the fake broker answers one request: the bytes, and how to send them. */
type Answer = (socket: net.Socket, correlationId: number, apiKey: number) => Promise<void>;

/** A broker answering its connection's requests one at a time, in order, as `answer` says. */
class ScriptedBroker extends FakeBrokerServer {
  answer: Answer = async () => undefined;

  constructor() {
    super((socket, frame, chain) => {
      const apiKey = frame.readInt16BE(4);
      const corr = frame.readInt32BE(8);
      chain(() => this.answer(socket, corr, apiKey));
    });
  }
}

/**
 * Writes `bytes` in slices, waiting for 'drain' as a broker under backpressure does; resolves
 * with the bytes sent, and tells `onSent` the total so far before each wait.
 */
async function writeSlices(socket: net.Socket, bytes: Buffer, sliceBytes: number, pauseMs = 0, onSent?: (sent: number) => void): Promise<number> {
  let sent = 0;
  while (sent < bytes.length && !socket.destroyed) {
    const slice = bytes.subarray(sent, sent + sliceBytes);
    sent += slice.length;
    onSent?.(sent);
    if (!socket.write(slice)) await new Promise((r) => socket.once('drain', r));
    if (pauseMs > 0) await new Promise((r) => setTimeout(r, pauseMs));
  }
  return sent;
}

/** Fetch (api 1) goes to broker 1 and streams; api 2 to broker 2, whole; LOCAL_API is answered here. */
class StreamingRouter extends FakeRouterBase {
  streamed = 0;

  routeRequest(_s: ClientSession, ex: RequestExchange): void {
    if (ex.apiKey === LOCAL_API) {
      ex.response = apiKeyResponse(ex.correlationId, LOCAL_API);
      return;
    }
    ex.targetBrokerId = ex.apiKey === ApiKey.Fetch ? 1 : 2;
  }

  /**
   * A Fetch answer that one read took whole never streams: it is rewritten here, as the real
   * router does. Which way an answer goes depends on how the kernel splits the broker's
   * writes, so the bytes a client sees must not.
   */
  override rewriteResponse(_s: ClientSession, ex: RequestExchange, frame: Buffer): Buffer {
    if (ex.apiKey !== ApiKey.Fetch) return frame;
    const { header, body } = decodeResponseFrame(frame, ApiKey.Fetch, FETCH_VERSION, decodeFetchResponse);
    rewriteFetchResponse(body, CTX);
    return encodeDecodedResponseFrame(ApiKey.Fetch, FETCH_VERSION, header, body, encodeFetchResponse);
  }

  streamResponse(_s: ClientSession, ex: RequestExchange, frameBytes: number, sink: ResponseBytesSink): ResponseStream | null {
    if (ex.apiKey !== ApiKey.Fetch) return null;
    this.streamed++;
    const events = { onEndpointsRewritten: () => undefined, onEndpointsDropped: () => undefined };
    return createFetchResponseStream(FETCH_VERSION, frameBytes, CTX, sink, events);
  }
}

const fetchRequest = (corr: number): Buffer => request(ApiKey.Fetch, corr, FETCH_VERSION);

interface Client {
  socket: net.Socket;
  frames: Buffer[];
  receivedBytes: () => number;
  closed: Promise<void>;
  isClosed: () => boolean;
}

const cleanups = testCleanups();

interface Proxy {
  connect(): Promise<Client>;
  metrics: ProxyMetrics;
  /** The proxy's side of each client connection, in connect order. */
  connections: readonly ClientConnection[];
}

async function proxy(router: StreamingRouter, limits: Record<string, number> = {}): Promise<Proxy> {
  const configLimits = limitsWith(limits);
  const metrics = new ProxyMetrics({ apiName: () => undefined });
  const conns: ClientConnection[] = [];
  let connId = 0;
  const server = net.createServer((socket) => {
    conns.push(clientConnection(socket, ++connId, router, configLimits, metrics));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
  cleanups.push(() => {
    for (const c of conns) c.close('test_done');
  });
  const port = (server.address() as AddressInfo).port;
  return {
    metrics,
    connections: conns,
    async connect(): Promise<Client> {
      const socket = net.connect({ host: '127.0.0.1', port });
      cleanups.push(() => {
        socket.destroy();
      });
      const frames: Buffer[] = [];
      let received = 0;
      let closed = false;
      const reader = new FrameReader(1 << 28, (f) => frames.push(Buffer.from(f)));
      socket.on('data', (b: Buffer) => {
        received += b.length;
        reader.push(b);
      });
      socket.on('error', () => undefined);
      const closedPromise = new Promise<void>((r) =>
        socket.on('close', () => {
          closed = true;
          r();
        }),
      );
      await new Promise<void>((r) => socket.once('connect', () => r()));
      return { socket, frames, receivedBytes: () => received, closed: closedPromise, isClosed: () => closed };
    },
  };
}

async function brokers(router: StreamingRouter): Promise<[ScriptedBroker, ScriptedBroker]> {
  const a = new ScriptedBroker();
  const b = new ScriptedBroker();
  router.ports.set(1, await a.listen());
  router.ports.set(2, await b.listen());
  cleanups.push(() => a.close(), () => b.close());
  return [a, b];
}

/** The response as the client must see it: its correlation id, broker 7 shown as virtual node 1. */
function asClientSees(correlationId: number, recordBytes: number, fill = 0x5a): Buffer {
  return fetchResponse(correlationId, recordBytes, fill, 1);
}

describe('ClientConnection streaming large responses', () => {
  it("passes a large Fetch response's first bytes on before the broker has sent its last", async () => {
    const router = new StreamingRouter();
    const [broker] = await brokers(router);
    const response = fetchResponse(1, 400_000);
    let finish: () => void = () => undefined;
    const halfSent = new Promise<void>((resolveHalf) => {
      broker.answer = async (socket) => {
        socket.write(response.subarray(0, 200_000));
        resolveHalf();
        await new Promise<void>((r) => {
          finish = r;
        });
        socket.write(response.subarray(200_000));
      };
    });
    const p = await proxy(router);
    const c = await p.connect();
    c.socket.write(fetchRequest(99));
    await halfSent;
    await waitUntil(() => c.receivedBytes() >= 150_000);
    expect(c.frames).toHaveLength(0);
    finish();
    await waitUntil(() => c.frames.length === 1);
    expect(c.frames[0].equals(asClientSees(99, 400_000))).toBe(true);
    expect(router.streamed).toBe(1);
  });

  it('keeps request order: a streamed response waits for a slower earlier one, and later ones wait for it', async () => {
    const router = new StreamingRouter();
    const [fetchBroker, slowBroker] = await brokers(router);
    const big = fetchResponse(1, 300_000);
    fetchBroker.answer = async (socket, corr) => {
      const frame = Buffer.from(big);
      frame.writeInt32BE(corr, 4);
      await writeSlices(socket, frame, 16_384);
    };
    slowBroker.answer = async (socket, corr, apiKey) => {
      await new Promise((r) => setTimeout(r, 150));
      socket.write(apiKeyResponse(corr, apiKey));
    };
    const p = await proxy(router);
    const c = await p.connect();
    c.socket.write(Buffer.concat([request(2, 10), fetchRequest(11), request(LOCAL_API, 12), fetchRequest(13), request(2, 14)]));
    await waitUntil(() => c.frames.length === 5);
    expect(c.frames.map((f) => f.readInt32BE(4))).toEqual([10, 11, 12, 13, 14]);
    expect(c.frames[1].equals(asClientSees(11, 300_000))).toBe(true);
    expect(c.frames[3].equals(asClientSees(13, 300_000))).toBe(true);
    expect(router.streamed).toBe(2);
  });

  it('stops reading the broker at the read that fills the buffer of a client that does not read, then delivers every byte', async () => {
    const router = new StreamingRouter();
    const [broker] = await brokers(router);
    const big = fetchResponse(1, 48 * 1024 * 1024, 0x33);
    let brokerSent = 0;
    broker.answer = async (socket) => {
      socket.setNoDelay(true);
      await writeSlices(socket, big, 65_536, 0, (sent) => (brokerSent = sent));
    };
    const highWater = 1024 * 1024;
    const p = await proxy(router, { writeHighWaterBytes: highWater });
    const c = await p.connect();
    c.socket.pause();
    c.socket.write(fetchRequest(5));
    await waitUntil(() => brokerSent > 0);
    // Until the broker can send no more: the kernel's buffers on both sides are full too.
    for (let last = -1; brokerSent !== last; ) {
      last = brokerSent;
      await new Promise((r) => setTimeout(r, 300));
    }
    // Kernel buffers on both loopback sockets plus the high-water mark, never the whole response.
    expect(brokerSent).toBeLessThan(24 * 1024 * 1024);
    // libuv reads a readable socket many times in one turn: the reads past the high-water
    // mark were stopped at once, so what is held is the mark and at most one read more.
    const held = (p.connections[0] as ClientConnection).bufferedForClient;
    expect(held).toBeGreaterThan(0);
    expect(held).toBeLessThanOrEqual(highWater + SHARED_READ_BUFFER_BYTES);
    c.socket.resume();
    await waitUntil(() => c.frames.length === 1, 30_000);
    expect(c.frames[0].length).toBe(big.length);
    expect(c.frames[0].equals(asClientSees(5, 48 * 1024 * 1024, 0x33))).toBe(true);
  });

  it('closes only that client connection when its broker dies mid-stream', async () => {
    const router = new StreamingRouter();
    const [broker] = await brokers(router);
    const big = fetchResponse(1, 500_000);
    let calls = 0;
    broker.answer = async (socket) => {
      calls++;
      if (calls === 1) {
        socket.write(big.subarray(0, 200_000));
        await new Promise((r) => setTimeout(r, 50));
        socket.destroy();
        return;
      }
      await writeSlices(socket, big, 65_536);
    };
    const p = await proxy(router);
    const doomed = await p.connect();
    doomed.socket.write(fetchRequest(1));
    await doomed.closed;
    expect(doomed.frames).toHaveLength(0);
    expect(await p.metrics.registry.metrics()).toMatch(/reason="upstream_failed"\} 1/);
    const other = await p.connect();
    other.socket.write(fetchRequest(2));
    await waitUntil(() => other.frames.length === 1);
    expect(other.frames[0].equals(asClientSees(2, 500_000))).toBe(true);
  });

  it('random bytes in streamed responses close only the connection they reach; the proxy keeps serving', async () => {
    const router = new StreamingRouter();
    const [broker] = await brokers(router);
    const good = fetchResponse(1, 100_000);
    let seed = 12345;
    const random = (): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x7fffffff;
    };
    let garbage = true;
    broker.answer = async (socket, corr) => {
      const frame = Buffer.from(good);
      frame.writeInt32BE(corr, 4);
      if (garbage) {
        // Keep the size and correlation id (the broker's framing), scramble fields after them.
        const hits = 1 + Math.floor(random() * 8);
        for (let i = 0; i < hits; i++) frame[8 + Math.floor(random() * 80)] = Math.floor(random() * 256);
      }
      await writeSlices(socket, frame, 1 + Math.floor(random() * 40_000));
    };
    const p = await proxy(router);
    let closedCount = 0;
    let delivered = 0;
    for (let round = 0; round < 25; round++) {
      garbage = true;
      const streamedBefore = router.streamed;
      const c = await p.connect();
      c.socket.write(fetchRequest(round));
      await waitUntil(() => c.frames.length === 1 || c.isClosed());
      if (c.isClosed()) closedCount++;
      else {
        delivered++;
        expect(c.frames[0].readInt32BE(4)).toBe(round);
        // Streamed, it is rewritten in place; taken whole, it is decoded and encoded again,
        // and scrambled lengths that still decode may come out shorter or longer.
        if (router.streamed > streamedBefore) expect(c.frames[0].length).toBe(good.length);
      }
      c.socket.destroy();
      garbage = false;
      const check = await p.connect();
      check.socket.write(fetchRequest(1000 + round));
      await waitUntil(() => check.frames.length === 1);
      expect(check.frames[0].equals(asClientSees(1000 + round, 100_000))).toBe(true);
      check.socket.destroy();
    }
    expect(closedCount + delivered).toBe(25);
    expect(closedCount).toBeGreaterThan(0);
  });
});
