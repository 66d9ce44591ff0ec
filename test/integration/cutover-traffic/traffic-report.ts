// The report of a traffic run: per producer what it had acknowledged, per group how its reads
// compare with that, per client what it complained about, and the produce latencies (kept
// whole, to be asked about any interval, such as a cutover's hold). `trafficProblems` lists
// every count that must be zero, with examples, for an assertion to show.
import type { ClientIssueCounts } from './client-issues.js';
import type { GroupVerdict, ReadFaults } from './group-reads.js';
import type { LatencyWindow, ProduceLatency } from './produce-latency.js';

export interface ProducerSummary {
  producer: string;
  /** verifiable, transactional or kafkajs. */
  kind: string;
  instance: string;
  acked: number;
  /** Transactional producers only. */
  committedTransactions?: number;
  abortedTransactions?: number;
}

/** The faults of every group summed, and the producers' and clients' own. */
export interface TrafficTotals extends ReadFaults {
  commitsOff: number;
  /** Two records acknowledged at one offset, or a producer's records acknowledged out of its order. */
  ackConflicts: number;
  /** Errors and warnings clients logged once the groups had settled. */
  clientErrors: number;
  clientWarnings: number;
}

export interface TrafficReport {
  topic: string;
  /** When the producers started and stopped (epoch ms). */
  steadyFromMs: number;
  steadyToMs: number;
  producers: ProducerSummary[];
  groups: GroupVerdict[];
  clients: ClientIssueCounts[];
  /** Records of aborted transactions written to the log (a read_committed group must read none). */
  abortedRecords: number;
  /** VerifiableProducer acknowledgements without a CreateTime read back, so without a latency. */
  acksWithoutSendTime: number;
  latency: ProduceLatency;
  latencyWindowMs: number;
  totals: TrafficTotals;
}

const READ_FAULTS = ['lost', 'duplicated', 'reordered', 'mismatched', 'abortedSeen', 'unacknowledged', 'rebalances'] as const satisfies ReadonlyArray<keyof ReadFaults>;

export function totalsOf(groups: readonly GroupVerdict[], clients: readonly ClientIssueCounts[], ackConflicts: number): TrafficTotals {
  const sum = (pick: (g: GroupVerdict) => number): number => groups.reduce((n, g) => n + pick(g), 0);
  const faults = Object.fromEntries(READ_FAULTS.map((k) => [k, sum((g) => g[k])])) as Record<(typeof READ_FAULTS)[number], number>;
  return {
    ...faults,
    commitsOff: sum((g) => g.commitsOff ?? 0),
    ackConflicts,
    clientErrors: clients.reduce((n, c) => n + c.errors, 0),
    clientWarnings: clients.reduce((n, c) => n + c.warnings, 0),
  };
}

/** Every count that must be zero and is not, each with its examples; empty for a clean run. */
export function trafficProblems(report: TrafficReport): string[] {
  const out: string[] = [];
  for (const g of report.groups) {
    const counts = ([...READ_FAULTS, 'commitsOff'] as const)
      .filter((k) => (g[k] ?? 0) > 0)
      .map((k) => `${k} ${g[k]}`);
    if (counts.length > 0) out.push(`group ${g.group} (${g.kind}): ${counts.join(', ')}; e.g. ${g.samples.join(' | ')}`);
    if (g.read === 0) out.push(`group ${g.group} (${g.kind}) read nothing`);
  }
  for (const c of report.clients) {
    if (c.errors > 0 || c.warnings > 0) out.push(`client ${c.client}: ${c.errors} errors, ${c.warnings} warnings; ${c.samples.join(' | ')}`);
  }
  if (report.totals.ackConflicts > 0) out.push(`${report.totals.ackConflicts} acknowledgements contradict each other (one offset twice, or a producer's order broken)`);
  for (const p of report.producers) if (p.acked === 0) out.push(`producer ${p.producer} had nothing acknowledged`);
  return out;
}

function windowsLine(windows: readonly LatencyWindow[]): string {
  return windows.map((w) => w.maxMs).join(' ');
}

/** The report as lines for a person: producers, groups, issues, latency maxima per window. */
export function formatTrafficReport(report: TrafficReport): string[] {
  const t = report.totals;
  const lines = [
    `traffic on ${report.topic} for ${((report.steadyToMs - report.steadyFromMs) / 1000).toFixed(1)} s`,
    ...report.producers.map(
      (p) =>
        `  producer ${p.producer} (${p.kind}, via ${p.instance}): ${p.acked} acknowledged` +
        (p.committedTransactions !== undefined ? `, ${p.committedTransactions} transactions committed, ${p.abortedTransactions} aborted` : ''),
    ),
    `  ${report.abortedRecords} records of aborted transactions in the log`,
    ...report.groups.flatMap((g) => [
      `  group ${g.group} (${g.kind}, ${g.members} members): expected ${g.expected}, read ${g.read}, lost ${g.lost}, duplicated ${g.duplicated}, ` +
        `reordered ${g.reordered}, mismatched ${g.mismatched}, aborted seen ${g.abortedSeen}, unacknowledged ${g.unacknowledged}, ` +
        `rebalances ${g.rebalances}, commits off ${g.commitsOff ?? 'unchecked'}`,
      ...g.samples.map((text) => `    ${text}`),
    ]),
    ...report.clients
      .filter((c) => c.errors + c.warnings + c.errorsWhileStarting + c.warningsWhileStarting > 0)
      .map((c) => `  client ${c.client}: ${c.errors} errors, ${c.warnings} warnings (and while starting, or rebalancing as members leave: ${c.errorsWhileStarting}, ${c.warningsWhileStarting}): ${c.samples.join(' | ')}`),
    `  produce latency max per ${report.latencyWindowMs} ms window (ms), by producer:`,
    ...report.latency.producers().map((p) => `    ${p}: ${windowsLine(report.latency.windows(p, report.latencyWindowMs))}`),
    `  totals: ${JSON.stringify(t)}`,
  ];
  if (report.acksWithoutSendTime > 0) lines.push(`  ${report.acksWithoutSendTime} VerifiableProducer acknowledgements had no CreateTime read back (no latency for them)`);
  return lines;
}
