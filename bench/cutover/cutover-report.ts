// What `npm run bench:cutover` reports: each hold (the time Turnout held the domain's produce
// requests, and the produce latency of the records in flight meanwhile), the fetch rounds (a
// translated read of the moved domain's fill topic, through its three segments, against an
// untranslated read of a topic of the same size in a domain that never moved, interleaved),
// and the traffic harness's counts over the whole run. Printed as a table, then one JSON line
// with at least `lost`, `duplicated`, `reordered`, `rebalances`, `client_errors`,
// `hold_ms_max`, `fetch_translated_ratio` and `fetch_translated_cpu_ratio`.
import type { CutoverPhase } from '../../src/admin/cutover-client.js';
import { median } from '../comparison.js';
import { formatFetchPaths, type FetchPathCounts } from './fetch-paths.js';

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

/** One read of the fetch comparison. */
export interface FetchFigures {
  records: number;
  /** MB (2^20 bytes) of records read, as kafka-consumer-perf-test counts them. */
  mb: number;
  /** The reader's time fetching: its run less its group join, ms. */
  fetchMs: number;
  /** MB and records over fetchMs. */
  mbPerSec: number;
  recordsPerSec: number;
  /** Turnout's CPU time (utime + stime of its process) from the reader's start to its exit, ms. */
  turnoutCpuMs: number;
  /**
   * MB Turnout sent to its clients meanwhile (turnout_bytes_total client/out): above `mb` by
   * the protocol's framing, and by what the reader was sent and skipped (records masked past
   * an older segment's end, a batch a broker's size limit cut).
   */
  sentMb: number;
  /** MB Turnout read from the brokers meanwhile (turnout_bytes_total upstream/in): above sentMb by answers it dropped. */
  fromBrokersMb: number;
  /** What Turnout did for the read: Fetches by path, partitions translated per segment. */
  paths: FetchPathCounts;
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
    /** Records each read of the fetch comparison takes: the fill topics, topped up once the traffic has stopped. */
    fetchRecords: number;
    recordSizeBytes: number;
    fetchRounds: number;
    /** A control run: the "translated" side read a second untranslated topic. */
    control: boolean;
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

/** Turnout's CPU ms per MB read; null when the read got nothing. */
export function cpuMsPerMb(f: FetchFigures): number | null {
  return f.mb > 0 ? f.turnoutCpuMs / f.mb : null;
}

/** A round's CPU ratio: translated over untranslated Turnout CPU per MB (null without both; above 1: the translated read cost more). */
export function roundCpuRatio(r: FetchRound): number | null {
  const t = cpuMsPerMb(r.translated);
  const u = cpuMsPerMb(r.untranslated);
  return t === null || u === null || u === 0 ? null : t / u;
}

function medianOf(values: ReadonlyArray<number | null>): number | null {
  const v = values.filter((r): r is number => r !== null);
  return v.length === 0 ? null : median(v);
}

/** The median of a round figure over the rounds that read `first` first. */
export function medianByFirst(s: CutoverBenchSummary, first: FetchRound['first'], ratio: (r: FetchRound) => number | null): number | null {
  return medianOf(s.fetchRounds.filter((r) => r.first === first).map(ratio));
}

/**
 * A round figure with the reads' order balanced out: the geometric mean of its median over the
 * rounds read translated first and its median over those read untranslated first (with one
 * order only, that order's median). The second read of a round, which follows a read of the
 * other topic, measured about a tenth more Turnout CPU per MB whichever topic it was; a plain
 * median over an odd number of rounds, with one order more often, carries that into the ratio.
 */
export function orderBalanced(s: CutoverBenchSummary, ratio: (r: FetchRound) => number | null): number | null {
  const t = medianByFirst(s, 'translated', ratio);
  const u = medianByFirst(s, 'untranslated', ratio);
  if (t === null) return u;
  if (u === null) return t;
  return Math.sqrt(t * u);
}

/** The throughput figure: translated/untranslated records/s over the rounds, order-balanced (within 5%: ≥ 0.95). */
export function fetchTranslatedRatio(s: CutoverBenchSummary): number | null {
  return orderBalanced(s, roundRatio);
}

/**
 * The cost figure: translated/untranslated Turnout CPU per MB over the rounds, order-balanced
 * (within 5%: ≤ 1.05). A proxy's CPU per MB moves far less with the machine's load than a
 * reader's throughput does.
 */
export function fetchTranslatedCpuRatio(s: CutoverBenchSummary): number | null {
  return orderBalanced(s, roundCpuRatio);
}

export function holdMsMax(s: CutoverBenchSummary): number | null {
  return s.holds === null || s.holds.length === 0 ? null : Math.max(...s.holds.map((h) => h.holdMs));
}

export function formatCutoverReport(s: CutoverBenchSummary): string[] {
  const c = s.config;
  const figures = (f: FetchFigures): string =>
    `${f.recordsPerSec.toFixed(0)} records/s (${f.mbPerSec.toFixed(1)} MB/s in ${(f.fetchMs / 1000).toFixed(1)} s), ${cpuMsPerMb(f)?.toFixed(2) ?? '-'} CPU ms/MB, ${f.fromBrokersMb.toFixed(1)} MB from brokers, ${f.sentMb.toFixed(1)} MB sent`;
  const ratio = (r: number | null): string => (r === null ? '-' : r.toFixed(3));
  const lines = [`cutover bench: ${c.ratePerSec} records/s over ${c.partitions} partitions, ${c.source} (Kafka ${c.sourceVersion ?? '?'}) → ${c.target} (Kafka ${c.targetVersion ?? '?'}) and back`];
  if (s.holds !== null) {
    for (const [i, h] of s.holds.entries()) {
      const l = h.latency === null ? 'no record in flight' : `${h.latency.records} records in flight, produce latency p50 ${h.latency.p50Ms} ms, p99 ${h.latency.p99Ms} ms, max ${h.latency.maxMs} ms`;
      lines.push(`  hold ${i + 1} (to ${h.to}, ${h.phase}): ${h.holdMs} ms; ${l}`);
    }
  }
  if (s.fetchRounds.length > 0) {
    const sides = c.control ? 'CONTROL RUN: "translated" is a second untranslated topic (no chain)' : 'translated (three segments)';
    lines.push(`  fetch, ${s.fetchRounds.length} rounds after a warm-up, ${sides} and untranslated (no chain) back to back, the order alternating (CPU: Turnout's, per MB read):`);
    for (const [i, r] of s.fetchRounds.entries()) {
      lines.push(`    round ${i + 1} (${r.first} first): translated ${figures(r.translated)}, untranslated ${figures(r.untranslated)}; ratio ${ratio(roundRatio(r))}, CPU ratio ${ratio(roundCpuRatio(r))}`);
      lines.push(`      translated ${formatFetchPaths(r.translated.paths)}; untranslated ${formatFetchPaths(r.untranslated.paths)}`);
    }
    const byOrder = (f: (r: FetchRound) => number | null): string => `translated first ${ratio(medianByFirst(s, 'translated', f))}, untranslated first ${ratio(medianByFirst(s, 'untranslated', f))}`;
    lines.push(`  fetch translated/untranslated records/s, order-balanced median: ${ratio(fetchTranslatedRatio(s))} (goal ≥ 0.95; medians ${byOrder(roundRatio)})`);
    lines.push(`  Turnout CPU per MB translated/untranslated, order-balanced median: ${ratio(fetchTranslatedCpuRatio(s))} (goal ≤ 1.05; medians ${byOrder(roundCpuRatio)})`);
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
    fetch_translated_cpu_ratio: fetchTranslatedCpuRatio(s),
    other_faults: t.otherFaults,
    acked: t.acked,
    holds: s.holds,
    fetch_rounds: s.fetchRounds.map((r) => ({ ...r, ratio: roundRatio(r), cpu_ratio: roundCpuRatio(r) })),
    stopped_short: s.stoppedShort,
    config: s.config,
  });
}
