// Zone-local fetching of the router over Turnout's nodes, against fake backend brokers in
// racks az-a (1), az-b (2) and az-c (3) that the test answers by hand: a client in az-b is
// served by broker 2, a follower, and follower answers only the leader can fix are fetched
// again at the leader within the same request.
import { sessionWithoutSocket } from '../../../src/pipeline/filter-states.js';
import { describe, expect, it } from 'vitest';
import {
  APIS,
  ApiKey,
  createFetchRequest,
  createMetadataRequest,
  createMetadataResponse,
  decodeFetchRequest,
  decodeFetchResponse,
  decodeMetadataResponse,
  decodeRequestHeader,
  encodeFetchRequest,
  encodeMetadataRequest,
  encodeResponseFrame,
} from '../../../src/codec/index.js';
import { createFetchPartition } from '../../../src/codec/generated/fetch.js';
import type { BrokerAddress, ClientSession, RequestExchange } from '../../../src/net/request-router.js';
import { createLogger } from '../../../src/observability/logger.js';
import { ZoneMetrics } from '../../../src/observability/zone-metrics.js';
import { parseConfig } from '../../../src/policy/config.js';
import { PolicySnapshot, policyDocumentOf } from '../../../src/policy/policy-snapshot.js';
import { ApiVersionsTable } from '../../../src/routing/api-versions.js';
import type { BackendTopology } from '../../../src/routing/backend-topology.js';
import { decodeRequestFrame, decodeResponseFrame, encodeRequestFrame } from '../../../src/codec/message-frames.js';
import { MultiBackendRouter } from '../../../src/routing/multi-backend-router.js';
import { ZoneRouting } from '../../../src/routing/multi/zone-routing.js';
import { ZoneNodes } from '../../../src/routing/zone-nodes.js';
import { Registry } from 'prom-client';
import { recordBatch } from './record-batches.js';
import { responseOf } from './router-fixture.js';
import { fetchAnswerFor } from './two-backend-router.js';

const RACKS: Record<number, string> = { 1: 'az-a', 2: 'az-b', 3: 'az-c' };
const OUT_OF_RANGE = 1;
const NOT_LEADER = 6;

const config = parseConfig({
  virtualCluster: { clusterId: 'v' },
  zones: ['az-a', 'az-b', 'az-c'],
  listeners: [{ name: 'b', bootstrapPort: 0, nodePortBase: 0, zone: 'az-b', nodeIdBase: 100, nodes: 2 }],
  backends: [{ name: 'main', bootstrapServers: ['main:9092'], rackZones: { 'az-a': 'az-a', 'az-b': 'az-b', 'az-c': 'az-c' } }],
});

function fakeTopology(live: Set<number>): BackendTopology {
  const brokers = new Map([1, 2, 3].map((id) => [id, { brokerId: id, host: `main-${id}`, port: 9092, rack: RACKS[id] }]));
  return {
    backend: 'main',
    isKnown: true,
    apiVersions: new ApiVersionsTable(),
    broker: (id: number) => (live.has(id) ? brokers.get(id) : undefined),
    brokers: () => brokers,
    anyBrokerId: () => 1,
    brokerApiVersions: () => [
      { apis: new Map(APIS.map((a) => [a.apiKey, { minVersion: a.minVersion, maxVersion: a.maxVersion }])), supportedFeatures: [], finalizedFeaturesEpoch: -1n, finalizedFeatures: [] },
    ],
  } as unknown as BackendTopology;
}

function exchange(apiKey: number, apiVersion: number, frame: Buffer): RequestExchange {
  return { frame, apiKey, apiVersion, correlationId: 7, response: null, expectResponse: true, targetBrokerId: -1, targetAddress: null, routeState: undefined, deferred: null, held: null, closeAfter: null, pipelineState: undefined };
}

/** How broker 2 (the az-b follower) answers: data, an error code, or no answer at all. */
type FollowerBehaviour = 'data' | number | 'unreachable';

class Rig {
  readonly fetches: string[] = [];
  readonly metrics = new ZoneMetrics(new Registry());
  follower: FollowerBehaviour = 'data';
  /** In-sync replicas the backend reports for partition 0 (leader 1). */
  isr = [1, 2, 3];
  readonly live = new Set([1, 2, 3]);
  readonly router: MultiBackendRouter;
  readonly session: ClientSession;
  private batch: Buffer = Buffer.alloc(0);

  constructor(zone: string | null) {
    const topology = fakeTopology(this.live);
    const listener = { name: 'b', advertisedHost: 'turnout-b', nodePort: (id: number) => 9000 + id };
    this.router = new MultiBackendRouter({
      clusterId: 'v',
      topologies: [topology],
      policy: () => new PolicySnapshot(policyDocumentOf(config), 1, new Map()),
      listeners: [listener],
      nodeCount: 2,
      zoneRouting: new ZoneRouting({
        nodes: new ZoneNodes({ zones: config.zones, listeners: [{ listener, zone: 'az-b', nodeIdBase: 100, nodes: 2 }] }),
        brokerZone: (_backend, id) => (this.live.has(id) ? RACKS[id] : null),
        isLive: (_backend, id) => this.live.has(id),
        metrics: this.metrics,
      }),
      log: createLogger({ level: 'silent' }),
    });
    this.session = {
      connId: 1,
      log: createLogger({ level: 'silent' }),
      listenerName: 'b',
      virtualNodeId: 100,
      anyBrokerId: -1,
    ...sessionWithoutSocket(),
      zone,
      sendUpstream: (address, frame) => this.answer(address, frame),
    };
    this.router.updateApiVersions();
  }

  async init(): Promise<void> {
    this.batch = await recordBatch({ baseOffset: 5 });
  }

  private answer(address: BrokerAddress, frame: Buffer): Promise<Buffer> {
    const h = decodeRequestHeader(frame.subarray(4));
    if (h.apiKey === ApiKey.Metadata) {
      const m = createMetadataResponse();
      m.brokers = [...this.live].map((id) => ({ nodeId: id, host: `main-${id}`, port: 9092, rack: RACKS[id] }));
      m.topics = [
        {
          errorCode: 0,
          name: 'orders',
          topicId: 'AAAAAAAAAAAAAAAAAAAAAg',
          isInternal: false,
          partitions: [{ errorCode: 0, partitionIndex: 0, leaderId: 1, leaderEpoch: 3, replicaNodes: [1, 2, 3], isrNodes: this.isr, offlineReplicas: [] }],
          topicAuthorizedOperations: -2147483648,
        },
      ];
      return Promise.resolve(encodeResponseFrame(h.correlationId, ApiKey.Metadata, h.apiVersion, m));
    }
    const req = decodeRequestFrame(frame, decodeFetchRequest).body;
    this.fetches.push(`${address.brokerId}/v${h.apiVersion}`);
    if (address.brokerId === 2 && this.follower === 'unreachable') return Promise.reject(new Error('connection refused'));
    const res = fetchAnswerFor(req, (p) => {
      p.highWatermark = 6n;
      p.preferredReadReplica = 3;
      if (address.brokerId === 2 && typeof this.follower === 'number') p.errorCode = this.follower;
      else p.records = this.batch;
    });
    return Promise.resolve(encodeResponseFrame(h.correlationId, ApiKey.Fetch, h.apiVersion, res));
  }

  async metadata(): Promise<{ brokers: Array<[number, string | null]>; leader: number; replicas: number[] }> {
    const req = createMetadataRequest();
    req.topics = null;
    const ex = exchange(ApiKey.Metadata, 12, encodeRequestFrame({ apiKey: ApiKey.Metadata, apiVersion: 12, correlationId: 7, clientId: 't' }, req, encodeMetadataRequest));
    this.router.routeRequest(this.session, ex);
    const m = decodeResponseFrame((await ex.deferred) as Buffer, ApiKey.Metadata, 12, decodeMetadataResponse).body;
    const p = m.topics[0].partitions[0];
    return { brokers: m.brokers.map((b) => [b.nodeId, b.rack]), leader: p.leaderId, replicas: p.replicaNodes };
  }

  /** One Fetch of orders/0 at `version`: [error, has records, preferred read replica]. */
  async fetch(version = 12): Promise<[number, boolean, number]> {
    const req = createFetchRequest();
    Object.assign(req, { maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20, sessionId: 0, sessionEpoch: -1 });
    req.topics = [{ topic: 'orders', topicId: 'AAAAAAAAAAAAAAAAAAAAAA', partitions: [Object.assign(createFetchPartition(), { partition: 0, fetchOffset: 5n, partitionMaxBytes: 1 << 16 })] }];
    const ex = exchange(ApiKey.Fetch, version, encodeRequestFrame({ apiKey: ApiKey.Fetch, apiVersion: version, correlationId: 7, clientId: 't' }, req, encodeFetchRequest));
    this.router.routeRequest(this.session, ex);
    const m = decodeResponseFrame((await responseOf(this.router, this.session, ex)) as Buffer, ApiKey.Fetch, version, decodeFetchResponse).body;
    const p = m.responses[0].partitions[0];
    return [p.errorCode, (p.records?.length ?? 0) > 0, p.preferredReadReplica];
  }
}

async function rig(zone: string | null = 'az-b'): Promise<Rig> {
  const r = new Rig(zone);
  await r.init();
  await r.metadata();
  return r;
}

describe('zone-local fetching over Turnout nodes', () => {
  it('shows an az-b client only the az-b nodes, rack az-b, as leader and replicas', async () => {
    const r = await rig();
    const m = await r.metadata();
    expect(m.brokers).toEqual([
      [100, 'az-b'],
      [101, 'az-b'],
    ]);
    expect([100, 101]).toContain(m.leader);
    expect([...m.replicas].sort()).toEqual([100, 101]);
  });

  it('fetches from the in-sync follower in the client\'s zone and never passes on a real preferred read replica', async () => {
    const r = await rig();
    expect(await r.fetch()).toEqual([0, true, -1]);
    expect(r.fetches).toEqual(['2/v12']);
    expect(r.metrics.snapshot().fetches).toEqual([{ clientZone: 'az-b', brokerZone: 'az-b', replica: 'follower', partitions: 1, recordBytes: expect.any(Number) }]);
  });

  it('fetches from the leader for a client without a zone, and for a Fetch version followers do not answer', async () => {
    const none = await rig(null);
    await none.fetch();
    const old = await rig();
    await old.fetch(10);
    expect([none.fetches, old.fetches]).toEqual([['1/v12'], ['1/v10']]);
  });

  it('fetches a partition the follower answers OFFSET_OUT_OF_RANGE again at the leader, in the same request, and keeps using the follower', async () => {
    const r = await rig();
    r.follower = OUT_OF_RANGE;
    expect(await r.fetch()).toEqual([0, true, -1]);
    expect(r.fetches).toEqual(['2/v12', '1/v12']);
    r.follower = 'data';
    await r.fetch();
    expect(r.fetches.at(-1)).toBe('2/v12');
    expect(r.metrics.snapshot().followerRetries).toEqual({ offset_out_of_range: 1 });
  });

  it.each([
    ['NOT_LEADER_OR_FOLLOWER', NOT_LEADER, 'not_leader_or_follower'],
    ['FENCED_LEADER_EPOCH', 74, 'fenced_leader_epoch'],
    ['UNKNOWN_LEADER_EPOCH', 75, 'unknown_leader_epoch'],
    ['REPLICA_NOT_AVAILABLE', 9, 'replica_not_available'],
    ['no answer', 'unreachable' as const, 'unreachable'],
  ])('sets the follower aside after %s, answers from the leader, and keeps the leader known', async (_label, behaviour, reason) => {
    const r = await rig();
    r.follower = behaviour;
    expect(await r.fetch()).toEqual([0, true, -1]);
    expect(r.fetches).toEqual(['2/v12', '1/v12']);
    r.follower = 'data';
    expect(await r.fetch()).toEqual([0, true, -1]);
    // Set aside: the leader serves until a later refresh shows the follower in sync again.
    expect(r.fetches.at(-1)).toBe('1/v12');
    expect(r.metrics.snapshot().followerRetries).toEqual({ [reason]: 1 });
  });

  it('stops using a follower that left the ISR and uses it again once it is back', async () => {
    const r = await rig();
    r.isr = [1, 3];
    await r.metadata();
    await r.fetch();
    expect(r.fetches.at(-1)).toBe('1/v12');
    r.isr = [1, 2, 3];
    await r.metadata();
    await r.fetch();
    expect(r.fetches.at(-1)).toBe('2/v12');
  });

  it('does not fetch from a follower the backend no longer lists as live', async () => {
    const r = await rig();
    r.live.delete(2);
    await r.fetch();
    expect(r.fetches).toEqual(['1/v12']);
  });
});
