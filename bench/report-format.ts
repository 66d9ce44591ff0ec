// Number formatting and the throughput table rows, shared by every section of the bench report.
import { GOALS, type PathNumbers, type ThroughputComparison } from './comparison.js';

/** Fixed digits, or "-" for a number that was not measured. */
export const f = (n: number | undefined, digits = 1): string => (n === undefined || !Number.isFinite(n) ? '-' : n.toFixed(digits));
/** A whole number with thousands separators. */
export const k = (n: number): string => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '-');
export const verdict = (ok: boolean | null): string => (ok === null ? 'inconclusive' : ok ? 'met' : 'NOT met');
export const signed = (n: number, digits: number): string => (Number.isFinite(n) ? `${n >= 0 ? '+' : ''}${n.toFixed(digits)}` : '-');

export const TABLE_HEADER = '                    direct                      through Turnout             Turnout/direct';
/** The header when the HAProxy path ran: three paths, then the ratios between them. */
export const TABLE_HEADER_WITH_HAPROXY =
  '                    direct                      HAProxy                     Turnout                     Turnout/direct  HAProxy/direct  Turnout/HAProxy';

/** The table's header for this comparison: with an HAProxy column when that path ran. */
export function tableHeader(t: ThroughputComparison): string {
  return t.vsHaproxy === undefined ? TABLE_HEADER : TABLE_HEADER_WITH_HAPROXY;
}

const cell = (p: PathNumbers): string => `${f(p.mbPerSec)} MB/s ${k(p.recordsPerSec).padStart(7)} rec/s`.padEnd(28);
const latencyCell = (p: PathNumbers): string => `p50 ${f(p.p50Ms, 0)} ms, p99 ${f(p.p99Ms, 0)} ms`.padEnd(28);
/** The proxy's CPU on a path: share of a core while records flowed, and ms per MB moved. */
export const cpuCell = (p: PathNumbers | undefined): string =>
  (p?.proxyCores === undefined ? '' : `CPU ${f(p.proxyCores * 100, 0)}%, ${f(p.cpuMsPerMb, 2)} ms/MB`).padEnd(28);
const rounds = (values: readonly number[]): string => values.map((r) => r.toFixed(3)).join(', ');

/** A throughput row under `tableHeader(t)`, with a line of whole-ms latencies and the proxies' CPU when known. */
export function throughputRows(label: string, t: ThroughputComparison, latency: boolean): string[] {
  const out: string[] = [];
  const lead = `  ${label.padEnd(17)} `;
  const blank = `  ${''.padEnd(17)} `;
  const h = t.vsHaproxy;
  if (h === undefined) {
    out.push(`${lead}${cell(t.direct)}${cell(t.turnout)}${f(t.ratio, 3)}  (runs: ${rounds(t.ratios)})`);
    if (latency) out.push(`${blank}${latencyCell(t.direct)}${latencyCell(t.turnout)}`);
    if (t.turnout.proxyCores !== undefined) out.push(`${blank}${''.padEnd(28)}${cpuCell(t.turnout)}`);
    return out;
  }
  out.push(`${lead}${cell(t.direct)}${cell(h.haproxy)}${cell(t.turnout)}${f(t.ratio, 3).padEnd(16)}${f(h.haproxyToDirect.value, 3).padEnd(16)}${f(h.turnoutToHaproxy.value, 3)}`);
  if (latency) out.push(`${blank}${latencyCell(t.direct)}${latencyCell(h.haproxy)}${latencyCell(t.turnout)}`);
  out.push(`${blank}${''.padEnd(28)}${cpuCell(h.haproxy)}${cpuCell(t.turnout)}CPU per MB Turnout/HAProxy ${f(h.cpuPerMbTurnoutToHaproxy.value, 2)}`);
  out.push(
    `${blank}per round: Turnout/direct ${rounds(t.ratios)}; HAProxy/direct ${rounds(h.haproxyToDirect.runs)}; ` +
      `Turnout/HAProxy ${rounds(h.turnoutToHaproxy.runs)}; CPU per MB Turnout/HAProxy ${rounds(h.cpuPerMbTurnoutToHaproxy.runs)}`,
  );
  out.push(...kroxyliciousRows(t));
  return out;
}

/** Kroxylicious's line under a throughput row, when its path ran. */
function kroxyliciousRows(t: ThroughputComparison): string[] {
  const kx = t.vsKroxylicious;
  if (kx === undefined) return [];
  const overHaproxy = kx.cpuPerMbKroxyliciousToHaproxy;
  return [
    `  ${''.padEnd(17)} Kroxylicious ${cell(kx.kroxylicious)}${cpuCell(kx.kroxylicious)}Kroxylicious/direct ${f(kx.kroxyliciousToDirect.value, 3)}` +
      `${overHaproxy !== undefined ? `, CPU per MB Kroxylicious/HAProxy ${f(overHaproxy.value, 2)}` : ''}, Turnout/Kroxylicious ${f(kx.turnoutToKroxylicious.value, 3)}, ` +
      `CPU per MB Turnout/Kroxylicious ${f(kx.cpuPerMbTurnoutToKroxylicious.value, 2)} (runs: ${kx.cpuPerMbTurnoutToKroxylicious.runs.map((r) => r.toFixed(2)).join(', ')})`,
  ];
}

export interface Goals {
  produceRatio: boolean;
  consumeRatio: boolean;
  /** null: inconclusive. */
  addedP99: boolean | null;
  /** Turnout's CPU per MB at most CPU_PER_MB_VS_HAPROXY times HAProxy's, produce and consume; absent without the HAProxy path. */
  cpuPerMbVsHaproxy?: boolean;
}

/** The goal verdicts, with the figure each was judged on. */
export function goalLines(title: string, goals: Goals, figures: { produceRatio: number; consumeRatio: number; addedP99Ms: number; cpuPerMbVsHaproxy?: { produce: number; consume: number } }): string[] {
  const out = [
    `  ${title}:`,
    `    produce throughput Turnout/direct >= ${GOALS.throughputRatio}: ${verdict(goals.produceRatio)} (${f(figures.produceRatio, 3)})`,
    `    consume throughput Turnout/direct >= ${GOALS.throughputRatio}: ${verdict(goals.consumeRatio)} (${f(figures.consumeRatio, 3)})`,
    `    added p99 latency < ${GOALS.addedP99Ms} ms at moderate load: ${verdict(goals.addedP99)} (${signed(figures.addedP99Ms, 3)} ms)`,
  ];
  const cpu = figures.cpuPerMbVsHaproxy;
  if (goals.cpuPerMbVsHaproxy !== undefined && cpu !== undefined) {
    out.push(`    CPU per MB Turnout/HAProxy <= ${GOALS.cpuPerMbVsHaproxy}: ${verdict(goals.cpuPerMbVsHaproxy)} (produce ${f(cpu.produce, 2)}, consume ${f(cpu.consume, 2)})`);
  }
  return out;
}

/** Whether Turnout's CPU per MB stays within the goal's multiple of HAProxy's for produce and consume; undefined without the HAProxy path. */
export function cpuGoal(produce: ThroughputComparison, consume: ThroughputComparison): { met: boolean; produce: number; consume: number } | undefined {
  if (produce.vsHaproxy === undefined || consume.vsHaproxy === undefined) return undefined;
  const p = produce.vsHaproxy.cpuPerMbTurnoutToHaproxy.value;
  const c = consume.vsHaproxy.cpuPerMbTurnoutToHaproxy.value;
  return { met: p <= GOALS.cpuPerMbVsHaproxy && c <= GOALS.cpuPerMbVsHaproxy, produce: p, consume: c };
}
