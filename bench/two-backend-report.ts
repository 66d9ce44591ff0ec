// The two-backend case in numbers: one Turnout over two clusters, a domain on each, against
// the same workload split by hand across the two clusters, directly and through HAProxy. Per
// path the median over rounds, the ratios of throughput between the paths, the proxies' CPU
// per MB, Turnout/direct ratios of latency percentiles, and the added latency (medians of
// per-round values, each round's runs made back to back).
import { compareThroughput, GOALS, PATH_LABELS, MIN_RATE_SHARE, median, ofPath, pairByRep, perRound, withProxyCpu, type BenchPath, type PathNumbers, type PerRound, type ThroughputComparison } from './comparison.js';
import { cpuGoal, f, goalLines, k, signed, tableHeader, throughputRows, type Goals } from './report-format.js';
import { formatTrail, type WarmUpTrail } from './warm-until-settled.js';
import type { SplitConsumeResult, SplitProduceResult } from './split-perf.js';

export interface SplitProduceRun {
  path: BenchPath;
  rep: number;
  result: SplitProduceResult;
  /** MB (2^20 bytes) of records written. */
  mb: number;
  /** The proxy's CPU seconds during the run (runs through a proxy only). */
  proxyCpuSec?: number;
  durationMs: number;
}

export interface SplitConsumeRun {
  path: BenchPath;
  rep: number;
  result: SplitConsumeResult;
  /** MB (2^20 bytes) of records read. */
  mb: number;
  proxyCpuSec?: number;
  durationMs: number;
}

/** A produce run capped at the moderate rate, for latency. */
export interface SplitLatencyRun {
  path: BenchPath;
  rep: number;
  result: SplitProduceResult;
}

export interface TwoBackendCluster {
  /** Backend name in Turnout's config, which is also its domain's name. */
  backend: string;
  /** Devkit cluster name, or the bootstrap servers given. */
  cluster: string;
  kafkaVersion: string | null;
  brokers: number;
  replicationFactor: number;
  /** Topics of this backend's domain start with this. */
  topicPrefix: string;
}

export interface TwoBackendConfig {
  backends: TwoBackendCluster[];
  /** Partitions of each topic (one topic per backend and run kind). */
  partitions: number;
  /** Records per produce run, over both backends. */
  records: number;
  /** Records per consume run: everything the produce runs wrote, over both backends. */
  consumeRecords: number;
  recordSizeBytes: number;
  repeat: number;
  acks: string;
  latencyAcks: string;
  latencyRate: number;
  latencyRecords: number;
  /** HAProxy's version, when its path ran (one frontend per broker of both clusters). */
  haproxyVersion?: string;
  /** Turnout's own nodes on its listener (`listeners[].nodes`). */
  nodes: number;
  /** Turnout's warm-up runs of the measured size until its CPU per MB settled (absent with --quick). */
  turnoutWarmUp?: WarmUpTrail;
}

export interface SplitLatencyNumbers {
  p50Us: number;
  p99Us: number;
  p999Us: number;
  avgUs: number;
  recordsPerSec: number;
}

export interface TwoBackendLatency {
  direct: SplitLatencyNumbers;
  turnout: SplitLatencyNumbers;
  /** Medians over repetitions of the paired turnout/direct ratios. */
  p50Ratio: number;
  p99Ratio: number;
  /** Medians over repetitions of the paired turnout − direct differences, ms. */
  addedP50Ms: number;
  addedP99Ms: number;
  /** With the HAProxy path: its numbers and what it adds to direct (ms, per round). */
  vsHaproxy?: { haproxy: SplitLatencyNumbers; haproxyAddedP50Ms: PerRound; haproxyAddedP99Ms: PerRound };
}

export interface TwoBackendSummary {
  config: TwoBackendConfig;
  produce: ThroughputComparison;
  consume: ThroughputComparison;
  latency: TwoBackendLatency;
  /** The proxies' resident memory peaks over the case (VmHWM), MB. */
  memory: { turnoutPeakRssMb: number; haproxyPeakRssMb?: number };
  /** Turnout's consume runs' Fetch requests by how it answered them (turnout_multi_fetch_total{path}), summed. */
  fetchPaths: Record<string, number>;
  /**
   * Turnout's produce runs: its client Produce requests (turnout_requests_total), and how it
   * answered them (turnout_multi_produce_total{path}), summed over the measured runs.
   */
  turnoutProduce: TurnoutProduceSummary;
  /** Per path, the produce runs' requests as the producers counted them (medians over runs). */
  produceRequests: ProduceRequestFigures[];
  /** addedP99 null: inconclusive (see notes). */
  goals: Goals;
  notes: string[];
}

/**
 * A direct p99 above this at moderate load means the machine queued records: a difference of
 * the goal's size (1 ms) is then within the noise, so the latency goal is not judged.
 */
export const MAX_DIRECT_P99_MS = 50;

export interface TurnoutProduceCounts {
  paths: Record<string, number>;
  requests: number;
}

export interface ProduceRequestFigures {
  path: BenchPath;
  perMb: number;
  /** The path's proxy CPU per request, µs; absent for direct. */
  proxyCpuUsPerRequest?: number;
}

/** Requests per MB and proxy CPU per request of each path that ran, in the bench's path order. */
function produceRequestFigures(produce: readonly SplitProduceRun[]): ProduceRequestFigures[] {
  const out: ProduceRequestFigures[] = [];
  for (const path of ['direct', 'haproxy', 'turnout'] as const) {
    const runs = ofPath(produce, path).filter((r) => r.result.requests > 0);
    if (runs.length === 0) continue;
    const figures: ProduceRequestFigures = { path, perMb: median(runs.map((r) => r.result.requests / r.mb)) };
    const cpu = runs.filter((r) => r.proxyCpuSec !== undefined).map((r) => ((r.proxyCpuSec as number) * 1e6) / r.result.requests);
    if (cpu.length > 0) figures.proxyCpuUsPerRequest = median(cpu);
    out.push(figures);
  }
  return out;
}

export interface TurnoutProduceSummary extends TurnoutProduceCounts {
  requestsPerMb: number;
  /** Turnout's CPU over its measured produce runs per request, µs (NaN when not measured). */
  cpuUsPerRequest: number;
}

export function summarizeTwoBackends(
  config: TwoBackendConfig,
  produce: readonly SplitProduceRun[],
  consume: readonly SplitConsumeRun[],
  latency: readonly SplitLatencyRun[],
  memory: TwoBackendSummary['memory'] = { turnoutPeakRssMb: Number.NaN },
  fetchPaths: Record<string, number> = {},
  turnoutProduce: TurnoutProduceCounts = { paths: {}, requests: 0 },
): TwoBackendSummary {
  const produceNumbers = (runs: SplitProduceRun[]): PathNumbers =>
    withProxyCpu(
      {
        mbPerSec: median(runs.map((r) => r.result.mbPerSec)),
        recordsPerSec: median(runs.map((r) => r.result.recordsPerSec)),
        p50Ms: median(runs.map((r) => r.result.p50Us / 1_000)),
        p99Ms: median(runs.map((r) => r.result.p99Us / 1_000)),
      },
      runs,
    );
  const consumeNumbers = (runs: SplitConsumeRun[]): PathNumbers =>
    withProxyCpu({ mbPerSec: median(runs.map((r) => r.result.mbPerSec)), recordsPerSec: median(runs.map((r) => r.result.recordsPerSec)) }, runs);
  const latencyNumbers = (path: BenchPath): SplitLatencyNumbers => {
    const runs = ofPath(latency, path);
    return {
      p50Us: median(runs.map((r) => r.result.p50Us)),
      p99Us: median(runs.map((r) => r.result.p99Us)),
      p999Us: median(runs.map((r) => r.result.p999Us)),
      avgUs: median(runs.map((r) => r.result.avgUs)),
      recordsPerSec: median(runs.map((r) => r.result.recordsPerSec)),
    };
  };
  const pairs = pairByRep(latency);
  const haproxyLatency: TwoBackendLatency['vsHaproxy'] =
    ofPath(latency, 'haproxy').length === 0
      ? undefined
      : {
          haproxy: latencyNumbers('haproxy'),
          haproxyAddedP50Ms: perRound(latency, 'haproxy', 'direct', (a, b) => (a.result.p50Us - b.result.p50Us) / 1_000),
          haproxyAddedP99Ms: perRound(latency, 'haproxy', 'direct', (a, b) => (a.result.p99Us - b.result.p99Us) / 1_000),
        };
  const summary: TwoBackendSummary = {
    config,
    produce: compareThroughput(produce, produceNumbers, (r) => r.result.mbPerSec),
    consume: compareThroughput(consume, consumeNumbers, (r) => r.result.mbPerSec),
    memory,
    fetchPaths,
    turnoutProduce: produceCountsOf(turnoutProduce, ofPath(produce, 'turnout')),
    produceRequests: produceRequestFigures(produce),
    latency: {
      direct: latencyNumbers('direct'),
      turnout: latencyNumbers('turnout'),
      p50Ratio: median(pairs.map((p) => p.turnout.result.p50Us / p.direct.result.p50Us)),
      p99Ratio: median(pairs.map((p) => p.turnout.result.p99Us / p.direct.result.p99Us)),
      addedP50Ms: median(pairs.map((p) => (p.turnout.result.p50Us - p.direct.result.p50Us) / 1_000)),
      addedP99Ms: median(pairs.map((p) => (p.turnout.result.p99Us - p.direct.result.p99Us) / 1_000)),
      ...(haproxyLatency !== undefined ? { vsHaproxy: haproxyLatency } : {}),
    },
    goals: { produceRatio: false, consumeRatio: false, addedP99: null },
    notes: [],
  };
  const failed = [...produce, ...latency].filter((r) => r.result.errors > 0);
  if (failed.length > 0) summary.notes.push(`sends failed: ${failed.map((r) => `${r.path} #${r.rep + 1} ${r.result.errors}`).join(', ')} (not counted in the latencies)`);
  const slowLoad = latency.filter((r) => r.result.recordsPerSec < MIN_RATE_SHARE * config.latencyRate);
  if (slowLoad.length > 0) {
    summary.notes.push(
      `the capped two-backend producer did not reach ${config.latencyRate} rec/s (${slowLoad.map((r) => `${r.path} #${r.rep + 1} ${Math.round(r.result.recordsPerSec)}`).join(', ')}): ` +
        'the machine was saturated, so latencies measure queueing rather than Turnout',
    );
  }
  const queued = summary.latency.direct.p99Us / 1_000 > MAX_DIRECT_P99_MS;
  if (queued) {
    summary.notes.push(
      `direct p99 of ${(summary.latency.direct.p99Us / 1_000).toFixed(1)} ms at moderate load, above ${MAX_DIRECT_P99_MS} ms: records queued, ` +
        `so a ${GOALS.addedP99Ms} ms difference is within the noise`,
    );
  }
  const cpu = cpuGoal(summary.produce, summary.consume);
  summary.goals = {
    produceRatio: summary.produce.ratio >= GOALS.throughputRatio,
    consumeRatio: summary.consume.ratio >= GOALS.throughputRatio,
    addedP99: slowLoad.length > 0 || queued || !Number.isFinite(summary.latency.addedP99Ms) ? null : summary.latency.addedP99Ms < GOALS.addedP99Ms,
    ...(cpu !== undefined ? { cpuPerMbVsHaproxy: cpu.met } : {}),
  };
  return summary;
}

const ms = (us: number): string => f(us / 1_000, 3);

/** `12 (3%) gathered, 380 (97%) forwarded_streamed`, largest first; `none counted` when empty. */
export function formatFetchShares(paths: Readonly<Record<string, number>>): string {
  const total = Object.values(paths).reduce((a, b) => a + b, 0);
  if (total === 0) return 'none counted';
  return Object.entries(paths)
    .sort((a, b) => b[1] - a[1])
    .map(([path, n]) => `${n} (${Math.round((100 * n) / total)}%) ${path}`)
    .join(', ');
}

function produceCountsOf(counts: TurnoutProduceCounts, runs: readonly SplitProduceRun[]): TurnoutProduceSummary {
  const mb = runs.reduce((a, r) => a + r.mb, 0);
  const cpuSec = runs.reduce((a, r) => a + (r.proxyCpuSec ?? Number.NaN), 0);
  return { ...counts, requestsPerMb: counts.requests / mb, cpuUsPerRequest: (cpuSec * 1e6) / counts.requests };
}

/**
 * `9,840 (98.1 per MB produced, 121 µs of Turnout CPU each): 9,800 (100%) in_place`: how many
 * Produce requests Turnout's measured runs took, and how it answered them.
 */
export function formatProduceCounts(s: TurnoutProduceSummary): string {
  if (s.requests === 0) return 'none counted';
  const perRequest = Number.isFinite(s.cpuUsPerRequest) ? `, ${f(s.cpuUsPerRequest, 0)} µs of Turnout CPU each` : '';
  return `${k(s.requests)} (${f(s.requestsPerMb, 1)} per MB produced${perRequest}): ${formatFetchShares(s.paths)}`;
}

/** `direct 23.1 per MB; HAProxy 22.8 per MB, 77 µs of its CPU each; Turnout 23.9 per MB, 264 µs each`. */
export function formatProduceRequests(figures: readonly ProduceRequestFigures[]): string {
  return figures
    .map((r) => `${PATH_LABELS[r.path]} ${f(r.perMb, 1)} per MB${r.proxyCpuUsPerRequest !== undefined ? `, ${f(r.proxyCpuUsPerRequest, 0)} µs of its CPU each` : ''}`)
    .join('; ');
}

/** The two-backend section of the report, as lines. */
export function formatTwoBackendReport(s: TwoBackendSummary): string[] {
  const c = s.config;
  const clusters = c.backends.map((b) => `${b.cluster} (${b.kafkaVersion !== null ? `Kafka ${b.kafkaVersion}, ` : ''}${b.brokers} broker${b.brokers === 1 ? '' : 's'}, replication ${b.replicationFactor})`).join(' and ');
  const l = s.latency;
  const out: string[] = [];
  out.push('');
  out.push(`Two backends: one Turnout of ${c.nodes} nodes over ${clusters}, a domain on each`);
  out.push(`  one Java producer writes round-robin to a ${c.partitions}-partition topic of each domain through Turnout; direct, one producer per cluster takes the same records`);
  out.push(`  ${k(c.records)} records of ${c.recordSizeBytes} B per produce run, acks=${c.acks}; consume reads all ${k(c.consumeRecords)} back without a group (one consumer per cluster directly, one through Turnout)`);
  if (c.haproxyVersion !== undefined) out.push(`  through HAProxy ${c.haproxyVersion} (TCP mode, a frontend per broker of both clusters) the workload is the direct one: a client per cluster`);
  if (c.turnoutWarmUp !== undefined) out.push(`  warm-up runs of that size until Turnout's CPU per MB settled: ${formatTrail('Turnout', c.turnoutWarmUp)}`);
  out.push(`  ${c.repeat} round(s), each running every path back to back, the order rotating by one each round; medians`);
  out.push('');
  out.push(tableHeader(s.produce));
  out.push(...throughputRows('produce', s.produce, true));
  out.push(...throughputRows('consume', s.consume, false));
  out.push(`  peak RSS          Turnout ${f(s.memory.turnoutPeakRssMb, 0)} MB${s.memory.haproxyPeakRssMb !== undefined ? `, HAProxy ${f(s.memory.haproxyPeakRssMb, 0)} MB` : ''}`);
  if (s.produceRequests.length > 0) out.push(`  produce requests (the producers' count): ${formatProduceRequests(s.produceRequests)}`);
  out.push(`  Turnout's produce requests: ${formatProduceCounts(s.turnoutProduce)}`);
  out.push(`  Turnout's consume Fetches: ${formatFetchShares(s.fetchPaths)}`);
  out.push('');
  out.push(`  moderate load: capped at ${k(c.latencyRate)} rec/s (${k(c.latencyRecords)} records), acks=${c.latencyAcks}, send-to-ack latency of every record`);
  out.push(
    `  p50/p99/p99.9 direct ${ms(l.direct.p50Us)}/${ms(l.direct.p99Us)}/${ms(l.direct.p999Us)} ms   Turnout ${ms(l.turnout.p50Us)}/${ms(l.turnout.p99Us)}/${ms(l.turnout.p999Us)} ms   ` +
      `Turnout/direct p50 ${f(l.p50Ratio, 3)}, p99 ${f(l.p99Ratio, 3)}; added p50 ${signed(l.addedP50Ms, 3)} ms, p99 ${signed(l.addedP99Ms, 3)} ms`,
  );
  if (l.vsHaproxy !== undefined) {
    const h = l.vsHaproxy;
    out.push(`  HAProxy p50/p99/p99.9 ${ms(h.haproxy.p50Us)}/${ms(h.haproxy.p99Us)}/${ms(h.haproxy.p999Us)} ms; added to direct p50 ${signed(h.haproxyAddedP50Ms.value, 3)} ms, p99 ${signed(h.haproxyAddedP99Ms.value, 3)} ms`);
  }
  out.push('');
  for (const note of s.notes) out.push(`  note: ${note}`);
  const cpu = cpuGoal(s.produce, s.consume);
  out.push(...goalLines('goals (two backends)', s.goals, { produceRatio: s.produce.ratio, consumeRatio: s.consume.ratio, addedP99Ms: l.addedP99Ms, ...(cpu !== undefined ? { cpuPerMbVsHaproxy: cpu } : {}) }));
  return out;
}
