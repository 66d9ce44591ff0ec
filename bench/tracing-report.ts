// The tracing case in numbers: per setting (tracing off, 1% of requests sampled, all of them)
// the medians of throughput, Turnout's CPU per MB moved and the probe's latency; and what
// each sampled setting costs against tracing off, from the runs of each repetition (run back
// to back), as ratios (throughput, CPU per MB) and added latency.
import { cpuMsPerMbOf as cpuMsPerMb, median } from './comparison.js';
import type { ProbeLatency } from './produce-probe.js';
import { f, k, signed } from './report-format.js';

export const TRACING_VARIANTS = ['off', 'sampled-1pct', 'sampled-all'] as const;
export type TracingVariant = (typeof TRACING_VARIANTS)[number];
/** The settings that trace, each compared with tracing off. */
export const TRACED_VARIANTS = ['sampled-1pct', 'sampled-all'] as const;
export type TracedVariant = (typeof TRACED_VARIANTS)[number];

/** `tracing.samplingRatio` of each setting; null: tracing off. */
export const SAMPLING_RATIOS: Readonly<Record<TracingVariant, number | null>> = { off: null, 'sampled-1pct': 0.01, 'sampled-all': 1 };
export const TRACING_LABELS: Readonly<Record<TracingVariant, string>> = { off: 'tracing off', 'sampled-1pct': '1% sampled', 'sampled-all': '100% sampled' };

/** One produce or consume run through one setting's Turnout. */
export interface TracingThroughputRun {
  variant: TracingVariant;
  rep: number;
  mbPerSec: number;
  /** MB (2^20 bytes) of records moved. */
  mb: number;
  /** Turnout's CPU seconds during the run. */
  proxyCpuSec?: number;
}

export interface TracingLatencyRun {
  variant: TracingVariant;
  rep: number;
  probe: ProbeLatency;
}

export interface TracingCaseConfig {
  cluster: string;
  records: number;
  consumeRecords: number;
  recordSizeBytes: number;
  repeat: number;
  latencyRate: number;
  probeRate: number;
}

export interface TracingVariantNumbers {
  produceMbPerSec: number;
  consumeMbPerSec: number;
  /** Turnout's CPU time per MB of records moved, ms. */
  produceCpuMsPerMb: number;
  consumeCpuMsPerMb: number;
  probeP50Us: number;
  probeP99Us: number;
  /** OTLP export requests the setting's Turnout sent, and their bytes. */
  exports: number;
  exportBytes: number;
}

/** A traced setting against tracing off: per repetition and the median. */
export interface TracedComparison {
  /** Throughput traced/off (MB/s). */
  produceRatio: number;
  consumeRatio: number;
  /** Turnout's CPU per MB, traced/off. */
  produceCpuRatio: number;
  consumeCpuRatio: number;
  /** Probe p50 and p99, traced − off, ms. */
  addedP50Ms: number;
  addedP99Ms: number;
  /** The produce throughput ratio of each repetition. */
  produceRatios: number[];
}

export interface TracingSummary {
  config: TracingCaseConfig;
  variants: Record<TracingVariant, TracingVariantNumbers>;
  vsOff: Record<TracedVariant, TracedComparison>;
}

/** `value(run of variant, run of off)` in each repetition that has both. */
function perRep<R extends { variant: TracingVariant; rep: number }>(runs: readonly R[], variant: TracedVariant, value: (traced: R, off: R) => number): number[] {
  const out: number[] = [];
  for (const traced of runs.filter((r) => r.variant === variant)) {
    const off = runs.find((r) => r.variant === 'off' && r.rep === traced.rep);
    if (off !== undefined) out.push(value(traced, off));
  }
  return out;
}

export function summarizeTracing(
  config: TracingCaseConfig,
  produce: readonly TracingThroughputRun[],
  consume: readonly TracingThroughputRun[],
  latency: readonly TracingLatencyRun[],
  exported: Readonly<Record<TracingVariant, { exports: number; bytes: number }>>,
): TracingSummary {
  const of = <R extends { variant: TracingVariant }>(runs: readonly R[], v: TracingVariant): R[] => runs.filter((r) => r.variant === v);
  const variants = Object.fromEntries(
    TRACING_VARIANTS.map((v): [TracingVariant, TracingVariantNumbers] => [
      v,
      {
        produceMbPerSec: median(of(produce, v).map((r) => r.mbPerSec)),
        consumeMbPerSec: median(of(consume, v).map((r) => r.mbPerSec)),
        produceCpuMsPerMb: median(of(produce, v).map(cpuMsPerMb)),
        consumeCpuMsPerMb: median(of(consume, v).map(cpuMsPerMb)),
        probeP50Us: median(of(latency, v).map((r) => r.probe.p50Us)),
        probeP99Us: median(of(latency, v).map((r) => r.probe.p99Us)),
        exports: exported[v].exports,
        exportBytes: exported[v].bytes,
      },
    ]),
  ) as Record<TracingVariant, TracingVariantNumbers>;
  const compare = (v: TracedVariant): TracedComparison => {
    const produceRatios = perRep(produce, v, (a, b) => a.mbPerSec / b.mbPerSec);
    return {
      produceRatio: median(produceRatios),
      consumeRatio: median(perRep(consume, v, (a, b) => a.mbPerSec / b.mbPerSec)),
      produceCpuRatio: median(perRep(produce, v, (a, b) => cpuMsPerMb(a) / cpuMsPerMb(b))),
      consumeCpuRatio: median(perRep(consume, v, (a, b) => cpuMsPerMb(a) / cpuMsPerMb(b))),
      addedP50Ms: median(perRep(latency, v, (a, b) => (a.probe.p50Us - b.probe.p50Us) / 1000)),
      addedP99Ms: median(perRep(latency, v, (a, b) => (a.probe.p99Us - b.probe.p99Us) / 1000)),
      produceRatios,
    };
  };
  return { config, variants, vsOff: { 'sampled-1pct': compare('sampled-1pct'), 'sampled-all': compare('sampled-all') } };
}

const COLUMN = 32;

/** The tracing case's section of the report, as lines. */
export function formatTracingReport(s: TracingSummary): string[] {
  const c = s.config;
  const row = (label: string, cell: (n: TracingVariantNumbers) => string): string => `  ${label.padEnd(20)}${TRACING_VARIANTS.map((v) => cell(s.variants[v]).padEnd(COLUMN)).join('')}`;
  const vs = (label: string, cell: (x: TracedComparison) => string): string => `  ${label.padEnd(20)}${''.padEnd(COLUMN)}${TRACED_VARIANTS.map((v) => cell(s.vsOff[v]).padEnd(COLUMN)).join('')}`;
  return [
    '',
    `Tracing: one Turnout per setting in front of cluster ${c.cluster}, spans exported over OTLP/HTTP to a local endpoint that discards them`,
    `  ${k(c.records)} records of ${c.recordSizeBytes} B per produce run, ${k(c.consumeRecords)} per consume run; probe at ${c.probeRate}/s beside a producer capped at ${k(c.latencyRate)} rec/s; ${c.repeat} repetition(s), the order rotating`,
    '',
    `  ${''.padEnd(20)}${TRACING_VARIANTS.map((v) => TRACING_LABELS[v].padEnd(COLUMN)).join('')}`,
    row('produce', (n) => `${f(n.produceMbPerSec, 2)} MB/s, ${f(n.produceCpuMsPerMb, 1)} ms/MB`),
    row('consume', (n) => `${f(n.consumeMbPerSec, 2)} MB/s, ${f(n.consumeCpuMsPerMb, 1)} ms/MB`),
    row('probe p50/p99', (n) => `${f(n.probeP50Us / 1000, 3)}/${f(n.probeP99Us / 1000, 3)} ms`),
    row('spans exported', (n) => `${k(n.exports)} requests, ${f(n.exportBytes / 1024, 0)} KiB`),
    vs('traced/off: tput', (x) => `produce ${f(x.produceRatio, 3)}, consume ${f(x.consumeRatio, 3)}`),
    vs('traced/off: CPU/MB', (x) => `produce ${f(x.produceCpuRatio, 3)}, consume ${f(x.consumeCpuRatio, 3)}`),
    vs('added probe p50/p99', (x) => `${signed(x.addedP50Ms, 3)}/${signed(x.addedP99Ms, 3)} ms`),
  ];
}
