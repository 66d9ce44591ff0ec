// The cutover part of the demo's summary: each cutover with how long it took and how long
// Turnout held the domain's produce requests, what that hold did to the producers of the
// moving domain and of the other one, whether a group rebalanced, and then the segment view:
// one partition's chain in full, virtual and real offsets side by side, and whether every
// cluster holds exactly the records its segments say.
import type { CutoverPhase } from '../admin/cutover-client.js';
import type { DemoGroup, DemoResult, DemoSegments, HoldImpact } from './demo-flow.js';
import { count, formatMs, paint } from './summary-format.js';

function ackText(h: { requests: number; maxAckMs: number | null }): string {
  return h.maxAckMs === null ? 'none in flight' : `${count(h.requests)} (longest ${formatMs(h.maxAckMs)})`;
}

function phaseText(phases: ReadonlyArray<{ phase: CutoverPhase; afterMs: number }>): string {
  return phases.map((p) => `${p.phase} ${Math.round(p.afterMs)}`).join(', ');
}

function groupLine(g: DemoGroup, color: boolean): string {
  const rebalanced = g.rebalances === 0 ? paint('no rebalance', 32, color) : paint(`${count(g.rebalances)} rebalance(s)`, 31, color);
  const crashed = g.crashes.length === 0 ? '' : `, ${paint(`crashed: ${g.crashes.join('; ')}`, 31, color)}`;
  return `  group ${g.group} (${g.zones.join(', ')}): ${rebalanced}${crashed}`;
}

/** The cutovers of the run, or why there were none. */
export function cutoverLines(r: Pick<DemoResult, 'cutover' | 'holds' | 'groups'>, color: boolean): string[] {
  const c = r.cutover;
  const out = ['', `Live cutover of domain ${c.domain}, while its producer and group ran`];
  if (c.status === 'unavailable' || c.status === 'none') {
    out.push(`  ${paint(`not shown: ${c.reason ?? 'no cutover was asked for'}`, 33, color)}`);
    out.push("  (with the cutover, the domain moves to west and back while its clients run, and each partition's log becomes a chain of segments, one per stay on a cluster)");
    return out;
  }
  const holds = new Map<number, HoldImpact>(r.holds.map((h) => [h.cutover, h]));
  if (c.cutovers.length > 0) out.push('  #  move           took      hold      orders requests held   payments requests meanwhile');
  for (const x of c.cutovers) {
    const h = holds.get(x.number);
    const move = `${x.from} -> ${x.to}`.padEnd(13);
    const hold = x.holdMs === null ? '-' : formatMs(x.holdMs);
    const end = x.phase === 'SWITCHED' ? '' : `  ${paint(`${x.phase}: ${x.rollbackReason ?? 'no reason given'}`, 31, color)}`;
    out.push(`  ${String(x.number).padEnd(2)} ${move}  ${formatMs(x.durationMs).padEnd(8)}  ${hold.padEnd(8)}  ${(h === undefined ? '-' : ackText(h.orders)).padEnd(22)} ${h === undefined ? '-' : ackText(h.payments)}${end}`);
  }
  const first = c.cutovers[0];
  if (first !== undefined && first.phases.length > 0) out.push(`  phases of cutover 1, ms after the request: ${phaseText(first.phases)}`);
  if (c.status === 'failed') out.push(`  ${paint(`FAILED: ${c.reason ?? 'the cutover did not complete'}`, 31, color)}`);
  out.push('  held requests are answered after the switch, in order, never with an error; the other domain is never held');
  for (const g of r.groups) out.push(groupLine(g, color));
  return out;
}

function range(first: number, end: number): string {
  return end > first ? `${first}..${end - 1}` : '(empty)';
}

const SOURCES: Record<DemoSegments['source'], string> = {
  turnout: "Turnout's segment chains",
  'switch-points': "the cutovers' switch points",
  'no-cutover': 'before any cutover: one segment on the domain\'s cluster',
};

/** One partition's chain in full, and the check of every partition against the clusters. */
export function segmentLines(s: DemoSegments, color: boolean): string[] {
  const shown = s.partitions[0];
  if (shown === undefined) return [];
  const out = ['', `Partition ${shown.topic}-${shown.partition}: one log to its clients, ${shown.segments.length} segment(s) on the clusters (${SOURCES[s.source]})`];
  out.push('  segment  cluster  virtual offsets   real offsets      shift     generation  records');
  for (const seg of shown.segments) {
    const shift = seg.shift === 0 ? '0' : seg.shift > 0 ? `+${seg.shift}` : String(seg.shift);
    out.push(
      `  ${String(seg.index).padEnd(7)}  ${seg.backend.padEnd(7)}  ${range(seg.firstOffset, seg.endOffset).padEnd(16)}  ${range(seg.realFirst, seg.realEnd).padEnd(16)}  ${shift.padEnd(8)}  ${(seg.generation === null ? '-' : String(seg.generation)).padEnd(10)}  ${count(seg.records)}`,
    );
  }
  out.push('  virtual offset = real offset + shift; clients see, commit and seek virtual offsets only');
  const verdict = s.stored.ok
    ? paint(`all ${s.partitions.length} partitions: each cluster holds exactly its segments' records, back to back (nothing copied, nothing stray)`, 32, color)
    : paint('the clusters do not hold what the segments say:', 31, color);
  out.push(`  ${verdict}`);
  for (const p of s.stored.problems) out.push(`      ${p}`);
  return out;
}
