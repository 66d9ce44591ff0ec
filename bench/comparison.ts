// What every comparison of the bench's paths shares: direct to Kafka, through HAProxy in TCP
// mode (the floor of what any proxy costs), through Kroxylicious (a Kafka-aware peer, when
// asked for) and through Turnout; medians, runs compared within
// their round (each round runs every path back to back, the order rotating), the proxies' CPU
// per MB moved, and the throughput comparison.

/** `turnout2`: Turnout as two processes (`processes: 2`), beside the one-process `turnout`. */
export type BenchPath = 'direct' | 'haproxy' | 'kroxylicious' | 'turnout' | 'turnout2';
/** The paths with a proxy process the bench measures. */
export type ProxyPath = Exclude<BenchPath, 'direct'>;

/** How the report names each path. */
export const PATH_LABELS: Readonly<Record<BenchPath, string>> = {
  direct: 'direct',
  haproxy: 'HAProxy',
  kroxylicious: 'Kroxylicious',
  turnout: 'Turnout',
  turnout2: 'Turnout, 2 processes',
};

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
  /** CPU of the path's proxy (Turnout or HAProxy) as a share of one core while records flowed. */
  proxyCores?: number;
  /** CPU time of the path's proxy per MB (2^20 bytes) of records moved, ms. */
  cpuMsPerMb?: number;
}

/** A figure per round (each from runs made back to back) and its median. */
export interface PerRound {
  value: number;
  runs: number[];
}

/** Where the HAProxy path ran: its numbers and the figures against it. */
export interface HaproxyComparison {
  haproxy: PathNumbers;
  /** Throughput HAProxy/direct. */
  haproxyToDirect: PerRound;
  /** Throughput Turnout/HAProxy. */
  turnoutToHaproxy: PerRound;
  /** CPU per MB moved, Turnout's over HAProxy's. */
  cpuPerMbTurnoutToHaproxy: PerRound;
}

/** Where the Kroxylicious path ran: its numbers and the figures against it. */
export interface KroxyliciousComparison {
  kroxylicious: PathNumbers;
  /** Throughput Kroxylicious/direct. */
  kroxyliciousToDirect: PerRound;
  /** Throughput Turnout/Kroxylicious. */
  turnoutToKroxylicious: PerRound;
  /** CPU per MB moved, Turnout's over Kroxylicious's. */
  cpuPerMbTurnoutToKroxylicious: PerRound;
  /** CPU per MB moved, Kroxylicious's over HAProxy's; absent without HAProxy. */
  cpuPerMbKroxyliciousToHaproxy?: PerRound;
}

export interface ThroughputComparison {
  direct: PathNumbers;
  turnout: PathNumbers;
  /** Median over repetitions of turnout/direct throughput (MB/s). */
  ratio: number;
  ratios: number[];
  /** Absent when the HAProxy path did not run. */
  vsHaproxy?: HaproxyComparison;
  /** Absent when the Kroxylicious path did not run. */
  vsKroxylicious?: KroxyliciousComparison;
}

/** cpuPerMbVsHaproxy: Turnout's CPU per MB moved at most this many times HAProxy's in the same run. */
export const GOALS = { throughputRatio: 0.95, addedP99Ms: 1, cpuPerMbVsHaproxy: 1.5 } as const;

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
  return pairsOf(runs, 'turnout', 'direct').map(([turnout, direct]) => ({ direct, turnout }));
}

/** The run on `of` and the run on `base` of each round that has both. */
export function pairsOf<T extends { path: BenchPath; rep: number }>(runs: readonly T[], of: BenchPath, base: BenchPath): Array<[T, T]> {
  const reps = [...new Set(runs.map((r) => r.rep))].sort((a, b) => a - b);
  return reps.flatMap((rep) => {
    const a = runs.find((r) => r.rep === rep && r.path === of);
    const b = runs.find((r) => r.rep === rep && r.path === base);
    return a !== undefined && b !== undefined ? [[a, b] as [T, T]] : [];
  });
}

/** `value(of, base)` in each round that ran both paths, and the median (NaN-valued rounds left out). */
export function perRound<T extends { path: BenchPath; rep: number }>(runs: readonly T[], of: BenchPath, base: BenchPath, value: (a: T, b: T) => number): PerRound {
  const values = pairsOf(runs, of, base)
    .map(([a, b]) => value(a, b))
    .filter((v) => Number.isFinite(v));
  return { value: median(values), runs: values };
}

export function ofPath<T extends { path: BenchPath }>(runs: readonly T[], path: BenchPath): T[] {
  return runs.filter((r) => r.path === path);
}

/** Median share of a core the proxy used over runs that measured it. */
export function proxyCores(runs: ReadonlyArray<{ proxyCpuSec?: number; durationMs: number }>): number | undefined {
  const values = runs.flatMap((r) => (r.proxyCpuSec === undefined || r.durationMs <= 0 ? [] : [r.proxyCpuSec / (r.durationMs / 1000)]));
  return values.length === 0 ? undefined : median(values);
}

export const MB = 1024 * 1024;

/** The proxy's CPU ms per MB of records a run moved; NaN when the run measured no proxy. */
export function cpuMsPerMbOf(run: { proxyCpuSec?: number; mb: number }): number {
  return run.proxyCpuSec === undefined || run.mb <= 0 ? Number.NaN : (run.proxyCpuSec * 1000) / run.mb;
}

/** Median CPU ms per MB over runs that measured it. */
export function cpuMsPerMb(runs: ReadonlyArray<{ proxyCpuSec?: number; mb: number }>): number | undefined {
  const values = runs.map(cpuMsPerMbOf).filter((v) => Number.isFinite(v));
  return values.length === 0 ? undefined : median(values);
}

/** A run of a throughput comparison: its path and round, how long records flowed, what they weighed, and what its proxy spent meanwhile. */
export interface MeasuredThroughputRun {
  path: BenchPath;
  rep: number;
  durationMs: number;
  /** MB (2^20 bytes) of records moved. */
  mb: number;
  proxyCpuSec?: number;
}

/** A path's throughput numbers with its proxy's CPU, when it has one. */
export function withProxyCpu(n: PathNumbers, runs: readonly MeasuredThroughputRun[]): PathNumbers {
  const cores = proxyCores(runs);
  const perMb = cpuMsPerMb(runs);
  return { ...n, ...(cores !== undefined ? { proxyCores: cores } : {}), ...(perMb !== undefined ? { cpuMsPerMb: perMb } : {}) };
}

/**
 * Turnout/direct throughput per round, and with HAProxy or Kroxylicious runs among them the
 * figures against each: `numbers` gives a path's medians, `mbPerSec` a run's throughput.
 */
export function compareThroughput<T extends MeasuredThroughputRun>(runs: readonly T[], numbers: (runs: T[]) => PathNumbers, mbPerSec: (run: T) => number): ThroughputComparison {
  const throughput = (of: BenchPath, base: BenchPath): PerRound => perRound(runs, of, base, (a, b) => mbPerSec(a) / mbPerSec(b));
  const cpuPerMb = (of: BenchPath, base: BenchPath): PerRound => perRound(runs, of, base, (a, b) => cpuMsPerMbOf(a) / cpuMsPerMbOf(b));
  const ratio = throughput('turnout', 'direct');
  const out: ThroughputComparison = { direct: numbers(ofPath(runs, 'direct')), turnout: numbers(ofPath(runs, 'turnout')), ratio: ratio.value, ratios: ratio.runs };
  const haproxy = ofPath(runs, 'haproxy');
  if (haproxy.length > 0) {
    out.vsHaproxy = {
      haproxy: numbers(haproxy),
      haproxyToDirect: throughput('haproxy', 'direct'),
      turnoutToHaproxy: throughput('turnout', 'haproxy'),
      cpuPerMbTurnoutToHaproxy: cpuPerMb('turnout', 'haproxy'),
    };
  }
  const kroxylicious = ofPath(runs, 'kroxylicious');
  if (kroxylicious.length > 0) {
    out.vsKroxylicious = {
      kroxylicious: numbers(kroxylicious),
      kroxyliciousToDirect: throughput('kroxylicious', 'direct'),
      turnoutToKroxylicious: throughput('turnout', 'kroxylicious'),
      cpuPerMbTurnoutToKroxylicious: cpuPerMb('turnout', 'kroxylicious'),
      ...(haproxy.length > 0 ? { cpuPerMbKroxyliciousToHaproxy: cpuPerMb('kroxylicious', 'haproxy') } : {}),
    };
  }
  return out;
}

/**
 * The paths in round `rep`'s order: rotated by one each round, so that over as many rounds as
 * paths each goes first, in the middle and last (with two paths: alternating).
 */
export function rotation<P>(paths: readonly P[], rep: number): P[] {
  return paths.map((_, i) => paths[(i + rep) % paths.length] as P);
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
 * Producer runs (each a client connection of its own) in the uncounted warm-up of each path.
 * V8 optimises a fresh Turnout's request path during its first connection and optimises parts
 * of it again during the next one or two, whose objects bring shapes the first did not: 300,000
 * records through a fresh Turnout, one connection after another, cost 390, 320, 220, 210, 270
 * and 210 ms of CPU (two processes alike). A proxy in service has seen those long before; the
 * bench measures it there, not in its first seconds. A quick run keeps one.
 */
export function warmUpConnections(quick: boolean): number {
  return quick ? 1 : 3;
}

/** Runs one path's warm-up (`warmUpConnections` producer runs) and returns the last run's records/s. */
export async function warmUpPath(quick: boolean, produce: () => Promise<{ recordsPerSec: number }>): Promise<number> {
  let recordsPerSec = 0;
  for (let run = 0; run < warmUpConnections(quick); run++) recordsPerSec = (await produce()).recordsPerSec;
  return recordsPerSec;
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
