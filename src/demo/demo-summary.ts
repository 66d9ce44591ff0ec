// The demo's summary for people: what the client saw next to what is really there, how the
// records went, whether every client got every record intact and in order, and what
// Turnout's own metrics counted.
import type { ClientCheck } from './client-check.js';
import type { DemoResult } from './demo-flow.js';
import type { ProduceStats } from './kafkajs-traffic.js';
import type { DeliveryReport } from './delivery-check.js';
import type { LatencySummary } from './latency-stats.js';

export interface SummaryOptions {
  /** ANSI colours for the verdicts. */
  color?: boolean;
}

export const count = (n: number): string => Math.round(n).toLocaleString('en-US');

export function formatBytes(n: number): string {
  if (n < 1_000) return `${n} B`;
  if (n < 1_000_000) return `${(n / 1_000).toFixed(1)} kB`;
  if (n < 1_000_000_000) return `${(n / 1_000_000).toFixed(2)} MB`;
  return `${(n / 1_000_000_000).toFixed(2)} GB`;
}

export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return '-';
  if (ms < 10) return `${ms.toFixed(2)} ms`;
  if (ms < 1_000) return `${ms.toFixed(1)} ms`;
  return `${(ms / 1_000).toFixed(2)} s`;
}

export function latency(l: LatencySummary | undefined): string {
  if (l === undefined || l.count === 0) return '';
  return `p50 ${formatMs(l.p50)}, p99 ${formatMs(l.p99)}`;
}

export function paint(text: string, code: number, on: boolean): string {
  return on ? `\u001b[${code}m${text}\u001b[0m` : text;
}

export function clientName(client: string): string {
  return client === 'kcat' ? 'kcat (librdkafka)' : client;
}

function problemsOf(r: DeliveryReport): string {
  const parts: string[] = [];
  if (r.missing > 0) parts.push(`${count(r.missing)} missing`);
  if (r.duplicates > 0) parts.push(`${count(r.duplicates)} duplicated`);
  if (r.corrupted > 0) parts.push(`${count(r.corrupted)} altered`);
  if (r.outOfOrder > 0) parts.push(`${count(r.outOfOrder)} out of order`);
  if (r.unexpected > 0) parts.push(`${count(r.unexpected)} unexpected`);
  return parts.join(', ');
}

export function clientLine(c: ClientCheck, width: number, color: boolean): string[] {
  const name = clientName(c.client).padEnd(width);
  if (c.notInstalled !== undefined) return [`  ${name}  ${paint(`NOT CHECKED: ${c.notInstalled}`, 33, color)}`];
  const r = c.report as DeliveryReport;
  const tally = `${count(r.received)}/${count(r.expected)}`.padEnd(13);
  const lines: string[] = [];
  if (r.ok && c.error === undefined) {
    const timing = c.endToEndLatencyMs !== undefined ? `produce-to-consume ${latency(c.endToEndLatencyMs)}` : `read in ${formatMs(c.durationMs)}`;
    lines.push(`  ${name}  ${tally} ${paint('intact, in order per partition', 32, color)}   ${timing}`);
  } else {
    lines.push(`  ${name}  ${tally} ${paint(problemsOf(r) || 'FAILED', 31, color)}`);
    for (const p of r.problems) lines.push(`      ${p}`);
    if (c.error !== undefined) lines.push(...c.error.trimEnd().split('\n').slice(-6).map((l) => `      ${l}`));
  }
  return lines;
}

function apiCounts(counts: Record<string, number>): string {
  return Object.entries(counts)
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1])
    .map(([api, n]) => `${api} ${count(n)}`)
    .join(', ');
}

/** The verdict line and a warning per client that was not installed. */
export function verdictLines(title: string, ok: boolean, clients: readonly ClientCheck[], color: boolean): string[] {
  const out = ['', `${title}: ${ok ? paint('PASSED', 32, color) : paint('FAILED', 31, color)}`];
  for (const c of clients) {
    if (c.notInstalled !== undefined) out.push(paint(`WARNING: ${clientName(c.client)} was not checked: ${c.notInstalled}`, 33, color));
  }
  return out;
}

/** The produce figures, then each client's delivery check. */
export function deliveryLines(p: ProduceStats, clients: readonly ClientCheck[], titles: { produced: string; consumed: string }, color: boolean): string[] {
  const out: string[] = [];
  out.push('', titles.produced);
  out.push(`  ${count(p.records)} order events (${formatBytes(p.payloadBytes)} of keys and values) in ${formatMs(p.durationMs)}: ${count(p.recordsPerSec)} records/s, ${p.mbPerSec.toFixed(2)} MB/s`);
  out.push(`  ${count(p.requests)} produce requests, acknowledged in ${latency(p.ackLatencyMs)}`);
  out.push('', titles.consumed);
  const width = Math.max(...clients.map((c) => clientName(c.client).length));
  for (const c of clients) out.push(...clientLine(c, width, color));
  return out;
}

/** The summary as lines of text. */
export function formatDemoSummary(r: DemoResult, opts: SummaryOptions = {}): string[] {
  const color = opts.color === true;
  const out = verdictLines('Turnout demo', r.ok, r.clients, color);
  out.push('');
  const racks = [...new Set(r.real.brokers.map((b) => b.rack ?? '-'))].join(', ');
  const version = r.backend.kafkaVersion !== null ? `${r.backend.kafkaVersion}, ` : '';
  out.push(`  Kafka    ${version}${r.backend.label}: ${r.real.brokers.length} brokers in racks ${racks}`);
  out.push(`  Turnout  bootstrap ${r.turnout.bootstrapServers}${r.turnout.adminUrl !== null ? `, metrics ${r.turnout.adminUrl}/metrics` : ''}`);
  out.push(`  Topic    ${r.topic.name}: ${r.topic.partitions} partitions, replication factor ${r.topic.replicationFactor}`);

  out.push('', 'What the client sees, and what is really behind it');
  out.push(`  cluster id  ${String(r.seen.clusterId).padEnd(24)}  real: ${r.real.clusterId ?? '-'}`);
  const addressWidth = Math.max(...r.nodes.map((n) => `${n.virtual.host}:${n.virtual.port}`.length), 10);
  const realWidth = Math.max(...r.nodes.map((n) => (n.real === null ? 1 : `${n.real.host}:${n.real.port}`.length)), 10);
  for (const n of r.nodes) {
    const v = `node ${n.virtual.nodeId}  ${`${n.virtual.host}:${n.virtual.port}`.padEnd(addressWidth)}  ${(n.virtual.rack ?? '-').padEnd(5)}`;
    const real = n.real === null ? 'broker ?'.padEnd(realWidth + 17) : `broker ${n.real.nodeId}  ${`${n.real.host}:${n.real.port}`.padEnd(realWidth)}  ${(n.real.rack ?? '-').padEnd(5)}`;
    const led = n.partitions.length === 0 ? 'leads no partition' : `leads ${n.partitions.join(',')}: ${count(n.records)} records, ${formatBytes(n.payloadBytes)}`;
    out.push(`  ${v}  ->  ${real}  ${led}`);
  }
  out.push(`  kafkajs DescribeCluster saw cluster ${r.kafkajsSaw.clusterId} at ${r.kafkajsSaw.brokers.join(', ')}`);
  out.push(
    r.leaks.length === 0
      ? `  ${paint('no broker address or id of the real cluster reached the client', 32, color)}`
      : `  ${paint('LEAKED to the client:', 31, color)} ${r.leaks.join('; ')}`,
  );

  out.push(
    ...deliveryLines(
      r.produce,
      r.clients,
      { produced: 'Produced through Turnout (kafkajs, acks=all)', consumed: 'Consumed through Turnout, each record checked against its produce acknowledgement' },
      color,
    ),
  );

  const t = r.traffic;
  out.push('', "Turnout's own metrics");
  out.push(`  clients -> Turnout  ${formatBytes(t.clientInBytes).padEnd(10)}  Turnout -> brokers  ${formatBytes(t.upstreamOutBytes)}`);
  out.push(`  brokers -> Turnout  ${formatBytes(t.upstreamInBytes).padEnd(10)}  Turnout -> clients  ${formatBytes(t.clientOutBytes)}`);
  out.push(`  requests: ${apiCounts(t.requests) || 'none'}`);
  const local = apiCounts(t.answeredLocally);
  if (local !== '') out.push(`  answered by Turnout itself: ${local}`);
  out.push('', `Done in ${formatMs(r.durationMs)}.`);
  return out;
}
