import { describe, expect, it } from 'vitest';
import {
  ApiKey,
  createAlterClientQuotasRequest,
  createAlterPartitionReassignmentsRequest,
  createAlterReplicaLogDirsRequest,
  createAlterUserScramCredentialsRequest,
  createCreateAclsRequest,
  createCreateDelegationTokenRequest,
  createDeleteAclsRequest,
  createDescribeAclsRequest,
  createDescribeClientQuotasRequest,
  createDescribeClusterRequest,
  createDescribeDelegationTokenRequest,
  createDescribeLogDirsRequest,
  createDescribeQuorumRequest,
  createDescribeUserScramCredentialsRequest,
  createElectLeadersRequest,
  createExpireDelegationTokenRequest,
  createListConfigResourcesRequest,
  createListPartitionReassignmentsRequest,
  createRenewDelegationTokenRequest,
  createUnregisterBrokerRequest,
  createUpdateFeaturesRequest,
} from '../../../../src/codec/index.js';
import { decide, harness } from '../acl-test-kit.js';
import { allow } from '../rule-authorizer.js';

const MSG = 'Cluster authorization failed.';
const onCluster = (op: Parameters<typeof allow>[0]) => harness([allow(op, 'CLUSTER', 'kafka-cluster')]);

describe('cluster-level apis', () => {
  it('each needs its operation on the cluster, else answers CLUSTER_AUTHORIZATION_FAILED shaped as a broker does', () => {
    const logDirs = createAlterReplicaLogDirsRequest();
    logDirs.dirs = [{ path: '/d', topics: [{ name: 'orders', partitions: [0, 1] }] }];
    expect(decide(onCluster('ALTER'), ApiKey.AlterReplicaLogDirs, 2, logDirs).outcome).toEqual({ kind: 'forward' });
    expect(decide(onCluster('DESCRIBE'), ApiKey.AlterReplicaLogDirs, 2, logDirs).answer().results).toEqual([
      { topicName: 'orders', partitions: [{ partitionIndex: 0, errorCode: 31 }, { partitionIndex: 1, errorCode: 31 }] },
    ]);

    expect(decide(onCluster('DESCRIBE'), ApiKey.DescribeLogDirs, 4, createDescribeLogDirsRequest()).outcome).toEqual({ kind: 'forward' });
    expect(decide(harness([]), ApiKey.DescribeLogDirs, 4, createDescribeLogDirsRequest()).answer()).toMatchObject({ errorCode: 31, results: [] });

    const elect = createElectLeadersRequest();
    elect.topicPartitions = [{ topic: 'orders', partitions: [3] }];
    expect(decide(onCluster('ALTER'), ApiKey.ElectLeaders, 2, elect).outcome).toEqual({ kind: 'forward' });
    const electDenied = decide(harness([]), ApiKey.ElectLeaders, 2, elect).answer();
    expect(electDenied).toMatchObject({ errorCode: 31, replicaElectionResults: [{ topic: 'orders', partitionResult: [{ partitionId: 3, errorCode: 31, errorMessage: MSG }] }] });
    expect(decide(harness([]), ApiKey.ElectLeaders, 0, elect).answer().errorCode).toBe(0);

    const reassign = createAlterPartitionReassignmentsRequest();
    reassign.topics = [{ name: 'orders', partitions: [{ partitionIndex: 0, replicas: [1, 2] }] }];
    expect(decide(onCluster('ALTER'), ApiKey.AlterPartitionReassignments, 0, reassign).outcome).toEqual({ kind: 'forward' });
    expect(decide(harness([]), ApiKey.AlterPartitionReassignments, 0, reassign).answer()).toMatchObject({
      errorCode: 31,
      errorMessage: MSG,
      responses: [{ name: 'orders', partitions: [{ partitionIndex: 0, errorCode: 31, errorMessage: MSG }] }],
    });

    expect(decide(onCluster('DESCRIBE'), ApiKey.ListPartitionReassignments, 0, createListPartitionReassignmentsRequest()).outcome).toEqual({ kind: 'forward' });
    expect(decide(harness([]), ApiKey.ListPartitionReassignments, 0, createListPartitionReassignmentsRequest()).answer()).toMatchObject({ errorCode: 31 });

    expect(decide(onCluster('DESCRIBE_CONFIGS'), ApiKey.DescribeClientQuotas, 1, createDescribeClientQuotasRequest()).outcome).toEqual({ kind: 'forward' });
    expect(decide(onCluster('DESCRIBE'), ApiKey.DescribeClientQuotas, 1, createDescribeClientQuotasRequest()).answer()).toMatchObject({ errorCode: 31, entries: null });

    const quotas = createAlterClientQuotasRequest();
    quotas.entries = [{ entity: [{ entityType: 'user', entityName: 'bob' }], ops: [] }];
    expect(decide(onCluster('ALTER_CONFIGS'), ApiKey.AlterClientQuotas, 1, quotas).outcome).toEqual({ kind: 'forward' });
    expect(decide(harness([]), ApiKey.AlterClientQuotas, 1, quotas).answer().entries).toEqual([
      { errorCode: 31, errorMessage: MSG, entity: [{ entityType: 'user', entityName: 'bob' }] },
    ]);

    const scram = createDescribeUserScramCredentialsRequest();
    scram.users = [{ name: 'bob' }];
    expect(decide(onCluster('DESCRIBE'), ApiKey.DescribeUserScramCredentials, 0, scram).outcome).toEqual({ kind: 'forward' });
    expect(decide(harness([]), ApiKey.DescribeUserScramCredentials, 0, scram).answer()).toMatchObject({ errorCode: 31, results: [{ errorCode: 31 }] });

    const alterScram = createAlterUserScramCredentialsRequest();
    alterScram.deletions = [{ name: 'zed', mechanism: 1 }];
    alterScram.upsertions = [{ name: 'bob', mechanism: 1, iterations: 4096, salt: Buffer.from('s'), saltedPassword: Buffer.from('p') }];
    expect(decide(onCluster('ALTER'), ApiKey.AlterUserScramCredentials, 0, alterScram).outcome).toEqual({ kind: 'forward' });
    expect(decide(harness([]), ApiKey.AlterUserScramCredentials, 0, alterScram).answer().results.map((r) => [r.user, r.errorCode])).toEqual([
      ['bob', 31],
      ['zed', 31],
    ]);

    expect(decide(onCluster('DESCRIBE'), ApiKey.DescribeQuorum, 2, createDescribeQuorumRequest()).outcome).toEqual({ kind: 'forward' });
    expect(decide(harness([]), ApiKey.DescribeQuorum, 2, createDescribeQuorumRequest()).answer()).toMatchObject({ errorCode: 31 });
    expect(decide(onCluster('ALTER'), ApiKey.UpdateFeatures, 1, createUpdateFeaturesRequest()).outcome).toEqual({ kind: 'forward' });
    expect(decide(harness([]), ApiKey.UpdateFeatures, 1, createUpdateFeaturesRequest()).answer()).toMatchObject({ errorCode: 31, errorMessage: MSG });
    expect(decide(onCluster('ALTER'), ApiKey.UnregisterBroker, 0, createUnregisterBrokerRequest()).outcome).toEqual({ kind: 'forward' });
    expect(decide(harness([]), ApiKey.UnregisterBroker, 0, createUnregisterBrokerRequest()).answer()).toMatchObject({ errorCode: 31 });
    expect(decide(onCluster('DESCRIBE_CONFIGS'), ApiKey.ListConfigResources, 1, createListConfigResourcesRequest()).outcome).toEqual({ kind: 'forward' });
    expect(decide(harness([]), ApiKey.ListConfigResources, 1, createListConfigResourcesRequest()).answer()).toMatchObject({ errorCode: 31 });
  });
});

describe('DescribeCluster authorization', () => {
  const described = { throttleTimeMs: 0, errorCode: 0, errorMessage: null, endpointType: 1, clusterId: 'c', controllerId: 1, brokers: [], clusterAuthorizedOperations: 12345 };

  it('answers anyone, as a broker does', () => {
    expect(decide(harness([]), ApiKey.DescribeCluster, 1, createDescribeClusterRequest()).outcome).toEqual({ kind: 'forward' });
  });

  it("fills the cluster's authorized operations from Turnout's ACLs: none without DESCRIBE", () => {
    const req = createDescribeClusterRequest();
    req.includeClusterAuthorizedOperations = true;
    expect(decide(harness([]), ApiKey.DescribeCluster, 1, req).answered(described).clusterAuthorizedOperations).toBe(0);
    const res = decide(onCluster('ALTER'), ApiKey.DescribeCluster, 1, req).answered(described);
    expect(res.clusterAuthorizedOperations).toBe((1 << 7) | (1 << 8));
  });
});

describe('delegation tokens', () => {
  it('are refused with DELEGATION_TOKEN_AUTH_DISABLED, never forwarded, whatever the ACLs', () => {
    const h = harness([allow('ALL', 'CLUSTER', 'kafka-cluster'), allow('ALL', 'USER', '*'), allow('ALL', 'DELEGATION_TOKEN', '*')]);
    const create = decide(h, ApiKey.CreateDelegationToken, 3, createCreateDelegationTokenRequest()).answer();
    expect(create).toMatchObject({ errorCode: 61, principalType: 'User', principalName: 'alice', tokenRequesterPrincipalName: 'alice', tokenId: '', expiryTimestampMs: -1n });
    expect(decide(h, ApiKey.CreateDelegationToken, 1, createCreateDelegationTokenRequest()).answer()).toMatchObject({ errorCode: 61, tokenRequesterPrincipalName: '' });
    expect(decide(h, ApiKey.RenewDelegationToken, 2, createRenewDelegationTokenRequest()).answer()).toMatchObject({ errorCode: 61, expiryTimestampMs: -1n });
    expect(decide(h, ApiKey.ExpireDelegationToken, 2, createExpireDelegationTokenRequest()).answer()).toMatchObject({ errorCode: 61 });
    expect(decide(h, ApiKey.DescribeDelegationToken, 3, createDescribeDelegationTokenRequest()).answer()).toMatchObject({ errorCode: 61, tokens: [] });
  });
});

describe('the ACL apis in the ACL filter', () => {
  it('refuse a principal without DESCRIBE (DescribeAcls) or ALTER (CreateAcls, DeleteAcls) on the cluster', () => {
    expect(decide(harness([]), ApiKey.DescribeAcls, 3, createDescribeAclsRequest()).answer()).toEqual({ throttleTimeMs: 0, errorCode: 31, errorMessage: MSG, resources: [] });
    const create = createCreateAclsRequest();
    create.creations = [
      { resourceType: 2, resourceName: 'orders', resourcePatternType: 3, principal: 'User:bob', host: '*', operation: 3, permissionType: 3 },
      { resourceType: 2, resourceName: 'payments', resourcePatternType: 3, principal: 'User:bob', host: '*', operation: 3, permissionType: 3 },
    ];
    expect(decide(onCluster('DESCRIBE'), ApiKey.CreateAcls, 3, create).answer().results).toEqual([
      { errorCode: 31, errorMessage: MSG },
      { errorCode: 31, errorMessage: MSG },
    ]);
    const del = createDeleteAclsRequest();
    del.filters = [{ resourceTypeFilter: 1, resourceNameFilter: null, patternTypeFilter: 1, principalFilter: null, hostFilter: null, operation: 1, permissionType: 1 }];
    expect(decide(onCluster('DESCRIBE'), ApiKey.DeleteAcls, 3, del).answer().filterResults).toEqual([{ errorCode: 31, errorMessage: MSG, matchingAcls: [] }]);
  });

  it('let an allowed principal through to the ACL apis filter', () => {
    expect(decide(onCluster('DESCRIBE'), ApiKey.DescribeAcls, 3, createDescribeAclsRequest()).outcome).toEqual({ kind: 'forward' });
    expect(decide(onCluster('ALTER'), ApiKey.DeleteAcls, 3, createDeleteAclsRequest()).outcome).toEqual({ kind: 'forward' });
  });
});
