// What `npm run bench:cutover` reports: each hold (the time Turnout held the domain's produce
// requests, and the produce latency of the records in flight meanwhile), the fetch throughput
// before the domain moved and after it moved and came back, and the traffic harness's counts
// over the whole run. Printed as a table, then one JSON line with at least `lost`,
// `duplicated`, `reordered`, `rebalances`, `client_errors` and `hold_ms_max`.
import type { CutoverPhase } from '../../src/admin/cutover-client.js';

export interface HoldFigures {
  /** Backend the domain moved to. */
  to: string;
  /** How the cutover ended. */
  phase: CutoverPhase;
  /** The hold as seen from outside (the watcher polls every 10 ms, so a little longer than the true hold). */
  holdMs: number;
  /** Produce latency of the records in flight during the hold; null when none were. */
  latency: { records: number; p50Ms: number; p99Ms: number; maxMs: number } | null;
}

export interface FetchFigures {
  records: number;
  mbPerSec: number;
  recordsPerSec: number;
}

export interface TrafficCounts {
  lost: number;
  duplicated: number;
  reordered: number;
  rebalances: number;
  clientErrors: number;
  /** Every other fault the harness counts (mismatched values, aborted records read, ...), summed. */
  otherFaults: number;
  acked: number;
}

export interface CutoverBenchSummary {
  config: { ratePerSec: number; partitions: number; source: string; target: string; sourceVersion: string | null; targetVersion: string | null; fillRecords: number; recordSizeBytes: number };
  /** null when this build has no cutover (the run stopped before the first cutover call). */
  holds: HoldFigures[] | null;
  fetchBefore: FetchFigures;
  /** Reading the three segments (before, moved, back), null without a cutover. */
  fetchAfter: FetchFigures | null;
  traffic: TrafficCounts;
  /** Why the run stopped short, if it did. */
  stoppedShort: string | null;
}

/** The ratio the goal is judged on: fetch records/s after over before (translated reads within 5%). */
export function fetchRatio(s: CutoverBenchSummary): number | null {
  return s.fetchAfter === null || s.fetchBefore.recordsPerSec === 0 ? null : s.fetchAfter.recordsPerSec / s.fetchBefore.recordsPerSec;
}

export function holdMsMax(s: CutoverBenchSummary): number | null {
  return s.holds === null || s.holds.length === 0 ? null : Math.max(...s.holds.map((h) => h.holdMs));
}

export function formatCutoverReport(s: CutoverBenchSummary): string[] {
  const c = s.config;
  const fetchLine = (what: string, f: FetchFigures): string => `  fetch ${what}: ${f.records} records, ${f.recordsPerSec.toFixed(0)} records/s, ${f.mbPerSec.toFixed(1)} MB/s`;
  const lines = [
    `cutover bench: ${c.ratePerSec} records/s over ${c.partitions} partitions, ${c.source} (Kafka ${c.sourceVersion ?? '?'}) → ${c.target} (Kafka ${c.targetVersion ?? '?'}) and back`,
    fetchLine('before', s.fetchBefore),
  ];
  if (s.holds !== null) {
    for (const [i, h] of s.holds.entries()) {
      const l = h.latency === null ? 'no record in flight' : `${h.latency.records} records in flight, produce latency p50 ${h.latency.p50Ms} ms, p99 ${h.latency.p99Ms} ms, max ${h.latency.maxMs} ms`;
      lines.push(`  hold ${i + 1} (to ${h.to}, ${h.phase}): ${h.holdMs} ms; ${l}`);
    }
  }
  if (s.fetchAfter !== null) {
    const ratio = fetchRatio(s);
    lines.push(`${fetchLine('after (three segments)', s.fetchAfter)}; after/before ${ratio === null ? '-' : ratio.toFixed(3)} (goal ≥ 0.95)`);
  }
  const t = s.traffic;
  lines.push(`  traffic: ${t.acked} acknowledged; lost ${t.lost}, duplicated ${t.duplicated}, reordered ${t.reordered}, rebalances ${t.rebalances}, client errors ${t.clientErrors}, other faults ${t.otherFaults}`);
  if (s.stoppedShort !== null) lines.push(`  stopped short: ${s.stoppedShort}`);
  return lines;
}

/** The last line of the run. */
export function cutoverJsonLine(s: CutoverBenchSummary): string {
  const t = s.traffic;
  return JSON.stringify({
    lost: t.lost,
    duplicated: t.duplicated,
    reordered: t.reordered,
    rebalances: t.rebalances,
    client_errors: t.clientErrors,
    hold_ms_max: holdMsMax(s),
    other_faults: t.otherFaults,
    acked: t.acked,
    holds: s.holds,
    fetch_before: s.fetchBefore,
    fetch_after: s.fetchAfter,
    fetch_ratio: fetchRatio(s),
    stopped_short: s.stoppedShort,
    config: s.config,
  });
}
