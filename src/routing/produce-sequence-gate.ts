// Batches Turnout refused itself, held against the producer's later batches.
//
// A broker accepts any first sequence from a producer id it holds no state for (Kafka's
// ProducerAppendInfo.checkSequence), and every producer id Turnout gives a backend starts that
// way. When Turnout answers a batch with a retriable error without forwarding it (a topic id
// it has not learned yet, no known leader) while the client's next batches for the partition
// are already on their way, forwarding those would let the broker take sequence N+k as the
// producer's first: the retried batch N is then out of order and the partition's records are
// stored out of the order they were sent. A broker refusing batch N would refuse the ones
// after it for the same reason; so does this gate, until the refused batch comes back.
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

/** The producer fields of the first batch in a Produce partition's records, when idempotent. */
function firstSequencedBatch(records: Buffer | null): { producerId: number; epoch: number; sequence: number } | null {
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
    if (first === null) return;
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
