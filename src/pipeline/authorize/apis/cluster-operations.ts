// The apis a broker allows only with an operation on the cluster resource. A denied request
// is answered whole, shaped as each api's getErrorResponse shapes CLUSTER_AUTHORIZATION_FAILED
// (per partition, per entry, per user, or at the top).
import { ApiKey } from '../../../codec/index.js';
import type { AclOperation } from '../../../policy/acl-model.js';
import type { ApiKeyNumber, RequestOf, ResponseOf } from '../api-call.js';
import { apiRule, type ApiRule } from '../api-rule.js';
import { CLUSTER_AUTHORIZATION_FAILED as DENIED, defaultErrorMessage } from '../authorization-errors.js';

export const MESSAGE = defaultErrorMessage(DENIED);

/** The rule of an api that needs `operation` on the cluster; `denied` answers the whole request. */
export function clusterRule<K extends ApiKeyNumber>(apiKey: K, operation: AclOperation, denied: (req: RequestOf<K>) => ResponseOf<K>): ApiRule<K> {
  return apiRule({
    apiKey,
    checks: `${operation} on the Cluster (CLUSTER_AUTHORIZATION_FAILED)`,
    decide: (req, call) => (call.authz.allowedOnCluster(operation) ? { kind: 'forward' } : call.answer(denied(req))),
  });
}

export const alterReplicaLogDirsRule = clusterRule(ApiKey.AlterReplicaLogDirs, 'ALTER', (req) => ({
  throttleTimeMs: 0,
  results: req.dirs.flatMap((d) =>
    d.topics.map((t) => ({ topicName: t.name, partitions: t.partitions.map((partitionIndex) => ({ partitionIndex, errorCode: DENIED })) })),
  ),
}));

export const describeLogDirsRule = clusterRule(ApiKey.DescribeLogDirs, 'DESCRIBE', () => ({ throttleTimeMs: 0, errorCode: DENIED, results: [] }));

export const electLeadersRule = clusterRule(ApiKey.ElectLeaders, 'ALTER', (req) => ({
  throttleTimeMs: 0,
  errorCode: DENIED,
  replicaElectionResults: (req.topicPartitions ?? []).map((t) => ({
    topic: t.topic,
    partitionResult: t.partitions.map((partitionId) => ({ partitionId, errorCode: DENIED, errorMessage: MESSAGE })),
  })),
}));

export const alterPartitionReassignmentsRule = clusterRule(ApiKey.AlterPartitionReassignments, 'ALTER', (req) => ({
  throttleTimeMs: 0,
  allowReplicationFactorChange: req.allowReplicationFactorChange,
  errorCode: DENIED,
  errorMessage: MESSAGE,
  responses: req.topics.map((t) => ({
    name: t.name,
    partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: DENIED, errorMessage: MESSAGE })),
  })),
}));

export const listPartitionReassignmentsRule = clusterRule(ApiKey.ListPartitionReassignments, 'DESCRIBE', (req) => ({
  throttleTimeMs: 0,
  errorCode: DENIED,
  errorMessage: MESSAGE,
  topics: (req.topics ?? []).map((t) => ({
    name: t.name,
    partitions: t.partitionIndexes.map((partitionIndex) => ({ partitionIndex, replicas: [], addingReplicas: [], removingReplicas: [] })),
  })),
}));

export const describeClientQuotasRule = clusterRule(ApiKey.DescribeClientQuotas, 'DESCRIBE_CONFIGS', () => ({
  throttleTimeMs: 0,
  errorCode: DENIED,
  errorMessage: MESSAGE,
  entries: null,
}));

export const alterClientQuotasRule = clusterRule(ApiKey.AlterClientQuotas, 'ALTER_CONFIGS', (req) => ({
  throttleTimeMs: 0,
  entries: req.entries.map((e) => ({
    errorCode: DENIED,
    errorMessage: MESSAGE,
    entity: e.entity.map((x) => ({ entityType: x.entityType, entityName: x.entityName })),
  })),
}));

export const describeUserScramCredentialsRule = clusterRule(ApiKey.DescribeUserScramCredentials, 'DESCRIBE', (req) => ({
  throttleTimeMs: 0,
  errorCode: DENIED,
  errorMessage: MESSAGE,
  results: (req.users ?? []).map(() => ({ user: '', errorCode: DENIED, errorMessage: MESSAGE, credentialInfos: [] })),
}));

export const alterUserScramCredentialsRule = clusterRule(ApiKey.AlterUserScramCredentials, 'ALTER', (req) => ({
  throttleTimeMs: 0,
  results: [...new Set([...req.deletions, ...req.upsertions].map((u) => u.name))]
    .sort()
    .map((user) => ({ user, errorCode: DENIED, errorMessage: MESSAGE })),
}));

export const describeQuorumRule = clusterRule(ApiKey.DescribeQuorum, 'DESCRIBE', () => ({ errorCode: DENIED, errorMessage: MESSAGE, topics: [], nodes: [] }));

export const updateFeaturesRule = clusterRule(ApiKey.UpdateFeatures, 'ALTER', () => ({
  throttleTimeMs: 0,
  errorCode: DENIED,
  errorMessage: MESSAGE,
  results: [],
}));

export const unregisterBrokerRule = clusterRule(ApiKey.UnregisterBroker, 'ALTER', () => ({ throttleTimeMs: 0, errorCode: DENIED, errorMessage: MESSAGE }));

export const listConfigResourcesRule = clusterRule(ApiKey.ListConfigResources, 'DESCRIBE_CONFIGS', () => ({
  throttleTimeMs: 0,
  errorCode: DENIED,
  configResources: [],
}));
