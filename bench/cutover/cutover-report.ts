// What `npm run bench:cutover` reports: each hold (the time Turnout held the domain's produce
// requests, and the produce latency of the records in flight meanwhile), the fetch rounds (a
// translated read of the moved domain's fill topic, through its three segments, against an
// untranslated read of a topic of the same size in a domain that never moved, interleaved),
// and the traffic harness's counts over the whole run. Printed as a table, then one JSON line
// with at least `lost`, `duplicated`, `reordered`, `rebalances`, `client_errors`,
// `hold_ms_max` and `fetch_translated_ratio`.
import type { CutoverPhase } from '../../src/admin/cutover-client.js';
import { median } from '../comparison.js';

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

/** One round of the fetch comparison: both reads back to back, in the round's order. */
export interface FetchRound {
  /** Which read went first this round (the order alternates). */
  first: 'translated' | 'untranslated';
  translated: FetchFigures;
  untranslated: FetchFigures;
}

export interface CutoverBenchSummary {
  config: {
    ratePerSec: number;
    partitions: number;
    source: string;
    target: string;
    sourceVersion: string | null;
    targetVersion: string | null;
    fillRecords: number;
    recordSizeBytes: number;
    fetchRounds: number;
  };
  /** null when this build has no cutover (the run stopped before the first cutover call). */
  holds: HoldFigures[] | null;
  /** The measured rounds after the warm-up; empty without a cutover (nothing is translated then). */
  fetchRounds: FetchRound[];
  traffic: TrafficCounts;
  /** Why the run stopped short, if it did. */
  stoppedShort: string | null;
}

/** A round's ratio: translated over untranslated fetched records/s (null when the untranslated read got nothing). */
export function roundRatio(r: FetchRound): number | null {
  return r.untranslated.recordsPerSec === 0 ? null : r.translated.recordsPerSec / r.untranslated.recordsPerSec;
}

/** The ratio the goal is judged on: the median over the rounds of translated/untranslated records/s (within 5%: ≥ 0.95). */
export function fetchTranslatedRatio(s: CutoverBenchSummary): number | null {
  const ratios = s.fetchRounds.map(roundRatio).filter((r): r is number => r !== null);
  return ratios.length === 0 ? null : median(ratios);
}

export function holdMsMax(s: CutoverBenchSummary): number | null {
  return s.holds === null || s.holds.length === 0 ? null : Math.max(...s.holds.map((h) => h.holdMs));
}

export function formatCutoverReport(s: CutoverBenchSummary): string[] {
  const c = s.config;
  const figures = (f: FetchFigures): string => `${f.recordsPerSec.toFixed(0)} records/s (${f.mbPerSec.toFixed(1)} MB/s)`;
  const lines = [`cutover bench: ${c.ratePerSec} records/s over ${c.partitions} partitions, ${c.source} (Kafka ${c.sourceVersion ?? '?'}) → ${c.target} (Kafka ${c.targetVersion ?? '?'}) and back`];
  if (s.holds !== null) {
    for (const [i, h] of s.holds.entries()) {
      const l = h.latency === null ? 'no record in flight' : `${h.latency.records} records in flight, produce latency p50 ${h.latency.p50Ms} ms, p99 ${h.latency.p99Ms} ms, max ${h.latency.maxMs} ms`;
      lines.push(`  hold ${i + 1} (to ${h.to}, ${h.phase}): ${h.holdMs} ms; ${l}`);
    }
  }
  if (s.fetchRounds.length > 0) {
    lines.push(`  fetch, ${s.fetchRounds.length} rounds after a warm-up, translated (three segments) and untranslated (no chain) back to back, the order alternating:`);
    for (const [i, r] of s.fetchRounds.entries()) {
      const ratio = roundRatio(r);
      lines.push(`    round ${i + 1} (${r.first} first): translated ${figures(r.translated)}, untranslated ${figures(r.untranslated)}; ratio ${ratio === null ? '-' : ratio.toFixed(3)}`);
    }
    const m = fetchTranslatedRatio(s);
    lines.push(`  fetch translated/untranslated, median of the rounds: ${m === null ? '-' : m.toFixed(3)} (goal ≥ 0.95)`);
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
    fetch_translated_ratio: fetchTranslatedRatio(s),
    other_faults: t.otherFaults,
    acked: t.acked,
    holds: s.holds,
    fetch_rounds: s.fetchRounds.map((r) => ({ ...r, ratio: roundRatio(r) })),
    stopped_short: s.stoppedShort,
    config: s.config,
  });
}
