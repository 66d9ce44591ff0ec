// Zone-local fetching of the router over Turnout's nodes, against fake backend brokers in
// racks az-a (1), az-b (2) and az-c (3) that the test answers by hand: a client in az-b is
// served by broker 2, a follower. A follower answer only the leader can fix is answered
// REPLICA_NOT_AVAILABLE when the Fetch was forwarded to the follower alone (the client
// retries, at the same node, and is then served by the leader), and fetched again at the
// leader within the same request when the Fetch was gathered from several brokers.
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
import { createFetchPartition, type PartitionData } from '../../../src/codec/generated/fetch.js';
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
import { writeResponseCorrelationId } from '../../../src/net/correlation.js';
import { recordBatch } from './record-batches.js';
import { responseOf } from './router-fixture.js';
import { fetchAnswerFor } from './two-backend-router.js';

const RACKS: Record<number, string> = { 1: 'az-a', 2: 'az-b', 3: 'az-c' };
const OUT_OF_RANGE = 1;
const NOT_LEADER = 6;
const REPLICA_NOT_AVAILABLE = 9;

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
  /** The node the client fetches from: the leader its last Metadata or NOT_LEADER_OR_FOLLOWER answer named. */
  node = 100;
  /** The nodes a NOT_LEADER_OR_FOLLOWER answer sent the client to, in order. */
  readonly moves: number[] = [];
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
      sendUpstream: (address, frame) => this.answer(address, Buffer.isBuffer(frame) ? frame : frame.join()),
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
          partitions: [
            { errorCode: 0, partitionIndex: 0, leaderId: 1, leaderEpoch: 3, replicaNodes: [1, 2, 3], isrNodes: this.isr, offlineReplicas: [] },
            // No replica in az-b: the leader serves it.
            { errorCode: 0, partitionIndex: 1, leaderId: 1, leaderEpoch: 3, replicaNodes: [1, 3], isrNodes: [1, 3], offlineReplicas: [] },
          ],
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
    this.node = p.leaderId;
    return { brokers: m.brokers.map((b) => [b.nodeId, b.rack]), leader: p.leaderId, replicas: p.replicaNodes };
  }

  /**
   * One Fetch of orders/0 at `version` on the client's node: [error, has records, preferred
   * read replica]. Answered NOT_LEADER_OR_FOLLOWER with a CurrentLeader, the client moves to
   * that node and fetches again, as Kafka's clients do (KIP-951).
   */
  async fetch(version = 12): Promise<[number, boolean, number]> {
    for (;;) {
      const p = (await this.fetchOn({ ...this.session, virtualNodeId: this.node }, [0], version))[0];
      const leader = p.currentLeader?.leaderId ?? -1;
      if (p.errorCode !== NOT_LEADER || leader < 0 || leader === this.node || this.moves.length > 4) return [p.errorCode, (p.records?.length ?? 0) > 0, p.preferredReadReplica];
      this.moves.push(leader);
      this.node = leader;
    }
  }

  /**
   * One Fetch of orders/0 on the client's node, forwarded: the follower's answer put in the
   * client's terms whole and streamed through in 5-byte chunks.
   */
  async forwardedBothWays(): Promise<{ whole: Buffer; streamed: Buffer }> {
    const session = { ...this.session, virtualNodeId: this.node };
    const req = createFetchRequest();
    Object.assign(req, { maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20, sessionId: 0, sessionEpoch: -1 });
    req.topics = [{ topic: 'orders', topicId: 'AAAAAAAAAAAAAAAAAAAAAA', partitions: [Object.assign(createFetchPartition(), { partition: 0, fetchOffset: 5n, partitionMaxBytes: 1 << 16 })] }];
    const ex = exchange(ApiKey.Fetch, 12, encodeRequestFrame({ apiKey: ApiKey.Fetch, apiVersion: 12, correlationId: 7, clientId: 't' }, req, encodeFetchRequest));
    this.router.routeRequest(session, ex);
    if (ex.targetAddress === null) throw new Error('the Fetch was not forwarded');
    const answer = await this.answer(ex.targetAddress, ex.frame);
    writeResponseCorrelationId(answer, ex.correlationId);
    const whole = this.router.rewriteResponse(session, ex, Buffer.from(answer));
    const out: Buffer[] = [];
    const stream = this.router.streamResponse(session, ex, answer.length, { emit: (b) => out.push(Buffer.from(b)) });
    if (stream === null) throw new Error('the forwarded Fetch was not streamed');
    for (let at = 0; at < answer.length; at += 5) stream.write(answer.subarray(at, at + 5));
    stream.end();
    return { whole, streamed: Buffer.concat(out) };
  }

  /** One Fetch of orders' `partitions` by `session`: each partition's answer, in order. */
  async fetchOn(session: ClientSession, partitions: readonly number[], version = 12, minBytes = 1): Promise<PartitionData[]> {
    const req = createFetchRequest();
    Object.assign(req, { maxWaitMs: 0, minBytes, maxBytes: 1 << 20, sessionId: 0, sessionEpoch: -1 });
    req.topics = [{ topic: 'orders', topicId: 'AAAAAAAAAAAAAAAAAAAAAA', partitions: partitions.map((partition) => Object.assign(createFetchPartition(), { partition, fetchOffset: 5n, partitionMaxBytes: 1 << 16 })) }];
    const ex = exchange(ApiKey.Fetch, version, encodeRequestFrame({ apiKey: ApiKey.Fetch, apiVersion: version, correlationId: 7, clientId: 't' }, req, encodeFetchRequest));
    this.router.routeRequest(session, ex);
    const m = decodeResponseFrame((await responseOf(this.router, session, ex)) as Buffer, ApiKey.Fetch, version, decodeFetchResponse).body;
    return m.responses[0].partitions;
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
    expect([none.fetches, old.fetches, none.moves, old.moves]).toEqual([['1/v12'], ['1/v10'], [], []]);
  });

  it('shows the node of the follower that serves an az-b client as the leader, and the leader\'s node to a client without a zone', async () => {
    const [b, none] = [await rig(), await rig(null)];
    const [shownB, shownNone] = [(await b.metadata()).leader, (await none.metadata()).leader];
    expect(shownB).not.toBe(shownNone);
    await b.fetch();
    await none.fetch();
    expect([b.fetches, none.fetches, b.moves, none.moves]).toEqual([['2/v12'], ['1/v12'], [], []]);
  });

  it.each([
    ['OFFSET_OUT_OF_RANGE', OUT_OF_RANGE, 'offset_out_of_range'],
    ['NOT_LEADER_OR_FOLLOWER', NOT_LEADER, 'not_leader_or_follower'],
    ['FENCED_LEADER_EPOCH', 74, 'fenced_leader_epoch'],
    ['UNKNOWN_LEADER_EPOCH', 75, 'unknown_leader_epoch'],
    ['UNKNOWN_TOPIC_OR_PARTITION', 3, 'not_leader_or_follower'],
    ['REPLICA_NOT_AVAILABLE', REPLICA_NOT_AVAILABLE, 'replica_not_available'],
    ['no answer', 'unreachable' as const, 'unreachable'],
  ])('answers a forwarded Fetch REPLICA_NOT_AVAILABLE after %s from the follower, and serves the retry from the leader on the same node', async (_label, behaviour, reason) => {
    const r = await rig();
    r.follower = behaviour;
    expect(await r.fetch()).toEqual([REPLICA_NOT_AVAILABLE, false, -1]);
    expect(r.fetches).toEqual(['2/v12']);
    r.follower = 'data';
    expect(await r.fetch()).toEqual([0, true, -1]);
    // Set aside: the leader serves until a later refresh shows the follower in sync again,
    // and the client stayed on its node (no NOT_LEADER_OR_FOLLOWER: kafkajs would rejoin).
    expect(r.fetches).toEqual(['2/v12', '1/v12']);
    expect(r.moves).toEqual([]);
    expect(r.metrics.snapshot().followerRetries).toEqual({ [reason]: 1 });
  });

  it('streams a follower\'s answer with the bytes the whole answer gives: REPLICA_NOT_AVAILABLE in place of an error only the leader can fix, follower record bytes counted', async () => {
    const r = await rig();
    r.follower = OUT_OF_RANGE;
    const failed = await r.forwardedBothWays();
    expect(failed.streamed.equals(failed.whole)).toBe(true);
    const p = decodeResponseFrame(failed.whole, ApiKey.Fetch, 12, decodeFetchResponse).body.responses[0].partitions[0];
    expect([p.errorCode, p.preferredReadReplica]).toEqual([REPLICA_NOT_AVAILABLE, -1]);
    expect(r.fetches).toEqual(['2/v12']);
    expect(r.metrics.snapshot().followerRetries).toEqual({ offset_out_of_range: 2 });

    const served = await rig();
    const ok = await served.forwardedBothWays();
    expect(ok.streamed.equals(ok.whole)).toBe(true);
    const q = decodeResponseFrame(ok.whole, ApiKey.Fetch, 12, decodeFetchResponse).body.responses[0].partitions[0];
    expect([q.errorCode, (q.records?.length ?? 0) > 0, q.preferredReadReplica]).toEqual([0, true, -1]);
    // Counted once for the whole answer and once for the streamed one, both as a follower's.
    const fetches = served.metrics.snapshot().fetches;
    expect(fetches).toHaveLength(1);
    expect(fetches[0]).toMatchObject({ clientZone: 'az-b', brokerZone: 'az-b', replica: 'follower', partitions: 2 });
  });

  it('fetches a follower partition of a gathered Fetch again at the leader, in the same request, and keeps using the follower when it was only behind', async () => {
    const r = await rig();
    r.follower = OUT_OF_RANGE;
    // A bootstrap connection is served whatever it asks: partition 0 from the follower, 1 from the leader.
    const bootstrap = { ...r.session, virtualNodeId: -1 };
    // minBytes beyond what both hold: the answer waits for both brokers.
    const answers = await r.fetchOn(bootstrap, [0, 1], 12, 1 << 20);
    expect(answers.map((p) => [p.partitionIndex, p.errorCode, (p.records?.length ?? 0) > 0, p.preferredReadReplica])).toEqual([
      [0, 0, true, -1],
      [1, 0, true, -1],
    ]);
    expect([...r.fetches].sort()).toEqual(['1/v12', '1/v12', '2/v12']);
    r.follower = 'data';
    await r.fetchOn(bootstrap, [0]);
    expect(r.fetches.at(-1)).toBe('2/v12');
    expect(r.metrics.snapshot().followerRetries).toEqual({ offset_out_of_range: 1 });
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

  it('does not fetch from a follower the backend no longer lists as live, and keeps showing the partition on its node', async () => {
    const r = await rig();
    r.live.delete(2);
    await r.fetch();
    expect(r.fetches).toEqual(['1/v12']);
    // Still placed by broker 2: the client was not sent to another node.
    expect(r.moves).toEqual([]);
  });
});
