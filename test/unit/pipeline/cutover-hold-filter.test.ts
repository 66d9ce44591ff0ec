import { describe, expect, it } from 'vitest';
import { ApiKey, encodeResponseFrame } from '../../../src/codec/index.js';
import { createAddOffsetsToTxnRequest } from '../../../src/codec/generated/add-offsets-to-txn.js';
import { createEndTxnRequest } from '../../../src/codec/generated/end-txn.js';
import { createTxnOffsetCommitRequest } from '../../../src/codec/generated/txn-offset-commit.js';
import { createHeartbeatRequest } from '../../../src/codec/generated/heartbeat.js';
import { createOffsetCommitRequest, decodeOffsetCommitRequest } from '../../../src/codec/generated/offset-commit.js';
import { decodeRequestFrame } from '../../../src/codec/message-frames.js';
import { createOffsetFetchRequest, createOffsetFetchRequestGroup } from '../../../src/codec/generated/offset-fetch.js';
import { createInitProducerIdRequest } from '../../../src/codec/generated/init-producer-id.js';
import {
  createPartitionProduceData,
  createPartitionProduceResponse,
  createProduceRequest,
  createProduceResponse,
  createTopicProduceData,
  createTopicProduceResponse,
} from '../../../src/codec/generated/produce.js';
import { CutoverHoldFilter } from '../../../src/pipeline/cutover-hold-filter.js';
import { CutoverHolds } from '../../../src/pipeline/cutover-holds.js';
import { FormerMembers } from '../../../src/pipeline/former-members.js';
import type { FilterOutcome, FilterRequest } from '../../../src/pipeline/filter.js';
import { FakePolicyStore } from '../admin/domain-fixtures.js';
import { filterRequest } from './filter-test-kit.js';

const PRODUCE_V = 9;
const policy = new FakePolicyStore();

function produce(topic: string, acks = -1, records = 100): FilterRequest {
  const req = createProduceRequest();
  req.acks = acks;
  req.timeoutMs = 30_000;
  const t = createTopicProduceData();
  t.name = topic;
  const p = createPartitionProduceData();
  p.index = 0;
  p.records = Buffer.alloc(records);
  t.partitionData = [p];
  req.topicData = [t];
  return filterRequest(ApiKey.Produce, PRODUCE_V, req);
}

function produceAnswer(request: FilterRequest, topic: string, errorCode: number): Buffer {
  const res = createProduceResponse();
  const t = createTopicProduceResponse();
  t.name = topic;
  const p = createPartitionProduceResponse();
  p.errorCode = errorCode;
  t.partitionResponses = [p];
  res.responses = [t];
  return encodeResponseFrame(request.correlationId, ApiKey.Produce, PRODUCE_V, res);
}

function endTxn(transactionalId: string): FilterRequest {
  const req = createEndTxnRequest();
  req.transactionalId = transactionalId;
  return filterRequest(ApiKey.EndTxn, 3, req);
}

function setup(maxHeldBytes = 1 << 20): { holds: CutoverHolds; filter: CutoverHoldFilter; failures: string[] } {
  const holds = new CutoverHolds({ maxHeldBytes });
  const failures: string[] = [];
  holds.onFailure((domain, id, reason) => failures.push(`${domain}/${id}: ${reason}`));
  const filter = new CutoverHoldFilter({ holds, policy: () => policy.current(), topicName: () => undefined });
  return { holds, filter, failures };
}

/** Runs requests through the filter as a connection does: held ones resume, in order, when their promise settles. */
function runInOrder(filter: CutoverHoldFilter, requests: Array<[string, FilterRequest]>): { forwarded: string[]; outcomes: Map<string, FilterOutcome> } {
  const forwarded: string[] = [];
  const outcomes = new Map<string, FilterOutcome>();
  const decide = (name: string, r: FilterRequest): void => {
    const outcome = filter.onRequest(r);
    if (outcome.kind === 'hold') outcome.until.then(() => decide(name, r), () => decide(name, r));
    else {
      forwarded.push(name);
      outcomes.set(name, outcome);
    }
  };
  for (const [name, r] of requests) decide(name, r);
  return { forwarded, outcomes };
}

describe('the cutover hold filter', () => {
  it('wants nothing while no domain is in a cutover', () => {
    const { holds, filter } = setup();
    expect(filter.wants(ApiKey.Produce)).toBe(false);
    holds.setMode('orders', 'c-1', 'count');
    expect(filter.wants(ApiKey.Produce)).toBe(true);
    expect(filter.wants(ApiKey.Fetch)).toBe(false);
    holds.setMode('orders', null, 'none');
    expect(filter.wants(ApiKey.Produce)).toBe(false);
  });

  it('holds a domain produce, lets other domains through, and releases the held ones in their order', async () => {
    const { holds, filter } = setup();
    holds.setMode('orders', 'c-1', 'hold');
    const run = runInOrder(filter, [
      ['orders-1', produce('orders.created')],
      ['payments-1', produce('payments.in')],
      ['orders-2', produce('checkout')],
      ['orders-3', produce('orders.created')],
    ]);
    expect(run.forwarded).toEqual(['payments-1']);
    expect(holds.heldOf('orders').requests).toBe(3);
    holds.setMode('orders', null, 'none');
    await new Promise((r) => setTimeout(r, 0));
    expect(run.forwarded).toEqual(['payments-1', 'orders-1', 'orders-2', 'orders-3']);
    expect(holds.heldOf('orders')).toEqual({ requests: 0, bytes: 0 });
  });

  it('keeps holding across drain → hold and answers nothing while it does', async () => {
    const { holds, filter } = setup();
    holds.setMode('orders', 'c-1', 'drain');
    const run = runInOrder(filter, [
      ['produce', produce('orders.created')],
      ['end', endTxn('orders-tx-1')],
      ['init', filterRequest(ApiKey.InitProducerId, 4, { ...createInitProducerIdRequest(), transactionalId: 'orders-tx-2' })],
      ['idempotent-init', filterRequest(ApiKey.InitProducerId, 4, { ...createInitProducerIdRequest(), transactionalId: null })],
    ]);
    // While draining, a transaction may end on the source; new work waits.
    expect(run.forwarded).toEqual(['end', 'idempotent-init']);
    holds.setMode('orders', 'c-1', 'hold');
    await new Promise((r) => setTimeout(r, 0));
    expect(run.forwarded).toEqual(['end', 'idempotent-init']);
    expect(runInOrder(filter, [['end-2', endTxn('orders-tx-3')]]).forwarded).toEqual([]);
    holds.setMode('orders', null, 'none');
    await new Promise((r) => setTimeout(r, 0));
    expect(run.forwarded).toEqual(['end', 'idempotent-init', 'produce', 'init']);
  });

  it('holds the offsets commit and end of a transaction whose records it holds, and lets another transaction end', async () => {
    const { holds, filter } = setup();
    holds.setMode('orders', 'c-1', 'drain');
    const records = produce('orders.created');
    (records.decoded().body as { transactionalId: string | null }).transactionalId = 'orders-tx-1';
    const addOffsets = (id: string): FilterRequest => filterRequest(ApiKey.AddOffsetsToTxn, 3, { ...createAddOffsetsToTxnRequest(), transactionalId: id, groupId: 'orders-app' });
    const commitOffsets = (id: string): FilterRequest => filterRequest(ApiKey.TxnOffsetCommit, 3, { ...createTxnOffsetCommitRequest(), transactionalId: id, groupId: 'orders-app' });
    const run = runInOrder(filter, [
      ['produce-1', records],
      ['add-offsets-1', addOffsets('orders-tx-1')],
      ['commit-offsets-1', commitOffsets('orders-tx-1')],
      ['end-1', endTxn('orders-tx-1')],
      ['add-offsets-2', addOffsets('orders-tx-2')],
      ['commit-offsets-2', commitOffsets('orders-tx-2')],
      ['end-2', endTxn('orders-tx-2')],
    ]);
    // orders-tx-2's records were all answered: it may end on the source. orders-tx-1's wait with its records.
    expect(run.forwarded).toEqual(['add-offsets-2', 'commit-offsets-2', 'end-2']);
    holds.setMode('orders', null, 'none');
    await new Promise((r) => setTimeout(r, 0));
    expect(run.forwarded).toEqual(['add-offsets-2', 'commit-offsets-2', 'end-2', 'produce-1', 'add-offsets-1', 'commit-offsets-1', 'end-1']);
    // Released: the next cutover's drain lets orders-tx-1 end again.
    holds.setMode('orders', 'c-2', 'drain');
    expect(runInOrder(filter, [['end-3', endTxn('orders-tx-1')]]).forwarded).toEqual(['end-3']);
  });

  it('counts produce in flight to the source until answered, and fails the cutover on an error answer', async () => {
    const { holds, filter, failures } = setup();
    holds.setMode('orders', 'c-1', 'count');
    const ok = produce('orders.created');
    const bad = produce('orders.created');
    const none = produce('orders.created', 0);
    const run = runInOrder(filter, [['ok', ok], ['bad', bad], ['acks0', none]]);
    expect(run.forwarded).toEqual(['ok', 'bad', 'acks0']);
    const count = holds.inFlightOf('orders');
    expect(count?.count).toBe(2);
    let drained = false;
    void count?.drained().then(() => (drained = true));
    const transform = (name: string): ((b: Buffer) => Buffer) => {
      const o = run.outcomes.get(name);
      if (o?.kind !== 'forward' || o.onResponse === undefined) throw new Error(`${name} was not counted`);
      return o.onResponse;
    };
    expect(run.outcomes.get('acks0')).toMatchObject({ kind: 'forward' });
    expect((run.outcomes.get('acks0') as { onResponse?: unknown }).onResponse).toBeUndefined();
    const answer = produceAnswer(ok, 'orders.created', 0);
    expect(transform('ok')(answer)).toBe(answer);
    await new Promise((r) => setTimeout(r, 0));
    expect(drained).toBe(false);
    transform('bad')(produceAnswer(bad, 'orders.created', 19));
    await new Promise((r) => setTimeout(r, 0));
    expect(drained).toBe(true);
    expect(failures).toEqual(['orders/c-1: a produce to orders.created-0 on the source failed (error 19) during the cutover']);
  });

  it('takes a counted request off the count when its connection closes before the answer, failing nothing', async () => {
    const { holds, filter, failures } = setup();
    holds.setMode('orders', 'c-1', 'drain');
    const ending = filter.onRequest(endTxn('orders-tx-1'));
    const count = holds.inFlightOf('orders');
    expect(count?.count).toBe(1);
    let drained = false;
    void count?.drained().then(() => (drained = true));
    if (ending.kind !== 'forward' || ending.onAbandoned === undefined) throw new Error('the EndTxn was not counted');
    ending.onAbandoned();
    await new Promise((r) => setTimeout(r, 0));
    expect(drained).toBe(true);
    expect(count?.count).toBe(0);
    expect(failures).toEqual([]);
  });

  it('fails the cutover once when the held bytes pass the cap, holding the request all the same', () => {
    const { holds, filter, failures } = setup(250);
    holds.setMode('orders', 'c-1', 'hold');
    const run = runInOrder(filter, [
      ['a', produce('orders.created', -1, 100)],
      ['b', produce('orders.created', -1, 100)],
      ['c', produce('orders.created', -1, 100)],
      ['d', produce('orders.created', -1, 100)],
    ]);
    expect(run.forwarded).toEqual([]);
    expect(holds.heldOf('orders').requests).toBe(4);
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatch(/^orders\/c-1: held requests reached \d+ bytes, over cutover.maxHeldBytes \(250\)$/);
  });

  it('takes a held request whose connection closed off the held bytes at once, and only once', () => {
    // Two requests fit under the cap, three would not.
    const { holds, filter, failures } = setup(400);
    holds.setMode('orders', 'c-1', 'hold');
    const first = filter.onRequest(produce('orders.created', -1, 100));
    expect(filter.onRequest(produce('orders.created', -1, 100)).kind).toBe('hold');
    if (first.kind !== 'hold' || first.onAbandoned === undefined) throw new Error('the produce was not held');
    first.onAbandoned();
    first.onAbandoned();
    expect(holds.heldOf('orders').requests).toBe(1);
    // The closed connection's bytes no longer count: a third request fits.
    expect(filter.onRequest(produce('orders.created', -1, 100)).kind).toBe('hold');
    expect(holds.heldOf('orders').requests).toBe(2);
    expect(failures).toEqual([]);
  });

  it('counts nothing of an ended hold against the next one, even for requests that never came back', async () => {
    // Two requests fit under the cap, three would not.
    const { holds, filter, failures } = setup(400);
    holds.setMode('orders', 'c-1', 'hold');
    // Held, and their connection closed: they are never asked about again.
    for (let i = 0; i < 2; i++) expect(filter.onRequest(produce('orders.created', -1, 100)).kind).toBe('hold');
    holds.setMode('orders', null, 'none');
    holds.setMode('orders', 'c-2', 'hold');
    expect(holds.heldOf('orders')).toEqual({ requests: 0, bytes: 0 });
    expect(filter.onRequest(produce('orders.created', -1, 100)).kind).toBe('hold');
    expect(holds.heldOf('orders').requests).toBe(1);
    expect(failures).toEqual([]);
  });
});

function heartbeat(groupId: string): FilterRequest {
  const req = createHeartbeatRequest();
  req.groupId = groupId;
  req.generationId = 3;
  req.memberId = 'm-1';
  return filterRequest(ApiKey.Heartbeat, 4, req);
}

function offsetFetchV8(groupId: string): FilterRequest {
  const req = createOffsetFetchRequest();
  req.groups = [{ ...createOffsetFetchRequestGroup(), groupId, topics: null }];
  return filterRequest(ApiKey.OffsetFetch, 8, req);
}

function groupSetup(): { holds: CutoverHolds; groupHolds: CutoverHolds; filter: CutoverHoldFilter } {
  const holds = new CutoverHolds({ maxHeldBytes: 1 << 20 });
  const groupHolds = new CutoverHolds({ maxHeldBytes: 1 << 20 });
  const filter = new CutoverHoldFilter({ holds, groupHolds, policy: () => policy.current(), topicName: () => undefined });
  return { holds, groupHolds, filter };
}

describe('the cutover hold filter while a domain groups move', () => {
  it('wants no group request while no groups move, and the group apis while some do', () => {
    const { groupHolds, filter } = groupSetup();
    for (const api of [ApiKey.JoinGroup, ApiKey.Heartbeat, ApiKey.OffsetCommit, ApiKey.OffsetFetch, ApiKey.ConsumerGroupHeartbeat, ApiKey.TxnOffsetCommit]) expect(filter.wants(api)).toBe(false);
    groupHolds.setMode('orders', 'm1', 'count');
    for (const api of [ApiKey.JoinGroup, ApiKey.SyncGroup, ApiKey.Heartbeat, ApiKey.LeaveGroup, ApiKey.OffsetCommit, ApiKey.OffsetFetch, ApiKey.ConsumerGroupHeartbeat, ApiKey.TxnOffsetCommit]) {
      expect(filter.wants(api)).toBe(true);
    }
    expect(filter.wants(ApiKey.Produce)).toBe(false);
    expect(filter.wants(ApiKey.ListGroups)).toBe(false);
    groupHolds.setMode('orders', null, 'none');
    expect(filter.wants(ApiKey.Heartbeat)).toBe(false);
  });

  it('counts the moving domain group requests in flight until they are answered', async () => {
    const { groupHolds, filter } = groupSetup();
    groupHolds.setMode('orders', 'm1', 'count');
    const outcome = filter.onRequest(heartbeat('orders-app'));
    expect(outcome.kind).toBe('forward');
    const count = groupHolds.inFlightOf('orders');
    expect(count?.count).toBe(1);
    let drained = false;
    void count?.drained().then(() => (drained = true));
    await Promise.resolve();
    expect(drained).toBe(false);
    if (outcome.kind === 'forward') outcome.onResponse?.(Buffer.alloc(8));
    await Promise.resolve();
    expect(drained).toBe(true);
    // One whose connection closes before the answer is taken off the count too.
    const abandoned = filter.onRequest(heartbeat('orders-app'));
    expect(count?.count).toBe(1);
    if (abandoned.kind === 'forward') abandoned.onAbandoned?.();
    expect(count?.count).toBe(0);
    // Another domain's group goes untouched.
    expect(filter.onRequest(heartbeat('payments-app'))).toEqual({ kind: 'forward' });
    expect(count?.count).toBe(0);
  });

  it('holds the moving domain group requests in order and releases them when the move ends', async () => {
    const { groupHolds, filter } = groupSetup();
    groupHolds.setMode('orders', 'm1', 'hold');
    const run = runInOrder(filter, [
      ['heartbeat', heartbeat('orders-app')],
      ['fetch', offsetFetchV8('orders-app')],
      ['other', heartbeat('legacy-app')],
    ]);
    expect(run.forwarded).toEqual(['other']);
    expect(groupHolds.heldOf('orders').requests).toBe(2);
    groupHolds.setMode('orders', null, 'none');
    await new Promise((r) => setImmediate(r));
    expect(run.forwarded).toEqual(['other', 'heartbeat', 'fetch']);
    expect(filter.wants(ApiKey.Heartbeat)).toBe(false);
  });

  it('holds a group request by its group domain, and leaves transactional requests to the cutover holds', () => {
    const { holds, groupHolds, filter } = groupSetup();
    groupHolds.setMode('orders', 'm1', 'hold');
    expect(filter.onRequest(offsetFetchV8('orders-app')).kind).toBe('hold');
    groupHolds.setMode('orders', 'm1', 'count');
    holds.setMode('orders', 'c1', 'count');
    const outcome = filter.onRequest(endTxn('orders-tx-1'));
    expect(outcome.kind).toBe('forward');
    expect(holds.inFlightOf('orders')?.count).toBe(1);
    expect(groupHolds.inFlightOf('orders')?.count).toBe(0);
  });

  it('sends the OffsetCommit of a member a moved group had on its old coordinator on as the commit of no member, and others as they are', () => {
    let now = 1_000;
    const formerMembers = new FormerMembers(() => now);
    const filter = new CutoverHoldFilter({ holds: new CutoverHolds({ maxHeldBytes: 1 << 20 }), formerMembers, policy: () => policy.current(), topicName: () => undefined });
    const commit = (memberId: string): FilterRequest => {
      const req = createOffsetCommitRequest();
      req.groupId = 'orders-app';
      req.generationIdOrMemberEpoch = 4;
      req.memberId = memberId;
      req.topics = [{ name: 'orders.created', partitions: [{ partitionIndex: 0, committedOffset: 42n, commitTimestamp: -1n, committedLeaderEpoch: 3, committedMetadata: '' }] }];
      return filterRequest(ApiKey.OffsetCommit, 8, req);
    };
    expect(filter.wants(ApiKey.OffsetCommit)).toBe(false);
    formerMembers.set('orders', { untilMs: 5_000, groups: { 'orders-app': ['member-on-east'] } });
    expect(filter.wants(ApiKey.OffsetCommit)).toBe(true);
    expect(filter.wants(ApiKey.Heartbeat)).toBe(false);
    const outcome = filter.onRequest(commit('member-on-east'));
    const frame = outcome.kind === 'forward' ? outcome.request : undefined;
    expect(frame).toBeDefined();
    const sent = decodeRequestFrame(frame as Buffer, decodeOffsetCommitRequest);
    expect(sent.body).toMatchObject({ groupId: 'orders-app', generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null });
    expect(sent.body.topics[0].partitions[0]).toMatchObject({ partitionIndex: 0, committedOffset: 42n, committedLeaderEpoch: 3 });
    // A member that joined on the new coordinator commits as itself.
    expect(filter.onRequest(commit('member-on-west'))).toEqual({ kind: 'forward' });
    now = 5_000;
    expect(filter.wants(ApiKey.OffsetCommit)).toBe(false);
  });
});
