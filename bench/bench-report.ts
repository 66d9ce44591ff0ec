// Turns the bench's runs into the numbers it reports: per path (direct, through HAProxy when
// it ran, through Turnout) the median over rounds, the ratios between the paths and the added
// latency (medians of per-round figures, each round's runs made back to back), the proxies'
// CPU per MB and at a steady rate, their memory peaks, and whether the goals are met. The
// two-backend case is summarized on its own (two-backend-report.ts) and carried along.
import { formatTrail, type WarmUpTrail } from './warm-until-settled.js';
import { compareThroughput, GOALS, MIN_RATE_SHARE, median, ofPath, PATH_LABELS, perRound, withProxyCpu, type BenchPath, type PathNumbers, type PerRound, type ThroughputComparison } from './comparison.js';
import type { ConsumerPerfResult, ProducerPerfResult } from './perf-output.js';
import type { ProbeLatency } from './produce-probe.js';
import { cpuGoal, f, goalLines, k, signed, tableHeader, throughputRows, type Goals } from './report-format.js';
import { compareProcesses, formatProcessesReport, type ProcessesSummary } from './processes-report.js';
import { formatSecureReport, type SecureSummary } from './secure-report.js';
import { formatSteady, type SteadySummary } from './steady-report.js';
import type { TracingSummary } from './tracing-report.js';
import { formatTwoBackendReport, type TwoBackendSummary } from './two-backend-report.js';
import type { ZoneCaseSummary } from './zone-case.js';

export { GOALS, median, type BenchPath, type PathNumbers, type ThroughputComparison } from './comparison.js';

export interface ProduceRun {
  path: BenchPath;
  rep: number;
  result: ProducerPerfResult;
  /** MB (2^20 bytes) of records written. */
  mb: number;
  /** The proxy's CPU seconds during the run (runs through a proxy only). */
  proxyCpuSec?: number;
  durationMs: number;
}

export interface ConsumeRun {
  path: BenchPath;
  rep: number;
  result: ConsumerPerfResult;
  /** MB (2^20 bytes) of records read. */
  mb: number;
  proxyCpuSec?: number;
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
  /** Rounds: each runs every path once, back to back. */
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
  /** The paths compared, in the first round's order (the order rotates by one each round). */
  paths: BenchPath[];
  /** HAProxy's version, when its path ran. */
  haproxyVersion?: string;
  /** Kroxylicious's version, when its path ran. */
  kroxyliciousVersion?: string;
  cores: number;
  /** 1-minute load average before the bench started anything, and when it ended. */
  loadAverage: { start: number; end: number };
  /** The JIT proxies' warm-up runs of the measured size, until their CPU per MB settled. */
  warmUps?: Partial<Record<BenchPath, WarmUpTrail>>;
  /** The same at the steady rate, runs of the steady size. */
  steadyWarmUps?: Partial<Record<BenchPath, WarmUpTrail>>;
}

/** Probe round trips a run needs for its p99 to mean something. */
export const MIN_PROBE_SAMPLES = 300;

export interface LatencyNumbers {
  perfP50Ms: number;
  perfP99Ms: number;
  perfAvgMs: number;
  probeP50Us: number;
  probeP99Us: number;
  probeP999Us: number;
  probeCount: number;
}

export interface LatencyComparison {
  direct: LatencyNumbers;
  turnout: LatencyNumbers;
  /** Median over repetitions of turnout − direct p99 from the probe, in ms (µs resolution). */
  addedP99Ms: number;
  addedP50Ms: number;
  /** The same from the perf test's whole-millisecond percentiles. */
  perfAddedP99Ms: number;
  perfAddedAvgMs: number;
  /** With the HAProxy path: its numbers, what it adds to direct and what Turnout adds to it (probe, ms, per round). */
  vsHaproxy?: {
    haproxy: LatencyNumbers;
    haproxyAddedP50Ms: PerRound;
    haproxyAddedP99Ms: PerRound;
    turnoutOverHaproxyP50Ms: PerRound;
    turnoutOverHaproxyP99Ms: PerRound;
  };
}

/** A proxy's resident memory peak over the case (VmHWM, summed over its processes), MB. */
export interface ProxyMemory {
  turnoutPeakRssMb: number;
  haproxyPeakRssMb?: number;
  kroxyliciousPeakRssMb?: number;
}

export interface BenchSummary {
  config: BenchConfig;
  produce: ThroughputComparison;
  consume: ThroughputComparison;
  latency: LatencyComparison;
  /** The steady moderate rate; null when it did not run. */
  steady: SteadySummary | null;
  memory: ProxyMemory;
  /** addedP99 null: inconclusive (see notes). */
  goals: Goals;
  /** Why a result should be read with care. */
  notes: string[];
  /** The two-backend case; null when it was not run. */
  twoBackends: TwoBackendSummary | null;
  /** The secured case; null when it was not run. */
  secure: SecureSummary | null;
  /** Turnout as 1 process against 2; null when the two-process path did not run. */
  processes: ProcessesSummary | null;
}

/** What the single-cluster case carries besides its runs: the other cases, the steady rate, the proxies' memory. */
export interface BenchExtras {
  twoBackends?: TwoBackendSummary | null;
  secure?: SecureSummary | null;
  steady?: SteadySummary | null;
  memory?: ProxyMemory;
  /** The two-process Turnout's memory peak, MB, when that path ran. */
  twoProcessPeakRssMb?: number;
}

export function summarizeBench(
  config: BenchConfig,
  produce: readonly ProduceRun[],
  consume: readonly ConsumeRun[],
  latency: readonly LatencyRun[],
  extras: BenchExtras = {},
): BenchSummary {
  const produceNumbers = (runs: ProduceRun[]): PathNumbers =>
    withProxyCpu(
      {
        mbPerSec: median(runs.map((r) => r.result.mbPerSec)),
        recordsPerSec: median(runs.map((r) => r.result.recordsPerSec)),
        p50Ms: median(runs.map((r) => r.result.p50Ms)),
        p99Ms: median(runs.map((r) => r.result.p99Ms)),
      },
      runs,
    );
  const consumeNumbers = (runs: ConsumeRun[]): PathNumbers =>
    withProxyCpu({ mbPerSec: median(runs.map((r) => r.result.fetchMbPerSec)), recordsPerSec: median(runs.map((r) => r.result.fetchRecordsPerSec)) }, runs);
  const latencyPath = (path: BenchPath): LatencyNumbers => {
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
  const added = (of: BenchPath, base: BenchPath, value: (r: LatencyRun) => number): PerRound => perRound(latency, of, base, (a, b) => value(a) - value(b));
  const probeP50Ms = (r: LatencyRun): number => r.probe.p50Us / 1_000;
  const probeP99Ms = (r: LatencyRun): number => r.probe.p99Us / 1_000;
  const latencySummary: LatencyComparison = {
    direct: latencyPath('direct'),
    turnout: latencyPath('turnout'),
    addedP99Ms: added('turnout', 'direct', probeP99Ms).value,
    addedP50Ms: added('turnout', 'direct', probeP50Ms).value,
    perfAddedP99Ms: added('turnout', 'direct', (r) => r.perf.p99Ms).value,
    perfAddedAvgMs: added('turnout', 'direct', (r) => r.perf.avgLatencyMs).value,
  };
  if (ofPath(latency, 'haproxy').length > 0) {
    latencySummary.vsHaproxy = {
      haproxy: latencyPath('haproxy'),
      haproxyAddedP50Ms: added('haproxy', 'direct', probeP50Ms),
      haproxyAddedP99Ms: added('haproxy', 'direct', probeP99Ms),
      turnoutOverHaproxyP50Ms: added('turnout', 'haproxy', probeP50Ms),
      turnoutOverHaproxyP99Ms: added('turnout', 'haproxy', probeP99Ms),
    };
  }
  const summary: BenchSummary = {
    config,
    produce: compareThroughput(produce, produceNumbers, (r) => r.result.mbPerSec),
    consume: compareThroughput(consume, consumeNumbers, (r) => r.result.fetchMbPerSec),
    latency: latencySummary,
    steady: extras.steady ?? null,
    memory: extras.memory ?? { turnoutPeakRssMb: Number.NaN },
    goals: { produceRatio: false, consumeRatio: false, addedP99: null },
    notes: [],
    twoBackends: extras.twoBackends ?? null,
    secure: extras.secure ?? null,
    processes:
      ofPath(produce, 'turnout2').length === 0
        ? null
        : {
            produce: compareProcesses(produce, produceNumbers, (r) => r.result.mbPerSec),
            consume: compareProcesses(consume, consumeNumbers, (r) => r.result.fetchMbPerSec),
            peakRssMb: { oneProcess: extras.memory?.turnoutPeakRssMb ?? Number.NaN, twoProcesses: extras.twoProcessPeakRssMb ?? Number.NaN },
          },
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
  const cpu = cpuGoal(summary.produce, summary.consume);
  summary.goals = {
    produceRatio: summary.produce.ratio >= GOALS.throughputRatio,
    consumeRatio: summary.consume.ratio >= GOALS.throughputRatio,
    addedP99: fewSamples.length > 0 || slowLoad.length > 0 || !Number.isFinite(summary.latency.addedP99Ms) ? null : summary.latency.addedP99Ms < GOALS.addedP99Ms,
    ...(cpu !== undefined ? { cpuPerMbVsHaproxy: cpu.met } : {}),
  };
  return summary;
}

const ms3 = (us: number): string => f(us / 1000, 3);
const probeCell = (n: LatencyNumbers): string => `${ms3(n.probeP50Us)}/${ms3(n.probeP99Us)}/${ms3(n.probeP999Us)} ms`;
const perfCell = (n: LatencyNumbers): string => `${f(n.perfP50Ms, 0)}/${f(n.perfP99Ms, 0)}/${f(n.perfAvgMs, 2)} ms`;

/** The report for people, as lines. */
export function formatBenchReport(s: BenchSummary): string[] {
  const c = s.config;
  const out: string[] = [];
  out.push('');
  out.push(`Turnout bench: records of ${c.recordSizeBytes} B, ${k(c.records)} per produce run, ${k(c.consumeRecords)} per consume run, acks=${c.acks}, ${c.partitions} partitions, replication ${c.replicationFactor}`);
  out.push(`  ${c.repeat} round(s) after a warm-up, each running every path back to back (first round: ${c.paths.map((p) => PATH_LABELS[p]).join(', ')}; the order rotating by one each round); medians`);
  const warmUps = Object.entries(c.warmUps ?? {}).map(([p, trail]) => formatTrail(PATH_LABELS[p as BenchPath], trail as WarmUpTrail));
  if (warmUps.length > 0) out.push(`  warm-up runs of the produce size until CPU per MB settled: ${warmUps.join('; ')}`);
  const steadyWarmUps = Object.entries(c.steadyWarmUps ?? {}).map(([p, trail]) => formatTrail(PATH_LABELS[p as BenchPath], trail as WarmUpTrail));
  if (steadyWarmUps.length > 0) out.push(`  warm-up runs at the steady rate until CPU per MB settled: ${steadyWarmUps.join('; ')}`);
  out.push(
    `  cluster ${c.cluster}${c.kafkaVersion !== null ? ` (Kafka ${c.kafkaVersion})` : ''}, Turnout as a ${c.turnout}${c.haproxyVersion !== undefined ? `, HAProxy ${c.haproxyVersion} in TCP mode` : ''}` +
      `${c.kroxyliciousVersion !== undefined ? `, Kroxylicious ${c.kroxyliciousVersion} (no filters)` : ''}, ` +
      `${c.cores} cores; MB = 2^20 bytes as the Kafka tools count; CPU from /proc (user + system) over each run`,
  );
  out.push('');
  out.push(tableHeader(s.produce));
  out.push(...throughputRows('produce (perf)', s.produce, true));
  out.push(...throughputRows('consume (fetch)', s.consume, false));
  const m = s.memory;
  out.push(
    `  peak RSS          Turnout ${f(m.turnoutPeakRssMb, 0)} MB${m.haproxyPeakRssMb !== undefined ? `, HAProxy ${f(m.haproxyPeakRssMb, 0)} MB` : ''}` +
      `${m.kroxyliciousPeakRssMb !== undefined ? `, Kroxylicious ${f(m.kroxyliciousPeakRssMb, 0)} MB` : ''}`,
  );
  const l = s.latency;
  const h = l.vsHaproxy;
  out.push('');
  out.push(`  moderate load: producer perf test capped at ${k(c.latencyRate)} rec/s (${k(c.latencyRecords)} records), with a ${c.probeRate}/s single-record produce probe on the same path, acks=${c.latencyAcks}`);
  out.push(
    `  perf test  p50/p99/avg  direct ${perfCell(l.direct)}${h !== undefined ? `   HAProxy ${perfCell(h.haproxy)}` : ''}   Turnout ${perfCell(l.turnout)}   ` +
      `Turnout added p99 ${signed(l.perfAddedP99Ms, 1)} ms, avg ${signed(l.perfAddedAvgMs, 2)} ms (whole-ms percentiles)`,
  );
  out.push(`  probe      p50/p99/p99.9 direct ${probeCell(l.direct)}${h !== undefined ? `   HAProxy ${probeCell(h.haproxy)}` : ''}   Turnout ${probeCell(l.turnout)}`);
  out.push(`  added by Turnout to direct: p50 ${signed(l.addedP50Ms, 3)} ms, p99 ${signed(l.addedP99Ms, 3)} ms`);
  if (h !== undefined) {
    out.push(`  added by HAProxy to direct: p50 ${signed(h.haproxyAddedP50Ms.value, 3)} ms, p99 ${signed(h.haproxyAddedP99Ms.value, 3)} ms; by Turnout to HAProxy: p50 ${signed(h.turnoutOverHaproxyP50Ms.value, 3)} ms, p99 ${signed(h.turnoutOverHaproxyP99Ms.value, 3)} ms`);
  }
  if (s.steady !== null) out.push(...formatSteady(s.steady));
  if (s.processes !== null) out.push(...formatProcessesReport(s.processes));
  out.push('');
  for (const note of s.notes) out.push(`  note: ${note}`);
  const cpu = cpuGoal(s.produce, s.consume);
  out.push(...goalLines('goals', s.goals, { produceRatio: s.produce.ratio, consumeRatio: s.consume.ratio, addedP99Ms: l.addedP99Ms, ...(cpu !== undefined ? { cpuPerMbVsHaproxy: cpu } : {}) }));
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

/** The one JSON line the bench ends with: the whole summary, or the machine and the cases that ran alone; the tracing case and the zone mode beside either. */
export function benchJsonLine(
  s: (BenchSummary | (BenchMachine & { secure?: SecureSummary; twoBackends?: TwoBackendSummary })) & { tracing?: TracingSummary | null; zones?: ZoneCaseSummary | null },
): string {
  const round = (_key: string, v: unknown): unknown => (typeof v === 'number' && !Number.isInteger(v) ? Math.round(v * 1000) / 1000 : v);
  return JSON.stringify({ bench: 'turnout', ...s }, round);
}
