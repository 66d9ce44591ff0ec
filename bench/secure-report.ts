// The secured case in numbers: per variant (plaintext; TLS + SCRAM; TLS + SCRAM + ACLs) the
// medians over repetitions of throughput, the perf test's and the probe's latencies and
// Turnout's CPU; the secured/plaintext throughput ratios and added latency, and what the ACL
// check adds on its own (secured against TLS + SCRAM), each from the runs of one repetition
// (run back to back); the goals' verdicts.
import type { BenchWorkload } from './bench-report.js';
import { median, MIN_RATE_SHARE, proxyCores, type PathNumbers } from './comparison.js';
import type { ConsumerPerfResult, ProducerPerfResult } from './perf-output.js';
import type { ProbeLatency } from './produce-probe.js';
import { f, k, signed, verdict } from './report-format.js';
import { SECURITY_VARIANTS, VARIANT_LABELS, type SecurityVariant } from './secure-turnout.js';

export interface SecureProduceRun {
  variant: SecurityVariant;
  rep: number;
  result: ProducerPerfResult;
  durationMs: number;
  /** Turnout's CPU seconds during the run. */
  proxyCpuSec?: number;
}

export interface SecureConsumeRun {
  variant: SecurityVariant;
  rep: number;
  result: ConsumerPerfResult;
  durationMs: number;
  proxyCpuSec?: number;
}

export interface SecureLatencyRun {
  variant: SecurityVariant;
  rep: number;
  perf: ProducerPerfResult;
  probe: ProbeLatency;
}

export interface SecureCaseConfig extends BenchWorkload {
  mechanism: string;
  /** ACL bindings of the secured setting. */
  aclBindings: number;
}

export interface SecureThroughput extends PathNumbers {
  /** Turnout's CPU time per MB (2^20 bytes) of records moved, ms. */
  cpuMsPerMb?: number;
}

export interface SecureVariantNumbers {
  produce: SecureThroughput;
  consume: SecureThroughput;
  latency: { perfP50Ms: number; perfP99Ms: number; probeP50Us: number; probeP99Us: number; probeP999Us: number; probeCount: number };
}

/** One figure of `of` against `base`, per repetition and their median. */
export interface VariantComparison {
  value: number;
  runs: number[];
}

export interface SecureSummary {
  config: SecureCaseConfig;
  variants: Record<SecurityVariant, SecureVariantNumbers>;
  /** Throughput TLS + SCRAM + ACLs / plaintext: the goal's ratio. */
  produceRatio: VariantComparison;
  consumeRatio: VariantComparison;
  /** Throughput TLS + SCRAM (ACLs off) / plaintext: what TLS and SASL cost without the ACLs. */
  tlsProduceRatio: VariantComparison;
  tlsConsumeRatio: VariantComparison;
  /** Throughput TLS + SCRAM + ACLs / TLS + SCRAM: what the ACL check costs on its own. */
  aclProduceRatio: VariantComparison;
  aclConsumeRatio: VariantComparison;
  /** Probe p50 and p99, TLS + SCRAM + ACLs − plaintext, ms. */
  addedP50Ms: VariantComparison;
  addedP99Ms: VariantComparison;
  /** Probe p50 and p99, TLS + SCRAM + ACLs − TLS + SCRAM: the ACL check alone, ms. */
  aclP50Ms: VariantComparison;
  aclP99Ms: VariantComparison;
  /** aclP50 null: inconclusive (see notes). The acl ratios judge the ACL check's share of the throughput ratios. */
  goals: { produceRatio: boolean; consumeRatio: boolean; aclProduceRatio: boolean; aclConsumeRatio: boolean; aclP50: boolean | null };
  notes: string[];
}

export const SECURE_GOALS = {
  /** TLS + SCRAM + ACLs / plaintext throughput, produce and consume. */
  throughputRatio: 0.95,
  /**
   * What the ACL check may add to the probe's p50 and still count as no measurable cost: on the
   * 2-core development machine, medians of two plaintext runs differ by about this much.
   */
  aclAddedP50Ms: 0.1,
} as const;

/** Probe round trips a run needs for its percentiles to mean something. */
export const MIN_SECURE_PROBE_SAMPLES = 300;

function byRep<T extends { variant: SecurityVariant; rep: number }>(runs: readonly T[]): Array<Map<SecurityVariant, T>> {
  const reps = [...new Set(runs.map((r) => r.rep))].sort((a, b) => a - b);
  return reps.map((rep) => new Map(runs.filter((r) => r.rep === rep).map((r) => [r.variant, r])));
}

/** `figure(of) op figure(base)` in each repetition that ran both, and the median. */
function compare<T extends { variant: SecurityVariant; rep: number }>(runs: readonly T[], of: SecurityVariant, base: SecurityVariant, value: (a: T, b: T) => number): VariantComparison {
  const values = byRep(runs).flatMap((m) => {
    const a = m.get(of);
    const b = m.get(base);
    return a !== undefined && b !== undefined ? [value(a, b)] : [];
  });
  return { value: median(values), runs: values };
}

function cpuMsPerMb(runs: ReadonlyArray<{ proxyCpuSec?: number }>, mbOf: (i: number) => number): number | undefined {
  const values = runs.flatMap((r, i) => (r.proxyCpuSec === undefined || mbOf(i) <= 0 ? [] : [(r.proxyCpuSec * 1000) / mbOf(i)]));
  return values.length === 0 ? undefined : median(values);
}

const MB = 1024 * 1024;

function variantNumbers(variant: SecurityVariant, produce: readonly SecureProduceRun[], consume: readonly SecureConsumeRun[], latency: readonly SecureLatencyRun[], recordSizeBytes: number): SecureVariantNumbers {
  const p = produce.filter((r) => r.variant === variant);
  const c = consume.filter((r) => r.variant === variant);
  const l = latency.filter((r) => r.variant === variant);
  const withCpu = <N extends SecureThroughput>(n: N, runs: ReadonlyArray<{ proxyCpuSec?: number; durationMs: number }>, mbOf: (i: number) => number): N => {
    const cores = proxyCores(runs);
    const perMb = cpuMsPerMb(runs, mbOf);
    return { ...n, ...(cores !== undefined ? { proxyCores: cores } : {}), ...(perMb !== undefined ? { cpuMsPerMb: perMb } : {}) };
  };
  return {
    produce: withCpu(
      {
        mbPerSec: median(p.map((r) => r.result.mbPerSec)),
        recordsPerSec: median(p.map((r) => r.result.recordsPerSec)),
        p50Ms: median(p.map((r) => r.result.p50Ms)),
        p99Ms: median(p.map((r) => r.result.p99Ms)),
      },
      p,
      (i) => ((p[i]?.result.records ?? 0) * recordSizeBytes) / MB,
    ),
    consume: withCpu({ mbPerSec: median(c.map((r) => r.result.fetchMbPerSec)), recordsPerSec: median(c.map((r) => r.result.fetchRecordsPerSec)) }, c, (i) => c[i]?.result.mb ?? 0),
    latency: {
      perfP50Ms: median(l.map((r) => r.perf.p50Ms)),
      perfP99Ms: median(l.map((r) => r.perf.p99Ms)),
      probeP50Us: median(l.map((r) => r.probe.p50Us)),
      probeP99Us: median(l.map((r) => r.probe.p99Us)),
      probeP999Us: median(l.map((r) => r.probe.p999Us)),
      probeCount: l.reduce((n, r) => n + r.probe.count, 0),
    },
  };
}

export function summarizeSecure(config: SecureCaseConfig, produce: readonly SecureProduceRun[], consume: readonly SecureConsumeRun[], latency: readonly SecureLatencyRun[]): SecureSummary {
  const variants = Object.fromEntries(SECURITY_VARIANTS.map((v) => [v, variantNumbers(v, produce, consume, latency, config.recordSizeBytes)])) as Record<SecurityVariant, SecureVariantNumbers>;
  const produceRatio = (a: SecureProduceRun, b: SecureProduceRun): number => a.result.mbPerSec / b.result.mbPerSec;
  // Consume compares the rate while fetching, the group join left out, as the main bench does.
  const consumeRatio = (a: SecureConsumeRun, b: SecureConsumeRun): number => a.result.fetchMbPerSec / b.result.fetchMbPerSec;
  const probeDiff = (pick: 'p50Us' | 'p99Us') => (a: SecureLatencyRun, b: SecureLatencyRun) => (a.probe[pick] - b.probe[pick]) / 1_000;
  const summary: SecureSummary = {
    config,
    variants,
    produceRatio: compare(produce, 'tls-sasl-acl', 'plain', produceRatio),
    consumeRatio: compare(consume, 'tls-sasl-acl', 'plain', consumeRatio),
    tlsProduceRatio: compare(produce, 'tls-sasl', 'plain', produceRatio),
    tlsConsumeRatio: compare(consume, 'tls-sasl', 'plain', consumeRatio),
    aclProduceRatio: compare(produce, 'tls-sasl-acl', 'tls-sasl', produceRatio),
    aclConsumeRatio: compare(consume, 'tls-sasl-acl', 'tls-sasl', consumeRatio),
    addedP50Ms: compare(latency, 'tls-sasl-acl', 'plain', probeDiff('p50Us')),
    addedP99Ms: compare(latency, 'tls-sasl-acl', 'plain', probeDiff('p99Us')),
    aclP50Ms: compare(latency, 'tls-sasl-acl', 'tls-sasl', probeDiff('p50Us')),
    aclP99Ms: compare(latency, 'tls-sasl-acl', 'tls-sasl', probeDiff('p99Us')),
    goals: { produceRatio: false, consumeRatio: false, aclProduceRatio: false, aclConsumeRatio: false, aclP50: null },
    notes: [],
  };
  const fewSamples = latency.filter((r) => r.probe.count < MIN_SECURE_PROBE_SAMPLES);
  const slowLoad = latency.filter((r) => r.perf.recordsPerSec < MIN_RATE_SHARE * config.latencyRate);
  const probeErrors = latency.filter((r) => r.probe.errors > 0);
  if (fewSamples.length > 0) summary.notes.push(`latency probe: ${fewSamples.map((r) => `${VARIANT_LABELS[r.variant]} #${r.rep + 1} ${r.probe.count}`).join(', ')} round trips, fewer than ${MIN_SECURE_PROBE_SAMPLES}`);
  if (slowLoad.length > 0) {
    summary.notes.push(
      `the capped perf test did not reach ${config.latencyRate} rec/s (${slowLoad.map((r) => `${VARIANT_LABELS[r.variant]} #${r.rep + 1} ${Math.round(r.perf.recordsPerSec)}`).join(', ')}): ` +
        'the machine was saturated, so latencies measure queueing',
    );
  }
  if (probeErrors.length > 0) summary.notes.push(`probe requests answered with an error: ${probeErrors.map((r) => `${VARIANT_LABELS[r.variant]} #${r.rep + 1} ${r.probe.errors}`).join(', ')}`);
  summary.goals = {
    produceRatio: summary.produceRatio.value >= SECURE_GOALS.throughputRatio,
    consumeRatio: summary.consumeRatio.value >= SECURE_GOALS.throughputRatio,
    aclProduceRatio: summary.aclProduceRatio.value >= SECURE_GOALS.throughputRatio,
    aclConsumeRatio: summary.aclConsumeRatio.value >= SECURE_GOALS.throughputRatio,
    aclP50: fewSamples.length > 0 || slowLoad.length > 0 || !Number.isFinite(summary.aclP50Ms.value) ? null : summary.aclP50Ms.value < SECURE_GOALS.aclAddedP50Ms,
  };
  return summary;
}

const COLUMN = 26;
/** The two shares of the secured/plaintext ratio: TLS and SASL, then the ACL check. */
const partRatios = (tls: VariantComparison, acl: VariantComparison): string => `TLS + SCRAM/plaintext ${f(tls.value, 3)}, with ACLs/without ${f(acl.value, 3)}`;
const runsOf = (c: VariantComparison, digits: number): string => `(runs: ${c.runs.map((r) => r.toFixed(digits)).join(', ')})`;

function throughputCells(pick: (v: SecureVariantNumbers) => SecureThroughput, withLatency: boolean, s: SecureSummary): string[] {
  const rows: string[][] = [[], [], []];
  for (const variant of SECURITY_VARIANTS) {
    const t = pick(s.variants[variant]);
    rows[0]?.push(`${f(t.mbPerSec)} MB/s ${k(t.recordsPerSec).padStart(7)} rec/s`.padEnd(COLUMN));
    rows[1]?.push((withLatency ? `p50 ${f(t.p50Ms, 0)} ms, p99 ${f(t.p99Ms, 0)} ms` : '').padEnd(COLUMN));
    rows[2]?.push((t.proxyCores !== undefined ? `CPU ${f(t.proxyCores * 100, 0)}%, ${f(t.cpuMsPerMb, 1)} ms/MB` : '').padEnd(COLUMN));
  }
  return rows.map((r) => r.join(''));
}

/** The secured case's section of the report, as lines. */
export function formatSecureReport(s: SecureSummary): string[] {
  const c = s.config;
  const out: string[] = [];
  out.push('');
  out.push(`Secured listener: one Turnout per setting in front of cluster ${c.cluster}${c.kafkaVersion !== null ? ` (Kafka ${c.kafkaVersion})` : ''}, the same records through each`);
  out.push(`  ${VARIANT_LABELS.plain}: no TLS, no SASL, ACLs off; ${VARIANT_LABELS['tls-sasl']}: TLS and SASL ${c.mechanism}, ACLs off; ${VARIANT_LABELS['tls-sasl-acl']}: the same with ACLs on (${c.aclBindings} bindings)`);
  out.push(`  ${k(c.records)} records of ${c.recordSizeBytes} B per produce run (acks=${c.acks}), ${k(c.consumeRecords)} per consume run; ${c.repeat} repetition(s), the order of the settings rotating`);
  out.push('');
  out.push(`  ${''.padEnd(17)} ${SECURITY_VARIANTS.map((v) => VARIANT_LABELS[v].padEnd(COLUMN)).join('')}secured/plaintext`);
  const produce = throughputCells((v) => v.produce, true, s);
  const consume = throughputCells((v) => v.consume, false, s);
  out.push(`  ${'produce (perf)'.padEnd(17)} ${produce[0]}${f(s.produceRatio.value, 3)} ${runsOf(s.produceRatio, 3)}`);
  out.push(`  ${''.padEnd(17)} ${produce[1]}${partRatios(s.tlsProduceRatio, s.aclProduceRatio)}`);
  if ((produce[2] ?? '').trim() !== '') out.push(`  ${''.padEnd(17)} ${produce[2]}`);
  out.push(`  ${'consume (fetch)'.padEnd(17)} ${consume[0]}${f(s.consumeRatio.value, 3)} ${runsOf(s.consumeRatio, 3)}`);
  out.push(`  ${''.padEnd(17)} ${''.padEnd(COLUMN * 3)}${partRatios(s.tlsConsumeRatio, s.aclConsumeRatio)}`);
  if ((consume[2] ?? '').trim() !== '') out.push(`  ${''.padEnd(17)} ${consume[2]}`);
  out.push('');
  out.push(`  moderate load: producer perf test capped at ${k(c.latencyRate)} rec/s (${k(c.latencyRecords)} records), with a ${c.probeRate}/s single-record produce probe on the same listener, acks=${c.latencyAcks}`);
  const lat = (pick: (v: SecureVariantNumbers) => string): string => SECURITY_VARIANTS.map((v) => pick(s.variants[v]).padEnd(COLUMN)).join('');
  out.push(`  ${'perf p50/p99'.padEnd(17)} ${lat((v) => `${f(v.latency.perfP50Ms, 0)}/${f(v.latency.perfP99Ms, 0)} ms`)}(whole-ms percentiles)`);
  out.push(`  ${'probe p50/p99'.padEnd(17)} ${lat((v) => `${f(v.latency.probeP50Us / 1000, 3)}/${f(v.latency.probeP99Us / 1000, 3)} ms`)}added p50 ${signed(s.addedP50Ms.value, 3)} ms, p99 ${signed(s.addedP99Ms.value, 3)} ms`);
  out.push(`  ${'ACL check alone'.padEnd(17)} ${''.padEnd(COLUMN * 3)}p50 ${signed(s.aclP50Ms.value, 3)} ms ${runsOf(s.aclP50Ms, 3)}, p99 ${signed(s.aclP99Ms.value, 3)} ms`);
  out.push('');
  for (const note of s.notes) out.push(`  note: ${note}`);
  out.push('  goals (secured):');
  out.push(`    produce throughput secured/plaintext >= ${SECURE_GOALS.throughputRatio}: ${verdict(s.goals.produceRatio)} (${f(s.produceRatio.value, 3)})`);
  out.push(`    consume throughput secured/plaintext >= ${SECURE_GOALS.throughputRatio}: ${verdict(s.goals.consumeRatio)} (${f(s.consumeRatio.value, 3)})`);
  out.push(
    `    the ACL check's share, TLS + SCRAM with ACLs/without >= ${SECURE_GOALS.throughputRatio}: ` +
      `produce ${verdict(s.goals.aclProduceRatio)} (${f(s.aclProduceRatio.value, 3)}), consume ${verdict(s.goals.aclConsumeRatio)} (${f(s.aclConsumeRatio.value, 3)})`,
  );
  out.push(`    the ACL check adds less than ${SECURE_GOALS.aclAddedP50Ms} ms to the probe's p50: ${verdict(s.goals.aclP50)} (${signed(s.aclP50Ms.value, 3)} ms)`);
  return out;
}
