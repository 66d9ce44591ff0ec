import { describe, expect, it } from 'vitest';
import {
  ApiKey,
  ZERO_UUID,
  createMetadataResponse,
  decodeResponseBody,
  encodeResponseBody,
  type MetadataResponse,
} from '../../../src/codec/index.js';
import type { MetadataRequestTopic, MetadataResponsePartition, MetadataResponseTopic } from '../../../src/codec/generated/metadata.js';
import { LEADER_NOT_AVAILABLE, UNKNOWN_TOPIC_ID, UNKNOWN_TOPIC_OR_PARTITION } from '../../../src/routing/error-codes.js';
import { GENERATION_STRIDE, LeaderEpochMap } from '../../../src/routing/leader-epoch-map.js';
import { AUTHORIZED_OPERATIONS_OMITTED, mergeMetadataResponses, type MetadataMergeInput } from '../../../src/routing/metadata-merge.js';
import { DestinationFailure } from '../../../src/routing/split-route.js';
import { TopicIdMap } from '../../../src/routing/topic-id-map.js';
import { capturedResponse } from './record-batches.js';

const REAL = {
  aOrders: 'YU9yZGVyc0FBQUFBQUFBQQ',
  aUsers: 'YVVzZXJzQUFBQUFBQUFBQQ',
  bPayments: 'YlBheW1lbnRzQUFBQUFBQQ',
  bOrders: 'Yk9yZGVyc0FBQUFBQUFBQQ',
  aOrdersRecreated: 'YU9yZGVyczJBQUFBQUFBQQ',
};
const TURNOUT_NODES = [
  { nodeId: 0, host: 'turnout.az-a', port: 9100, rack: 'az-a' },
  { nodeId: 1, host: 'turnout.az-b', port: 9101, rack: 'az-b' },
];

function partition(index: number, leaderId: number, leaderEpoch: number, replicas: number[]): MetadataResponsePartition {
  return { errorCode: 0, partitionIndex: index, leaderId, leaderEpoch, replicaNodes: replicas, isrNodes: replicas, offlineReplicas: [] };
}

function topic(name: string, topicId: string, partitions: MetadataResponsePartition[], ops = AUTHORIZED_OPERATIONS_OMITTED): MetadataResponseTopic {
  return { errorCode: 0, name, topicId, isInternal: false, partitions, topicAuthorizedOperations: ops };
}

/** A backend's answer, through the wire in `version`. */
function backendAnswer(version: number, clusterId: string, brokerIds: number[], topics: MetadataResponseTopic[], extra: Partial<MetadataResponse> = {}): MetadataResponse {
  const m = createMetadataResponse();
  m.brokers = brokerIds.map((id) => ({ nodeId: id, host: `${clusterId}-broker-${id}.internal`, port: 19092 + id, rack: 'az-a' }));
  m.clusterId = clusterId;
  m.controllerId = brokerIds[0];
  m.topics = topics;
  Object.assign(m, extra);
  return decodeResponseBody(ApiKey.Metadata, version, encodeResponseBody(ApiKey.Metadata, version, m));
}

/** Backend a (3.9) serves orders and users; b (4.x) serves payments and has orders as a migration target. */
function twoBackends(version: number, opts: { aOrdersId?: string; aEpoch?: number } = {}): Map<string, MetadataResponse | DestinationFailure> {
  return new Map<string, MetadataResponse | DestinationFailure>([
    [
      'a',
      backendAnswer(version, 'cluster-a', [101, 102], [
        topic('orders', opts.aOrdersId ?? REAL.aOrders, [partition(0, 101, opts.aEpoch ?? 7, [101, 102]), partition(1, 102, 3, [102, 101])], version >= 8 ? 0b11111000 : AUTHORIZED_OPERATIONS_OMITTED),
        topic('users', REAL.aUsers, [partition(0, 102, 1, [102])]),
      ]),
    ],
    [
      'b',
      backendAnswer(version, 'cluster-b', [201], [
        topic('payments', REAL.bPayments, [partition(0, 201, 0, [201])]),
        topic('orders', REAL.bOrders, [partition(0, 201, 0, [201]), partition(1, 201, 0, [201])]),
      ]),
    ],
  ]);
}

const OWNER: Record<string, string> = { orders: 'a', users: 'a', payments: 'b' };

function mergeInput(version: number, backendResponses: Map<string, MetadataResponse | DestinationFailure>, requestedTopics: MetadataRequestTopic[] | null, maps = { topicIds: new TopicIdMap(), epochs: new LeaderEpochMap() }, owner = OWNER): MetadataMergeInput {
  return {
    version,
    requestedTopics,
    backendResponses,
    resolveBackend: (t) => owner[t],
    brokers: TURNOUT_NODES,
    clusterId: 'turnout-vc',
    controllerId: 1,
    topicIds: maps.topicIds,
    epochs: maps.epochs,
    // every partition led by the Turnout node of the client's zone, replicas shown as Turnout's nodes
    placePartition: (_backend, _topic, p) => {
      p.leaderId = 0;
      p.replicaNodes = [0, 1];
      p.isrNodes = [0, 1];
      p.offlineReplicas = [];
    },
  };
}

function named(...names: string[]): MetadataRequestTopic[] {
  return names.map((name) => ({ name, topicId: ZERO_UUID }));
}

/** The encoded response names no backend broker, host, cluster id or real topic id. */
function expectNothingOfTheBackends(version: number, m: MetadataResponse): void {
  const bytes = encodeResponseBody(ApiKey.Metadata, version, m);
  const text = bytes.toString('latin1');
  for (const leak of ['cluster-a', 'cluster-b', 'internal']) expect(text).not.toContain(leak);
  const ids = decodeResponseBody(ApiKey.Metadata, version, bytes).topics.map((t) => t.topicId);
  for (const real of Object.values(REAL)) expect(ids).not.toContain(real);
}

describe('metadata merge', () => {
  for (const version of [0, 1, 4, 7, 9, 10, 12, 13]) {
    it(`lists the topics of both backends as one cluster (v${version})`, () => {
      const input = mergeInput(version, twoBackends(version), version === 0 ? [] : null);
      const { response, incomplete } = mergeMetadataResponses(input);
      expect(incomplete).toBe(false);
      const wire = decodeResponseBody(ApiKey.Metadata, version, encodeResponseBody(ApiKey.Metadata, version, response));
      expect(wire.brokers).toEqual(TURNOUT_NODES.map((b) => ({ ...b, rack: version >= 1 ? b.rack : null })));
      if (version >= 1) expect(wire.controllerId).toBe(1);
      if (version >= 2) expect(wire.clusterId).toBe('turnout-vc');
      expect(wire.topics.map((t) => t.name)).toEqual(['orders', 'users', 'payments']);
      // orders comes from a, its domain's backend, not from b where it also exists
      expect(wire.topics[0].partitions.map((p) => [p.partitionIndex, p.leaderId, p.replicaNodes])).toEqual([
        [0, 0, [0, 1]],
        [1, 0, [0, 1]],
      ]);
      if (version >= 7) expect(wire.topics[0].partitions.map((p) => p.leaderEpoch)).toEqual([7, 3]);
      if (version >= 10) {
        const ids = wire.topics.map((t) => t.topicId);
        expect(new Set(ids).size).toBe(3);
        expect(ids).not.toContain(ZERO_UUID);
        expect(input.topicIds.nameOf(ids[0])).toBe('orders');
        expect(input.topicIds.realIdOf(ids[0], 'a')).toBe(REAL.aOrders);
        // the migration target's real id is bound ahead of the move
        expect(input.topicIds.realIdOf(ids[0], 'b')).toBe(REAL.bOrders);
      }
      if (version >= 8) expect(wire.topics[0].topicAuthorizedOperations).toBe(0b11111000);
      expectNothingOfTheBackends(version, wire);
    });
  }

  it('treats an empty topic list as all topics in v0 only', () => {
    expect(mergeMetadataResponses(mergeInput(0, twoBackends(0), [])).response.topics).toHaveLength(3);
    expect(mergeMetadataResponses(mergeInput(1, twoBackends(1), [])).response.topics).toHaveLength(0);
  });

  it('keeps ids and epochs stable across answers, and epochs rising when the domain moves', () => {
    const maps = { topicIds: new TopicIdMap(), epochs: new LeaderEpochMap() };
    const first = mergeMetadataResponses(mergeInput(12, twoBackends(12), named('orders'), maps)).response;
    const again = mergeMetadataResponses(mergeInput(12, twoBackends(12), named('orders'), maps)).response;
    expect(again.topics[0].topicId).toBe(first.topics[0].topicId);
    expect(again.topics[0].partitions[0].leaderEpoch).toBe(7);
    // the orders domain now lives on b: same topic id, epochs above every epoch shown before
    const moved = mergeMetadataResponses(mergeInput(12, twoBackends(12), named('orders'), maps, { ...OWNER, orders: 'b' })).response;
    expect(moved.topics[0].topicId).toBe(first.topics[0].topicId);
    expect(moved.topics[0].partitions.map((p) => p.leaderEpoch)).toEqual([GENERATION_STRIDE, GENERATION_STRIDE]);
    expect(maps.epochs.currentBackend('orders', 0)).toBe('b');
  });

  it('gives a topic recreated on its backend a new id, and epochs that still rise', () => {
    const maps = { topicIds: new TopicIdMap(), epochs: new LeaderEpochMap() };
    const before = mergeMetadataResponses(mergeInput(12, twoBackends(12), named('orders'), maps)).response.topics[0];
    const after = mergeMetadataResponses(mergeInput(12, twoBackends(12, { aOrdersId: REAL.aOrdersRecreated, aEpoch: 0 }), named('orders'), maps)).response.topics[0];
    expect(after.topicId).not.toBe(before.topicId);
    expect(maps.topicIds.nameOf(before.topicId)).toBeUndefined();
    expect(after.partitions[0].leaderEpoch).toBeGreaterThan(before.partitions[0].leaderEpoch);
  });

  it('answers named topics in the client order, once each, with errors for the ones it cannot', () => {
    const backends = twoBackends(12);
    backends.set('b', new DestinationFailure('connection refused'));
    const owner = { ...OWNER, ghost: 'a', nowhere: undefined as unknown as string };
    const { response, incomplete } = mergeMetadataResponses(mergeInput(12, backends, named('payments', 'users', 'ghost', 'nowhere', 'users'), undefined, owner));
    expect(incomplete).toBe(false);
    expect(response.topics.map((t) => [t.name, t.errorCode, t.topicId])).toEqual([
      ['payments', LEADER_NOT_AVAILABLE, ZERO_UUID],
      ['users', 0, expect.not.stringMatching(ZERO_UUID)],
      ['ghost', UNKNOWN_TOPIC_OR_PARTITION, ZERO_UUID],
      ['nowhere', UNKNOWN_TOPIC_OR_PARTITION, ZERO_UUID],
    ]);
  });

  it('resolves topics asked for by virtual id (v12+), and answers an unknown id UNKNOWN_TOPIC_ID', () => {
    const maps = { topicIds: new TopicIdMap(), epochs: new LeaderEpochMap() };
    const all = mergeMetadataResponses(mergeInput(12, twoBackends(12), null, maps)).response;
    const paymentsId = all.topics.find((t) => t.name === 'payments')?.topicId as string;
    const unknown = 'dW5rbm93bkFBQUFBQUFBQQ';
    const { response } = mergeMetadataResponses(
      mergeInput(12, twoBackends(12), [{ name: null, topicId: paymentsId }, { name: null, topicId: unknown }], maps),
    );
    expect(response.topics.map((t) => [t.name, t.topicId, t.errorCode])).toEqual([
      ['payments', paymentsId, 0],
      [null, unknown, UNKNOWN_TOPIC_ID],
    ]);
    const wire = decodeResponseBody(ApiKey.Metadata, 12, encodeResponseBody(ApiKey.Metadata, 12, response));
    expect(wire.topics[1]).toMatchObject({ name: null, topicId: unknown, errorCode: UNKNOWN_TOPIC_ID });
  });

  it('reports a list of all topics as incomplete when a backend did not answer', () => {
    const backends = twoBackends(12);
    backends.set('b', new DestinationFailure('timed out'));
    const { response, incomplete } = mergeMetadataResponses(mergeInput(12, backends, null));
    expect(incomplete).toBe(true);
    expect(response.topics.map((t) => t.name)).toEqual(['orders', 'users']);
  });

  it('takes the largest throttle time and the cluster operations every backend allows (v8-10)', () => {
    const backends = new Map<string, MetadataResponse | DestinationFailure>([
      ['a', backendAnswer(9, 'cluster-a', [1], [], { throttleTimeMs: 5, clusterAuthorizedOperations: 0b1110 })],
      ['b', backendAnswer(9, 'cluster-b', [2], [], { throttleTimeMs: 20, clusterAuthorizedOperations: 0b0111 })],
    ]);
    const { response } = mergeMetadataResponses(mergeInput(9, backends, null));
    expect(response.throttleTimeMs).toBe(20);
    expect(response.clusterAuthorizedOperations).toBe(0b0110);
    backends.set('b', backendAnswer(9, 'cluster-b', [2], []));
    expect(mergeMetadataResponses(mergeInput(9, backends, null)).response.clusterAuthorizedOperations).toBe(AUTHORIZED_OPERATIONS_OMITTED);
    // v11+ cannot carry it
    expect(() => encodeResponseBody(ApiKey.Metadata, 12, mergeMetadataResponses(mergeInput(12, backends, null)).response)).not.toThrow();
  });

  it('does not modify the backend answers', () => {
    const backends = twoBackends(12);
    const a = backends.get('a') as MetadataResponse;
    const before = encodeResponseBody(ApiKey.Metadata, 12, a);
    mergeMetadataResponses(mergeInput(12, backends, null));
    expect(encodeResponseBody(ApiKey.Metadata, 12, a).equals(before)).toBe(true);
  });

  it('merges answers captured from a Kafka 3.9 and a Kafka 4.1 broker', () => {
    const older = capturedResponse(ApiKey.Metadata, 6, 'kafka-3.9.1/0047-kafkajs-Metadata-v6-response.bin') as MetadataResponse;
    const newer = capturedResponse(ApiKey.Metadata, 13, 'kafka-4.1.1/0119-java-Metadata-v13-response.bin') as MetadataResponse;
    const topicName = older.topics[0].name as string;
    const input = mergeInput(12, new Map<string, MetadataResponse | DestinationFailure>([['old', older], ['new', newer]]), null);
    input.resolveBackend = (t) => (t === topicName ? 'old' : 'new');
    const { response } = mergeMetadataResponses(input);
    const wire = decodeResponseBody(ApiKey.Metadata, 12, encodeResponseBody(ApiKey.Metadata, 12, response));
    expect(wire.clusterId).toBe('turnout-vc');
    expect(wire.topics.map((t) => t.name)).toEqual([topicName]);
    // a v6 answer has no topic ids: none is made up for a topic never seen with one
    expect(wire.topics[0].topicId).toBe(ZERO_UUID);
    const text = encodeResponseBody(ApiKey.Metadata, 12, wire).toString('latin1');
    for (const clusterId of [older.clusterId, newer.clusterId]) expect(text).not.toContain(clusterId as string);
  });
});
