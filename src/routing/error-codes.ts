// Kafka error codes that the virtual cluster's routing modules answer with themselves. Each is
// one a Kafka client already handles; the comment says how the Java client reacts.

/** Metadata: the topic's backend did not answer. Retriable: the client refreshes and retries. */
export const LEADER_NOT_AVAILABLE = 5;
/** The topic does not exist (or its name resolves to no domain). Retriable. */
export const UNKNOWN_TOPIC_OR_PARTITION = 3;
/** The partition's destination failed or moved. Retriable: metadata refresh, then retry. */
export const NOT_LEADER_OR_FOLLOWER = 6;
/** The producer epoch is older than the one in use. Fatal for the producer instance that sent it. */
export const INVALID_PRODUCER_EPOCH = 47;
/** A transactional request in a state the transaction does not allow. */
export const INVALID_TXN_STATE = 48;
/** The producer id is not known for this transactional id. */
export const INVALID_PRODUCER_ID_MAPPING = 49;
/** Fetch: the incremental fetch session does not exist. The client starts over with a full fetch. */
export const FETCH_SESSION_ID_NOT_FOUND = 70;
/** The client's leader epoch is older than the partition's. Retriable: metadata refresh. */
export const FENCED_LEADER_EPOCH = 74;
/** The client's leader epoch is newer than the partition's. Retriable: metadata refresh. */
export const UNKNOWN_LEADER_EPOCH = 75;
/** A newer producer with the same transactional id exists. Fatal for this producer instance. */
export const PRODUCER_FENCED = 90;
/** No topic has this id. Retriable: metadata refresh. */
export const UNKNOWN_TOPIC_ID = 100;
/** Fetch: the offset is outside the replica's log. From a follower that has not caught up, retried at the leader. */
export const OFFSET_OUT_OF_RANGE = 1;
/** The replica cannot serve the partition now (a follower that is restarting or catching up). */
export const REPLICA_NOT_AVAILABLE = 9;
/** The replica's high watermark is not yet at the asked offset (a follower after a leader change). */
export const OFFSET_NOT_AVAILABLE = 78;
/** The broker is not ready to answer yet (a coordinator loading, a producer id block not fetched). Retriable. */
export const COORDINATOR_LOAD_IN_PROGRESS = 14;
/** The broker did not answer in time. Retriable. */
export const REQUEST_TIMED_OUT = 7;
/** The api version is not one the broker accepts. Not retriable: the client must use another version. */
export const UNSUPPORTED_VERSION = 35;
