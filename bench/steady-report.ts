// The steady moderate rate in numbers: the producer perf test capped at a rate every path
// reaches (2,000 records/s by default), run on each path in rotated rounds, and what each
// proxy's CPU was meanwhile as a share of one core: the cost of a proxy that idles most of
// the time, which the uncapped runs, dominated by copying, do not show.
import { median, ofPath, perRound, proxyCores, MIN_RATE_SHARE, PATH_LABELS, type BenchPath, type PerRound } from './comparison.js';
import type { ProducerPerfResult } from './perf-output.js';
import { f, k } from './report-format.js';

export interface SteadyRun {
  path: BenchPath;
  rep: number;
  result: ProducerPerfResult;
  durationMs: number;
  /** MB (2^20 bytes) of records moved. */
  mb: number;
  proxyCpuSec?: number;
}

export interface SteadyPathNumbers {
  /** Median rate reached. */
  recordsPerSec: number;
  /** Median CPU of the path's proxy as a share of one core (absent direct). */
  proxyCores?: number;
}

export interface SteadySummary {
  rate: number;
  seconds: number;
  paths: Partial<Record<BenchPath, SteadyPathNumbers>>;
  /** Turnout's CPU share over HAProxy's, per round; absent without HAProxy. */
  turnoutToHaproxyCores?: PerRound;
  /** Turnout's CPU share over Kroxylicious's, per round; absent without Kroxylicious. */
  turnoutToKroxyliciousCores?: PerRound;
  notes: string[];
}

const STEADY_PATHS = ['direct', 'haproxy', 'kroxylicious', 'turnout'] as const;

const coresOf = (r: SteadyRun): number => (r.proxyCpuSec === undefined || r.durationMs <= 0 ? Number.NaN : r.proxyCpuSec / (r.durationMs / 1000));

export function summarizeSteady(rate: number, seconds: number, runs: readonly SteadyRun[]): SteadySummary {
  const paths: Partial<Record<BenchPath, SteadyPathNumbers>> = {};
  for (const path of STEADY_PATHS) {
    const of = ofPath(runs, path);
    if (of.length === 0) continue;
    const cores = proxyCores(of);
    paths[path] = { recordsPerSec: median(of.map((r) => r.result.recordsPerSec)), ...(cores !== undefined ? { proxyCores: cores } : {}) };
  }
  const summary: SteadySummary = { rate, seconds, paths, notes: [] };
  if (paths.haproxy !== undefined && paths.turnout !== undefined) summary.turnoutToHaproxyCores = perRound(runs, 'turnout', 'haproxy', (a, b) => coresOf(a) / coresOf(b));
  if (paths.kroxylicious !== undefined && paths.turnout !== undefined) {
    summary.turnoutToKroxyliciousCores = perRound(runs, 'turnout', 'kroxylicious', (a, b) => coresOf(a) / coresOf(b));
  }
  const slow = runs.filter((r) => r.result.recordsPerSec < MIN_RATE_SHARE * rate);
  if (slow.length > 0) {
    summary.notes.push(`the steady rate of ${rate} rec/s was not reached (${slow.map((r) => `${r.path} #${r.rep + 1} ${Math.round(r.result.recordsPerSec)}`).join(', ')}): the machine was saturated`);
  }
  return summary;
}

/** The steady-rate lines of the report. */
export function formatSteady(s: SteadySummary): string[] {
  const out = ['', `  steady rate: producer perf test capped at ${k(s.rate)} rec/s for ${s.seconds} s on each path; the proxy's CPU as a share of one core`];
  const cells = STEADY_PATHS.flatMap((path) => {
    const n = s.paths[path];
    if (n === undefined) return [];
    return [`${PATH_LABELS[path]} ${k(n.recordsPerSec)} rec/s${n.proxyCores !== undefined ? `, CPU ${f(n.proxyCores * 100, 1)}%` : ''}`];
  });
  const ratioText = (name: string, ratio: PerRound | undefined): string =>
    ratio === undefined ? '' : `   ${name} ${f(ratio.value, 2)} (runs: ${ratio.runs.map((r) => r.toFixed(2)).join(', ')})`;
  out.push(`  ${cells.join('   ')}${ratioText('Turnout/HAProxy', s.turnoutToHaproxyCores)}${ratioText('Turnout/Kroxylicious', s.turnoutToKroxyliciousCores)}`);
  for (const note of s.notes) out.push(`  note: ${note}`);
  return out;
}
