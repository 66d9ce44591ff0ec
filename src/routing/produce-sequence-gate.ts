// Refused Produce batches, held against the producer's later batches for the same partition.
//
// A broker accepts any first sequence from a producer id it holds no state for (Kafka's
// ProducerAppendInfo.checkSequence), and every producer id Turnout gives a backend starts that
// way. When batch N is refused without being stored, by Turnout itself (a topic id it has not
// learned yet, no known leader) or by a broker that is not the leader any more, while the
// client's next batches for the partition are on their way, forwarding those to where the
// partition is now would let that broker take sequence N+k as the producer's first: the
// retried batch N is then out of order and the records are stored out of the order they were
// sent. In Kafka a new leader has the producer's state and refuses them; this gate does the
// same until the refused batch comes back.
import { RecordBatchView, RECORD_BATCH_HEADER_SIZE_BYTES } from '../codec/record-batch.js';

/** Entries kept at most; the oldest go first (a producer that vanished after a refusal). */
const MAX_REFUSALS = 10_000;

interface Refusal {
  epoch: number;
  sequence: number;
  errorCode: number;
}

/** A refusal the gate repeats: the error of the earlier batch it waits for. */
export interface GatedBatch {
  errorCode: number;
  errorMessage: string;
}

/** The producer fields of a Produce partition's first batch, as the client sent them. */
export interface SequencedBatch {
  producerId: number;
  epoch: number;
  sequence: number;
}

/** Produce errors after which the batch is not stored: a later sequence must not go first. */
const NOT_STORED_ERRORS: ReadonlySet<number> = new Set([
  3, // UNKNOWN_TOPIC_OR_PARTITION
  5, // LEADER_NOT_AVAILABLE
  6, // NOT_LEADER_OR_FOLLOWER
  19, // NOT_ENOUGH_REPLICAS
  56, // KAFKA_STORAGE_ERROR
  100, // UNKNOWN_TOPIC_ID
]);

export function isNotStoredError(errorCode: number): boolean {
  return NOT_STORED_ERRORS.has(errorCode);
}

/** The producer fields of the first batch in a Produce partition's records, when idempotent. */
export function firstSequencedBatch(records: Buffer | null): SequencedBatch | null {
  if (records === null || records.length < RECORD_BATCH_HEADER_SIZE_BYTES) return null;
  const batch = new RecordBatchView(records, 0);
  if (batch.magic !== 2) return null;
  const sequence = batch.baseSequence;
  if (sequence < 0) return null;
  const producerId = Number(batch.producerIdBigInt);
  if (producerId < 0) return null;
  return { producerId, epoch: batch.producerEpoch, sequence };
}

export class ProduceSequenceGate {
  /** `producerId:partition:topic` → the lowest sequence refused and why. */
  private readonly refused = new Map<string, Refusal>();

  /** Turnout answered this partition's batch itself with `errorCode`, not forwarding it. */
  refuse(topicKey: string, partition: number, records: Buffer | null, errorCode: number): void {
    const first = firstSequencedBatch(records);
    if (first !== null) this.refuseBatch(topicKey, partition, first, errorCode);
  }

  /** A batch was refused (here, or by the broker it was forwarded to, with a not-stored error). */
  refuseBatch(topicKey: string, partition: number, first: SequencedBatch, errorCode: number): void {
    const key = `${first.producerId}:${partition}:${topicKey}`;
    const known = this.refused.get(key);
    if (known !== undefined && known.epoch === first.epoch && known.sequence <= first.sequence) return;
    this.refused.delete(key);
    this.refused.set(key, { epoch: first.epoch, sequence: first.sequence, errorCode });
    if (this.refused.size > MAX_REFUSALS) this.refused.delete(this.refused.keys().next().value as string);
  }

  /**
   * Null when the batch may be forwarded: no refusal waits, the refused batch itself is back
   * (or an earlier one), or the producer moved to a new epoch. Else the error to answer it.
   */
  check(topicKey: string, partition: number, records: Buffer | null): GatedBatch | null {
    if (this.refused.size === 0) return null;
    const first = firstSequencedBatch(records);
    if (first === null) return null;
    const key = `${first.producerId}:${partition}:${topicKey}`;
    const known = this.refused.get(key);
    if (known === undefined) return null;
    if (known.epoch !== first.epoch || first.sequence <= known.sequence) {
      this.refused.delete(key);
      return null;
    }
    return { errorCode: known.errorCode, errorMessage: `an earlier batch of producer ${first.producerId} for this partition (sequence ${known.sequence}) was refused and must be retried first` };
  }

  get size(): number {
    return this.refused.size;
  }
}
