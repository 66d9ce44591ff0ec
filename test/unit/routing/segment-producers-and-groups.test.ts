// Produce, producer ids, transactional ids and consumer groups of a domain with a cutover
// chain (segment-backends.ts): records go to the last segment with their offsets answered in
// virtual terms, producers get a fresh real id in each era, a transactional id follows its
// domain to the new backend behind the same virtual producer, and groups stay where the
// cutover left them.
import { describe, expect, it } from 'vitest';
import {
  ApiKey,
  createInitProducerIdRequest,
  createJoinGroupRequest,
  createProduceRequest,
  decodeInitProducerIdResponse,
  decodeJoinGroupResponse,
  decodeProduceResponse,
  encodeInitProducerIdRequest,
  encodeJoinGroupRequest,
  encodeProduceRequest,
  scanRecordBatches,
  type ProduceResponse,
} from '../../../src/codec/index.js';
import { createAddOffsetsToTxnRequest, decodeAddOffsetsToTxnResponse, encodeAddOffsetsToTxnRequest } from '../../../src/codec/generated/add-offsets-to-txn.js';
import { createAddPartitionsToTxnRequest, decodeAddPartitionsToTxnResponse, encodeAddPartitionsToTxnRequest } from '../../../src/codec/generated/add-partitions-to-txn.js';
import { createDescribeProducersRequest, decodeDescribeProducersResponse, encodeDescribeProducersRequest } from '../../../src/codec/generated/describe-producers.js';
import { createEndTxnRequest, decodeEndTxnResponse, encodeEndTxnRequest } from '../../../src/codec/generated/end-txn.js';
import { createTxnOffsetCommitRequest, decodeTxnOffsetCommitResponse, encodeTxnOffsetCommitRequest } from '../../../src/codec/generated/txn-offset-commit.js';
import { createOffsetCommitRequest, decodeOffsetCommitResponse, encodeOffsetCommitRequest } from '../../../src/codec/generated/offset-commit.js';
import { generationOffset } from '../../../src/routing/leader-epoch-map.js';
import { recordBatch } from './record-batches.js';
import { SEGMENTS, chainOrders, clientAsks, segmentRig, type SegmentRig } from './segment-backends.js';
import { learnMetadata } from './two-backend-router.js';

const NOT_LEADER_OR_FOLLOWER = 6;
const INCONSISTENT_GROUP_PROTOCOL = 23;
const INVALID_TXN_STATE = 48;
const UNKNOWN_MEMBER_ID = 25;
const TRANSACTION_ABORTABLE = 120;
const PRODUCE_VERSION = 11;

async function produce(rig: SegmentRig, partitions: Array<{ index: number; records: Buffer }>, transactionalId: string | null = null): Promise<ProduceResponse> {
  const req = createProduceRequest();
  req.acks = -1;
  req.timeoutMs = 1000;
  req.transactionalId = transactionalId;
  req.topicData = [{ name: 'orders.a', topicId: 'AAAAAAAAAAAAAAAAAAAAAA', partitionData: partitions }];
  return clientAsks(rig, ApiKey.Produce, PRODUCE_VERSION, req, encodeProduceRequest, decodeProduceResponse);
}

/** [backend, producer id, producer epoch, partition leader epoch] of every batch the backends were sent in Produce. */
function producedBatches(rig: SegmentRig): Array<[string, bigint, number, number]> {
  return rig.requests(ApiKey.Produce).flatMap((r) =>
    (r.body.topicData as Array<{ partitionData: Array<{ records: Buffer | null }> }>).flatMap((t) =>
      t.partitionData.flatMap((d) => scanRecordBatches(d.records).batches.map((b): [string, bigint, number, number] => [r.backend, b.producerIdBigInt, b.producerEpoch, b.partitionLeaderEpoch])),
    ),
  );
}

async function initProducerId(rig: SegmentRig, transactionalId: string | null): Promise<{ producerId: bigint; producerEpoch: number }> {
  const req = createInitProducerIdRequest();
  req.transactionalId = transactionalId;
  req.transactionTimeoutMs = 30_000;
  req.producerId = -1n;
  req.producerEpoch = -1;
  return clientAsks(rig, ApiKey.InitProducerId, 4, req, encodeInitProducerIdRequest, decodeInitProducerIdResponse);
}

/** The Turnout-side move of the orders domain to west: the chain gets its west segment, the policy its backend, the client its metadata. */
async function switchToWest(rig: SegmentRig, groupsBackend: string | null = null, transactionalGroups: readonly string[] = []): Promise<void> {
  chainOrders(rig.router, SEGMENTS.slice(0, 2), 1, groupsBackend, transactionalGroups);
  rig.domainBackends.set('orders', 'west');
  await learnMetadata(rig.router, rig.session);
  rig.seen.length = 0;
}

describe('Produce to a chained partition', () => {
  it("writes to the last segment and answers its offsets and epochs in virtual terms", async () => {
    const rig = await segmentRig();
    const res = await produce(rig, [{ index: 0, records: await recordBatch({ records: 3, partitionLeaderEpoch: generationOffset(4) + 4 }) }]);
    const p = res.responses[0].partitionResponses[0];
    // east's log end 14 + shift 5; east's log start 0 + 5.
    expect([p.errorCode, p.baseOffset, p.logStartOffset, p.currentLeader?.leaderEpoch]).toEqual([0, 19n, 5n, generationOffset(4) + 4]);
    expect(producedBatches(rig)).toEqual([['east', -1n, -1, 4]]);
  });

  it('answers the log start no lower than the start of a chain whose first segment was retired', async () => {
    const rig = await segmentRig({ segments: SEGMENTS.slice(1) });
    const res = await produce(rig, [{ index: 0, records: await recordBatch({ records: 1, partitionLeaderEpoch: generationOffset(4) + 4 }) }]);
    const p = res.responses[0].partitionResponses[0];
    // east's log start 0 + shift 5 lies below the start (10): the records there were segment 0's.
    expect([p.errorCode, p.baseOffset, p.logStartOffset]).toEqual([0, 19n, 10n]);
  });

  it('answers NOT_LEADER_OR_FOLLOWER while a switch is under way, and produces the partitions without a chain', async () => {
    const rig = await segmentRig();
    // The chain already ends on west; the domain still lives on east.
    chainOrders(rig.router, SEGMENTS.slice(0, 2), 1, null);
    const res = await produce(rig, [
      { index: 0, records: await recordBatch() },
      { index: 1, records: await recordBatch() },
    ]);
    expect(res.responses[0].partitionResponses.map((p) => [p.index, p.errorCode])).toEqual([
      [0, NOT_LEADER_OR_FOLLOWER],
      [1, 0],
    ]);
    expect(rig.requests(ApiKey.Produce).map((r) => r.backend)).toEqual(['east']);
  });

  it('gives an idempotent producer a fresh real id on a backend in each era, and shows every one as the virtual id', async () => {
    const rig = await segmentRig({ segments: SEGMENTS.slice(0, 1), era: 0 });
    const virtual = await initProducerId(rig, null);
    const batch = async (sequence: number): Promise<Buffer> => recordBatch({ producerId: virtual.producerId, producerEpoch: 0, baseSequence: sequence });
    await produce(rig, [{ index: 1, records: await batch(0) }]);
    await produce(rig, [{ index: 1, records: await batch(2) }]);
    // Two cutovers later, east again: a new real id, whatever east remembers of the first.
    chainOrders(rig.router, SEGMENTS, 2, null);
    await produce(rig, [{ index: 0, records: await batch(4) }]);
    expect(producedBatches(rig).map(([backend, id]) => [backend, id])).toEqual([
      ['east', 1000n],
      ['east', 1000n],
      ['east', 1001n],
    ]);
    expect(rig.requests(ApiKey.InitProducerId, 'east')).toHaveLength(2);
    const req = createDescribeProducersRequest();
    req.topics = [{ name: 'orders.a', partitionIndexes: [1] }];
    const described = await clientAsks(rig, ApiKey.DescribeProducers, 0, req, encodeDescribeProducersRequest, decodeDescribeProducersResponse);
    expect(described.topics[0].partitions[0].activeProducers.map((s) => s.producerId)).toEqual([virtual.producerId]);
    expect(rig.router.producerIds.toVirtual('east', 1000n, 0)?.producerId).toBe(virtual.producerId);
  });
});

describe('A transactional id whose domain a cutover moved', () => {
  it("is initialised on the new backend's coordinator and bound behind the same virtual producer and epoch", async () => {
    const rig = await segmentRig({ segments: SEGMENTS.slice(0, 1), era: 0 });
    const virtual = await initProducerId(rig, 'orders-tx');
    expect(rig.requests(ApiKey.InitProducerId).map((r) => r.backend)).toEqual(['east']);
    // West's coordinator knew the id at epoch 4 from long ago: initialising bumps it to 5.
    rig.backends.west.transactions.set('orders-tx', { producerId: 2600n, epoch: 4 });
    await switchToWest(rig);

    const add = createAddPartitionsToTxnRequest();
    add.v3AndBelowTransactionalId = 'orders-tx';
    add.v3AndBelowProducerId = virtual.producerId;
    add.v3AndBelowProducerEpoch = virtual.producerEpoch;
    add.v3AndBelowTopics = [{ name: 'orders.a', partitions: [0] }];
    const added = await clientAsks(rig, ApiKey.AddPartitionsToTxn, 3, add, encodeAddPartitionsToTxnRequest, decodeAddPartitionsToTxnResponse);
    expect(added.resultsByTopicV3AndBelow[0].resultsByPartition[0].partitionErrorCode).toBe(0);
    await produce(rig, [{ index: 0, records: await recordBatch({ producerId: virtual.producerId, producerEpoch: virtual.producerEpoch, baseSequence: 0, transactional: true }) }], 'orders-tx');
    const end = createEndTxnRequest();
    Object.assign(end, { transactionalId: 'orders-tx', producerId: virtual.producerId, producerEpoch: virtual.producerEpoch, committed: true });
    expect((await clientAsks(rig, ApiKey.EndTxn, 3, end, encodeEndTxnRequest, decodeEndTxnResponse)).errorCode).toBe(0);

    const inits = rig.requests(ApiKey.InitProducerId);
    expect(inits.map((r) => [r.backend, r.body.transactionalId, r.body.transactionTimeoutMs])).toEqual([['west', 'orders-tx', 30_000]]);
    const forwarded = (apiKey: number, id: string, epoch: string): Array<[string, unknown, unknown]> => rig.requests(apiKey).map((r) => [r.backend, r.body[id], r.body[epoch]]);
    expect(forwarded(ApiKey.AddPartitionsToTxn, 'v3AndBelowProducerId', 'v3AndBelowProducerEpoch')).toEqual([['west', 2600n, 5]]);
    expect(producedBatches(rig).map(([backend, id, epoch]) => [backend, id, epoch])).toEqual([['west', 2600n, 5]]);
    expect(forwarded(ApiKey.EndTxn, 'producerId', 'producerEpoch')).toEqual([['west', 2600n, 5]]);
    expect(rig.router.producerIds.toVirtual('west', 2600n, 5)).toEqual({ producerId: virtual.producerId, producerEpoch: virtual.producerEpoch });
  });
});

describe('A transaction whose offsets went to the backend its domain left', () => {
  it('is refused as abortable where it goes on: its records, its offsets and its commit; its abort goes through', async () => {
    const rig = await segmentRig({ segments: SEGMENTS.slice(0, 1), era: 0 });
    const virtual = await initProducerId(rig, 'orders-tx');
    const add = createAddOffsetsToTxnRequest();
    Object.assign(add, { transactionalId: 'orders-tx', producerId: virtual.producerId, producerEpoch: virtual.producerEpoch, groupId: 'orders-eos' });
    await clientAsks(rig, ApiKey.AddOffsetsToTxn, 3, add, encodeAddOffsetsToTxnRequest, decodeAddOffsetsToTxnResponse);
    expect(rig.requests(ApiKey.AddOffsetsToTxn).map((r) => r.backend)).toEqual(['east']);
    // The cutover took the domain to west (and aborted the transaction on east) before its records went anywhere.
    await switchToWest(rig, null, ['orders-eos']);

    const produced = await produce(rig, [{ index: 0, records: await recordBatch({ producerId: virtual.producerId, producerEpoch: virtual.producerEpoch, baseSequence: 0, transactional: true }) }], 'orders-tx');
    expect(produced.responses[0].partitionResponses[0].errorCode).toBe(TRANSACTION_ABORTABLE);
    const offsets = createTxnOffsetCommitRequest();
    Object.assign(offsets, { transactionalId: 'orders-tx', groupId: 'orders-eos', producerId: virtual.producerId, producerEpoch: virtual.producerEpoch });
    offsets.topics = [{ name: 'orders.a', partitions: [{ partitionIndex: 0, committedOffset: 5n, committedLeaderEpoch: -1, committedMetadata: '' }] }];
    const committed = await clientAsks(rig, ApiKey.TxnOffsetCommit, 3, offsets, encodeTxnOffsetCommitRequest, decodeTxnOffsetCommitResponse);
    expect(committed.topics[0].partitions[0].errorCode).toBe(UNKNOWN_MEMBER_ID);
    const end = createEndTxnRequest();
    Object.assign(end, { transactionalId: 'orders-tx', producerId: virtual.producerId, producerEpoch: virtual.producerEpoch, committed: true });
    expect((await clientAsks(rig, ApiKey.EndTxn, 3, end, encodeEndTxnRequest, decodeEndTxnResponse)).errorCode).toBe(TRANSACTION_ABORTABLE);
    expect(rig.requests(ApiKey.Produce)).toEqual([]);
    expect(rig.requests(ApiKey.TxnOffsetCommit)).toEqual([]);
    expect(rig.requests(ApiKey.EndTxn)).toEqual([]);
    // The client aborts: that goes to west, and the next transaction is an ordinary one. Its
    // batch has the refused one's sequence (never stored there): the sequence gate lets it by.
    Object.assign(end, { committed: false });
    expect((await clientAsks(rig, ApiKey.EndTxn, 3, end, encodeEndTxnRequest, decodeEndTxnResponse)).errorCode).toBe(0);
    expect(rig.requests(ApiKey.EndTxn).map((r) => r.backend)).toEqual(['west']);
    const again = await produce(rig, [{ index: 0, records: await recordBatch({ producerId: virtual.producerId, producerEpoch: virtual.producerEpoch, baseSequence: 0, transactional: true }) }], 'orders-tx');
    expect(again.responses[0].partitionResponses[0].errorCode).toBe(0);
    expect(producedBatches(rig).map(([backend]) => backend)).toEqual(['west']);
  });
});

/** ConsumerProtocolSubscription v0 of `topics`. */
function subscription(topics: string[]): Buffer {
  const parts = [Buffer.from([0, 0]), Buffer.alloc(4)];
  parts[1].writeInt32BE(topics.length);
  for (const t of topics) parts.push(Buffer.from([0, Buffer.byteLength(t)]), Buffer.from(t));
  parts.push(Buffer.from([0xff, 0xff, 0xff, 0xff]));
  return Buffer.concat(parts);
}

async function join(rig: SegmentRig, topics: string[], groupId = 'orders-billing'): Promise<number> {
  const req = createJoinGroupRequest();
  Object.assign(req, { groupId, sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, protocolType: 'consumer' });
  req.protocols = [{ name: 'range', metadata: subscription(topics) }];
  return (await clientAsks(rig, ApiKey.JoinGroup, 5, req, encodeJoinGroupRequest, decodeJoinGroupResponse)).errorCode;
}

async function commit(rig: SegmentRig, offset: bigint): Promise<void> {
  const req = createOffsetCommitRequest();
  req.groupId = 'orders-billing';
  req.topics = [{ name: 'orders.a', partitions: [{ partitionIndex: 0, committedOffset: offset, commitTimestamp: -1n, committedLeaderEpoch: -1, committedMetadata: '' }] }];
  await clientAsks(rig, ApiKey.OffsetCommit, 2, req, encodeOffsetCommitRequest, decodeOffsetCommitResponse);
}

describe('Consumer groups of a domain a cutover moved', () => {
  it("stay on the backend they were left on, committing virtual offsets there, for topics whose chain includes it", async () => {
    const rig = await segmentRig({ segments: SEGMENTS.slice(0, 1), era: 0 });
    await switchToWest(rig, 'east');
    expect(await join(rig, ['orders.a'])).toBe(0);
    await commit(rig, 12n);
    expect(rig.seen.map((r) => [r.apiKey, r.backend])).toEqual([
      [ApiKey.FindCoordinator, 'east'],
      [ApiKey.JoinGroup, 'east'],
      [ApiKey.OffsetCommit, 'east'],
    ]);
    const committed = (rig.requests(ApiKey.OffsetCommit)[0].body.topics as Array<{ partitions: Array<{ committedOffset: bigint }> }>)[0].partitions[0].committedOffset;
    expect(committed).toBe(12n);
  });

  it('stay on the backend they were left on once the segment there was retired', async () => {
    const rig = await segmentRig({ segments: SEGMENTS.slice(0, 1), era: 0 });
    await switchToWest(rig, 'east');
    chainOrders(rig.router, SEGMENTS.slice(1, 2), 1, 'east');
    expect(rig.router.segments.topicHasBackend('orders.a', 'east')).toBe(false);
    expect(await join(rig, ['orders.a'])).toBe(0);
    expect(rig.requests(ApiKey.JoinGroup).map((r) => r.backend)).toEqual(['east']);
    expect(await join(rig, ['orders.a', 'orders.b'])).toBe(INCONSISTENT_GROUP_PROTOCOL);
  });

  it('refuse a subscription to a topic that never lived on the group backend', async () => {
    const rig = await segmentRig({ segments: SEGMENTS.slice(0, 1), era: 0 });
    await switchToWest(rig, 'east');
    expect(await join(rig, ['orders.a', 'orders.b'])).toBe(INCONSISTENT_GROUP_PROTOCOL);
  });

  it('of an exactly-once application are noted from its AddOffsetsToTxn, and once moved with the transactional ids are coordinated on the domain backend', async () => {
    const rig = await segmentRig({ segments: SEGMENTS.slice(0, 1), era: 0 });
    await switchToWest(rig, 'east');
    const add = createAddOffsetsToTxnRequest();
    Object.assign(add, { transactionalId: 'orders-tx', producerId: 7n, producerEpoch: 0, groupId: 'orders-eos' });
    // Its group stayed on east while the transactional id went to west: refused, and noted.
    expect((await clientAsks(rig, ApiKey.AddOffsetsToTxn, 3, add, encodeAddOffsetsToTxnRequest, decodeAddOffsetsToTxnResponse)).errorCode).toBe(INVALID_TXN_STATE);
    expect(rig.router.transactionalGroups.of('orders')).toEqual(['orders-eos']);

    await switchToWest(rig, 'east', ['orders-eos']);
    expect(await join(rig, ['orders.a'], 'orders-eos')).toBe(0);
    expect(await join(rig, ['orders.a'], 'orders-billing')).toBe(0);
    expect(rig.requests(ApiKey.JoinGroup).map((r) => [r.body.groupId, r.backend])).toEqual([
      ['orders-eos', 'west'],
      ['orders-billing', 'east'],
    ]);
  });

  it('move with the domain once the cutover lets them go', async () => {
    const rig = await segmentRig({ segments: SEGMENTS.slice(0, 1), era: 0 });
    await switchToWest(rig, null);
    expect(await join(rig, ['orders.a'])).toBe(0);
    expect(rig.requests(ApiKey.JoinGroup).map((r) => r.backend)).toEqual(['west']);
  });
});
