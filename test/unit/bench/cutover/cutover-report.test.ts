// The cutover bench's report: the JSON line's names, the hold maximum and the fetch comparison
// (per-round ratios and their median), with and without a cutover.
import { describe, expect, it } from 'vitest';
import {
  cutoverJsonLine,
  fetchTranslatedCpuRatio,
  fetchTranslatedRatio,
  formatCutoverReport,
  holdMsMax,
  roundCpuRatio,
  roundRatio,
  type CutoverBenchSummary,
  type FetchFigures,
  type FetchRound,
} from '../../../../bench/cutover/cutover-report.js';

/** A read of 300 records, 2 MB, at `recordsPerSec`, that cost Turnout `cpuMs`. */
function read(recordsPerSec: number, cpuMs: number): FetchFigures {
  return { records: 300, mb: 2, fetchMs: 3_000, mbPerSec: recordsPerSec / 1000, recordsPerSec, turnoutCpuMs: cpuMs, sentMb: 2.1, fromBrokersMb: 2.2, paths: { turnout_multi_fetch_total: { forwarded_streamed: 20 } } };
}

function round(first: FetchRound['first'], translated: number, untranslated: number, cpu: [number, number] = [100, 100]): FetchRound {
  return { first, translated: read(translated, cpu[0]), untranslated: read(untranslated, cpu[1]) };
}

const base: CutoverBenchSummary = {
  config: { ratePerSec: 1000, partitions: 6, source: 'bench-cut-s', target: 'bench-cut-t', sourceVersion: '3.9.1', targetVersion: '4.1.1', fillRecords: 100, fetchRecords: 300, recordSizeBytes: 1024, fetchRounds: 4, control: false },
  holds: [
    { to: 'target', phase: 'SWITCHED', holdMs: 420, latency: { records: 400, p50Ms: 210, p99Ms: 400, maxMs: 430 } },
    { to: 'source', phase: 'SWITCHED', holdMs: 380, latency: null },
  ],
  // Ratios 0.9, 0.97 (translated first: median 0.935) and 1.2, 0.99 (untranslated first: median 1.095).
  // CPU ratios 1.1, 1.02 (median 1.06) and 0.5, 1.04 (median 0.77).
  fetchRounds: [
    round('translated', 9_000, 10_000, [110, 100]),
    round('untranslated', 12_000, 10_000, [50, 100]),
    round('translated', 9_700, 10_000, [102, 100]),
    round('untranslated', 9_900, 10_000, [104, 100]),
  ],
  traffic: { lost: 0, duplicated: 1, reordered: 2, rebalances: 3, clientErrors: 4, otherFaults: 5, acked: 6_000 },
  stoppedShort: null,
};

describe('the cutover bench report', () => {
  it('ends with one JSON object holding the counts, the longest hold and the median translated/untranslated fetch ratio', () => {
    const json = JSON.parse(cutoverJsonLine(base)) as Record<string, unknown>;
    expect(json).toMatchObject({ lost: 0, duplicated: 1, reordered: 2, rebalances: 3, client_errors: 4, hold_ms_max: 420 });
    expect(json.fetch_translated_ratio).toBeCloseTo(Math.sqrt(0.935 * 1.095));
    expect((json.fetch_rounds as Array<{ ratio: number }>).map((r) => r.ratio)).toEqual([0.9, 1.2, 0.97, 0.99]);
    expect(json.fetch_translated_cpu_ratio).toBeCloseTo(Math.sqrt(1.06 * 0.77));
    expect((json.fetch_rounds as Array<{ cpu_ratio: number }>).map((r) => r.cpu_ratio)).toEqual([1.1, 0.5, 1.02, 1.04]);
    expect((json.fetch_rounds as Array<{ translated: FetchFigures }>)[0]?.translated.paths).toEqual({ turnout_multi_fetch_total: { forwarded_streamed: 20 } });
    expect(holdMsMax(base)).toBe(420);
    expect(fetchTranslatedRatio(base)).toBeCloseTo(Math.sqrt(0.935 * 1.095));
    const text = formatCutoverReport(base).join('\n');
    expect(text).toContain('hold 1 (to target, SWITCHED): 420 ms; 400 records in flight, produce latency p50 210 ms, p99 400 ms, max 430 ms');
    expect(text).toContain(
      'round 2 (untranslated first): translated 12000 records/s (12.0 MB/s in 3.0 s), 25.00 CPU ms/MB, 2.2 MB from brokers, 2.1 MB sent, untranslated 10000 records/s (10.0 MB/s in 3.0 s), 50.00 CPU ms/MB, 2.2 MB from brokers, 2.1 MB sent; ratio 1.200, CPU ratio 0.500',
    );
    expect(text).toContain('translated fetches forwarded_streamed=20; segment partitions none');
    expect(text).toContain('translated (three segments) and untranslated (no chain)');
    expect(formatCutoverReport({ ...base, config: { ...base.config, control: true } }).join('\n')).toContain('CONTROL RUN: "translated" is a second untranslated topic');
    expect(text).toContain('fetch translated/untranslated records/s, order-balanced median: 1.012 (goal ≥ 0.95; medians translated first 0.935, untranslated first 1.095)');
    expect(text).toContain('Turnout CPU per MB translated/untranslated, order-balanced median: 0.903 (goal ≤ 1.05; medians translated first 1.060, untranslated first 0.770)');
  });

  it('balances the order out: a read that costs a tenth more when it goes second leaves the figure at 1', () => {
    // Both reads cost the same but the second of each round 10% more, over three rounds one
    // way and one the other: a plain median of the ratios would say 1.1.
    const rounds = [round('untranslated', 100, 100, [110, 100]), round('untranslated', 100, 100, [110, 100]), round('untranslated', 100, 100, [110, 100]), round('translated', 100, 100, [100, 110])];
    expect(fetchTranslatedCpuRatio({ ...base, fetchRounds: rounds })).toBeCloseTo(1, 6);
    // With one order only, that order's median.
    expect(fetchTranslatedCpuRatio({ ...base, fetchRounds: rounds.slice(0, 3) })).toBeCloseTo(1.1, 6);
  });

  it('gives no ratio for a round whose untranslated read got nothing', () => {
    expect(roundRatio(round('translated', 5, 0))).toBeNull();
    expect(fetchTranslatedRatio({ ...base, fetchRounds: [round('translated', 5, 0)] })).toBeNull();
    const empty: FetchRound = { first: 'translated', translated: read(5, 100), untranslated: { ...read(0, 3), mb: 0 } };
    expect(roundCpuRatio(empty)).toBeNull();
    expect(fetchTranslatedCpuRatio({ ...base, fetchRounds: [empty] })).toBeNull();
  });

  it('says why it stopped short, with no hold and no ratio, when the build has no cutover', () => {
    const short: CutoverBenchSummary = { ...base, holds: null, fetchRounds: [], stoppedShort: 'no cutover in this build' };
    const json = JSON.parse(cutoverJsonLine(short)) as Record<string, unknown>;
    expect(json).toMatchObject({ hold_ms_max: null, fetch_translated_ratio: null, fetch_translated_cpu_ratio: null, stopped_short: 'no cutover in this build' });
    expect(formatCutoverReport(short).at(-1)).toBe('  stopped short: no cutover in this build');
  });
});
