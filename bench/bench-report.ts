// Turns the bench's runs into the numbers it reports: per path (direct, through Turnout) the
// median over repetitions, the Turnout/direct ratio and the added latency (medians of the
// paired differences, each pair run back to back), and whether the goals are met. The
// two-backend case is summarized on its own (two-backend-report.ts) and carried along.
import { GOALS, MIN_RATE_SHARE, median, ofPath, pairByRep, turnoutCores, type BenchPath, type PathNumbers, type ThroughputComparison } from './comparison.js';
import type { ConsumerPerfResult, ProducerPerfResult } from './perf-output.js';
import type { ProbeLatency } from './produce-probe.js';
import { f, goalLines, k, signed, TABLE_HEADER, throughputRows, type Goals } from './report-format.js';
import { formatSecureReport, type SecureSummary } from './secure-report.js';
import type { TracingSummary } from './tracing-report.js';
import { formatTwoBackendReport, type TwoBackendSummary } from './two-backend-report.js';

export { GOALS, median, type BenchPath, type PathNumbers, type ThroughputComparison } from './comparison.js';

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

/** The workload of a case that runs Kafka's perf tools against one cluster. */
export interface BenchWorkload {
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
}

export interface BenchConfig extends BenchWorkload {
  turnout: 'child process';
  cores: number;
  /** 1-minute load average before the bench started anything, and when it ended. */
  loadAverage: { start: number; end: number };
}

/** Probe round trips a run needs for its p99 to mean something. */
export const MIN_PROBE_SAMPLES = 300;

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
  /** addedP99 null: inconclusive (see notes). */
  goals: Goals;
  /** Why a result should be read with care. */
  notes: string[];
  /** The two-backend case; null when it was not run. */
  twoBackends: TwoBackendSummary | null;
  /** The secured case; null when it was not run. */
  secure: SecureSummary | null;
}

export function summarizeBench(
  config: BenchConfig,
  produce: readonly ProduceRun[],
  consume: readonly ConsumeRun[],
  latency: readonly LatencyRun[],
  twoBackends: TwoBackendSummary | null = null,
  secure: SecureSummary | null = null,
): BenchSummary {
  const producePath = (path: BenchPath): PathNumbers => {
    const runs = ofPath(produce, path);
    const n: PathNumbers = {
      mbPerSec: median(runs.map((r) => r.result.mbPerSec)),
      recordsPerSec: median(runs.map((r) => r.result.recordsPerSec)),
      p50Ms: median(runs.map((r) => r.result.p50Ms)),
      p99Ms: median(runs.map((r) => r.result.p99Ms)),
    };
    const c = turnoutCores(runs);
    if (c !== undefined) n.turnoutCores = c;
    return n;
  };
  const consumePath = (path: BenchPath): PathNumbers => {
    const runs = ofPath(consume, path);
    const n: PathNumbers = {
      mbPerSec: median(runs.map((r) => r.result.fetchMbPerSec)),
      recordsPerSec: median(runs.map((r) => r.result.fetchRecordsPerSec)),
    };
    const c = turnoutCores(runs);
    if (c !== undefined) n.turnoutCores = c;
    return n;
  };
  const produceRatios = pairByRep(produce).map((p) => p.turnout.result.mbPerSec / p.direct.result.mbPerSec);
  const consumeRatios = pairByRep(consume).map((p) => p.turnout.result.fetchMbPerSec / p.direct.result.fetchMbPerSec);
  const latencyPath = (path: BenchPath): LatencyComparison['direct'] => {
    const runs = ofPath(latency, path);
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
  const latencyPairs = pairByRep(latency);
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
    twoBackends,
    secure,
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

/** The report for people, as lines. */
export function formatBenchReport(s: BenchSummary): string[] {
  const c = s.config;
  const out: string[] = [];
  out.push('');
  out.push(`Turnout bench: records of ${c.recordSizeBytes} B, ${k(c.records)} per produce run, ${k(c.consumeRecords)} per consume run, acks=${c.acks}, ${c.partitions} partitions, replication ${c.replicationFactor}`);
  out.push(`  ${c.repeat} repetition(s) of each run per path, back to back, alternating which path goes first`);
  out.push(`  cluster ${c.cluster}${c.kafkaVersion !== null ? ` (Kafka ${c.kafkaVersion})` : ''}, Turnout as a ${c.turnout}, ${c.cores} cores; MB = 2^20 bytes as the Kafka tools count`);
  out.push('');
  out.push(TABLE_HEADER);
  out.push(...throughputRows('produce (perf)', s.produce, true));
  out.push(...throughputRows('consume (fetch)', s.consume, false));
  const l = s.latency;
  out.push('');
  out.push(`  moderate load: producer perf test capped at ${k(c.latencyRate)} rec/s (${k(c.latencyRecords)} records), with a ${c.probeRate}/s single-record produce probe on the same path, acks=${c.latencyAcks}`);
  out.push(`  perf test  p50/p99/avg  direct ${f(l.direct.perfP50Ms, 0)}/${f(l.direct.perfP99Ms, 0)}/${f(l.direct.perfAvgMs, 2)} ms   Turnout ${f(l.turnout.perfP50Ms, 0)}/${f(l.turnout.perfP99Ms, 0)}/${f(l.turnout.perfAvgMs, 2)} ms   added p99 ${signed(l.perfAddedP99Ms, 1)} ms, avg ${signed(l.perfAddedAvgMs, 2)} ms (whole-ms percentiles)`);
  out.push(`  probe      p50/p99/p99.9 direct ${f(l.direct.probeP50Us / 1000, 3)}/${f(l.direct.probeP99Us / 1000, 3)}/${f(l.direct.probeP999Us / 1000, 3)} ms   Turnout ${f(l.turnout.probeP50Us / 1000, 3)}/${f(l.turnout.probeP99Us / 1000, 3)}/${f(l.turnout.probeP999Us / 1000, 3)} ms   added p50 ${signed(l.addedP50Ms, 3)} ms, p99 ${signed(l.addedP99Ms, 3)} ms`);
  out.push('');
  for (const note of s.notes) out.push(`  note: ${note}`);
  out.push(...goalLines('goals', s.goals, { produceRatio: s.produce.ratio, consumeRatio: s.consume.ratio, addedP99Ms: l.addedP99Ms }));
  if (s.secure !== null) out.push(...formatSecureReport(s.secure));
  if (s.twoBackends !== null) out.push(...formatTwoBackendReport(s.twoBackends));
  return out;
}

/** The machine a run had: cores, and the 1-minute load average before it started anything and when it ended. */
export interface BenchMachine {
  cores: number;
  loadAverage: { start: number; end: number };
}

/** The report's head when only the secured case (or `cases`) ran. */
export function formatMachine(m: BenchMachine, cases = 'secured case only'): string[] {
  return ['', `Turnout bench, ${cases}: ${m.cores} cores, load average ${m.loadAverage.start.toFixed(1)} before it started, ${m.loadAverage.end.toFixed(1)} at the end; MB = 2^20 bytes as the Kafka tools count`];
}

/** The one JSON line the bench ends with: the whole summary, or the machine and the cases that ran alone; the tracing case beside either. */
export function benchJsonLine(s: (BenchSummary | (BenchMachine & { secure?: SecureSummary })) & { tracing?: TracingSummary | null }): string {
  const round = (_key: string, v: unknown): unknown => (typeof v === 'number' && !Number.isInteger(v) ? Math.round(v * 1000) / 1000 : v);
  return JSON.stringify({ bench: 'turnout', ...s }, round);
}
