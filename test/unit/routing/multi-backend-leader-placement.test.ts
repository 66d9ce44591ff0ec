// Virtual leaders over several backends, against fake backend brokers the test answers by
// hand (east and west, brokers 1 and 2 each, 3 Turnout nodes): a partition is shown led by
// the node of its real leader, a Fetch on that node is forwarded to the broker, a Fetch on
// another node is told where the leader is, and a leader move moves the node.
import { describe, expect, it } from 'vitest';
import {
  ApiKey,
  createFetchRequest,
  createMetadataRequest,
  decodeFetchRequest,
  decodeFetchResponse,
  decodeMetadataResponse,
  encodeFetchRequest,
  encodeMetadataRequest,
  encodeResponseFrame,
} from '../../../src/codec/index.js';
import { createFetchPartition } from '../../../src/codec/generated/fetch.js';
import { decodeRequestFrame, decodeResponseFrame, encodeRequestFrame } from '../../../src/codec/message-frames.js';
import type { ClientSession } from '../../../src/net/request-router.js';
import type { MultiBackendRouter } from '../../../src/routing/multi-backend-router.js';
import { PartitionChain } from '../../../src/routing/offset-segments.js';
import { responseOf } from './router-fixture.js';
import { exchange, fetchAnswerFor, twoBackendRouter, twoBackendSession } from './two-backend-router.js';

const NOT_LEADER_OR_FOLLOWER = 6;

interface Cluster {
  /** orders.a partition → real leader on east. */
  leaders: [number, number];
  epoch: number;
  /** `backend/broker` of each Fetch sent upstream. */
  fetches: string[];
  /** When set, brokers answer every Fetch NOT_LEADER_OR_FOLLOWER naming this real leader. */
  movedTo: number | null;
}

function cluster(leaders: [number, number]): Cluster {
  return { leaders, epoch: 3, fetches: [], movedTo: null };
}

function sessionOn(c: Cluster, virtualNodeId: number, westTopicId?: string): ClientSession {
  return twoBackendSession({
    virtualNodeId,
    westTopicId: () => westTopicId,
    leaderOf: (i) => c.leaders[i],
    get leaderEpoch() {
      return c.epoch;
    },
    answer: (address, frame, h) => {
      const req = decodeRequestFrame(frame, decodeFetchRequest).body;
      c.fetches.push(`${address.backend}/${address.brokerId}`);
      const res = fetchAnswerFor(req, (p) => {
        p.highWatermark = 6n;
        if (c.movedTo !== null) {
          p.errorCode = NOT_LEADER_OR_FOLLOWER;
          p.currentLeader = { leaderId: c.movedTo, leaderEpoch: c.epoch + 1 };
        }
      });
      if (h.apiVersion >= 16) res.nodeEndpoints = c.movedTo === null ? [] : [{ nodeId: c.movedTo, host: `east-${c.movedTo}`, port: 9092, rack: null }];
      return Promise.resolve(encodeResponseFrame(h.correlationId, ApiKey.Fetch, h.apiVersion, res));
    },
  });
}

/** The leader and replicas Metadata v12 shows for orders.a's partitions. */
async function shownLeaders(router: MultiBackendRouter, session: ClientSession): Promise<Array<{ leader: number; epoch: number; replicas: number[]; topicId: string }>> {
  const req = createMetadataRequest();
  req.topics = null;
  const ex = exchange(ApiKey.Metadata, 12, encodeRequestFrame({ apiKey: ApiKey.Metadata, apiVersion: 12, correlationId: 7, clientId: 't' }, req, encodeMetadataRequest));
  router.routeRequest(session, ex);
  const m = decodeResponseFrame((await ex.deferred) as Buffer, ApiKey.Metadata, 12, decodeMetadataResponse).body;
  return m.topics[0].partitions.map((p) => ({ leader: p.leaderId, epoch: p.leaderEpoch, replicas: p.replicaNodes, topicId: m.topics[0].topicId }));
}

/** A Fetch of orders.a's `partitions` from `fetchOffset` at `version` (topic id: the virtual one, from v13) on `session`'s node: whether it was forwarded, and the decoded answer. */
async function fetchOn(router: MultiBackendRouter, session: ClientSession, partitions: number[], version: number, topicId = 'AAAAAAAAAAAAAAAAAAAAAA', fetchOffset = 5n) {
  const req = createFetchRequest();
  Object.assign(req, { maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20, sessionId: 0, sessionEpoch: -1 });
  req.topics = [{ topic: 'orders.a', topicId, partitions: partitions.map((partition) => Object.assign(createFetchPartition(), { partition, fetchOffset, partitionMaxBytes: 1 << 16 })) }];
  const ex = exchange(ApiKey.Fetch, version, encodeRequestFrame({ apiKey: ApiKey.Fetch, apiVersion: version, correlationId: 7, clientId: 't' }, req, encodeFetchRequest));
  router.routeRequest(session, ex);
  const forwarded = ex.targetAddress !== null;
  const answer = decodeResponseFrame((await responseOf(router, session, ex)) as Buffer, ApiKey.Fetch, version, decodeFetchResponse).body;
  return { forwarded, answer, partitions: answer.responses[0].partitions };
}

describe('virtual leaders over several backends', () => {
  it('shows the partitions of one real leader on one node, and those of another leader on another', async () => {
    const router = twoBackendRouter();
    const apart = await shownLeaders(router, sessionOn(cluster([1, 2]), -1));
    expect(apart[0].leader).not.toBe(apart[1].leader);
    const together = await shownLeaders(twoBackendRouter(), sessionOn(cluster([2, 2]), -1));
    expect(together[0].leader).toBe(together[1].leader);
    expect(together[0].leader).toBe(apart[1].leader);
    // Replicas start at the leader, so a client connects to no other node than it is shown.
    expect(apart.map((p) => p.replicas[0])).toEqual(apart.map((p) => p.leader));
  });

  it('forwards a Fetch on the leader\'s node to the real leader whole, for every partition that broker leads', async () => {
    const c = cluster([2, 2]);
    const router = twoBackendRouter();
    const [p] = await shownLeaders(router, sessionOn(c, -1));
    const run = await fetchOn(router, sessionOn(c, p.leader), [0, 1], 12);
    expect(run.forwarded).toBe(true);
    expect(c.fetches).toEqual(['east/2']);
    expect(run.partitions.map((x) => x.errorCode)).toEqual([0, 0]);
  });

  it('answers a Fetch on another node NOT_LEADER_OR_FOLLOWER naming the leader\'s node and epoch, with its endpoint from v16, and asks no broker', async () => {
    const c = cluster([1, 2]);
    const router = twoBackendRouter();
    const shown = await shownLeaders(router, sessionOn(c, -1));
    const run = await fetchOn(router, sessionOn(c, shown[0].leader), [0, 1], 16, shown[0].topicId);
    expect(run.forwarded).toBe(false);
    expect(c.fetches).toEqual(['east/1']);
    expect(run.partitions[0].errorCode).toBe(0);
    expect(run.partitions[1].errorCode).toBe(NOT_LEADER_OR_FOLLOWER);
    expect(run.partitions[1].currentLeader).toEqual({ leaderId: shown[1].leader, leaderEpoch: shown[1].epoch });
    expect(run.answer.nodeEndpoints).toEqual([{ nodeId: shown[1].leader, host: 'turnout', port: 9100 + shown[1].leader, rack: null }]);
    // Before v12 the answer has no CurrentLeader: the error alone sends the client to Metadata.
    const old = await fetchOn(router, sessionOn(c, shown[0].leader), [1], 11);
    expect(old.partitions[0].errorCode).toBe(NOT_LEADER_OR_FOLLOWER);
    expect(old.partitions[0].currentLeader).toBeUndefined();
  });

  it('serves a bootstrap connection whatever leads its partitions', async () => {
    const c = cluster([1, 2]);
    const router = twoBackendRouter();
    await shownLeaders(router, sessionOn(c, -1));
    const run = await fetchOn(router, sessionOn(c, -1), [0, 1], 12);
    expect(run.partitions.map((x) => x.errorCode)).toEqual([0, 0]);
    expect(c.fetches.sort()).toEqual(['east/1', 'east/2']);
  });

  it('moves a partition to the new leader\'s node when its real leader moves: in Metadata, and in the CurrentLeader a broker names', async () => {
    const c = cluster([1, 1]);
    const router = twoBackendRouter();
    const before = await shownLeaders(router, sessionOn(c, -1));
    // The broker says the leader moved before Turnout learns it from Metadata.
    c.movedTo = 2;
    const run = await fetchOn(router, sessionOn(c, before[0].leader), [0], 12);
    expect(run.partitions[0].errorCode).toBe(NOT_LEADER_OR_FOLLOWER);
    const named = run.partitions[0].currentLeader?.leaderId;
    expect(named).not.toBe(before[0].leader);

    c.leaders = [2, 1];
    c.epoch = 4;
    c.movedTo = null;
    const after = await shownLeaders(router, sessionOn(c, -1));
    expect(after[0].leader).toBe(named);
    expect(after[1].leader).toBe(before[1].leader);
    // The client still on the old node is sent to the new one; there its Fetch is forwarded.
    const stale = await fetchOn(router, sessionOn(c, before[0].leader), [0], 12);
    expect(stale.partitions[0].currentLeader).toEqual({ leaderId: after[0].leader, leaderEpoch: after[0].epoch });
    c.fetches.length = 0;
    const moved = await fetchOn(router, sessionOn(c, after[0].leader), [0], 12);
    expect([moved.forwarded, c.fetches]).toEqual([true, ['east/2']]);
  });

  it('places a partition with offset segments by its last segment\'s backend, and serves a Fetch still sent to its node from before the switch', async () => {
    const c = cluster([1, 2]);
    const router = twoBackendRouter();
    const session = sessionOn(c, -1, 'AAAAAAAAAAAAAAAAAAAABw');
    router.setOwnSession(session);
    const onEast = await shownLeaders(router, session);
    const east = { backend: 'east', firstOffset: 0n, shift: 0n, generation: 0 };
    const west = { backend: 'west', firstOffset: 10n, shift: 10n, generation: 1 };
    // orders.a/0 cut over east → west: west's broker 1 leads it now, on a node of its own.
    router.epochs.adoptGeneration('orders.a', 1, 'west');
    router.segments.setDomain('orders', { chains: new Map([['orders.a', [new PartitionChain([east, west])]]]), groupsBackend: null, era: 1 });
    // West's leaders are learned by a refresh of that backend the placement asked for. Its
    // brokers stand on node 0 (east's 1 and 2 took nodes 1 and 2; leader-placement.ts).
    const WEST_NODE = 0;
    let shown = await shownLeaders(router, session);
    for (let i = 0; i < 200 && shown[0].leader !== WEST_NODE; i++) {
      await new Promise((done) => setTimeout(done, 10));
      shown = await shownLeaders(router, session);
    }
    expect([onEast[0].leader, onEast[1].leader, shown[0].leader, shown[1].leader]).toEqual([1, 2, WEST_NODE, 2]);
    // A client that has not asked Metadata since is served on the node it knew, not told
    // NOT_LEADER_OR_FOLLOWER (kafkajs would rejoin its group), from west, where offset 12 is.
    c.fetches.length = 0;
    const stale = await fetchOn(router, sessionOn(c, onEast[0].leader), [0], 12, shown[0].topicId, 12n);
    expect(stale.partitions.map((p) => [p.errorCode, p.highWatermark])).toEqual([[0, 16n]]);
    expect(c.fetches).toEqual(['west/1']);
    // On its new node the Fetch has one destination and is forwarded.
    c.fetches.length = 0;
    const moved = await fetchOn(router, sessionOn(c, WEST_NODE), [0], 12, shown[0].topicId, 12n);
    expect([moved.forwarded, c.fetches, moved.partitions[0].errorCode]).toEqual([true, ['west/1'], 0]);
    // A partition without segments on another node is still told where its leader is.
    const other = await fetchOn(router, sessionOn(c, WEST_NODE), [1], 12, shown[0].topicId);
    expect(other.partitions[0].errorCode).toBe(NOT_LEADER_OR_FOLLOWER);
    // ... and back to east: east's broker 1 leads it again, on its node from before.
    router.epochs.adoptGeneration('orders.a', 2, 'east');
    router.segments.setDomain('orders', {
      chains: new Map([['orders.a', [new PartitionChain([east, west, { backend: 'east', firstOffset: 20n, shift: 10n, generation: 2 }])]]]),
      groupsBackend: null,
      era: 2,
    });
    const backOnEast = await shownLeaders(router, session);
    expect(backOnEast[0].leader).toBe(onEast[0].leader);
  });
});
