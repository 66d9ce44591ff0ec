// How a client connection carries out the request pipeline's outcomes: a held request keeps
// its place in the response order, raw frames after SaslHandshake v0 are answered in order,
// and an answer that ends a connection closes it after its delay, answered first.
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import type { ClientConnection, ClientConnectionOptions } from '../../../src/net/client-connection.js';
import type { ClientSession, RequestExchange } from '../../../src/net/request-router.js';
import { ProxyMetrics } from '../../../src/observability/metrics.js';
import { FORWARD, type FilterOutcome, type FilterRequest, type FilterSession, type RequestFilter } from '../../../src/pipeline/filter.js';
import { RequestPipeline } from '../../../src/pipeline/pipeline.js';
import { ApiKey, encodeRequestFrame } from '../../../src/codec/index.js';
import { createPartitionProduceData, createProduceRequest, createTopicProduceData } from '../../../src/codec/generated/produce.js';
import { CutoverHoldFilter } from '../../../src/pipeline/cutover-hold-filter.js';
import { CutoverHolds } from '../../../src/pipeline/cutover-holds.js';
import { FakePolicyStore } from '../admin/domain-fixtures.js';
import { EchoBroker, FakeRouterBase, apiKeyResponse, clientConnection, connectClient, limitsWith, request, testCleanups, waitUntil } from './socket-test-kit.js';

const HOLD_API = 200;
const RAW_API = 201;
const GOODBYE_API = 202;
const DEADLINE_API = 203;
const CLEAR_DEADLINE_API = 204;
/** Lifts the pre-login frame cap, as a successful login does. */
const LOGIN_API = 205;
const FORWARDED_API = 2;

class ForwardingRouter extends FakeRouterBase {
  routeRequest(_s: ClientSession, ex: RequestExchange): void {
    ex.targetBrokerId = 1;
  }
}

/** Holds HOLD_API until released; switches to raw frames on RAW_API; says goodbye on GOODBYE_API. */
class TestFilter implements RequestFilter {
  readonly name = 'test';
  release: () => void = () => undefined;
  private readonly held = new Promise<void>((resolve) => {
    this.release = resolve;
  });

  wants(apiKey: number): boolean {
    return apiKey >= HOLD_API;
  }

  onRequest(request: FilterRequest, session: FilterSession): FilterOutcome {
    if (request.apiKey === HOLD_API) {
      const outcome: FilterOutcome = { kind: 'hold', until: this.held };
      this.wants = (k) => k >= RAW_API; // asked again after the hold: let it through then
      return outcome;
    }
    if (request.apiKey === LOGIN_API) {
      session.setFrameLimit(null);
      session.setDeadline(null);
      return { kind: 'answer', response: apiKeyResponse(request.correlationId, LOGIN_API) };
    }
    if (request.apiKey === DEADLINE_API || request.apiKey === CLEAR_DEADLINE_API) {
      session.setDeadline(request.apiKey === CLEAR_DEADLINE_API ? null : { atMs: Date.now() + 40, reason: 'not_authenticated_in_time', message: 'no login within 40 ms' });
      return { kind: 'answer', response: apiKeyResponse(request.correlationId, request.apiKey) };
    }
    if (request.apiKey === RAW_API) {
      session.takeRawFrames((frame) => {
        const text = frame.toString();
        return { reply: Buffer.from(text.toUpperCase()), done: text === 'end' };
      });
      return { kind: 'answer', response: apiKeyResponse(request.correlationId, RAW_API) };
    }
    return { kind: 'answer', response: apiKeyResponse(request.correlationId, GOODBYE_API), thenClose: { reason: 'goodbye', message: 'test says goodbye', delayMs: 30 } };
  }
}

const cleanups = testCleanups();

async function start(filter: TestFilter, preLogin?: ClientConnectionOptions['preLogin']): Promise<{ client: net.Socket; frames: Buffer[]; closed: Promise<void>; conn: () => ClientConnection }> {
  const broker = new EchoBroker();
  const router = new ForwardingRouter();
  router.ports.set(1, await broker.listen());
  cleanups.push(() => broker.close());
  const pipeline = new RequestPipeline([filter], router);
  const metrics = new ProxyMetrics({ apiName: () => undefined });
  const frames: Buffer[] = [];
  const connected = await connectClient(
    cleanups,
    (socket) => clientConnection(socket, 1, pipeline, limitsWith({}), metrics, undefined, preLogin),
    (f) => frames.push(Buffer.from(f)),
  );
  return { ...connected, frames };
}

function raw(text: string): Buffer {
  const b = Buffer.alloc(4 + text.length);
  b.writeInt32BE(text.length, 0);
  b.write(text, 4);
  return b;
}

describe('ClientConnection with the request pipeline', () => {
  it('keeps a held request in its place: later answers wait for it, and it is forwarded once released', async () => {
    const filter = new TestFilter();
    const h = await start(filter);
    h.client.write(Buffer.concat([request(HOLD_API, 1), request(FORWARDED_API, 2)]));
    await new Promise((r) => setTimeout(r, 50));
    expect(h.frames).toHaveLength(0);
    filter.release();
    await waitUntil(() => h.frames.length === 2);
    expect(h.frames.map((f) => [f.readInt32BE(4), f.readInt16BE(8)])).toEqual([
      [1, HOLD_API],
      [2, FORWARDED_API],
    ]);
  });

  it('hands bare frames to the raw frame handler after it is set, and returns to Kafka framing when it is done', async () => {
    const h = await start(new TestFilter());
    h.client.write(request(RAW_API, 7));
    await waitUntil(() => h.frames.length === 1);
    h.client.write(Buffer.concat([raw('token'), raw('end'), request(FORWARDED_API, 8)]));
    await waitUntil(() => h.frames.length === 4);
    expect(h.frames[1].subarray(4).toString()).toBe('TOKEN');
    expect(h.frames[2].subarray(4).toString()).toBe('END');
    expect([h.frames[3].readInt32BE(4), h.frames[3].readInt16BE(8)]).toEqual([8, FORWARDED_API]);
  });

  it('writes an answer that ends the connection, reads nothing more, and closes after the delay', async () => {
    const h = await start(new TestFilter());
    h.client.write(Buffer.concat([request(FORWARDED_API, 1), request(GOODBYE_API, 2), request(FORWARDED_API, 3)]));
    await h.closed;
    expect(h.frames.map((f) => f.readInt32BE(4))).toEqual([1, 2]);
    expect(h.conn().isClosed).toBe(true);
  });

  it('closes a connection whose deadline passes, and keeps one whose deadline was cleared', async () => {
    const kept = await start(new TestFilter());
    kept.client.write(Buffer.concat([request(DEADLINE_API, 1), request(CLEAR_DEADLINE_API, 2)]));
    const closing = await start(new TestFilter());
    closing.client.write(request(DEADLINE_API, 1));
    await closing.closed;
    await new Promise((r) => setTimeout(r, 60));
    expect(kept.conn().isClosed).toBe(false);
    expect(kept.frames).toHaveLength(2);
  });

  it('caps frames before login at the pre-login size, lifts the cap once a filter logs the client in, and closes a silent client at its deadline', async () => {
    const preLogin = (): ClientConnectionOptions['preLogin'] => ({ maxFrameBytes: 1024, deadline: { atMs: Date.now() + 60_000, reason: 'sasl_login_timeout', message: 'no login' } });
    const big = Buffer.concat([request(FORWARDED_API, 2), Buffer.alloc(4096)]);
    big.writeInt32BE(big.length - 4, 0);

    const refused = await start(new TestFilter(), preLogin());
    refused.client.write(big);
    await refused.closed;
    expect(refused.frames).toHaveLength(0);

    const loggedIn = await start(new TestFilter(), preLogin());
    loggedIn.client.write(request(LOGIN_API, 1));
    await waitUntil(() => loggedIn.frames.length === 1);
    loggedIn.client.write(big);
    await waitUntil(() => loggedIn.frames.length === 2);
    expect(loggedIn.frames[1].readInt32BE(4)).toBe(2);

    const silent = await start(new TestFilter(), { maxFrameBytes: 1024, deadline: { atMs: Date.now() + 30, reason: 'sasl_login_timeout', message: 'no login' } });
    await silent.closed;
    expect(silent.conn().isClosed).toBe(true);
  });

  it('takes the requests a cutover counted in flight off the count when their client connection closes before the answers', async () => {
    // The broker never answers Produce: its requests stay in flight until the client goes.
    const broker = new EchoBroker([ApiKey.Produce]);
    const router = new ForwardingRouter();
    router.ports.set(1, await broker.listen());
    cleanups.push(() => broker.close());
    const policy = new FakePolicyStore();
    const holds = new CutoverHolds({ maxHeldBytes: 1 << 20 });
    holds.setMode('orders', 'c-1', 'count');
    const pipeline = new RequestPipeline([new CutoverHoldFilter({ holds, policy: () => policy.current(), topicName: () => undefined })], router);
    const metrics = new ProxyMetrics({ apiName: () => undefined });
    const h = await connectClient(cleanups, (socket) => clientConnection(socket, 1, pipeline, limitsWith({}), metrics), () => undefined);
    const produce = (correlationId: number): Buffer => {
      const req = createProduceRequest();
      req.acks = -1;
      req.timeoutMs = 30_000;
      req.topicData = [{ ...createTopicProduceData(), name: 'orders.created', partitionData: [{ ...createPartitionProduceData(), index: 0, records: Buffer.alloc(0) }] }];
      return encodeRequestFrame({ apiKey: ApiKey.Produce, apiVersion: 9, correlationId, clientId: 'test' }, req);
    };
    h.client.write(Buffer.concat([produce(1), produce(2)]));
    const count = holds.inFlightOf('orders');
    await waitUntil(() => count?.count === 2);
    let drained = false;
    void count?.drained().then(() => (drained = true));
    await new Promise((r) => setTimeout(r, 30));
    expect(drained, 'nothing answered: still in flight').toBe(false);
    h.client.destroy();
    await waitUntil(() => drained);
    expect(count?.count).toBe(0);
  });

  it('lets a request no filter wants pass to the router untouched', async () => {
    const filter = new TestFilter();
    const h = await start(filter);
    h.client.write(request(FORWARDED_API, 5));
    await waitUntil(() => h.frames.length === 1);
    expect([h.frames[0].readInt32BE(4), h.frames[0].readInt16BE(8)]).toEqual([5, FORWARDED_API]);
    expect(FORWARD.kind).toBe('forward');
  });
});
