// The demo's summary for people: the two clusters and the virtual cluster in front of them,
// what a client sees next to what is really there, the live cutovers and the segments they
// left, the bytes by zone, how the records went and whether every client got every record
// intact and in order, and what Turnout's own metrics counted. The secured demo's summary
// shares the verdict and delivery parts.
import type { ClientCheck } from './client-check.js';
import { cutoverLines, segmentLines } from './cutover-summary.js';
import type { DemoResult } from './demo-flow.js';
import type { ProduceStats } from './kafkajs-traffic.js';
import type { DeliveryReport } from './delivery-check.js';
import { count, formatBytes, formatMs, latency, paint } from './summary-format.js';
import type { TurnoutTraffic } from './turnout-traffic.js';
import { zoneLines } from './zone-summary.js';

export interface SummaryOptions {
  /** ANSI colours for the verdicts. */
  color?: boolean;
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
  const tally = `${count(r.received)}/${count(r.expected)}`.padEnd(15);
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

/** The verdict line, a warning per client that was not installed, and any further warnings. */
export function verdictLines(title: string, ok: boolean, clients: readonly ClientCheck[], color: boolean, warnings: readonly string[] = []): string[] {
  const out = ['', `${title}: ${ok ? paint('PASSED', 32, color) : paint('FAILED', 31, color)}`];
  for (const c of clients) {
    if (c.notInstalled !== undefined) out.push(paint(`WARNING: ${clientName(c.client)} was not checked: ${c.notInstalled}`, 33, color));
  }
  for (const w of warnings) out.push(paint(`WARNING: ${w}`, 33, color));
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

function produceLine(p: ProduceStats): string {
  return `${count(p.records)} events, ${formatBytes(p.payloadBytes)} in ${formatMs(p.durationMs)} (${count(p.recordsPerSec)}/s); ${count(p.requests)} requests acknowledged in ${latency(p.ackLatencyMs)}`;
}

/** Bytes both ways and requests by api, from Turnout's metrics. */
function metricsLines(t: TurnoutTraffic): string[] {
  const out = ['', "Turnout's own metrics"];
  out.push(`  clients -> Turnout  ${formatBytes(t.clientInBytes).padEnd(10)}  Turnout -> brokers  ${formatBytes(t.upstreamOutBytes)}`);
  out.push(`  brokers -> Turnout  ${formatBytes(t.upstreamInBytes).padEnd(10)}  Turnout -> clients  ${formatBytes(t.clientOutBytes)}`);
  out.push(`  requests: ${apiCounts(t.requests) || 'none'}`);
  const local = apiCounts(t.answeredLocally);
  if (local !== '') out.push(`  answered by Turnout itself: ${local}`);
  return out;
}

function setupLines(r: DemoResult): string[] {
  const out = [''];
  r.clusters.forEach((c, i) => {
    const racks = [...new Set(c.view.brokers.map((b) => b.rack ?? '-'))].join(', ');
    const version = c.kafkaVersion !== null ? `Kafka ${c.kafkaVersion}, ` : '';
    out.push(`  ${i === 0 ? 'Kafka  ' : '       '}  ${c.name.padEnd(4)}  ${version}${c.label}: ${c.view.brokers.length} brokers in racks ${racks}`);
  });
  const zones = r.turnout.zones.map((z) => `${z.zone} ${z.bootstrap}`).join(', ');
  out.push(`  Turnout  one virtual cluster, a listener per zone: ${zones}`);
  out.push(`           admin ${r.turnout.adminUrl} (GET /v1/zones, /v1/cutovers, /metrics); configuration ${r.turnout.configFile}`);
  r.domains.forEach((d, i) => {
    const target = d.migrationTarget !== null ? `, migration target ${d.migrationTarget}` : '';
    const moved = d.now !== d.backend ? `; after the cutovers on ${d.now}` : '';
    out.push(`  ${i === 0 ? 'Domains' : '       '}  ${d.name.padEnd(9)} ${d.topics.padEnd(11)} on ${d.backend}${target}${moved}`);
  });
  return out;
}

function clientViewLines(r: DemoResult, color: boolean): string[] {
  const out = ['', 'What a client sees, and what is really behind it'];
  out.push(`  cluster id  ${String(r.turnout.clusterId)}   real: ${r.clusters.map((c) => `${c.name} ${c.view.clusterId ?? '-'}`).join(', ')}`);
  for (const z of r.turnout.zones) {
    const nodes = z.nodes.map((n) => `${n.nodeId} ${n.host}:${n.port}`).join(', ');
    const racks = [...new Set(z.nodes.map((n) => n.rack ?? '-'))].join(', ');
    out.push(`  a client in ${z.zone} sees ${z.nodes.length === 1 ? 'one broker, node' : 'nodes'} ${nodes} (rack ${racks}), leading every partition of both clusters`);
  }
  for (const c of r.clusters) out.push(`  behind them, ${c.name}: ${c.view.brokers.map((b) => `broker ${b.nodeId} ${b.host}:${b.port} (${b.rack ?? '-'})`).join(', ')}`);
  out.push(
    r.leaks.length === 0
      ? `  ${paint('no broker address or id of either cluster reached a client', 32, color)}`
      : `  ${paint('LEAKED to a client:', 31, color)} ${r.leaks.join('; ')}`,
  );
  return out;
}

/** The summary as lines of text. */
export function formatDemoSummary(r: DemoResult, opts: SummaryOptions = {}): string[] {
  const color = opts.color === true;
  const warnings = r.cutover.status === 'unavailable' ? [`the cutover was not shown: ${r.cutover.reason ?? 'no cutover in this build'}`] : [];
  const out = verdictLines('Turnout demo', r.ok, r.clients, color, warnings);
  out.push(...setupLines(r));
  out.push(...clientViewLines(r, color));
  out.push(...cutoverLines(r, color));
  out.push(...segmentLines(r.segments, color));
  out.push(...zoneLines(r.zones, color));
  out.push('', 'Produced through Turnout (kafkajs, idempotent, acks=all), the whole time');
  const topicWidth = Math.max(...r.produce.map((p) => p.topic.length));
  const clientWidth = Math.max(...r.produce.map((p) => `${p.client}, ${p.zone}`.length));
  for (const p of r.produce) {
    out.push(`  ${p.topic.padEnd(topicWidth)}  ${`${p.client}, ${p.zone}`.padEnd(clientWidth)}  ${produceLine(p.stats)}`);
    if (p.failure !== null) out.push(`      ${paint(`stopped early: ${p.failure}`, 31, color)}`);
  }
  out.push('', 'Consumed through Turnout, each record checked against its produce acknowledgement');
  const width = Math.max(...r.clients.map((c) => clientName(c.client).length));
  for (const c of r.clients) out.push(...clientLine(c, width, color));
  out.push(...metricsLines(r.traffic));
  out.push('', `Done in ${formatMs(r.durationMs)}.`);
  return out;
}
