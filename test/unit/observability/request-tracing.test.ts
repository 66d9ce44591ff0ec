// The spans of client requests, built by a real client connection over fake brokers: a SERVER
// span per request from its frame to its response, a CLIENT child per request sent to a broker
// on its behalf (one per destination of a split request, found across the router's awaits),
// the pipeline's outcomes as events, acks=0 and closed connections, and nothing at all for a
// request that is not sampled.
import type net from 'node:net';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { ApiKey, ZERO_UUID, encodeProduceRequest } from '../../../src/codec/index.js';
import { encodeRequestFrame } from '../../../src/codec/message-frames.js';
import type { ClientConnection } from '../../../src/net/client-connection.js';
import type { ClientSession, RequestExchange, RequestRouter } from '../../../src/net/request-router.js';
import { createLogger } from '../../../src/observability/logger.js';
import { ProxyMetrics } from '../../../src/observability/metrics.js';
import { RequestTracer, type DomainLookup } from '../../../src/observability/request-tracer.js';
import { FORWARD, FORWARD_WITHOUT_RESPONSE, type FilterOutcome, type FilterRequest, type RequestFilter } from '../../../src/pipeline/filter.js';
import { RequestPipeline } from '../../../src/pipeline/pipeline.js';
import { parseConfig } from '../../../src/policy/config.js';
import { EchoBroker, FakeRouterBase, apiKeyResponse, clientConnection, connectClient, limitsWith, request, testCleanups, waitUntil } from '../net/socket-test-kit.js';

const SPLIT_API = 3;
const FORWARDED_API = 2;
const HOLD_API = 200;
const DENY_API = 201;
const CLOSE_API = 202;
const NO_RESPONSE_API = 203;
/** Answered at once; its routing leaves a timer behind that sends to a broker later. */
const LATE_API = 4;

/** Forwards every api to broker 1 but SPLIT_API, which it sends to brokers 1 and 2 after an await and answers itself. */
class TestRouter extends FakeRouterBase {
  routeRequest(session: ClientSession, ex: RequestExchange): void {
    if (ex.apiKey === LATE_API) {
      const address = this.brokerAddress(1) as NonNullable<ReturnType<RequestRouter['brokerAddress']>>;
      setTimeout(() => void session.sendUpstream(address, request(FORWARDED_API, 99), true).catch(() => undefined), 30);
      ex.response = apiKeyResponse(ex.correlationId, LATE_API);
      return;
    }
    if (ex.apiKey !== SPLIT_API) {
      ex.targetBrokerId = 1;
      return;
    }
    ex.deferred = this.split(session, ex);
  }

  private async split(session: ClientSession, ex: RequestExchange): Promise<Buffer> {
    await new Promise((r) => setTimeout(r, 5));
    const parts = [1, 2].map((id) => session.sendUpstream(this.brokerAddress(id) as NonNullable<ReturnType<RequestRouter['brokerAddress']>>, ex.frame, true));
    await Promise.all(parts);
    return apiKeyResponse(ex.correlationId, SPLIT_API);
  }
}

class TestFilter implements RequestFilter {
  readonly name = 'test';
  release: () => void = () => undefined;
  private readonly held = new Promise<void>((resolve) => {
    this.release = resolve;
  });
  private holding = true;

  wants(apiKey: number): boolean {
    return apiKey >= HOLD_API;
  }

  onRequest(request: FilterRequest): FilterOutcome {
    switch (request.apiKey) {
      case HOLD_API:
        if (!this.holding) return FORWARD;
        this.holding = false;
        return { kind: 'hold', until: this.held };
      case DENY_API:
        return { kind: 'deny', denial: { allowed: null, answerAll: () => apiKeyResponse(request.correlationId, DENY_API), merge: (r) => r } };
      case CLOSE_API:
        return { kind: 'close', reason: 'test_refused', message: 'refused by the test filter' };
      default:
        return FORWARD_WITHOUT_RESPONSE;
    }
  }
}

const cleanups = testCleanups();

interface Harness {
  client: net.Socket;
  frames: Buffer[];
  filter: TestFilter;
  exporter: InMemorySpanExporter;
  tracer: RequestTracer;
  conn: () => ClientConnection;
  spans: () => Promise<ReadableSpan[]>;
  brokerPorts: number[];
}

async function start(samplingRatio = 1, domains?: DomainLookup): Promise<Harness> {
  const brokers = [new EchoBroker([NO_RESPONSE_API]), new EchoBroker([NO_RESPONSE_API])];
  const router = new TestRouter();
  for (const [i, b] of brokers.entries()) {
    router.ports.set(i + 1, await b.listen());
    cleanups.push(() => b.close());
  }
  const filter = new TestFilter();
  const pipeline = new RequestPipeline([filter], router);
  const exporter = new InMemorySpanExporter();
  const tracing = parseConfig({
    virtualCluster: { clusterId: 'x' },
    listeners: [{ bootstrapPort: 0, nodePortBase: 0 }],
    backends: [{ name: 'fake', bootstrapServers: ['127.0.0.1:1'] }],
    tracing: { enabled: true, endpoint: 'http://127.0.0.1:1/v1/traces', samplingRatio },
  }).tracing;
  const tracer = new RequestTracer({ config: tracing, headers: {}, log: createLogger({ level: 'silent' }), exporter, ...(domains !== undefined ? { domains } : {}) });
  cleanups.push(() => tracer.shutdown());
  const metrics = new ProxyMetrics({ apiName: () => undefined });
  const frames: Buffer[] = [];
  const { client, conn } = await connectClient(
    cleanups,
    (socket) => clientConnection(socket, 1, pipeline, limitsWith({}), metrics, undefined, undefined, { tracer }),
    (f) => frames.push(Buffer.from(f)),
  );
  const spans = async (): Promise<ReadableSpan[]> => {
    await tracer.flush();
    return exporter.getFinishedSpans();
  };
  return { client, frames, filter, exporter, tracer, conn, spans, brokerPorts: [...router.ports.values()] };
}

function childrenOf(parent: ReadableSpan, spans: readonly ReadableSpan[]): ReadableSpan[] {
  return spans.filter((s) => s.parentSpanContext?.spanId === parent.spanContext().spanId);
}

/** An SDK time in ns since the epoch. */
function nanos([s, n]: [number, number]): bigint {
  return BigInt(s) * 1_000_000_000n + BigInt(n);
}

/** A span's [start, end] in ns since the epoch. */
function interval(span: ReadableSpan): [bigint, bigint] {
  return [nanos(span.startTime), nanos(span.endTime)];
}

function eventNames(span: ReadableSpan): string[] {
  return span.events.map((e) => e.name);
}

describe('request spans', () => {
  it('traces a forwarded request from its frame to its response, with a child for the broker request', async () => {
    const h = await start();
    h.client.write(request(FORWARDED_API, 41, 3));
    await waitUntil(() => h.frames.length === 1);
    const spans = await h.spans();
    const server = spans.find((s) => s.kind === SpanKind.SERVER);
    expect(server?.name).toBe('kafka.ListOffsets');
    expect(server?.attributes).toMatchObject({
      'messaging.system': 'kafka',
      'kafka.api.key': FORWARDED_API,
      'kafka.api.name': 'ListOffsets',
      'kafka.api.version': 3,
      'kafka.correlation_id': 41,
      'turnout.listener': 'default',
      'turnout.virtual_node': 0,
      'turnout.principal': 'User:ANONYMOUS',
      'client.address': '127.0.0.1',
      'turnout.route': 'forwarded',
      'turnout.request_bytes': 14,
      'turnout.response_bytes': 10,
      'turnout.backend': 'fake',
      'turnout.broker_id': 1,
      'turnout.upstream_count': 1,
    });
    expect(server?.attributes['messaging.client.id']).toBeUndefined();
    const children = childrenOf(server as ReadableSpan, spans);
    expect(children).toHaveLength(1);
    expect(children[0].kind).toBe(SpanKind.CLIENT);
    expect(children[0].attributes).toMatchObject({
      'turnout.backend': 'fake',
      'turnout.broker_id': 1,
      'server.address': '127.0.0.1',
      'server.port': h.brokerPorts[0],
      'turnout.request_bytes': 14,
      'turnout.response_bytes': 10,
    });
    expect(children[0].spanContext().traceId).toBe(server?.spanContext().traceId);
  });

  it('gives each upstream request of a split request its own child, found after the router awaited', async () => {
    const h = await start();
    h.client.write(request(SPLIT_API, 7));
    await waitUntil(() => h.frames.length === 1);
    const spans = await h.spans();
    const server = spans.find((s) => s.kind === SpanKind.SERVER) as ReadableSpan;
    expect(server.name).toBe('kafka.Metadata');
    expect(server.attributes).toMatchObject({ 'turnout.route': 'deferred', 'turnout.upstream_count': 2, 'turnout.backend': 'fake' });
    // Two brokers: no single broker id on the request's own span.
    expect(server.attributes['turnout.broker_id']).toBeUndefined();
    const children = childrenOf(server, spans);
    expect(children.map((c) => c.attributes['turnout.broker_id']).sort()).toEqual([1, 2]);
    const [startNs, endNs] = interval(server);
    for (const c of children) {
      // Within their parent, to the nanosecond: the spans share one clock.
      expect(interval(c)[0]).toBeGreaterThanOrEqual(startNs);
      expect(interval(c)[1]).toBeLessThanOrEqual(endNs);
      expect(c.kind).toBe(SpanKind.CLIENT);
      expect(c.name).toBe('kafka.Metadata');
      expect(c.attributes['turnout.response_bytes']).toBe(10);
    }
  });

  it('keeps the spans of two requests in flight at once apart', async () => {
    const h = await start();
    h.client.write(Buffer.concat([request(SPLIT_API, 1), request(SPLIT_API, 2)]));
    await waitUntil(() => h.frames.length === 2);
    const spans = await h.spans();
    const servers = spans.filter((s) => s.kind === SpanKind.SERVER);
    expect(servers.map((s) => s.attributes['kafka.correlation_id']).sort()).toEqual([1, 2]);
    for (const s of servers) expect(childrenOf(s, spans)).toHaveLength(2);
  });

  it('gives nothing the routing of an answered request left behind to its span', async () => {
    const h = await start();
    h.client.write(request(LATE_API, 6));
    await waitUntil(() => h.frames.length === 1);
    await new Promise((r) => setTimeout(r, 100));
    const spans = await h.spans();
    expect(spans.map((s) => [s.name, s.kind])).toEqual([['kafka.LeaderAndIsr', SpanKind.SERVER]]);
    expect(spans[0].attributes['turnout.route']).toBe('answered');
  });

  it('shows a hold and its release as events, and a denial, with the filter that decided', async () => {
    const h = await start();
    h.client.write(Buffer.concat([request(HOLD_API, 1), request(DENY_API, 2)]));
    // Held from its arrival: released 30 ms after that at the earliest.
    await waitUntil(() => h.conn().inFlight === 2);
    await new Promise((r) => setTimeout(r, 30));
    h.filter.release();
    await waitUntil(() => h.frames.length === 2);
    const spans = await h.spans();
    const held = spans.find((s) => s.attributes['kafka.correlation_id'] === 1 && s.kind === SpanKind.SERVER) as ReadableSpan;
    expect(eventNames(held)).toEqual(['turnout.filter.hold', 'turnout.resumed']);
    // The hold lasted the 30 ms before the release, inside the span.
    const [holdNs, resumeNs] = held.events.map((e) => nanos(e.time));
    expect(resumeNs - holdNs).toBeGreaterThanOrEqual(25_000_000n);
    expect(holdNs).toBeGreaterThanOrEqual(interval(held)[0]);
    expect(resumeNs).toBeLessThanOrEqual(interval(held)[1]);
    expect(held.events[0].attributes).toEqual({ 'turnout.filter': 'test' });
    expect(held.attributes['turnout.route']).toBe('forwarded');
    const denied = spans.find((s) => s.attributes['kafka.correlation_id'] === 2) as ReadableSpan;
    expect(eventNames(denied)).toEqual(['turnout.filter.deny']);
    expect(denied.events[0].attributes).toEqual({ 'turnout.filter': 'test', 'turnout.denied': 'all' });
    expect(denied.attributes['turnout.route']).toBe('answered');
    expect(childrenOf(denied, spans)).toHaveLength(0);
  });

  it('ends the span of a request that gets no response once it is sent on', async () => {
    const h = await start();
    h.client.write(request(NO_RESPONSE_API, 9));
    let spans: ReadableSpan[] = [];
    const deadline = Date.now() + 5_000;
    while (spans.length < 2 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 5));
      spans = await h.spans();
    }
    const server = spans.find((s) => s.kind === SpanKind.SERVER) as ReadableSpan;
    expect(server.attributes['turnout.response_bytes']).toBeUndefined();
    expect(server.attributes['turnout.route']).toBe('forwarded');
    expect(childrenOf(server, spans)).toHaveLength(1);
    expect(h.frames).toHaveLength(0);
  });

  it('marks the span of a request whose connection a filter closes as failed, with the reason', async () => {
    const h = await start();
    h.client.write(request(CLOSE_API, 3));
    await waitUntil(() => h.conn().isClosed);
    const spans = await h.spans();
    expect(spans).toHaveLength(1);
    expect(eventNames(spans[0])).toEqual(['turnout.filter.close']);
    expect(spans[0].events[0].attributes).toEqual({ 'turnout.filter': 'test', 'turnout.close_reason': 'test_refused' });
    expect(spans[0].attributes['turnout.close_reason']).toBe('test_refused');
    expect(spans[0].status.code).toBe(SpanStatusCode.ERROR);
  });

  it('ends in-flight spans with the reason when the connection closes', async () => {
    const h = await start();
    h.client.write(request(HOLD_API, 5));
    await waitUntil(() => h.conn().inFlight === 1);
    h.conn().close('client_reset');
    const spans = await h.spans();
    expect(spans).toHaveLength(1);
    expect(spans[0].attributes).toMatchObject({ 'turnout.close_reason': 'client_reset', 'error.type': 'client_reset' });
    expect(spans[0].status.code).toBe(SpanStatusCode.ERROR);
  });

  it('reads the client id, topics, partitions and domains of a produce', async () => {
    const domains: DomainLookup = { domainOf: (t) => (t.startsWith('orders.') ? 'orders' : t.startsWith('payments.') ? 'payments' : null) };
    const h = await start(1, domains);
    const produce = encodeRequestFrame(
      { apiKey: ApiKey.Produce, apiVersion: 9, correlationId: 11, clientId: 'order-service' },
      {
        transactionalId: null,
        acks: -1,
        timeoutMs: 1_000,
        topicData: [
          { name: 'orders.created', topicId: ZERO_UUID, partitionData: [{ index: 0, records: null }, { index: 1, records: null }] },
          { name: 'payments.done', topicId: ZERO_UUID, partitionData: [{ index: 2, records: null }] },
          { name: 'unclaimed', topicId: ZERO_UUID, partitionData: [{ index: 0, records: null }] },
        ],
      },
      encodeProduceRequest,
    );
    h.client.write(produce);
    await waitUntil(() => h.frames.length === 1);
    const server = (await h.spans()).find((s) => s.kind === SpanKind.SERVER) as ReadableSpan;
    expect(server.name).toBe('kafka.Produce');
    expect(server.attributes).toMatchObject({
      'messaging.client.id': 'order-service',
      'turnout.topic_count': 3,
      'turnout.partition_count': 4,
      'turnout.domain': 'orders,payments',
      'turnout.request_bytes': produce.length,
    });
  });

  it('creates nothing for requests that are not sampled', async () => {
    const h = await start(0);
    h.client.write(Buffer.concat([request(FORWARDED_API, 1), request(SPLIT_API, 2), request(DENY_API, 3)]));
    await waitUntil(() => h.frames.length === 3);
    expect(await h.spans()).toEqual([]);
  });

  it('does not ask for the frame of a request it does not sample', async () => {
    const h = await start(0);
    let asked = 0;
    const frameOf = (): Buffer => {
      asked += 1;
      return request(FORWARDED_API, 4);
    };
    expect(h.tracer.startRequest(h.conn(), frameOf, FORWARDED_API, 0, 4)).toBeNull();
    expect(asked).toBe(0);
  });
});
