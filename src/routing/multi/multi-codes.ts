// Kafka error codes and key types the multi-backend handlers answer with or send, beyond the
// routing-wide ones in ../error-codes.ts.

export { COORDINATOR_NOT_AVAILABLE, NOT_COORDINATOR } from '../failure-responses.js';
export const INCONSISTENT_GROUP_PROTOCOL = 23;
export const INVALID_REPLICA_ASSIGNMENT = 39;
export const INVALID_REQUEST = 42;
export const TRANSACTIONAL_ID_AUTHORIZATION_FAILED = 53;
export const CONCURRENT_TRANSACTIONS = 51;
export const OPERATION_NOT_ATTEMPTED = 55;

/** FindCoordinator key types. */
export const KEY_TYPE_GROUP = 0;
export const KEY_TYPE_TRANSACTION = 1;

/** Config resource types (DescribeConfigs, AlterConfigs, IncrementalAlterConfigs). */
export const CONFIG_RESOURCE_TOPIC = 2;

/** "Authorized operations not asked for" (DescribeCluster, Metadata, DescribeTopicPartitions, ...). */
export const AUTHORIZED_OPERATIONS_OMITTED = -2147483648;

/** The client id of requests Turnout sends on its own behalf. */
export const TURNOUT_CLIENT_ID = 'turnout';
