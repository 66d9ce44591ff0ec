// What a cutover asks of the backend clusters, in its own requests (Turnout's own session, not
// a client's). Implemented over the codec by src/routing/cutover-backend-requests.ts; a test
// gives a fake.

export interface PartitionLayout {
  index: number;
  leaderId: number;
  leaderEpoch: number;
}

/** A topic's partitions on a backend, by index. */
export type TopicLayouts = Map<string, PartitionLayout[]>;

/**
 * Which offset a partition ends at:
 *   log-end          the leader's log end offset (ListOffsets with the debugging replica id −2:
 *                    a broker answers it without an isolation level, from the log's end)
 *   high-watermark   the offset up to which every in-sync replica has the log (a consumer's latest)
 *   last-stable      the offset before the first record of a transaction still open
 */
export type EndOffsetKind = 'log-end' | 'high-watermark' | 'last-stable';

/** A partition's name in maps keyed by partition: `topic/index`. */
export function partitionKey(topic: string, partition: number): string {
  return `${topic}/${partition}`;
}

export interface CommittedOffset {
  group: string;
  topic: string;
  partition: number;
  offset: bigint;
}

export interface CutoverBackends {
  /** True once the backend's brokers are known. */
  reachable(backend: string): boolean;
  /** The topics of a backend (every topic when `names` is null; a missing one is left out), with their partitions' leaders. */
  topics(backend: string, names: readonly string[] | null): Promise<TopicLayouts>;
  /** Some configs of some topics, as the backend reports them (null: not reported). */
  configs(backend: string, topics: readonly string[], names: readonly string[]): Promise<Map<string, Map<string, string | null>>>;
  /** Where each partition of `layouts` ends, keyed by partitionKey. Rejects when a leader cannot be asked. */
  endOffsets(backend: string, layouts: TopicLayouts, kind: EndOffsetKind): Promise<Map<string, bigint>>;
  /** Transactional ids with a transaction open on the backend that touches one of `topics`. */
  openTransactions(backend: string, topics: ReadonlySet<string>): Promise<string[]>;
  /** Aborts the open transaction of a transactional id (the backend bumps its producer epoch). */
  abortTransaction(backend: string, transactionalId: string): Promise<void>;
  /** The committed offsets of the groups on a backend that `wanted` picks, in `topics`. */
  committedOffsets(backend: string, wanted: (group: string) => boolean, topics: ReadonlySet<string>): Promise<CommittedOffset[]>;
}

/** A backend request that could not be carried out. */
export class CutoverBackendError extends Error {
  readonly backend: string;

  constructor(backend: string, message: string, options?: { cause?: unknown }) {
    super(`backend ${backend}: ${message}`, options);
    this.name = 'CutoverBackendError';
    this.backend = backend;
  }
}
