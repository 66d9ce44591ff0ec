// Number formatting and the throughput table rows, shared by every section of the bench report.
import { GOALS, type PathNumbers, type ThroughputComparison } from './comparison.js';

/** Fixed digits, or "-" for a number that was not measured. */
export const f = (n: number | undefined, digits = 1): string => (n === undefined || !Number.isFinite(n) ? '-' : n.toFixed(digits));
/** A whole number with thousands separators. */
export const k = (n: number): string => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '-');
export const verdict = (ok: boolean | null): string => (ok === null ? 'inconclusive' : ok ? 'met' : 'NOT met');
export const signed = (n: number, digits: number): string => (Number.isFinite(n) ? `${n >= 0 ? '+' : ''}${n.toFixed(digits)}` : '-');

export const TABLE_HEADER = '                    direct                      through Turnout             Turnout/direct';

/** A throughput row under TABLE_HEADER, with a line of whole-ms latencies and Turnout's CPU when known. */
export function throughputRows(label: string, t: ThroughputComparison, latency: boolean): string[] {
  const out: string[] = [];
  const cell = (p: PathNumbers): string => `${f(p.mbPerSec)} MB/s ${k(p.recordsPerSec).padStart(7)} rec/s`.padEnd(28);
  out.push(`  ${label.padEnd(17)} ${cell(t.direct)}${cell(t.turnout)}${f(t.ratio, 3)}  (runs: ${t.ratios.map((r) => r.toFixed(3)).join(', ')})`);
  if (latency) out.push(`  ${''.padEnd(17)} ${`p50 ${f(t.direct.p50Ms, 0)} ms, p99 ${f(t.direct.p99Ms, 0)} ms`.padEnd(28)}${`p50 ${f(t.turnout.p50Ms, 0)} ms, p99 ${f(t.turnout.p99Ms, 0)} ms`.padEnd(28)}`);
  if (t.turnout.turnoutCores !== undefined) out.push(`  ${''.padEnd(17)} ${''.padEnd(28)}${`Turnout CPU ${f(t.turnout.turnoutCores * 100, 0)}% of a core`.padEnd(28)}`);
  return out;
}

export interface Goals {
  produceRatio: boolean;
  consumeRatio: boolean;
  /** null: inconclusive. */
  addedP99: boolean | null;
}

/** The goal verdicts, with the figure each was judged on. */
export function goalLines(title: string, goals: Goals, figures: { produceRatio: number; consumeRatio: number; addedP99Ms: number }): string[] {
  return [
    `  ${title}:`,
    `    produce throughput Turnout/direct >= ${GOALS.throughputRatio}: ${verdict(goals.produceRatio)} (${f(figures.produceRatio, 3)})`,
    `    consume throughput Turnout/direct >= ${GOALS.throughputRatio}: ${verdict(goals.consumeRatio)} (${f(figures.consumeRatio, 3)})`,
    `    added p99 latency < ${GOALS.addedP99Ms} ms at moderate load: ${verdict(goals.addedP99)} (${signed(figures.addedP99Ms, 3)} ms)`,
  ];
}
