import { describe, expect, it } from 'vitest';
import {
  ApiKey,
  createConsumerGroupDescribeRequest,
  createConsumerGroupHeartbeatRequest,
  createDeleteGroupsRequest,
  createDescribeGroupsRequest,
  createFindCoordinatorRequest,
  createHeartbeatRequest,
  createJoinGroupRequest,
  createLeaveGroupRequest,
  createListGroupsRequest,
  createOffsetCommitRequest,
  createOffsetDeleteRequest,
  createOffsetFetchRequest,
  createSyncGroupRequest,
} from '../../../../src/codec/index.js';
import { createDescribedGroup, createMember } from '../../../../src/codec/generated/consumer-group-describe.js';
import { auditedDenials, decide, harness, type Res } from '../acl-test-kit.js';
import { allow, deny } from '../rule-authorizer.js';

const parts = (topics: Array<{ name: string; partitions: Array<{ partitionIndex: number; errorCode: number }> }>) =>
  topics.map((t) => [t.name, t.partitions.map((p) => [p.partitionIndex, p.errorCode])]);

describe('OffsetCommit authorization', () => {
  const commit = () => {
    const req = createOffsetCommitRequest();
    req.groupId = 'billing';
    req.topics = ['orders', 'payments', 'users'].map((name) => ({
      name,
      partitions: [0, 1].map((partitionIndex) => ({ partitionIndex, committedOffset: 5n, commitTimestamp: -1n, committedLeaderEpoch: -1, committedMetadata: '' })),
    }));
    return req;
  };

  it('forwards a commit to a readable group of readable topics', () => {
    expect(decide(harness([allow('READ', 'GROUP', 'billing'), allow('READ', 'TOPIC', '*')]), ApiKey.OffsetCommit, 8, commit()).outcome).toEqual({ kind: 'forward' });
  });

  it('answers GROUP_AUTHORIZATION_FAILED for every partition without READ on the group, before looking at topics', () => {
    const h = harness([allow('READ', 'TOPIC', '*')]);
    const res = decide(h, ApiKey.OffsetCommit, 8, commit()).answer();
    expect(parts(res.topics)).toEqual(['orders', 'payments', 'users'].map((n) => [n, [[0, 30], [1, 30]]]));
    expect(h.authorizer.asked.map((a) => a.resourceType)).toEqual(['GROUP']);
  });

  it('commits the readable topics and answers the others TOPIC_AUTHORIZATION_FAILED, in the client order', () => {
    const h = harness([allow('READ', 'GROUP', 'billing'), allow('READ', 'TOPIC', 'orders'), allow('READ', 'TOPIC', 'users')]);
    const req = commit();
    const d = decide(h, ApiKey.OffsetCommit, 8, req);
    expect(d.forwarded(req).topics.map((t) => t.name)).toEqual(['orders', 'users']);
    const backend: Res<typeof ApiKey.OffsetCommit> = {
      throttleTimeMs: 0,
      topics: ['users', 'orders'].map((name) => ({ name, partitions: [0, 1].map((partitionIndex) => ({ partitionIndex, errorCode: 0 })) })),
    };
    expect(parts(d.answered(backend).topics)).toEqual([
      ['orders', [[0, 0], [1, 0]]],
      ['payments', [[0, 29], [1, 29]]],
      ['users', [[0, 0], [1, 0]]],
    ]);
  });
});

describe('OffsetFetch authorization', () => {
  const offsets = (topics: string[]) =>
    topics.map((name) => ({ name, partitions: [{ partitionIndex: 0, committedOffset: 7n, committedLeaderEpoch: 2, metadata: '', errorCode: 0 }] }));

  it('answers the whole fetch GROUP_AUTHORIZATION_FAILED without DESCRIBE on the group (v2-7 at the top, v0-1 per partition)', () => {
    const h = harness([allow('DESCRIBE', 'TOPIC', '*')]);
    const req = createOffsetFetchRequest();
    req.groupId = 'billing';
    req.topics = [{ name: 'orders', partitionIndexes: [0, 1] }];
    expect(decide(h, ApiKey.OffsetFetch, 5, req).answer()).toMatchObject({ errorCode: 30, topics: [] });
    const v1 = decide(h, ApiKey.OffsetFetch, 1, req).answer();
    expect(v1.topics[0].partitions.map((p) => [p.partitionIndex, p.errorCode, p.committedOffset])).toEqual([
      [0, 30, -1n],
      [1, 30, -1n],
    ]);
  });

  it('fetches describable topics and answers the others TOPIC_AUTHORIZATION_FAILED per partition', () => {
    const h = harness([allow('DESCRIBE', 'GROUP', 'billing'), allow('DESCRIBE', 'TOPIC', 'orders')]);
    const req = createOffsetFetchRequest();
    req.groupId = 'billing';
    req.topics = [
      { name: 'payments', partitionIndexes: [3] },
      { name: 'orders', partitionIndexes: [0] },
    ];
    const d = decide(h, ApiKey.OffsetFetch, 7, req);
    expect(d.forwarded(req).topics).toEqual([{ name: 'orders', partitionIndexes: [0] }]);
    const res = d.answered({ throttleTimeMs: 0, topics: offsets(['orders']), errorCode: 0, groups: [] });
    expect(res.topics.map((t) => [t.name, t.partitions.map((p) => [p.partitionIndex, p.errorCode, p.committedOffset])])).toEqual([
      ['payments', [[3, 29, -1n]]],
      ['orders', [[0, 0, 7n]]],
    ]);
  });

  it('leaves undescribable topics out of a fetch of all the group offsets', () => {
    const h = harness([allow('DESCRIBE', 'GROUP', 'billing'), allow('DESCRIBE', 'TOPIC', 'orders')]);
    const req = createOffsetFetchRequest();
    req.groupId = 'billing';
    req.topics = null;
    const res = decide(h, ApiKey.OffsetFetch, 7, req).answered({ throttleTimeMs: 0, topics: offsets(['orders', 'payments']), errorCode: 0, groups: [] });
    expect(res.topics.map((t) => t.name)).toEqual(['orders']);
  });

  it('decides each group of a batched fetch (v8+) and merges groups and topics in the client order', () => {
    const h = harness([allow('DESCRIBE', 'GROUP', 'billing'), allow('DESCRIBE', 'GROUP', 'audit'), allow('DESCRIBE', 'TOPIC', 'orders')]);
    const req = createOffsetFetchRequest();
    req.groups = [
      { groupId: 'billing', memberId: null, memberEpoch: -1, topics: [{ name: 'payments', partitionIndexes: [0] }, { name: 'orders', partitionIndexes: [0] }] },
      { groupId: 'secret', memberId: null, memberEpoch: -1, topics: null },
      { groupId: 'audit', memberId: null, memberEpoch: -1, topics: null },
    ];
    const d = decide(h, ApiKey.OffsetFetch, 9, req);
    const fwd = d.forwarded(req);
    expect(fwd.groups.map((g) => [g.groupId, g.topics?.map((t) => t.name) ?? null])).toEqual([
      ['billing', ['orders']],
      ['audit', null],
    ]);
    const res = d.answered({
      throttleTimeMs: 0,
      topics: [],
      errorCode: 0,
      groups: [
        { groupId: 'audit', topics: offsets(['orders', 'payments']), errorCode: 0 },
        { groupId: 'billing', topics: offsets(['orders']), errorCode: 0 },
      ],
    });
    expect(res.groups.map((g) => [g.groupId, g.errorCode, g.topics.map((t) => [t.name, t.partitions[0].errorCode])])).toEqual([
      ['billing', 0, [['payments', 29], ['orders', 0]]],
      ['secret', 30, []],
      ['audit', 0, [['orders', 0]]],
    ]);
  });

  it('answers a batched fetch of only undescribable groups itself', () => {
    const req = createOffsetFetchRequest();
    req.groups = [{ groupId: 'secret', memberId: null, memberEpoch: -1, topics: null }];
    expect(decide(harness([]), ApiKey.OffsetFetch, 8, req).answer().groups).toEqual([{ groupId: 'secret', topics: [], errorCode: 30 }]);
  });
});

describe('FindCoordinator authorization', () => {
  it('needs DESCRIBE on the group or transactional id (v0-3: the whole answer)', () => {
    const h = harness([allow('DESCRIBE', 'GROUP', 'billing')]);
    const req = createFindCoordinatorRequest();
    req.key = 'billing';
    expect(decide(h, ApiKey.FindCoordinator, 3, req).outcome).toEqual({ kind: 'forward' });
    req.key = 'secret';
    expect(decide(h, ApiKey.FindCoordinator, 3, req).answer()).toMatchObject({ errorCode: 30, errorMessage: 'Group authorization failed.', nodeId: -1, host: '', port: -1 });
    req.key = 'txn-1';
    req.keyType = 1;
    expect(decide(h, ApiKey.FindCoordinator, 3, req).answer()).toMatchObject({ errorCode: 53, nodeId: -1 });
  });

  it('decides each key of a batch (v4+) and merges the coordinators in the client order', () => {
    const h = harness([allow('DESCRIBE', 'TRANSACTIONAL_ID', 'txn-*')]);
    const req = createFindCoordinatorRequest();
    req.keyType = 1;
    req.coordinatorKeys = ['other', 'txn-1', 'txn-2'];
    const d = decide(h, ApiKey.FindCoordinator, 4, req);
    expect(d.forwarded(req).coordinatorKeys).toEqual(['txn-1', 'txn-2']);
    const found = (key: string) => ({ key, nodeId: 5, host: 'turnout', port: 9192, errorCode: 0, errorMessage: null });
    const res = d.answered({ throttleTimeMs: 0, errorCode: 0, errorMessage: null, nodeId: 0, host: '', port: 0, coordinators: [found('txn-2'), found('txn-1')] });
    expect(res.coordinators.map((c) => [c.key, c.errorCode, c.nodeId])).toEqual([
      ['other', 53, -1],
      ['txn-1', 0, 5],
      ['txn-2', 0, 5],
    ]);
    req.coordinatorKeys = ['other'];
    expect(decide(h, ApiKey.FindCoordinator, 4, req).answer().coordinators).toEqual([{ key: 'other', nodeId: -1, host: '', port: -1, errorCode: 53, errorMessage: null }]);
  });

  it('needs CLUSTER_ACTION for share coordinator keys, and refuses key types it does not know', () => {
    const req = createFindCoordinatorRequest();
    req.keyType = 2;
    req.coordinatorKeys = ['g:t:0'];
    expect(decide(harness([]), ApiKey.FindCoordinator, 6, req).answer().coordinators[0]).toMatchObject({ errorCode: 31 });
    expect(decide(harness([allow('CLUSTER_ACTION', 'CLUSTER', 'kafka-cluster')]), ApiKey.FindCoordinator, 6, req).outcome).toEqual({ kind: 'forward' });
    expect(decide(harness([]), ApiKey.FindCoordinator, 5, req).answer().coordinators[0]).toMatchObject({ errorCode: 42 });
    req.keyType = 9;
    expect(decide(harness([allow('ALL', 'GROUP', '*')]), ApiKey.FindCoordinator, 6, req).answer().coordinators[0]).toMatchObject({ errorCode: 42 });
  });
});

describe('classic group membership authorization', () => {
  const h = harness([allow('READ', 'GROUP', 'billing')]);
  const denied = harness([allow('DESCRIBE', 'GROUP', 'billing')]);

  it('lets JoinGroup, SyncGroup, Heartbeat and LeaveGroup of a readable group through', () => {
    const join = createJoinGroupRequest();
    join.groupId = 'billing';
    expect(decide(h, ApiKey.JoinGroup, 9, join).outcome).toEqual({ kind: 'forward' });
    const sync = createSyncGroupRequest();
    sync.groupId = 'billing';
    expect(decide(h, ApiKey.SyncGroup, 5, sync).outcome).toEqual({ kind: 'forward' });
    const hb = createHeartbeatRequest();
    hb.groupId = 'billing';
    expect(decide(h, ApiKey.Heartbeat, 4, hb).outcome).toEqual({ kind: 'forward' });
    const leave = createLeaveGroupRequest();
    leave.groupId = 'billing';
    expect(decide(h, ApiKey.LeaveGroup, 5, leave).outcome).toEqual({ kind: 'forward' });
  });

  it('answers them GROUP_AUTHORIZATION_FAILED without READ on the group', () => {
    const join = createJoinGroupRequest();
    join.groupId = 'billing';
    expect(decide(denied, ApiKey.JoinGroup, 9, join).answer()).toMatchObject({ errorCode: 30, generationId: -1, protocolName: null, leader: '', memberId: '', members: [] });
    expect(decide(denied, ApiKey.JoinGroup, 6, join).answer()).toMatchObject({ errorCode: 30, protocolName: '' });
    const sync = createSyncGroupRequest();
    sync.groupId = 'billing';
    expect(decide(denied, ApiKey.SyncGroup, 5, sync).answer()).toMatchObject({ errorCode: 30, assignment: Buffer.alloc(0) });
    const hb = createHeartbeatRequest();
    hb.groupId = 'billing';
    expect(decide(denied, ApiKey.Heartbeat, 0, hb).answer().errorCode).toBe(30);
    const leave = createLeaveGroupRequest();
    leave.groupId = 'billing';
    expect(decide(denied, ApiKey.LeaveGroup, 5, leave).answer()).toMatchObject({ errorCode: 30, members: [] });
  });
});

describe('group administration authorization', () => {
  it('DescribeGroups: DESCRIBE per group, with authorized operations from Turnout', () => {
    const h = harness([allow('DESCRIBE', 'GROUP', 'billing'), allow('DELETE', 'GROUP', 'billing')]);
    const req = createDescribeGroupsRequest();
    req.groups = ['secret', 'billing'];
    req.includeAuthorizedOperations = true;
    const d = decide(h, ApiKey.DescribeGroups, 5, req);
    expect(d.forwarded(req).groups).toEqual(['billing']);
    const group = { errorCode: 0, errorMessage: null, groupId: 'billing', groupState: 'Stable', protocolType: 'consumer', protocolData: 'range', members: [], authorizedOperations: 255 };
    const res = d.answered({ throttleTimeMs: 0, groups: [group] });
    expect(res.groups.map((g) => [g.groupId, g.errorCode, g.authorizedOperations])).toEqual([
      ['secret', 30, -2147483648],
      ['billing', 0, (1 << 6) | (1 << 8)],
    ]);
    req.groups = ['secret'];
    expect(decide(h, ApiKey.DescribeGroups, 5, req).answer().groups[0]).toMatchObject({ groupId: 'secret', errorCode: 30, groupState: '' });
  });

  it('ListGroups: everything with DESCRIBE on the cluster, else only describable groups, never an error', () => {
    const listed = (ids: string[]): Res<typeof ApiKey.ListGroups> => ({
      throttleTimeMs: 0,
      errorCode: 0,
      groups: ids.map((groupId) => ({ groupId, protocolType: 'consumer', groupState: 'Stable', groupType: 'classic' })),
    });
    const all = harness([allow('DESCRIBE', 'CLUSTER', 'kafka-cluster')]);
    expect(decide(all, ApiKey.ListGroups, 5, createListGroupsRequest()).outcome).toEqual({ kind: 'forward' });
    const some = harness([allow('READ', 'GROUP', 'billing')]);
    const res = decide(some, ApiKey.ListGroups, 5, createListGroupsRequest()).answered(listed(['audit', 'billing']));
    expect([res.errorCode, res.groups.map((g) => g.groupId)]).toEqual([0, ['billing']]);
    expect(auditedDenials(some)).toEqual([]);
  });

  it('DeleteGroups: DELETE per group', () => {
    const h = harness([allow('DELETE', 'GROUP', 'old-*')]);
    const req = createDeleteGroupsRequest();
    req.groupsNames = ['old-1', 'billing'];
    const d = decide(h, ApiKey.DeleteGroups, 2, req);
    expect(d.forwarded(req).groupsNames).toEqual(['old-1']);
    expect(d.answered({ throttleTimeMs: 0, results: [{ groupId: 'old-1', errorCode: 0 }] }).results).toEqual([
      { groupId: 'old-1', errorCode: 0 },
      { groupId: 'billing', errorCode: 30 },
    ]);
    req.groupsNames = ['billing'];
    expect(decide(h, ApiKey.DeleteGroups, 2, req).answer().results).toEqual([{ groupId: 'billing', errorCode: 30 }]);
  });

  it('OffsetDelete: DELETE on the group (the whole answer), then READ per topic', () => {
    const req = createOffsetDeleteRequest();
    req.groupId = 'billing';
    req.topics = [
      { name: 'orders', partitions: [{ partitionIndex: 0 }] },
      { name: 'payments', partitions: [{ partitionIndex: 1 }] },
    ];
    expect(decide(harness([allow('READ', 'TOPIC', '*')]), ApiKey.OffsetDelete, 0, req).answer()).toEqual({ errorCode: 30, throttleTimeMs: 0, topics: [] });
    const h = harness([allow('DELETE', 'GROUP', 'billing'), allow('READ', 'TOPIC', 'orders')]);
    const d = decide(h, ApiKey.OffsetDelete, 0, req);
    expect(d.forwarded(req).topics.map((t) => t.name)).toEqual(['orders']);
    const res = d.answered({ errorCode: 0, throttleTimeMs: 0, topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, errorCode: 0 }] }] });
    expect(parts(res.topics)).toEqual([
      ['orders', [[0, 0]]],
      ['payments', [[1, 29]]],
    ]);
  });
});

describe('consumer group protocol (KIP-848) authorization', () => {
  it('ConsumerGroupHeartbeat: READ on the group, then DESCRIBE on every subscribed topic', () => {
    const req = createConsumerGroupHeartbeatRequest();
    req.groupId = 'billing';
    req.subscribedTopicNames = ['orders', 'payments'];
    expect(decide(harness([allow('READ', 'TOPIC', '*')]), ApiKey.ConsumerGroupHeartbeat, 1, req).answer()).toMatchObject({ errorCode: 30, memberId: null });
    expect(decide(harness([allow('READ', 'GROUP', 'billing'), allow('READ', 'TOPIC', 'orders')]), ApiKey.ConsumerGroupHeartbeat, 1, req).answer()).toMatchObject({
      errorCode: 29,
      errorMessage: null,
    });
    expect(decide(harness([allow('READ', 'GROUP', 'billing'), allow('DESCRIBE', 'TOPIC', '*')]), ApiKey.ConsumerGroupHeartbeat, 1, req).outcome).toEqual({
      kind: 'forward',
    });
  });

  it('ConsumerGroupDescribe: DESCRIBE per group; a group assigned an undescribable topic is answered 29', () => {
    const h = harness([allow('DESCRIBE', 'GROUP', '*'), deny('DESCRIBE', 'GROUP', 'secret'), allow('DESCRIBE', 'TOPIC', 'orders')]);
    const req = createConsumerGroupDescribeRequest();
    req.groupIds = ['billing', 'secret', 'audit'];
    const d = decide(h, ApiKey.ConsumerGroupDescribe, 0, req);
    expect(d.forwarded(req).groupIds).toEqual(['billing', 'audit']);
    const withTopic = (groupId: string, topicName: string) => ({
      ...createDescribedGroup(),
      groupId,
      groupState: 'Stable',
      members: [{ ...createMember(), memberId: 'm1', assignment: { topicPartitions: [{ topicId: 'AAAAAAAAAAAAAAAAAAAAAQ', topicName, partitions: [0] }] } }],
    });
    const res = d.answered({ throttleTimeMs: 0, groups: [withTopic('audit', 'payments'), withTopic('billing', 'orders')] });
    expect(res.groups.map((g) => [g.groupId, g.errorCode, g.errorMessage, g.members.length])).toEqual([
      ['billing', 0, null, 1],
      ['secret', 30, null, 0],
      ['audit', 29, 'The group has described topic(s) that the client is not authorized to describe.', 0],
    ]);
  });
});
