import { describe, expect, it } from 'vitest';
import {
  ApiKey,
  createAlterShareGroupOffsetsRequest,
  createDeleteShareGroupOffsetsRequest,
  createDescribeShareGroupOffsetsRequest,
  createShareAcknowledgeRequest,
  createShareFetchRequest,
  createShareGroupDescribeRequest,
  createShareGroupHeartbeatRequest,
  ZERO_UUID,
} from '../../../../src/codec/index.js';
import { createPartitionData } from '../../../../src/codec/generated/share-fetch.js';
import { createDescribedGroup } from '../../../../src/codec/generated/share-group-describe.js';
import { decide, harness, learnTopicIds } from '../acl-test-kit.js';
import { allow } from '../rule-authorizer.js';

const ID = { orders: 'b3JkZXJzAAAAAAAAAAAAAA', payments: 'cGF5bWVudHMAAAAAAAAAAA' };

describe('share group authorization', () => {
  it('ShareGroupHeartbeat: READ on the group, then DESCRIBE on the subscribed topics', () => {
    const req = createShareGroupHeartbeatRequest();
    req.groupId = 'shared';
    req.subscribedTopicNames = ['orders'];
    expect(decide(harness([]), ApiKey.ShareGroupHeartbeat, 1, req).answer().errorCode).toBe(30);
    expect(decide(harness([allow('READ', 'GROUP', 'shared')]), ApiKey.ShareGroupHeartbeat, 1, req).answer().errorCode).toBe(29);
    expect(decide(harness([allow('READ', 'GROUP', 'shared'), allow('READ', 'TOPIC', 'orders')]), ApiKey.ShareGroupHeartbeat, 1, req).outcome).toEqual({ kind: 'forward' });
  });

  it('ShareGroupDescribe: DESCRIBE per group', () => {
    const req = createShareGroupDescribeRequest();
    req.groupIds = ['shared', 'secret'];
    const d = decide(harness([allow('DESCRIBE', 'GROUP', 'shared')]), ApiKey.ShareGroupDescribe, 1, req);
    expect(d.forwarded(req).groupIds).toEqual(['shared']);
    const res = d.answered({ throttleTimeMs: 0, groups: [{ ...createDescribedGroup(), groupId: 'shared', groupState: 'Stable' }] });
    expect(res.groups.map((g) => [g.groupId, g.errorCode])).toEqual([
      ['shared', 0],
      ['secret', 30],
    ]);
  });

  it('ShareFetch: READ on the group and every topic, else the whole request fails; a session partition no longer readable leaves the answer', () => {
    const h = harness();
    learnTopicIds(h, ID);
    const req = createShareFetchRequest();
    req.groupId = 'shared';
    req.memberId = 'm1';
    req.topics = [{ topicId: ID.orders, partitions: [{ partitionIndex: 0, acknowledgementBatches: [] }] }];
    h.authorizer.rules = [allow('READ', 'TOPIC', '*')];
    expect(decide(h, ApiKey.ShareFetch, 1, req).answer()).toMatchObject({ errorCode: 30, responses: [] });
    h.authorizer.rules = [allow('READ', 'GROUP', 'shared')];
    expect(decide(h, ApiKey.ShareFetch, 1, req).answer()).toMatchObject({ errorCode: 29, responses: [] });
    h.authorizer.rules = [allow('READ', 'GROUP', 'shared'), allow('READ', 'TOPIC', 'orders')];
    const d = decide(h, ApiKey.ShareFetch, 1, req);
    expect(d.forwarded(req)).toEqual(req);
    const data = (topicId: string) => ({ topicId, partitions: [{ ...createPartitionData(), partitionIndex: 0, records: Buffer.from([1, 2]) }] });
    const res = d.answered({ throttleTimeMs: 0, errorCode: 0, errorMessage: null, acquisitionLockTimeoutMs: 30000, responses: [data(ID.orders), data(ID.payments)], nodeEndpoints: [] });
    expect(res.responses.map((t) => [t.topicId, t.partitions[0].errorCode, t.partitions[0].records?.length ?? null])).toEqual([
      [ID.orders, 0, 2],
      [ID.payments, 29, null],
    ]);
  });

  it('ShareAcknowledge: READ on the group and every topic', () => {
    const h = harness([allow('READ', 'GROUP', 'shared')]);
    learnTopicIds(h, ID);
    const req = createShareAcknowledgeRequest();
    req.groupId = 'shared';
    req.topics = [{ topicId: ID.payments, partitions: [] }];
    expect(decide(h, ApiKey.ShareAcknowledge, 1, req).answer()).toMatchObject({ errorCode: 29 });
    req.topics = [{ topicId: 'dW5rbm93bgAAAAAAAAAAAA', partitions: [] }];
    expect(decide(h, ApiKey.ShareAcknowledge, 1, req).answer()).toMatchObject({ errorCode: 100 });
    h.authorizer.rules.push(allow('READ', 'TOPIC', 'payments'));
    req.topics = [{ topicId: ID.payments, partitions: [] }];
    expect(decide(h, ApiKey.ShareAcknowledge, 1, req).outcome).toEqual({ kind: 'forward' });
  });

  it('DescribeShareGroupOffsets: DESCRIBE on each group and topic', () => {
    const h = harness([allow('DESCRIBE', 'GROUP', 'shared'), allow('DESCRIBE', 'TOPIC', 'orders')]);
    const req = createDescribeShareGroupOffsetsRequest();
    req.groups = [
      { groupId: 'shared', topics: [{ topicName: 'payments', partitions: [0] }, { topicName: 'orders', partitions: [0] }] },
      { groupId: 'secret', topics: null },
    ];
    const d = decide(h, ApiKey.DescribeShareGroupOffsets, 0, req);
    expect(d.forwarded(req).groups).toEqual([{ groupId: 'shared', topics: [{ topicName: 'orders', partitions: [0] }] }]);
    const res = d.answered({
      throttleTimeMs: 0,
      groups: [{ groupId: 'shared', errorCode: 0, errorMessage: null, topics: [{ topicName: 'orders', topicId: ID.orders, partitions: [{ partitionIndex: 0, startOffset: 4n, leaderEpoch: 1, errorCode: 0, errorMessage: null }] }] }],
    });
    expect(res.groups.map((g) => [g.groupId, g.errorCode, g.topics.map((t) => [t.topicName, t.partitions[0].errorCode])])).toEqual([
      ['shared', 0, [['payments', 29], ['orders', 0]]],
      ['secret', 30, []],
    ]);
  });

  it('AlterShareGroupOffsets: READ on the group, then READ per topic', () => {
    const req = createAlterShareGroupOffsetsRequest();
    req.groupId = 'shared';
    req.topics = [
      { topicName: 'orders', partitions: [{ partitionIndex: 0, startOffset: 0n }] },
      { topicName: 'payments', partitions: [{ partitionIndex: 0, startOffset: 0n }] },
    ];
    expect(decide(harness([]), ApiKey.AlterShareGroupOffsets, 0, req).answer()).toMatchObject({ errorCode: 30, errorMessage: 'Group authorization failed.', responses: [] });
    const d = decide(harness([allow('READ', 'GROUP', 'shared'), allow('READ', 'TOPIC', 'orders')]), ApiKey.AlterShareGroupOffsets, 0, req);
    expect(d.forwarded(req).topics.map((t) => t.topicName)).toEqual(['orders']);
    const res = d.answered({ throttleTimeMs: 0, errorCode: 0, errorMessage: null, responses: [{ topicName: 'orders', topicId: ID.orders, partitions: [{ partitionIndex: 0, errorCode: 0, errorMessage: null }] }] });
    expect(res.responses.map((t) => [t.topicName, t.topicId === ZERO_UUID, t.partitions[0].errorCode])).toEqual([
      ['orders', false, 0],
      ['payments', true, 29],
    ]);
  });

  it('DeleteShareGroupOffsets: DELETE on the group, then READ per topic', () => {
    const req = createDeleteShareGroupOffsetsRequest();
    req.groupId = 'shared';
    req.topics = [{ topicName: 'orders' }, { topicName: 'payments' }];
    expect(decide(harness([allow('READ', 'GROUP', 'shared')]), ApiKey.DeleteShareGroupOffsets, 0, req).answer()).toMatchObject({ errorCode: 30 });
    const d = decide(harness([allow('DELETE', 'GROUP', 'shared'), allow('READ', 'TOPIC', 'payments')]), ApiKey.DeleteShareGroupOffsets, 0, req);
    expect(d.forwarded(req).topics).toEqual([{ topicName: 'payments' }]);
    const res = d.answered({ throttleTimeMs: 0, errorCode: 0, errorMessage: null, responses: [{ topicName: 'payments', topicId: ID.payments, errorCode: 0, errorMessage: null }] });
    expect(res.responses.map((t) => [t.topicName, t.errorCode, t.errorMessage])).toEqual([
      ['orders', 29, 'Topic authorization failed.'],
      ['payments', 0, null],
    ]);
  });
});
