import { describe, expect, it } from 'vitest';
import {
  ApiKey,
  createCreatePartitionsRequest,
  createCreateTopicsRequest,
  createDeleteRecordsRequest,
  createDeleteTopicsRequest,
  createDescribeProducersRequest,
  createDescribeTopicPartitionsRequest,
  createListOffsetsRequest,
  createOffsetForLeaderEpochRequest,
  ZERO_UUID,
} from '../../../../src/codec/index.js';
import { createCreatableTopicResult } from '../../../../src/codec/generated/create-topics.js';
import { createDescribeTopicPartitionsResponseTopic } from '../../../../src/codec/generated/describe-topic-partitions.js';
import { createListOffsetsPartitionResponse } from '../../../../src/codec/generated/list-offsets.js';
import { createEpochEndOffset } from '../../../../src/codec/generated/offset-for-leader-epoch.js';
import { decide, harness, learnTopicIds, type Harness } from '../acl-test-kit.js';
import { allow } from '../rule-authorizer.js';

const ID = { orders: 'b3JkZXJzAAAAAAAAAAAAAA', payments: 'cGF5bWVudHMAAAAAAAAAAA' };

describe('ListOffsets authorization', () => {
  it('DESCRIBE per topic; a denied topic gets 29 and no offset (v0: no offsets at all)', () => {
    const h = harness([allow('DESCRIBE', 'TOPIC', 'orders')]);
    const req = createListOffsetsRequest();
    req.topics = [
      { name: 'payments', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n, maxNumOffsets: 1 }] },
      { name: 'orders', partitions: [{ partitionIndex: 1, currentLeaderEpoch: -1, timestamp: -1n, maxNumOffsets: 1 }] },
    ];
    for (const v of [0, 9]) {
      const d = decide(h, ApiKey.ListOffsets, v, req);
      expect(d.forwarded(req).topics.map((t) => t.name)).toEqual(['orders']);
      const res = d.answered({ throttleTimeMs: 0, topics: [{ name: 'orders', partitions: [{ ...createListOffsetsPartitionResponse(), partitionIndex: 1, offset: v === 0 ? -1n : 42n, oldStyleOffsets: v === 0 ? [42n] : [] }] }] });
      expect(res.topics.map((t) => [t.name, t.partitions.map((p) => [p.partitionIndex, p.errorCode, p.offset, p.timestamp, p.oldStyleOffsets])])).toEqual([
        ['payments', [[0, 29, -1n, -1n, []]]],
        ['orders', [[1, 0, v === 0 ? -1n : 42n, -1n, v === 0 ? [42n] : []]]],
      ]);
    }
    expect(decide(harness([allow('DESCRIBE', 'TOPIC', '*')]), ApiKey.ListOffsets, 9, req).outcome).toEqual({ kind: 'forward' });
  });
});

describe('OffsetForLeaderEpoch authorization', () => {
  const req = createOffsetForLeaderEpochRequest();
  req.topics = [
    { topic: 'orders', partitions: [{ partition: 0, currentLeaderEpoch: 3, leaderEpoch: 2 }] },
    { topic: 'payments', partitions: [{ partition: 1, currentLeaderEpoch: 3, leaderEpoch: 2 }] },
  ];

  it('allows every topic with CLUSTER_ACTION on the cluster', () => {
    expect(decide(harness([allow('CLUSTER_ACTION', 'CLUSTER', 'kafka-cluster')]), ApiKey.OffsetForLeaderEpoch, 4, req).outcome).toEqual({ kind: 'forward' });
  });

  it('else DESCRIBE per topic, a denied partition getting 29', () => {
    const d = decide(harness([allow('DESCRIBE', 'TOPIC', 'orders')]), ApiKey.OffsetForLeaderEpoch, 4, req);
    expect(d.forwarded(req).topics.map((t) => t.topic)).toEqual(['orders']);
    const res = d.answered({ throttleTimeMs: 0, topics: [{ topic: 'orders', partitions: [{ ...createEpochEndOffset(), partition: 0, leaderEpoch: 2, endOffset: 99n }] }] });
    expect(res.topics.map((t) => [t.topic, t.partitions.map((p) => [p.partition, p.errorCode, p.endOffset])])).toEqual([
      ['orders', [[0, 0, 99n]]],
      ['payments', [[1, 29, -1n]]],
    ]);
    expect(decide(harness([]), ApiKey.OffsetForLeaderEpoch, 4, req).answer().topics.map((t) => t.partitions[0].errorCode)).toEqual([29, 29]);
  });
});

describe('DeleteRecords authorization', () => {
  it('DELETE per topic; a denied partition gets 29 and no low watermark', () => {
    const req = createDeleteRecordsRequest();
    req.topics = [
      { name: 'orders', partitions: [{ partitionIndex: 0, offset: 10n }] },
      { name: 'payments', partitions: [{ partitionIndex: 0, offset: 10n }] },
    ];
    const d = decide(harness([allow('DELETE', 'TOPIC', 'orders')]), ApiKey.DeleteRecords, 2, req);
    expect(d.forwarded(req).topics.map((t) => t.name)).toEqual(['orders']);
    const res = d.answered({ throttleTimeMs: 0, topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, lowWatermark: 10n, errorCode: 0 }] }] });
    expect(res.topics).toEqual([
      { name: 'orders', partitions: [{ partitionIndex: 0, lowWatermark: 10n, errorCode: 0 }] },
      { name: 'payments', partitions: [{ partitionIndex: 0, lowWatermark: -1n, errorCode: 29 }] },
    ]);
    expect(decide(harness([allow('READ', 'TOPIC', '*')]), ApiKey.DeleteRecords, 2, req).answer().topics.map((t) => t.partitions[0].errorCode)).toEqual([29, 29]);
  });
});

describe('DescribeProducers authorization', () => {
  it('READ per topic; a denied partition gets 29 with Kafka’s message', () => {
    const req = createDescribeProducersRequest();
    req.topics = [
      { name: 'payments', partitionIndexes: [0, 1] },
      { name: 'orders', partitionIndexes: [0] },
    ];
    const d = decide(harness([allow('READ', 'TOPIC', 'orders')]), ApiKey.DescribeProducers, 0, req);
    expect(d.forwarded(req).topics.map((t) => t.name)).toEqual(['orders']);
    const res = d.answered({ throttleTimeMs: 0, topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, errorCode: 0, errorMessage: null, activeProducers: [] }] }] });
    expect(res.topics.map((t) => [t.name, t.partitions.map((p) => [p.partitionIndex, p.errorCode, p.errorMessage])])).toEqual([
      ['payments', [[0, 29, 'Topic authorization failed.'], [1, 29, 'Topic authorization failed.']]],
      ['orders', [[0, 0, null]]],
    ]);
  });
});

describe('topic administration authorization', () => {
  const creatable = (name: string) => ({ name, numPartitions: 3, replicationFactor: 1, assignments: [], configs: [] });

  it('CreateTopics: CREATE on the cluster allows every topic', () => {
    const req = createCreateTopicsRequest();
    req.topics = [creatable('orders'), creatable('payments')];
    expect(decide(harness([allow('CREATE', 'CLUSTER', 'kafka-cluster')]), ApiKey.CreateTopics, 4, req).outcome).toEqual({ kind: 'forward' });
  });

  it('CreateTopics: else CREATE per topic, 29 "Authorization failed."; configs only with DESCRIBE_CONFIGS', () => {
    const h = harness([allow('CREATE', 'TOPIC', 'orders'), allow('CREATE', 'TOPIC', 'audit')]);
    const req = createCreateTopicsRequest();
    req.topics = [creatable('orders'), creatable('payments'), creatable('audit')];
    const d = decide(h, ApiKey.CreateTopics, 7, req);
    expect(d.forwarded(req).topics.map((t) => t.name)).toEqual(['orders', 'audit']);
    h.authorizer.rules.push(allow('DESCRIBE_CONFIGS', 'TOPIC', 'orders'));
    const created = (name: string) => ({
      ...createCreatableTopicResult(),
      name,
      topicId: ID.orders,
      errorMessage: null,
      numPartitions: 3,
      replicationFactor: 1,
      configs: [{ name: 'cleanup.policy', value: 'delete', readOnly: false, configSource: 5, isSensitive: false }],
    });
    const res = d.answered({ throttleTimeMs: 0, topics: [created('audit'), created('orders')] });
    expect(res.topics.map((t) => [t.name, t.errorCode, t.errorMessage, t.configs?.length, t.topicConfigErrorCode ?? 0])).toEqual([
      ['orders', 0, null, 1, 0],
      ['payments', 29, 'Authorization failed.', 0, 0],
      ['audit', 0, null, 0, 29],
    ]);
  });

  it('CreateTopics: leaves a name given twice to the backend, which refuses it whatever the ACLs', () => {
    const req = createCreateTopicsRequest();
    req.topics = [creatable('payments'), creatable('payments')];
    const d = decide(harness([]), ApiKey.CreateTopics, 7, req);
    expect(d.kind).toBe('forward');
    expect(d.forwarded(req)).toEqual(req);
  });

  it('DeleteTopics: DELETE on the cluster, else DELETE and DESCRIBE per topic (v0-5 by name)', () => {
    const req = createDeleteTopicsRequest();
    req.topicNames = ['orders', 'payments'];
    expect(decide(harness([allow('DELETE', 'CLUSTER', 'kafka-cluster')]), ApiKey.DeleteTopics, 5, req).outcome).toEqual({ kind: 'forward' });
    const d = decide(harness([allow('DELETE', 'TOPIC', 'orders')]), ApiKey.DeleteTopics, 5, req);
    expect(d.forwarded(req).topicNames).toEqual(['orders']);
    const res = d.answered({ throttleTimeMs: 0, responses: [{ name: 'orders', topicId: ZERO_UUID, errorCode: 0, errorMessage: null }] });
    expect(res.responses.map((r) => [r.name, r.errorCode, r.errorMessage])).toEqual([
      ['orders', 0, null],
      ['payments', 29, 'Topic authorization failed.'],
    ]);
  });

  it('DeleteTopics v6: by id, the name is answered only when describable; an unknown id gets UNKNOWN_TOPIC_ID', () => {
    const h: Harness = harness([allow('DESCRIBE', 'TOPIC', 'payments'), allow('DELETE', 'TOPIC', 'orders')]);
    learnTopicIds(h, ID);
    h.authorizer.rules = [allow('DELETE', 'TOPIC', 'orders'), allow('DESCRIBE', 'TOPIC', 'payments')];
    const req = createDeleteTopicsRequest();
    req.topics = [
      { name: null, topicId: ID.orders },
      { name: null, topicId: ID.payments },
      { name: null, topicId: 'dW5rbm93bgAAAAAAAAAAAA' },
      { name: 'secret', topicId: ZERO_UUID },
    ];
    const d = decide(h, ApiKey.DeleteTopics, 6, req);
    expect(d.forwarded(req).topics).toEqual([{ name: null, topicId: ID.orders }]);
    const res = d.answered({ throttleTimeMs: 0, responses: [{ name: 'orders', topicId: ID.orders, errorCode: 0, errorMessage: null }] });
    expect(res.responses.map((r) => [r.name, r.topicId, r.errorCode])).toEqual([
      ['orders', ID.orders, 0],
      ['payments', ID.payments, 29],
      [null, 'dW5rbm93bgAAAAAAAAAAAA', 100],
      ['secret', ZERO_UUID, 29],
    ]);
  });

  it('CreatePartitions: ALTER per topic', () => {
    const req = createCreatePartitionsRequest();
    req.topics = [
      { name: 'orders', count: 6, assignments: null },
      { name: 'payments', count: 6, assignments: null },
    ];
    const d = decide(harness([allow('ALTER', 'TOPIC', 'orders')]), ApiKey.CreatePartitions, 3, req);
    expect(d.forwarded(req).topics.map((t) => t.name)).toEqual(['orders']);
    expect(d.answered({ throttleTimeMs: 0, results: [{ name: 'orders', errorCode: 0, errorMessage: null }] }).results).toEqual([
      { name: 'orders', errorCode: 0, errorMessage: null },
      { name: 'payments', errorCode: 29, errorMessage: null },
    ]);
  });
});

describe('DescribeTopicPartitions authorization', () => {
  const described = (name: string) => ({ ...createDescribeTopicPartitionsResponseTopic(), name, topicId: ID[name as keyof typeof ID] ?? ZERO_UUID });

  it('named: describable topics asked of the backend, the others 29 with a zero id after them; operations from Turnout', () => {
    const h = harness([allow('READ', 'TOPIC', 'orders')]);
    const req = createDescribeTopicPartitionsRequest();
    req.topics = [{ name: 'payments' }, { name: 'orders' }];
    const d = decide(h, ApiKey.DescribeTopicPartitions, 0, req);
    expect(d.forwarded(req).topics).toEqual([{ name: 'orders' }]);
    const res = d.answered({ throttleTimeMs: 0, topics: [described('orders')], nextCursor: null });
    expect(res.topics.map((t) => [t.name, t.errorCode, t.topicId, t.topicAuthorizedOperations])).toEqual([
      ['orders', 0, ID.orders, (1 << 3) | (1 << 8)],
      ['payments', 29, ZERO_UUID, -2147483648],
    ]);
    req.topics = [{ name: 'payments' }];
    expect(decide(h, ApiKey.DescribeTopicPartitions, 0, req).answer().topics.map((t) => [t.name, t.errorCode])).toEqual([['payments', 29]]);
  });

  it('all topics: undescribable ones left out', () => {
    const req = createDescribeTopicPartitionsRequest();
    const res = decide(harness([allow('DESCRIBE', 'TOPIC', 'payments')]), ApiKey.DescribeTopicPartitions, 0, req).answered({
      throttleTimeMs: 0,
      topics: [described('orders'), described('payments')],
      nextCursor: null,
    });
    expect(res.topics.map((t) => t.name)).toEqual(['payments']);
  });
});
