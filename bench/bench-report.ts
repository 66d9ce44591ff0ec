// Turns the bench's runs into the numbers it reports: per path (direct, through Turnout) the
// median over repetitions, the Turnout/direct ratio and the added latency (medians of the
// paired differences, each pair run back to back), and whether the goals are met.
import type { ConsumerPerfResult, ProducerPerfResult } from './perf-output.js';
import type { ProbeLatency } from './produce-probe.js';

export type BenchPath = 'direct' | 'turnout';

export interface ProduceRun {
  path: BenchPath;
  rep: number;
  result: ProducerPerfResult;
  /** Turnout's CPU seconds during the run (through-Turnout runs only). */
  turnoutCpuSec?: number;
  durationMs: number;
}

export interface ConsumeRun {
  path: BenchPath;
  rep: number;
  result: ConsumerPerfResult;
  turnoutCpuSec?: number;
  durationMs: number;
}

export interface LatencyRun {
  path: BenchPath;
  rep: number;
  perf: ProducerPerfResult;
  probe: ProbeLatency;
}

export interface BenchConfig {
  /** Records per produce run. */
  records: number;
  /** Records per consume run (everything the produce runs wrote). */
  consumeRecords: number;
  recordSizeBytes: number;
  repeat: number;
  partitions: number;
  replicationFactor: number;
  /** acks of the throughput runs. */
  acks: string;
  /** acks of the latency runs (perf test and probe). */
  latencyAcks: string;
  latencyRate: number;
  latencyRecords: number;
  probeRate: number;
  kafkaVersion: string | null;
  cluster: string;
  turnout: 'child process';
  cores: number;
  /** 1-minute load average before the bench started anything, and when it ended. */
  loadAverage: { start: number; end: number };
}

export const GOALS = { throughputRatio: 0.9, addedP99Ms: 1 } as const;

/** Probe round trips a run needs for its p99 to mean something. */
export const MIN_PROBE_SAMPLES = 300;
/** The capped perf test must reach this share of its cap for the load to be the one asked. */
const MIN_RATE_SHARE = 0.9;

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

export interface LatencyComparison {
  direct: { perfP50Ms: number; perfP99Ms: number; perfAvgMs: number; probeP50Us: number; probeP99Us: number; probeP999Us: number; probeCount: number };
  turnout: { perfP50Ms: number; perfP99Ms: number; perfAvgMs: number; probeP50Us: number; probeP99Us: number; probeP999Us: number; probeCount: number };
  /** Median over repetitions of turnout − direct p99 from the probe, in ms (µs resolution). */
  addedP99Ms: number;
  addedP50Ms: number;
  /** The same from the perf test's whole-millisecond percentiles. */
  perfAddedP99Ms: number;
  perfAddedAvgMs: number;
}

export interface BenchSummary {
  config: BenchConfig;
  produce: ThroughputComparison;
  consume: ThroughputComparison;
  latency: LatencyComparison;
  /** null: inconclusive (see notes). */
  goals: { produceRatio: boolean; consumeRatio: boolean; addedP99: boolean | null };
  /** Why a result should be read with care. */
  notes: string[];
}

export function median(values: readonly number[]): number {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return Number.NaN;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 === 1 ? (v[mid] as number) : ((v[mid - 1] as number) + (v[mid] as number)) / 2;
}

function byRep<T extends { path: BenchPath; rep: number }>(runs: readonly T[]): Array<{ direct: T; turnout: T }> {
  const reps = [...new Set(runs.map((r) => r.rep))].sort((a, b) => a - b);
  const pairs: Array<{ direct: T; turnout: T }> = [];
  for (const rep of reps) {
    const direct = runs.find((r) => r.rep === rep && r.path === 'direct');
    const turnout = runs.find((r) => r.rep === rep && r.path === 'turnout');
    if (direct !== undefined && turnout !== undefined) pairs.push({ direct, turnout });
  }
  return pairs;
}

function of<T extends { path: BenchPath }>(runs: readonly T[], path: BenchPath): T[] {
  return runs.filter((r) => r.path === path);
}

function cores(runs: ReadonlyArray<{ turnoutCpuSec?: number; durationMs: number }>): number | undefined {
  const values = runs.flatMap((r) => (r.turnoutCpuSec === undefined || r.durationMs <= 0 ? [] : [r.turnoutCpuSec / (r.durationMs / 1000)]));
  return values.length === 0 ? undefined : median(values);
}

export function summarizeBench(config: BenchConfig, produce: readonly ProduceRun[], consume: readonly ConsumeRun[], latency: readonly LatencyRun[]): BenchSummary {
  const producePath = (path: BenchPath): PathNumbers => {
    const runs = of(produce, path);
    const n: PathNumbers = {
      mbPerSec: median(runs.map((r) => r.result.mbPerSec)),
      recordsPerSec: median(runs.map((r) => r.result.recordsPerSec)),
      p50Ms: median(runs.map((r) => r.result.p50Ms)),
      p99Ms: median(runs.map((r) => r.result.p99Ms)),
    };
    const c = cores(runs);
    if (c !== undefined) n.turnoutCores = c;
    return n;
  };
  const consumePath = (path: BenchPath): PathNumbers => {
    const runs = of(consume, path);
    const n: PathNumbers = {
      mbPerSec: median(runs.map((r) => r.result.fetchMbPerSec)),
      recordsPerSec: median(runs.map((r) => r.result.fetchRecordsPerSec)),
    };
    const c = cores(runs);
    if (c !== undefined) n.turnoutCores = c;
    return n;
  };
  const produceRatios = byRep(produce).map((p) => p.turnout.result.mbPerSec / p.direct.result.mbPerSec);
  const consumeRatios = byRep(consume).map((p) => p.turnout.result.fetchMbPerSec / p.direct.result.fetchMbPerSec);
  const latencyPath = (path: BenchPath): LatencyComparison['direct'] => {
    const runs = of(latency, path);
    return {
      perfP50Ms: median(runs.map((r) => r.perf.p50Ms)),
      perfP99Ms: median(runs.map((r) => r.perf.p99Ms)),
      perfAvgMs: median(runs.map((r) => r.perf.avgLatencyMs)),
      probeP50Us: median(runs.map((r) => r.probe.p50Us)),
      probeP99Us: median(runs.map((r) => r.probe.p99Us)),
      probeP999Us: median(runs.map((r) => r.probe.p999Us)),
      probeCount: runs.reduce((n, r) => n + r.probe.count, 0),
    };
  };
  const latencyPairs = byRep(latency);
  const summary: BenchSummary = {
    config,
    produce: { direct: producePath('direct'), turnout: producePath('turnout'), ratio: median(produceRatios), ratios: produceRatios },
    consume: { direct: consumePath('direct'), turnout: consumePath('turnout'), ratio: median(consumeRatios), ratios: consumeRatios },
    latency: {
      direct: latencyPath('direct'),
      turnout: latencyPath('turnout'),
      addedP99Ms: median(latencyPairs.map((p) => (p.turnout.probe.p99Us - p.direct.probe.p99Us) / 1_000)),
      addedP50Ms: median(latencyPairs.map((p) => (p.turnout.probe.p50Us - p.direct.probe.p50Us) / 1_000)),
      perfAddedP99Ms: median(latencyPairs.map((p) => p.turnout.perf.p99Ms - p.direct.perf.p99Ms)),
      perfAddedAvgMs: median(latencyPairs.map((p) => p.turnout.perf.avgLatencyMs - p.direct.perf.avgLatencyMs)),
    },
    goals: { produceRatio: false, consumeRatio: false, addedP99: null },
    notes: [],
  };
  const fewSamples = latency.filter((r) => r.probe.count < MIN_PROBE_SAMPLES);
  const slowLoad = latency.filter((r) => r.perf.recordsPerSec < MIN_RATE_SHARE * config.latencyRate);
  if (fewSamples.length > 0) {
    summary.notes.push(`latency probe: ${fewSamples.map((r) => `${r.path} #${r.rep + 1} ${r.probe.count}`).join(', ')} round trips, fewer than ${MIN_PROBE_SAMPLES}: its p99 is not meaningful`);
  }
  if (slowLoad.length > 0) {
    summary.notes.push(
      `the capped perf test did not reach ${config.latencyRate} rec/s (${slowLoad.map((r) => `${r.path} #${r.rep + 1} ${Math.round(r.perf.recordsPerSec)}`).join(', ')}): ` +
        'the machine was saturated, so latencies measure queueing rather than Turnout',
    );
  }
  // At the start nothing of the bench runs yet; at the end its own cluster and tools count too.
  if (config.loadAverage.start > config.cores / 2) {
    summary.notes.push(`load average ${config.loadAverage.start.toFixed(1)} on ${config.cores} cores before the bench started: other work competed for the CPU`);
  }
  summary.goals = {
    produceRatio: summary.produce.ratio >= GOALS.throughputRatio,
    consumeRatio: summary.consume.ratio >= GOALS.throughputRatio,
    addedP99: fewSamples.length > 0 || slowLoad.length > 0 || !Number.isFinite(summary.latency.addedP99Ms) ? null : summary.latency.addedP99Ms < GOALS.addedP99Ms,
  };
  return summary;
}

const f = (n: number | undefined, digits = 1): string => (n === undefined || !Number.isFinite(n) ? '-' : n.toFixed(digits));
const k = (n: number): string => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '-');
const verdict = (ok: boolean | null): string => (ok === null ? 'inconclusive' : ok ? 'met' : 'NOT met');
const signed = (n: number, digits: number): string => (Number.isFinite(n) ? `${n >= 0 ? '+' : ''}${n.toFixed(digits)}` : '-');

/** The report for people, as lines. */
export function formatBenchReport(s: BenchSummary): string[] {
  const c = s.config;
  const out: string[] = [];
  out.push('');
  out.push(`Turnout bench: records of ${c.recordSizeBytes} B, ${k(c.records)} per produce run, ${k(c.consumeRecords)} per consume run, acks=${c.acks}, ${c.partitions} partitions, replication ${c.replicationFactor}`);
  out.push(`  ${c.repeat} repetition(s) of each run per path, back to back, alternating which path goes first`);
  out.push(`  cluster ${c.cluster}${c.kafkaVersion !== null ? ` (Kafka ${c.kafkaVersion})` : ''}, Turnout as a ${c.turnout}, ${c.cores} cores; MB = 2^20 bytes as the Kafka tools count`);
  out.push('');
  out.push('                    direct                      through Turnout             Turnout/direct');
  const row = (label: string, t: ThroughputComparison, latency: boolean): void => {
    const cell = (p: PathNumbers): string => `${f(p.mbPerSec)} MB/s ${k(p.recordsPerSec).padStart(7)} rec/s`.padEnd(28);
    out.push(`  ${label.padEnd(17)} ${cell(t.direct)}${cell(t.turnout)}${f(t.ratio, 3)}  (runs: ${t.ratios.map((r) => r.toFixed(3)).join(', ')})`);
    if (latency) out.push(`  ${''.padEnd(17)} ${`p50 ${f(t.direct.p50Ms, 0)} ms, p99 ${f(t.direct.p99Ms, 0)} ms`.padEnd(28)}${`p50 ${f(t.turnout.p50Ms, 0)} ms, p99 ${f(t.turnout.p99Ms, 0)} ms`.padEnd(28)}`);
    if (t.turnout.turnoutCores !== undefined) out.push(`  ${''.padEnd(17)} ${''.padEnd(28)}${`Turnout CPU ${f(t.turnout.turnoutCores * 100, 0)}% of a core`.padEnd(28)}`);
  };
  row('produce (perf)', s.produce, true);
  row('consume (fetch)', s.consume, false);
  const l = s.latency;
  out.push('');
  out.push(`  moderate load: producer perf test capped at ${k(c.latencyRate)} rec/s (${k(c.latencyRecords)} records), with a ${c.probeRate}/s single-record produce probe on the same path, acks=${c.latencyAcks}`);
  out.push(`  perf test  p50/p99/avg  direct ${f(l.direct.perfP50Ms, 0)}/${f(l.direct.perfP99Ms, 0)}/${f(l.direct.perfAvgMs, 2)} ms   Turnout ${f(l.turnout.perfP50Ms, 0)}/${f(l.turnout.perfP99Ms, 0)}/${f(l.turnout.perfAvgMs, 2)} ms   added p99 ${signed(l.perfAddedP99Ms, 1)} ms, avg ${signed(l.perfAddedAvgMs, 2)} ms (whole-ms percentiles)`);
  out.push(`  probe      p50/p99/p99.9 direct ${f(l.direct.probeP50Us / 1000, 3)}/${f(l.direct.probeP99Us / 1000, 3)}/${f(l.direct.probeP999Us / 1000, 3)} ms   Turnout ${f(l.turnout.probeP50Us / 1000, 3)}/${f(l.turnout.probeP99Us / 1000, 3)}/${f(l.turnout.probeP999Us / 1000, 3)} ms   added p50 ${signed(l.addedP50Ms, 3)} ms, p99 ${signed(l.addedP99Ms, 3)} ms`);
  out.push('');
  for (const note of s.notes) out.push(`  note: ${note}`);
  out.push('  goals:');
  out.push(`    produce throughput Turnout/direct >= ${GOALS.throughputRatio}: ${verdict(s.goals.produceRatio)} (${f(s.produce.ratio, 3)})`);
  out.push(`    consume throughput Turnout/direct >= ${GOALS.throughputRatio}: ${verdict(s.goals.consumeRatio)} (${f(s.consume.ratio, 3)})`);
  out.push(`    added p99 latency < ${GOALS.addedP99Ms} ms at moderate load: ${verdict(s.goals.addedP99)} (${signed(l.addedP99Ms, 3)} ms)`);
  return out;
}

/** The one JSON line the bench ends with. */
export function benchJsonLine(s: BenchSummary): string {
  const round = (_key: string, v: unknown): unknown => (typeof v === 'number' && !Number.isInteger(v) ? Math.round(v * 1000) / 1000 : v);
  return JSON.stringify({ bench: 'turnout', ...s }, round);
}
