// The api versions Kafka 4.0 removed (KIP-896, and AlterPartition v0-1 with the ZooKeeper-era
// inter-broker protocol), and what a broker really accepts once it has removed them. Such a
// broker advertises its new minimum for every api but one: it still advertises Produce from
// v0, for old librdkafka releases that refuse a broker whose Produce minimum is above 0
// (KAFKA-18659), and closes the connection on a Produce v0-2 request.
import { ApiKey } from '../codec/generated/apis.js';
import type { BrokerApiVersions, VersionRange } from './api-versions.js';

/**
 * The lowest version of each api that Kafka 4.0 and later accept, where Kafka 3.x accepted
 * lower ones (test/unit/routing/kafka4-removed-versions.test.ts checks it against both
 * releases' message specs).
 */
export const KAFKA_4_MIN_VERSIONS: ReadonlyMap<number, number> = new Map([
  [ApiKey.Produce, 3],
  [ApiKey.Fetch, 4],
  [ApiKey.ListOffsets, 1],
  [ApiKey.OffsetCommit, 2],
  [ApiKey.OffsetFetch, 1],
  [ApiKey.CreateTopics, 2],
  [ApiKey.DeleteTopics, 1],
  [ApiKey.OffsetForLeaderEpoch, 2],
  [ApiKey.WriteTxnMarkers, 1],
  [ApiKey.DescribeAcls, 1],
  [ApiKey.CreateAcls, 1],
  [ApiKey.DeleteAcls, 1],
  [ApiKey.DescribeConfigs, 1],
  [ApiKey.AlterReplicaLogDirs, 1],
  [ApiKey.DescribeLogDirs, 1],
  [ApiKey.CreateDelegationToken, 1],
  [ApiKey.RenewDelegationToken, 1],
  [ApiKey.ExpireDelegationToken, 1],
  [ApiKey.DescribeDelegationToken, 1],
  [ApiKey.AlterPartition, 2],
]);

/**
 * True when a broker has removed the versions of KIP-896. Fetch tells: every broker has it,
 * Kafka 3.x advertises it from v0, and a broker without Fetch v0-3 removed the rest of
 * KIP-896's versions with them, Produce v0-2 included, whatever it advertises for Produce.
 */
export function removedKafka4Versions(broker: BrokerApiVersions): boolean {
  const fetch = broker.apis.get(ApiKey.Fetch);
  return fetch !== undefined && fetch.minVersion >= (KAFKA_4_MIN_VERSIONS.get(ApiKey.Fetch) as number);
}

/** What a broker accepts of an api: what it advertises, less the versions it removed in Kafka 4. */
export function acceptedRange(broker: BrokerApiVersions, apiKey: number, removed = removedKafka4Versions(broker)): VersionRange | undefined {
  const advertised = broker.apis.get(apiKey);
  if (advertised === undefined || !removed) return advertised;
  const floor = KAFKA_4_MIN_VERSIONS.get(apiKey);
  return floor === undefined || advertised.minVersion >= floor ? advertised : { minVersion: floor, maxVersion: advertised.maxVersion };
}
