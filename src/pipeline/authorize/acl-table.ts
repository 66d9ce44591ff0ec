// The ACL table: for every api Turnout offers to clients, what a broker checks (Kafka's
// "Operations and Resources on Protocols" and KafkaApis) and the rule that decides it. An api
// with no row here is never let through: the ACL filter closes the connection that sends it.
// Broker-to-broker and controller apis (src/routing/api-versions.ts) are never offered.
import { ApiKey, type AnyRequest } from '../../codec/index.js';
import type { FilterOutcome } from '../filter.js';
import type { ApiCall, ApiKeyNumber } from './api-call.js';
import type { ApiRule } from './api-rule.js';
import { createAclsRule, deleteAclsRule, describeAclsRule } from './apis/acl-apis.js';
import {
  alterClientQuotasRule,
  alterPartitionReassignmentsRule,
  alterReplicaLogDirsRule,
  alterUserScramCredentialsRule,
  describeClientQuotasRule,
  describeLogDirsRule,
  describeQuorumRule,
  describeUserScramCredentialsRule,
  electLeadersRule,
  listConfigResourcesRule,
  listPartitionReassignmentsRule,
  unregisterBrokerRule,
  updateFeaturesRule,
} from './apis/cluster-operations.js';
import { alterConfigsRule, describeConfigsRule, incrementalAlterConfigsRule } from './apis/configs.js';
import { consumerGroupDescribeRule, consumerGroupHeartbeatRule } from './apis/consumer-groups.js';
import { createDelegationTokenRule, describeDelegationTokenRule, expireDelegationTokenRule, renewDelegationTokenRule } from './apis/delegation-tokens.js';
import { deleteRecordsRule } from './apis/delete-records.js';
import { describeClusterRule } from './apis/describe-cluster.js';
import { describeProducersRule } from './apis/describe-producers.js';
import { describeTopicPartitionsRule } from './apis/describe-topic-partitions.js';
import { fetchRule } from './apis/fetch.js';
import { findCoordinatorRule } from './apis/find-coordinator.js';
import { deleteGroupsRule, describeGroupsRule, listGroupsRule } from './apis/group-admin.js';
import { heartbeatRule, joinGroupRule, leaveGroupRule, syncGroupRule } from './apis/group-membership.js';
import { listOffsetsRule } from './apis/list-offsets.js';
import { metadataRule } from './apis/metadata.js';
import { offsetCommitRule } from './apis/offset-commit.js';
import { offsetDeleteRule } from './apis/offset-delete.js';
import { offsetFetchRule } from './apis/offset-fetch.js';
import { offsetForLeaderEpochRule } from './apis/offset-for-leader-epoch.js';
import { produceRule } from './apis/produce.js';
import {
  alterShareGroupOffsetsRule,
  deleteShareGroupOffsetsRule,
  describeShareGroupOffsetsRule,
  shareAcknowledgeRule,
  shareFetchRule,
  shareGroupDescribeRule,
  shareGroupHeartbeatRule,
} from './apis/share-groups.js';
import { createPartitionsRule, createTopicsRule, deleteTopicsRule } from './apis/topic-admin.js';
import { describeTransactionsRule, listTransactionsRule } from './apis/transaction-listing.js';
import { addOffsetsToTxnRule, addPartitionsToTxnRule, endTxnRule, initProducerIdRule, txnOffsetCommitRule } from './apis/transactions.js';
import type { LearnedTopicNames } from './topic-names.js';

/** A rule with its api's types erased, as the table stores it. */
export interface TableRule {
  readonly apiKey: number;
  readonly checks: string;
  decide(request: AnyRequest, call: ApiCall<ApiKeyNumber>): FilterOutcome;
}

export type AclTableRow =
  /** Decided by its rule. */
  | { readonly kind: 'rule'; readonly rule: TableRule }
  /** A broker checks nothing: forwarded as it is. */
  | { readonly kind: 'unchecked'; readonly apiKey: number; readonly checks: string }
  /** Part of connecting and authenticating, before any principal is known: not the ACL filter's. */
  | { readonly kind: 'before-authorization'; readonly apiKey: number; readonly checks: string };

function rule<K extends ApiKeyNumber>(r: ApiRule<K>): AclTableRow {
  return { kind: 'rule', rule: r as unknown as TableRule };
}

/** Every row, in api key order. `learned` is where Metadata and DescribeTopicPartitions answers teach topic ids. */
export function aclTableRows(learned: LearnedTopicNames): AclTableRow[] {
  return [
    rule(produceRule),
    rule(fetchRule),
    rule(listOffsetsRule),
    rule(metadataRule(learned)),
    rule(offsetCommitRule),
    rule(offsetFetchRule),
    rule(findCoordinatorRule),
    rule(joinGroupRule),
    rule(heartbeatRule),
    rule(leaveGroupRule),
    rule(syncGroupRule),
    rule(describeGroupsRule),
    rule(listGroupsRule),
    { kind: 'before-authorization', apiKey: ApiKey.SaslHandshake, checks: 'part of authentication: no authorization (authentication filter)' },
    { kind: 'before-authorization', apiKey: ApiKey.ApiVersions, checks: 'part of connecting: no authorization (api versions filter)' },
    rule(createTopicsRule),
    rule(deleteTopicsRule),
    rule(deleteRecordsRule),
    rule(initProducerIdRule),
    rule(offsetForLeaderEpochRule),
    rule(addPartitionsToTxnRule),
    rule(addOffsetsToTxnRule),
    rule(endTxnRule),
    rule(txnOffsetCommitRule),
    rule(describeAclsRule),
    rule(createAclsRule),
    rule(deleteAclsRule),
    rule(describeConfigsRule),
    rule(alterConfigsRule),
    rule(alterReplicaLogDirsRule),
    rule(describeLogDirsRule),
    { kind: 'before-authorization', apiKey: ApiKey.SaslAuthenticate, checks: 'part of authentication: no authorization (authentication filter)' },
    rule(createPartitionsRule),
    rule(createDelegationTokenRule),
    rule(renewDelegationTokenRule),
    rule(expireDelegationTokenRule),
    rule(describeDelegationTokenRule),
    rule(deleteGroupsRule),
    rule(electLeadersRule),
    rule(incrementalAlterConfigsRule),
    rule(alterPartitionReassignmentsRule),
    rule(listPartitionReassignmentsRule),
    rule(offsetDeleteRule),
    rule(describeClientQuotasRule),
    rule(alterClientQuotasRule),
    rule(describeUserScramCredentialsRule),
    rule(alterUserScramCredentialsRule),
    rule(describeQuorumRule),
    rule(updateFeaturesRule),
    rule(describeClusterRule),
    rule(describeProducersRule),
    rule(unregisterBrokerRule),
    rule(describeTransactionsRule),
    rule(listTransactionsRule),
    rule(consumerGroupHeartbeatRule),
    rule(consumerGroupDescribeRule),
    { kind: 'unchecked', apiKey: ApiKey.GetTelemetrySubscriptions, checks: 'none: a broker performs no authorization check' },
    { kind: 'unchecked', apiKey: ApiKey.PushTelemetry, checks: 'none: a broker performs no authorization check' },
    rule(listConfigResourcesRule),
    rule(describeTopicPartitionsRule(learned)),
    rule(shareGroupHeartbeatRule),
    rule(shareGroupDescribeRule),
    rule(shareFetchRule),
    rule(shareAcknowledgeRule),
    rule(describeShareGroupOffsetsRule),
    rule(alterShareGroupOffsetsRule),
    rule(deleteShareGroupOffsetsRule),
  ];
}

/** The api key a row is for. */
export function rowApiKey(row: AclTableRow): number {
  return row.kind === 'rule' ? row.rule.apiKey : row.apiKey;
}

/** What a broker checks for the row's api, in words. */
export function rowChecks(row: AclTableRow): string {
  return row.kind === 'rule' ? row.rule.checks : row.checks;
}
