import type net from 'node:net';
import { describe, expect, it } from 'vitest';
import type { ClientConnection } from '../../../src/net/client-connection.js';
import type { BrokerAddress, ClientSession, RequestExchange } from '../../../src/net/request-router.js';
import { RequestRejectedError } from '../../../src/net/request-router.js';
import { FakeBrokerServer, FakeRouterBase, apiKeyResponse, clientConnection, connectClient, limitsWith, request, testCleanups, waitUntil } from './socket-test-kit.js';
import { zoneContextOf, type ZoneContext } from '../../../src/net/session-zone.js';
import { ProxyMetrics } from '../../../src/observability/metrics.js';
import { ZoneModel } from '../../../src/policy/zone-resolver.js';

// A fake broker: answers each request with its own correlation id and "apiKey" as body,
// after a delay chosen per api key (and, while held, not before it is released); records
// the correlation ids it saw.
class FakeBroker extends FakeBrokerServer {
  readonly seen: number[] = [];
  delayMs: (apiKey: number) => number = () => 0;
  private held: Promise<void> = Promise.resolve();

  constructor() {
    super((socket, frame, chain) => {
      const apiKey = frame.readInt16BE(4);
      const corr = frame.readInt32BE(8);
      this.seen.push(corr);
      const held = this.held;
      chain(async () => {
        await held;
        await new Promise<void>((resolve) =>
          setTimeout(() => {
            if (!socket.destroyed) socket.write(apiKeyResponse(corr, apiKey));
            resolve();
          }, this.delayMs(apiKey)),
        );
      });
    });
  }

  /** Holds every answer to a request that arrives from now on until the returned release is called. */
  holdAnswers(): () => void {
    let release = (): void => undefined;
    this.held = new Promise<void>((r) => (release = r));
    return () => {
      release();
      this.held = Promise.resolve();
    };
  }
}

const LOCAL_API = 18;
/** Answered later from two upstream requests, one per fake broker (as a split request is). */
const FAN_OUT_API = 100;
/** Sent to broker 1 with no response expected (as produce acks=0 through a split). */
const FIRE_AND_FORGET_API = 101;

class FakeRouter extends FakeRouterBase {
  routeRequest(s: ClientSession, ex: RequestExchange): void {
    if (ex.apiKey === FAN_OUT_API) {
      const a = s.sendUpstream(this.brokerAddress(1) as BrokerAddress, request(2, 0), true);
      const b = s.sendUpstream(this.brokerAddress(2) as BrokerAddress, request(3, 0), true);
      ex.deferred = Promise.all([a, b]).then(([ra, rb]) => {
        const res = Buffer.alloc(12);
        res.writeInt32BE(8, 0);
        res.writeInt32BE(ex.correlationId, 4);
        res.writeInt16BE((ra as Buffer).readInt16BE(8), 8);
        res.writeInt16BE((rb as Buffer).readInt16BE(8), 10);
        return res;
      });
      return;
    }
    if (ex.apiKey === FIRE_AND_FORGET_API) {
      ex.expectResponse = false;
      ex.deferred = s.sendUpstream(this.brokerAddress(1) as BrokerAddress, request(4, 0), false);
      return;
    }
    if (ex.apiKey === 999) throw new RequestRejectedError('unknown_api_key', ex.apiKey, ex.apiVersion, 'no such api');
    if (ex.apiKey === LOCAL_API) {
      ex.response = apiKeyResponse(ex.correlationId, LOCAL_API);
      return;
    }
    ex.targetBrokerId = ex.apiKey % 2 === 0 ? 1 : 2;
  }
}

interface Harness {
  client: net.Socket;
  responses: Array<{ corr: number; apiKey: number }>;
  closed: Promise<void>;
  conn: () => ClientConnection;
  metrics: ProxyMetrics;
}

const cleanups = testCleanups();

async function harness(router: FakeRouter, limits: Record<string, number> = {}, zones?: ZoneContext): Promise<Harness> {
  const configLimits = limitsWith(limits);
  const metrics = new ProxyMetrics({ apiName: () => undefined });
  const responses: Array<{ corr: number; apiKey: number }> = [];
  const connected = await connectClient(
    cleanups,
    (socket) => clientConnection(socket, 1, router, configLimits, metrics, zones),
    (f) => responses.push({ corr: f.readInt32BE(4), apiKey: f.readInt16BE(8) }),
  );
  return { ...connected, responses, metrics };
}

async function brokers(router: FakeRouter): Promise<[FakeBroker, FakeBroker]> {
  const a = new FakeBroker();
  const b = new FakeBroker();
  router.ports.set(1, await a.listen());
  router.ports.set(2, await b.listen());
  cleanups.push(() => a.close(), () => b.close());
  return [a, b];
}

describe('ClientConnection', () => {
  it('releases responses in request order across a slow broker, a fast broker and local answers', async () => {
    const router = new FakeRouter();
    const [slow, fast] = await brokers(router);
    slow.delayMs = () => 50;
    fast.delayMs = () => 0;
    const h = await harness(router);
    // even api keys go to the slow broker 1, odd to the fast broker 2, 18 is local
    const plan = [2, 3, LOCAL_API, 4, 5, LOCAL_API, 7, 6];
    h.client.write(Buffer.concat(plan.map((k, i) => request(k, 500 + i))));
    await waitUntil(() => h.responses.length === plan.length);
    expect(h.responses).toEqual(plan.map((k, i) => ({ corr: 500 + i, apiKey: k })));
  });

  it("sends brokers Turnout's own correlation ids and restores the client's", async () => {
    const router = new FakeRouter();
    const [broker] = await brokers(router);
    const h = await harness(router);
    h.client.write(Buffer.concat([request(2, -7), request(2, 123456), request(2, -7)]));
    await waitUntil(() => h.responses.length === 3);
    expect(broker.seen).toEqual([1, 2, 3]);
    expect(h.responses.map((r) => r.corr)).toEqual([-7, 123456, -7]);
  });

  it('stops reading requests while too many are in flight', async () => {
    const router = new FakeRouter();
    const [broker] = await brokers(router);
    const release = broker.holdAnswers();
    const h = await harness(router, { maxInFlightRequests: 2 });
    h.client.write(Buffer.concat([1, 2, 3, 4, 5].map((i) => request(2, i))));
    await waitUntil(() => broker.seen.length >= 2);
    // Time for a third request to go out, were the limit not kept; a correct one never sends it.
    await new Promise((r) => setTimeout(r, 50));
    expect(broker.seen.length).toBe(2);
    release();
    await waitUntil(() => h.responses.length === 5);
    expect(h.responses.map((r) => r.corr)).toEqual([1, 2, 3, 4, 5]);
  });

  it('closes the client when its broker fails and no error response can be built', async () => {
    const router = new FakeRouter();
    const [broker] = await brokers(router);
    broker.delayMs = () => 10_000;
    const h = await harness(router);
    h.client.write(request(2, 1));
    await waitUntil(() => broker.sockets.size === 1);
    for (const s of broker.sockets) s.destroy();
    await h.closed;
    expect(await h.metrics.registry.metrics()).toMatch(/reason="upstream_failed"\} 1/);
  });

  it('closes the client when a request is rejected, answering what came before', async () => {
    const router = new FakeRouter();
    await brokers(router);
    const h = await harness(router);
    h.client.write(Buffer.concat([request(LOCAL_API, 1), request(999, 2)]));
    await h.closed;
    expect(await h.metrics.registry.metrics()).toMatch(/reason="unknown_api_key"\} 1/);
  });

  it('answers a request the router answers later from its own upstream requests, in request order', async () => {
    const router = new FakeRouter();
    const [slow, fast] = await brokers(router);
    slow.delayMs = () => 50;
    fast.delayMs = () => 0;
    const h = await harness(router);
    const raw: Buffer[] = [];
    h.client.on('data', (b: Buffer) => raw.push(b));
    h.client.write(Buffer.concat([request(3, 1), request(FAN_OUT_API, 2), request(FIRE_AND_FORGET_API, 3), request(LOCAL_API, 4)]));
    await waitUntil(() => h.responses.length === 3);
    expect(h.responses.map((r) => r.corr)).toEqual([1, 2, 4]);
    const fanOut = Buffer.concat(raw).subarray(10, 22);
    expect([fanOut.readInt32BE(4), fanOut.readInt16BE(8), fanOut.readInt16BE(10)]).toEqual([2, 2, 3]);
    await waitUntil(() => slow.seen.length === 2);
    expect(h.conn().isClosed).toBe(false);
  });

  it('drains in-flight requests before closing on shutdown', async () => {
    const router = new FakeRouter();
    const [broker] = await brokers(router);
    broker.delayMs = () => 100;
    const h = await harness(router);
    h.client.write(Buffer.concat([request(2, 1), request(2, 2)]));
    await waitUntil(() => broker.seen.length >= 1);
    await h.conn().drain(5_000);
    await h.closed;
    expect(h.responses.map((r) => r.corr)).toEqual([1, 2]);
  });

  it('takes its zone from the client.id of its first request and counts upstream bytes by client and broker zone', async () => {
    const router = new FakeRouter();
    await brokers(router);
    const model = new ZoneModel({ zones: ['az-a', 'az-b'], listenerZones: [['default', 'az-a']], cidrs: [], backendRackZones: [['fake', { r1: 'az-a', r2: 'az-b' }]] });
    const zones = zoneContextOf(model, [{ backend: 'fake', broker: (id) => ({ rack: id === 1 ? 'r1' : 'r2' }) }]);
    const h = await harness(router, {}, zones);
    expect([h.conn().zone, h.conn().zoneSource]).toEqual(['az-a', 'listener']);
    // api 2 goes to broker 1 (rack r1, az-a), api 3 to broker 2 (rack r2, az-b)
    h.client.write(Buffer.concat([requestWithClientId(2, 1, 'svc,turnout_az=az-b'), requestWithClientId(3, 2, 'svc,turnout_az=az-b')]));
    await waitUntil(() => h.responses.length === 2);
    expect(h.conn().view()).toMatchObject({ connId: 1, listener: 'default', zone: 'az-b', source: 'client-id-tag', clientId: 'svc,turnout_az=az-b' });
    const frameBytes = requestWithClientId(2, 1, 'svc,turnout_az=az-b').length;
    expect(h.metrics.zones.snapshot().pairs).toEqual([
      { clientZone: 'az-b', brokerZone: 'az-a', crossZone: true, toBrokerBytes: frameBytes, fromBrokerBytes: 10 },
      { clientZone: 'az-b', brokerZone: 'az-b', crossZone: false, toBrokerBytes: frameBytes, fromBrokerBytes: 10 },
    ]);
    expect(h.metrics.zones.snapshot().crossZone).toEqual({ toBrokerBytes: frameBytes, fromBrokerBytes: 10 });
  });
});

function requestWithClientId(apiKey: number, correlationId: number, clientId: string): Buffer {
  const id = Buffer.from(clientId);
  const b = Buffer.alloc(14 + id.length);
  b.writeInt32BE(b.length - 4, 0);
  b.writeInt16BE(apiKey, 4);
  b.writeInt16BE(0, 6);
  b.writeInt32BE(correlationId, 8);
  b.writeInt16BE(id.length, 12);
  id.copy(b, 14);
  return b;
}
