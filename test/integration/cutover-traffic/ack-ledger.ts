// What the producers of a traffic run had acknowledged: per partition of the topic, the
// record at each (virtual) offset, with its value, its producer and its sequence number in
// that producer. Records of a transaction are pending until it ends; an aborted transaction's
// records must never be read by a read_committed consumer. This is the ground truth every
// group's reads are judged against.

/** One record a producer had acknowledged. */
export interface AckedRecord {
  producer: string;
  /** The producer's own counter: a later send has a higher sequence. */
  seq: number;
  value: string;
  /** Transaction number within its producer, for a transactional record. */
  txn?: number;
}

export type TxnOutcome = 'committed' | 'aborted';

/** What a reader may expect at an offset. */
export type OffsetVerdict =
  | { kind: 'expected'; record: AckedRecord }
  | { kind: 'aborted'; record: AckedRecord }
  /** A transaction still open when the run ended: neither expected nor forbidden. */
  | { kind: 'undecided'; record: AckedRecord }
  | { kind: 'unknown' };

export class DuplicateAckError extends Error {
  constructor(readonly partition: number, readonly offset: number, readonly first: AckedRecord, readonly second: AckedRecord) {
    super(`two records acknowledged at partition ${partition} offset ${offset}: ${first.producer}#${first.seq} (${first.value}) and ${second.producer}#${second.seq} (${second.value})`);
    this.name = 'DuplicateAckError';
  }
}

export class AckLedger {
  private readonly byPartition = new Map<number, Map<number, AckedRecord>>();
  private readonly outcomes = new Map<string, TxnOutcome>();
  /** Two acknowledgements for one offset: the log itself is broken (kept, reported, never thrown mid-run). */
  readonly conflicts: DuplicateAckError[] = [];

  /** Notes an acknowledgement. Acknowledging the same record again (a duplicate event) is harmless. */
  ack(partition: number, offset: number, record: AckedRecord): void {
    let offsets = this.byPartition.get(partition);
    if (offsets === undefined) this.byPartition.set(partition, (offsets = new Map()));
    const earlier = offsets.get(offset);
    if (earlier === undefined) {
      offsets.set(offset, record);
      return;
    }
    if (earlier.producer !== record.producer || earlier.seq !== record.seq) this.conflicts.push(new DuplicateAckError(partition, offset, earlier, record));
  }

  /** Notes how a producer's transaction ended. */
  endTransaction(producer: string, txn: number, outcome: TxnOutcome): void {
    this.outcomes.set(`${producer}\0${txn}`, outcome);
  }

  verdict(partition: number, offset: number): OffsetVerdict {
    const record = this.byPartition.get(partition)?.get(offset);
    if (record === undefined) return { kind: 'unknown' };
    if (record.txn === undefined) return { kind: 'expected', record };
    const outcome = this.outcomes.get(`${record.producer}\0${record.txn}`);
    if (outcome === 'committed') return { kind: 'expected', record };
    if (outcome === 'aborted') return { kind: 'aborted', record };
    return { kind: 'undecided', record };
  }

  partitions(): number[] {
    return [...this.byPartition.keys()].sort((a, b) => a - b);
  }

  /** Offsets of a partition every reader must read (acknowledged, and committed if transactional), ascending. */
  expectedOffsets(partition: number): number[] {
    const out: number[] = [];
    for (const offset of this.byPartition.get(partition)?.keys() ?? []) {
      if (this.verdict(partition, offset).kind === 'expected') out.push(offset);
    }
    return out.sort((a, b) => a - b);
  }

  /** Records acknowledged inside transactions that were aborted. */
  abortedCount(): number {
    let n = 0;
    for (const [partition, offsets] of this.byPartition) {
      for (const offset of offsets.keys()) if (this.verdict(partition, offset).kind === 'aborted') n++;
    }
    return n;
  }

  /**
   * Acknowledgements that contradict a producer's order: within a partition, a record with a
   * higher offset but a lower sequence than another of the same producer.
   */
  producerReorders(): number {
    let reorders = 0;
    for (const offsets of this.byPartition.values()) {
      const lastSeq = new Map<string, number>();
      for (const offset of [...offsets.keys()].sort((a, b) => a - b)) {
        const r = offsets.get(offset) as AckedRecord;
        const last = lastSeq.get(r.producer);
        if (last !== undefined && r.seq < last) reorders++;
        else lastSeq.set(r.producer, r.seq);
      }
    }
    return reorders;
  }
}
