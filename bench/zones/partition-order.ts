// Order per partition, as consumers saw it. A consumer notes, per partition, the runs of
// consecutive offsets it read and how often a producer's sequence number went backwards
// within a partition. The runner merges every consumer's runs: together they must cover
// each partition from offset 0 to its last record, with nothing skipped. A group member
// resumes from the group's committed offset after every join, so what it read and did not
// commit before a rejoin is read again; each stretch between joins is kept as a tenure
// (resume-check.ts judges where each one started), and order within a partition is judged
// within a tenure.
import type { Tenure } from './resume-check.js';

/** Inclusive runs of consecutive offsets, in the order they were read. */
export type OffsetRuns = Array<[number, number]>;

export class PartitionOrder {
  private readonly runs = new Map<number, OffsetRuns>();
  /** Partition → producer → last sequence number seen in the current tenure. */
  private readonly lastSeq = new Map<number, Map<number, number>>();
  /** Partition → the tenure being read since the last join. */
  private readonly current = new Map<number, Tenure>();
  readonly tenures: Tenure[] = [];
  private joins = 0;
  /** Records whose offset was not above the previous one read from its partition in the same tenure. */
  offsetRegressions = 0;
  /** Records that did not follow the previous one of their partition in the same tenure (skipped or backwards). */
  readBreaks = 0;
  /** Records whose producer sequence was below an earlier one of that producer in the partition, in the same tenure. */
  sequenceRegressions = 0;

  /** The consumer joined its group (again): every partition is next read from its committed offset. */
  joined(): void {
    this.joins += 1;
    this.current.clear();
    this.lastSeq.clear();
  }

  /** A commit the coordinator acknowledged: `offset` is the next offset to read. */
  committed(partition: number, offset: number): void {
    const tenure = this.current.get(partition);
    if (tenure !== undefined) tenure.committed = offset;
  }

  add(partition: number, offset: number, producer: number | undefined, seq: number | undefined, nowMs = Date.now()): void {
    let runs = this.runs.get(partition);
    if (runs === undefined) this.runs.set(partition, (runs = []));
    const last = runs[runs.length - 1];
    if (last !== undefined && offset === last[1] + 1) last[1] = offset;
    else runs.push([offset, offset]);
    const tenure = this.current.get(partition);
    if (tenure === undefined) {
      const started: Tenure = { partition, join: this.joins, startedAtMs: nowMs, from: offset, to: offset, committed: null };
      this.current.set(partition, started);
      this.tenures.push(started);
    } else {
      if (offset <= tenure.to) this.offsetRegressions += 1;
      if (offset !== tenure.to + 1) this.readBreaks += 1;
      tenure.to = Math.max(tenure.to, offset);
    }
    if (producer === undefined || seq === undefined) return;
    let seqs = this.lastSeq.get(partition);
    if (seqs === undefined) this.lastSeq.set(partition, (seqs = new Map()));
    const prev = seqs.get(producer);
    if (prev !== undefined && seq < prev) this.sequenceRegressions += 1;
    seqs.set(producer, seq);
  }

  toJSON(): Record<string, OffsetRuns> {
    return Object.fromEntries([...this.runs].sort((a, b) => a[0] - b[0]).map(([p, runs]) => [String(p), runs.map((r) => [r[0], r[1]] as [number, number])]));
  }
}

export interface ConsumerOrder {
  runs: Readonly<Record<string, OffsetRuns>>;
  offsetRegressions: number;
  readBreaks: number;
  sequenceRegressions: number;
}

export interface OrderCheck {
  /** Partitions whose offsets, over all consumers, are not exactly 0..expected-1 once each. */
  brokenPartitions: number[];
  /** Offsets read more than once (by one consumer, or by two after a rebalance). */
  overlappingOffsets: number;
  /** Offsets below a partition's end that no consumer read. */
  skippedOffsets: number;
  /** Within a tenure (between two joins of a consumer). */
  offsetRegressions: number;
  readBreaks: number;
  sequenceRegressions: number;
  inOrder: boolean;
}

/**
 * Merges the consumers' runs. `expectedPerPartition[p]` is how many records partition p holds
 * (a fresh topic, no transactions: offsets 0..n-1).
 */
export function checkOrder(consumers: readonly ConsumerOrder[], expectedPerPartition: readonly number[]): OrderCheck {
  const broken: number[] = [];
  let overlapping = 0;
  let skipped = 0;
  expectedPerPartition.forEach((expected, partition) => {
    const runs = consumers.flatMap((c) => c.runs[String(partition)] ?? []).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    let next = 0;
    let ok = true;
    for (const [from, to] of runs) {
      if (from > next) {
        skipped += Math.min(from, expected) - next;
        ok = false;
      } else if (from < next) {
        overlapping += Math.min(to + 1, next) - from;
        ok = false;
      }
      next = Math.max(next, to + 1);
    }
    if (next < expected) {
      skipped += expected - next;
      ok = false;
    }
    if (next > expected) ok = false;
    if (!ok) broken.push(partition);
  });
  const offsetRegressions = consumers.reduce((n, c) => n + c.offsetRegressions, 0);
  const readBreaks = consumers.reduce((n, c) => n + c.readBreaks, 0);
  const sequenceRegressions = consumers.reduce((n, c) => n + c.sequenceRegressions, 0);
  return {
    brokenPartitions: broken,
    overlappingOffsets: overlapping,
    skippedOffsets: skipped,
    offsetRegressions,
    readBreaks,
    sequenceRegressions,
    inOrder: broken.length === 0 && offsetRegressions === 0 && readBreaks === 0,
  };
}

/** Records partition p holds when each of `producers` writes record i to partition i mod P. */
export function recordsPerPartition(partitions: number, producers: number, recordsPerProducer: number): number[] {
  return Array.from({ length: partitions }, (_, p) => producers * (p < recordsPerProducer ? Math.floor((recordsPerProducer - 1 - p) / partitions) + 1 : 0));
}
