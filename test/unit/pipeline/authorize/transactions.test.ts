import { describe, expect, it } from 'vitest';
import {
  ApiKey,
  createAddOffsetsToTxnRequest,
  createAddPartitionsToTxnRequest,
  createDescribeTransactionsRequest,
  createEndTxnRequest,
  createInitProducerIdRequest,
  createListTransactionsRequest,
  createTxnOffsetCommitRequest,
} from '../../../../src/codec/index.js';
import { createTransactionState } from '../../../../src/codec/generated/describe-transactions.js';
import { decide, harness } from '../acl-test-kit.js';
import { allow } from '../rule-authorizer.js';

describe('InitProducerId authorization', () => {
  it('with a transactional id: WRITE on it, else TRANSACTIONAL_ID_AUTHORIZATION_FAILED and no producer id', () => {
    const req = createInitProducerIdRequest();
    req.transactionalId = 'txn-1';
    req.producerId = -1n;
    req.producerEpoch = -1;
    expect(decide(harness([allow('WRITE', 'TRANSACTIONAL_ID', 'txn-1')]), ApiKey.InitProducerId, 5, req).outcome).toEqual({ kind: 'forward' });
    expect(decide(harness([allow('IDEMPOTENT_WRITE', 'CLUSTER', 'kafka-cluster')]), ApiKey.InitProducerId, 5, req).answer()).toEqual({
      throttleTimeMs: 0,
      errorCode: 53,
      producerId: -1n,
      producerEpoch: -1,
    });
  });

  it('without one: IDEMPOTENT_WRITE on the cluster or WRITE on some topic, else CLUSTER_AUTHORIZATION_FAILED', () => {
    const req = createInitProducerIdRequest();
    req.transactionalId = null;
    expect(decide(harness([allow('IDEMPOTENT_WRITE', 'CLUSTER', 'kafka-cluster')]), ApiKey.InitProducerId, 4, req).outcome).toEqual({ kind: 'forward' });
    expect(decide(harness([allow('WRITE', 'TOPIC', 'orders')]), ApiKey.InitProducerId, 4, req).outcome).toEqual({ kind: 'forward' });
    expect(decide(harness([allow('READ', 'TOPIC', '*')]), ApiKey.InitProducerId, 4, req).answer().errorCode).toBe(31);
  });
});

describe('AddPartitionsToTxn authorization', () => {
  const add = () => {
    const req = createAddPartitionsToTxnRequest();
    req.v3AndBelowTransactionalId = 'txn-1';
    req.v3AndBelowProducerId = 7n;
    req.v3AndBelowTopics = [
      { name: 'orders', partitions: [0, 1] },
      { name: 'payments', partitions: [2] },
    ];
    return req;
  };
  const results = (res: { resultsByTopicV3AndBelow: Array<{ name: string; resultsByPartition: Array<{ partitionIndex: number; partitionErrorCode: number }> }> }) =>
    res.resultsByTopicV3AndBelow.map((t) => [t.name, t.resultsByPartition.map((p) => [p.partitionIndex, p.partitionErrorCode])]);

  it('forwards when the transactional id and every topic may be written', () => {
    expect(decide(harness([allow('WRITE', 'TRANSACTIONAL_ID', 'txn-1'), allow('WRITE', 'TOPIC', '*')]), ApiKey.AddPartitionsToTxn, 3, add()).outcome).toEqual({ kind: 'forward' });
  });

  it('fails every partition with 53 without WRITE on the transactional id', () => {
    expect(results(decide(harness([allow('WRITE', 'TOPIC', '*')]), ApiKey.AddPartitionsToTxn, 3, add()).answer())).toEqual([
      ['orders', [[0, 53], [1, 53]]],
      ['payments', [[2, 53]]],
    ]);
  });

  it('fails the whole request when a topic is denied: 29 for it, OPERATION_NOT_ATTEMPTED for the rest', () => {
    const h = harness([allow('WRITE', 'TRANSACTIONAL_ID', 'txn-1'), allow('WRITE', 'TOPIC', 'orders')]);
    const d = decide(h, ApiKey.AddPartitionsToTxn, 2, add());
    expect(d.kind).toBe('answer');
    expect(results(d.answer())).toEqual([
      ['orders', [[0, 55], [1, 55]]],
      ['payments', [[2, 29]]],
    ]);
  });

  it('never lets a client add an internal topic', () => {
    const req = add();
    req.v3AndBelowTopics = [{ name: '__consumer_offsets', partitions: [0] }];
    const h = harness([allow('WRITE', 'TRANSACTIONAL_ID', 'txn-1'), allow('ALL', 'TOPIC', '*')]);
    expect(results(decide(h, ApiKey.AddPartitionsToTxn, 3, req).answer())).toEqual([['__consumer_offsets', [[0, 29]]]]);
  });

  it('v4+ is a broker request: CLUSTER_ACTION, else CLUSTER_AUTHORIZATION_FAILED at the top', () => {
    const req = createAddPartitionsToTxnRequest();
    req.transactions = [{ transactionalId: 'txn-1', producerId: 7n, producerEpoch: 0, verifyOnly: true, topics: [] }];
    expect(decide(harness([allow('WRITE', 'TRANSACTIONAL_ID', '*')]), ApiKey.AddPartitionsToTxn, 4, req).answer()).toMatchObject({ errorCode: 31 });
    expect(decide(harness([allow('CLUSTER_ACTION', 'CLUSTER', 'kafka-cluster')]), ApiKey.AddPartitionsToTxn, 5, req).outcome).toEqual({ kind: 'forward' });
  });
});

describe('AddOffsetsToTxn, EndTxn and TxnOffsetCommit authorization', () => {
  it('AddOffsetsToTxn: WRITE on the transactional id (53), then READ on the group (30)', () => {
    const req = createAddOffsetsToTxnRequest();
    req.transactionalId = 'txn-1';
    req.groupId = 'billing';
    expect(decide(harness([allow('READ', 'GROUP', 'billing')]), ApiKey.AddOffsetsToTxn, 4, req).answer()).toEqual({ throttleTimeMs: 0, errorCode: 53 });
    expect(decide(harness([allow('WRITE', 'TRANSACTIONAL_ID', 'txn-1')]), ApiKey.AddOffsetsToTxn, 4, req).answer()).toEqual({ throttleTimeMs: 0, errorCode: 30 });
    expect(decide(harness([allow('WRITE', 'TRANSACTIONAL_ID', 'txn-1'), allow('READ', 'GROUP', 'billing')]), ApiKey.AddOffsetsToTxn, 4, req).outcome).toEqual({
      kind: 'forward',
    });
  });

  it('EndTxn: WRITE on the transactional id', () => {
    const req = createEndTxnRequest();
    req.transactionalId = 'txn-1';
    expect(decide(harness([]), ApiKey.EndTxn, 5, req).answer()).toEqual({ throttleTimeMs: 0, errorCode: 53, producerId: -1n, producerEpoch: -1 });
    expect(decide(harness([allow('WRITE', 'TRANSACTIONAL_ID', 'txn-*')]), ApiKey.EndTxn, 3, req).outcome).toEqual({ kind: 'forward' });
  });

  it('TxnOffsetCommit: transactional id and group fail every partition; then READ per topic', () => {
    const req = createTxnOffsetCommitRequest();
    req.transactionalId = 'txn-1';
    req.groupId = 'billing';
    req.topics = ['orders', 'payments'].map((name) => ({ name, partitions: [{ partitionIndex: 0, committedOffset: 1n, committedLeaderEpoch: -1, committedMetadata: null }] }));
    const codes = (res: { topics: Array<{ name: string; partitions: Array<{ errorCode: number }> }> }) => res.topics.map((t) => [t.name, t.partitions[0].errorCode]);
    expect(codes(decide(harness([allow('READ', 'GROUP', '*')]), ApiKey.TxnOffsetCommit, 3, req).answer())).toEqual([
      ['orders', 53],
      ['payments', 53],
    ]);
    expect(codes(decide(harness([allow('WRITE', 'TRANSACTIONAL_ID', 'txn-1')]), ApiKey.TxnOffsetCommit, 3, req).answer())).toEqual([
      ['orders', 30],
      ['payments', 30],
    ]);
    const d = decide(harness([allow('WRITE', 'TRANSACTIONAL_ID', 'txn-1'), allow('READ', 'GROUP', 'billing'), allow('READ', 'TOPIC', 'payments')]), ApiKey.TxnOffsetCommit, 3, req);
    expect(d.forwarded(req).topics.map((t) => t.name)).toEqual(['payments']);
    expect(codes(d.answered({ throttleTimeMs: 0, topics: [{ name: 'payments', partitions: [{ partitionIndex: 0, errorCode: 0 }] }] }))).toEqual([
      ['orders', 29],
      ['payments', 0],
    ]);
  });
});

describe('transaction listing authorization', () => {
  it('DescribeTransactions: DESCRIBE per transactional id; topics shown only when describable', () => {
    const h = harness([allow('DESCRIBE', 'TRANSACTIONAL_ID', 'txn-1'), allow('DESCRIBE', 'TOPIC', 'orders')]);
    const req = createDescribeTransactionsRequest();
    req.transactionalIds = ['txn-2', 'txn-1'];
    const d = decide(h, ApiKey.DescribeTransactions, 0, req);
    expect(d.forwarded(req).transactionalIds).toEqual(['txn-1']);
    const state = {
      ...createTransactionState(),
      transactionalId: 'txn-1',
      transactionState: 'Ongoing',
      topics: [
        { topic: 'orders', partitions: [0] },
        { topic: 'payments', partitions: [1] },
      ],
    };
    const res = d.answered({ throttleTimeMs: 0, transactionStates: [state] });
    expect(res.transactionStates.map((s) => [s.transactionalId, s.errorCode, s.topics.map((t) => t.topic)])).toEqual([
      ['txn-2', 53, []],
      ['txn-1', 0, ['orders']],
    ]);
  });

  it('ListTransactions: only the describable transactional ids, never an error', () => {
    const res = decide(harness([allow('DESCRIBE', 'TRANSACTIONAL_ID', 'app-*')]), ApiKey.ListTransactions, 1, createListTransactionsRequest()).answered({
      throttleTimeMs: 0,
      errorCode: 0,
      unknownStateFilters: [],
      transactionStates: ['app-1', 'other-1'].map((transactionalId) => ({ transactionalId, producerId: 1n, transactionState: 'Ongoing' })),
    });
    expect(res.transactionStates.map((s) => s.transactionalId)).toEqual(['app-1']);
  });
});
