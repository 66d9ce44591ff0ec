import { describe, expect, it } from 'vitest';
import {
  ApiKey,
  createAlterPartitionReassignmentsRequest,
  createCreateTopicsRequest,
  createDescribeQuorumResponse,
  createDescribeTopicPartitionsResponse,
  createListPartitionReassignmentsResponse,
  decodeAlterPartitionReassignmentsRequest,
  decodeCreateTopicsRequest,
  encodeRequestFrame,
} from '../../../src/codec/index.js';
import { decodeRequestFrame } from '../../../src/codec/message-frames.js';
import { BACKEND_HOST, decodeResponse, exchangeFor, expectNoBackendLeak, makeRouter, responseFrame } from './router-fixture.js';

describe('broker id rewrites', () => {
  it('maps replica assignments of CreateTopics to backend ids', () => {
    const { router, session } = makeRouter();
    const m = createCreateTopicsRequest();
    m.topics = [
      {
        name: 't',
        numPartitions: -1,
        replicationFactor: -1,
        assignments: [{ partitionIndex: 0, brokerIds: [0, 2] }],
        configs: [],
      },
    ];
    const ex = exchangeFor(ApiKey.CreateTopics, 7, encodeRequestFrame({ apiKey: ApiKey.CreateTopics, apiVersion: 7, correlationId: 42, clientId: 'c' }, m));
    router.routeRequest(session, ex);
    expect(decodeRequestFrame(ex.frame, decodeCreateTopicsRequest).body.topics[0].assignments[0].brokerIds).toEqual([101, 103]);
  });

  it('maps target replicas of AlterPartitionReassignments to backend ids', () => {
    const { router, session } = makeRouter();
    const m = createAlterPartitionReassignmentsRequest();
    m.topics = [{ name: 't', partitions: [{ partitionIndex: 0, replicas: [1, 0] }, { partitionIndex: 1, replicas: null }] }];
    const ex = exchangeFor(
      ApiKey.AlterPartitionReassignments,
      0,
      encodeRequestFrame({ apiKey: ApiKey.AlterPartitionReassignments, apiVersion: 0, correlationId: 42, clientId: 'c' }, m),
    );
    router.routeRequest(session, ex);
    const parts = decodeRequestFrame(ex.frame, decodeAlterPartitionReassignmentsRequest).body.topics[0].partitions;
    expect(parts.map((p) => p.replicas)).toEqual([[102, 101], null]);
  });

  it('maps every broker id of DescribeTopicPartitions to virtual ids', () => {
    const { router, session } = makeRouter();
    const m = createDescribeTopicPartitionsResponse();
    m.topics = [
      {
        errorCode: 0,
        name: 't',
        topicId: 'AAAAAAAAAAAAAAAAAAAAAA',
        isInternal: false,
        partitions: [
          {
            errorCode: 0,
            partitionIndex: 0,
            leaderId: 102,
            leaderEpoch: 1,
            replicaNodes: [102, 103],
            isrNodes: [102],
            eligibleLeaderReplicas: [103],
            lastKnownElr: null,
            offlineReplicas: [],
          },
        ],
        topicAuthorizedOperations: 0,
      },
    ];
    const out = router.rewriteResponse(session, exchangeFor(ApiKey.DescribeTopicPartitions, 0), responseFrame(ApiKey.DescribeTopicPartitions, 0, m));
    const d = decodeResponse(ApiKey.DescribeTopicPartitions, 0, out) as any;
    expectNoBackendLeak(out, d);
    expect(d.topics[0].partitions[0]).toMatchObject({ leaderId: 1, replicaNodes: [1, 2], isrNodes: [1], eligibleLeaderReplicas: [2] });
  });

  it('maps replicas of ListPartitionReassignments to virtual ids', () => {
    const { router, session } = makeRouter();
    const m = createListPartitionReassignmentsResponse();
    m.topics = [{ name: 't', partitions: [{ partitionIndex: 0, replicas: [101, 102], addingReplicas: [103], removingReplicas: [101] }] }];
    const out = router.rewriteResponse(session, exchangeFor(ApiKey.ListPartitionReassignments, 0), responseFrame(ApiKey.ListPartitionReassignments, 0, m));
    const d = decodeResponse(ApiKey.ListPartitionReassignments, 0, out) as any;
    expectNoBackendLeak(out, d);
    expect(d.topics[0].partitions[0]).toMatchObject({ replicas: [0, 1], addingReplicas: [2], removingReplicas: [0] });
  });

  it('gives quorum members virtual ids and drops their addresses in DescribeQuorum v2', () => {
    const { router, session } = makeRouter();
    const m = createDescribeQuorumResponse();
    m.topics = [
      {
        topicName: '__cluster_metadata',
        partitions: [
          {
            partitionIndex: 0,
            errorCode: 0,
            errorMessage: null,
            leaderId: 100,
            leaderEpoch: 1,
            highWatermark: 10n,
            currentVoters: [{ replicaId: 100, replicaDirectoryId: 'AAAAAAAAAAAAAAAAAAAAAA', logEndOffset: 10n, lastFetchTimestamp: -1n, lastCaughtUpTimestamp: -1n }],
            observers: [{ replicaId: 101, replicaDirectoryId: 'AAAAAAAAAAAAAAAAAAAAAA', logEndOffset: 10n, lastFetchTimestamp: -1n, lastCaughtUpTimestamp: -1n }],
          },
        ],
      },
    ];
    m.nodes = [{ nodeId: 100, listeners: [{ name: 'CONTROLLER', host: BACKEND_HOST, port: 9200 }] }];
    const out = router.rewriteResponse(session, exchangeFor(ApiKey.DescribeQuorum, 2), responseFrame(ApiKey.DescribeQuorum, 2, m));
    const d = decodeResponse(ApiKey.DescribeQuorum, 2, out) as any;
    expectNoBackendLeak(out, d);
    const p = d.topics[0].partitions[0];
    expect(p.leaderId).toBe(3);
    expect(p.currentVoters[0].replicaId).toBe(3);
    expect(p.observers[0].replicaId).toBe(0);
    expect(d.nodes).toEqual([{ nodeId: 3, listeners: [] }]);
  });
});
