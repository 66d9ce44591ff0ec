// What every direct-versus-Turnout comparison of the bench shares: the two paths, medians,
// runs paired by repetition (each pair ran back to back), and the throughput comparison.

export type BenchPath = 'direct' | 'turnout';

/** What every case of the bench (single cluster, secured, two backends) is run with. */
export interface BenchCaseOptions {
  runId: string;
  quick: boolean;
  recordSizeBytes: number;
  partitions: number;
  /** Replicas of the case's topics (a cluster with fewer brokers gets as many as it has). */
  replicationFactor: number;
  repeat: number;
  /** Records per produce run; default sized from the warm-up. */
  records?: number;
  latencyRate?: number;
  latencySeconds: number;
  latencyAcks: '1' | 'all';
  /** Delete the case's topics at the end (the clusters outlive the bench). */
  deleteTopics: boolean;
  log: (line: string) => void;
}

export interface PathNumbers {
  mbPerSec: number;
  recordsPerSec: number;
  p50Ms?: number;
  p99Ms?: number;
  /** Turnout's CPU per MB moved (through Turnout only): cores used at the measured rate. */
  turnoutCores?: number;
}

export interface ThroughputComparison {
  direct: PathNumbers;
  turnout: PathNumbers;
  /** Median over repetitions of turnout/direct throughput (MB/s). */
  ratio: number;
  ratios: number[];
}

export const GOALS = { throughputRatio: 0.9, addedP99Ms: 1 } as const;

/** The capped perf test must reach this share of its cap for the load to be the one asked. */
export const MIN_RATE_SHARE = 0.9;

export function median(values: readonly number[]): number {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return Number.NaN;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 === 1 ? (v[mid] as number) : ((v[mid - 1] as number) + (v[mid] as number)) / 2;
}

/** The direct and the through-Turnout run of each repetition that has both. */
export function pairByRep<T extends { path: BenchPath; rep: number }>(runs: readonly T[]): Array<{ direct: T; turnout: T }> {
  const reps = [...new Set(runs.map((r) => r.rep))].sort((a, b) => a - b);
  const pairs: Array<{ direct: T; turnout: T }> = [];
  for (const rep of reps) {
    const direct = runs.find((r) => r.rep === rep && r.path === 'direct');
    const turnout = runs.find((r) => r.rep === rep && r.path === 'turnout');
    if (direct !== undefined && turnout !== undefined) pairs.push({ direct, turnout });
  }
  return pairs;
}

export function ofPath<T extends { path: BenchPath }>(runs: readonly T[], path: BenchPath): T[] {
  return runs.filter((r) => r.path === path);
}

/** Median share of a core Turnout used over runs that measured it. */
export function turnoutCores(runs: ReadonlyArray<{ turnoutCpuSec?: number; durationMs: number }>): number | undefined {
  const values = runs.flatMap((r) => (r.turnoutCpuSec === undefined || r.durationMs <= 0 ? [] : [r.turnoutCpuSec / (r.durationMs / 1000)]));
  return values.length === 0 ? undefined : median(values);
}

/** direct first in even repetitions, Turnout first in odd ones. */
export function orderFor(rep: number): BenchPath[] {
  return rep % 2 === 0 ? ['direct', 'turnout'] : ['turnout', 'direct'];
}

/**
 * Moderate load: 40% of what the cluster took directly, at most 5000 rec/s (2000 quick), at
 * least 100. On a small machine 5000 rec/s of 1 KiB can be its whole capacity, which is no
 * longer moderate: latency would then measure queueing.
 */
export function moderateRate(directRatePerSec: number, quick: boolean): number {
  return Math.max(100, Math.min(quick ? 2_000 : 5_000, Math.round((0.4 * directRatePerSec) / 100) * 100));
}

/**
 * Records per throughput run without --records: about 8 s (3 s quick) at the warm-up's rate,
 * in thousands, within bounds: enough data on a fast machine, a bounded run time on a slow or
 * busy one.
 */
export function sizeThroughputRecords(warmRatePerSec: number, quick: boolean): { records: number; seconds: number } {
  const sizing = quick ? { seconds: 3, min: 5_000, max: 30_000 } : { seconds: 8, min: 20_000, max: 300_000 };
  return { records: Math.round(Math.min(sizing.max, Math.max(sizing.min, warmRatePerSec * sizing.seconds)) / 1_000) * 1_000, seconds: sizing.seconds };
}
