// The apis offered to clients over several backends: exactly those the router handles. A
// client never sends an api it was not offered, so ApiVersions is computed from this list.
import { ApiKey } from '../../codec/index.js';
import type { BrokerApiVersions, VersionRange } from '../api-versions.js';

/** The apis the multi-backend router handles; no other is offered to clients. */
export const OFFERED_APIS: ReadonlySet<number> = new Set([
  ApiKey.ApiVersions,
  ApiKey.Metadata,
  ApiKey.Produce,
  ApiKey.Fetch,
  ApiKey.ListOffsets,
  ApiKey.OffsetForLeaderEpoch,
  ApiKey.CreateTopics,
  ApiKey.DeleteTopics,
  ApiKey.DescribeConfigs,
  ApiKey.FindCoordinator,
  ApiKey.JoinGroup,
  ApiKey.SyncGroup,
  ApiKey.Heartbeat,
  ApiKey.LeaveGroup,
  ApiKey.OffsetCommit,
  ApiKey.OffsetFetch,
  ApiKey.DescribeGroups,
  ApiKey.ListGroups,
  ApiKey.DeleteGroups,
  ApiKey.OffsetDelete,
  ApiKey.InitProducerId,
  ApiKey.AddPartitionsToTxn,
  ApiKey.AddOffsetsToTxn,
  ApiKey.EndTxn,
  ApiKey.TxnOffsetCommit,
  ApiKey.DescribeCluster,
  ApiKey.DeleteRecords,
  ApiKey.CreatePartitions,
  ApiKey.AlterConfigs,
  ApiKey.IncrementalAlterConfigs,
  ApiKey.DescribeProducers,
  ApiKey.DescribeTopicPartitions,
  ApiKey.ListTransactions,
  ApiKey.DescribeTransactions,
  ApiKey.ConsumerGroupHeartbeat,
  ApiKey.ConsumerGroupDescribe,
]);

/**
 * Highest versions offered where a later one changes the routing: AddPartitionsToTxn v4+ is
 * the brokers' batched form (several transactional ids per request).
 */
const OFFERED_MAX_VERSIONS: ReadonlyMap<number, number> = new Map([[ApiKey.AddPartitionsToTxn, 3]]);

/** A broker's advertised versions limited to the offered apis and their caps. */
export function offeredVersionsOf(broker: BrokerApiVersions): BrokerApiVersions {
  const apis = new Map<number, VersionRange>();
  for (const [k, r] of broker.apis) {
    if (!OFFERED_APIS.has(k)) continue;
    const cap = OFFERED_MAX_VERSIONS.get(k);
    apis.set(k, cap === undefined || r.maxVersion <= cap ? r : { minVersion: r.minVersion, maxVersion: cap });
  }
  return { ...broker, apis };
}
