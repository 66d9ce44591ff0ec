// The cutover bench's report: the JSON line's names, the hold maximum and the fetch comparison
// (per-round ratios and their median), with and without a cutover.
import { describe, expect, it } from 'vitest';
import { cutoverJsonLine, fetchTranslatedRatio, formatCutoverReport, holdMsMax, roundRatio, type CutoverBenchSummary, type FetchRound } from '../../../../bench/cutover/cutover-report.js';

function round(first: FetchRound['first'], translated: number, untranslated: number): FetchRound {
  return { first, translated: { records: 300, mbPerSec: translated / 1000, recordsPerSec: translated }, untranslated: { records: 300, mbPerSec: untranslated / 1000, recordsPerSec: untranslated } };
}

const base: CutoverBenchSummary = {
  config: { ratePerSec: 1000, partitions: 6, source: 'bench-cut-s', target: 'bench-cut-t', sourceVersion: '3.9.1', targetVersion: '4.1.1', fillRecords: 100, recordSizeBytes: 1024, fetchRounds: 4 },
  holds: [
    { to: 'target', phase: 'SWITCHED', holdMs: 420, latency: { records: 400, p50Ms: 210, p99Ms: 400, maxMs: 430 } },
    { to: 'source', phase: 'SWITCHED', holdMs: 380, latency: null },
  ],
  // Ratios 0.9, 1.2, 0.97, 0.99: an outlier each way, the median 0.98.
  fetchRounds: [round('translated', 9_000, 10_000), round('untranslated', 12_000, 10_000), round('translated', 9_700, 10_000), round('untranslated', 9_900, 10_000)],
  traffic: { lost: 0, duplicated: 1, reordered: 2, rebalances: 3, clientErrors: 4, otherFaults: 5, acked: 6_000 },
  stoppedShort: null,
};

describe('the cutover bench report', () => {
  it('ends with one JSON object holding the counts, the longest hold and the median translated/untranslated fetch ratio', () => {
    const json = JSON.parse(cutoverJsonLine(base)) as Record<string, unknown>;
    expect(json).toMatchObject({ lost: 0, duplicated: 1, reordered: 2, rebalances: 3, client_errors: 4, hold_ms_max: 420 });
    expect(json.fetch_translated_ratio).toBeCloseTo(0.98);
    expect((json.fetch_rounds as Array<{ ratio: number }>).map((r) => r.ratio)).toEqual([0.9, 1.2, 0.97, 0.99]);
    expect(holdMsMax(base)).toBe(420);
    expect(fetchTranslatedRatio(base)).toBeCloseTo(0.98);
    const text = formatCutoverReport(base).join('\n');
    expect(text).toContain('hold 1 (to target, SWITCHED): 420 ms; 400 records in flight, produce latency p50 210 ms, p99 400 ms, max 430 ms');
    expect(text).toContain('round 2 (untranslated first): translated 12000 records/s (12.0 MB/s), untranslated 10000 records/s (10.0 MB/s); ratio 1.200');
    expect(text).toContain('fetch translated/untranslated, median of the rounds: 0.980 (goal ≥ 0.95)');
  });

  it('gives no ratio for a round whose untranslated read got nothing', () => {
    expect(roundRatio(round('translated', 5, 0))).toBeNull();
    expect(fetchTranslatedRatio({ ...base, fetchRounds: [round('translated', 5, 0)] })).toBeNull();
  });

  it('says why it stopped short, with no hold and no ratio, when the build has no cutover', () => {
    const short: CutoverBenchSummary = { ...base, holds: null, fetchRounds: [], stoppedShort: 'no cutover in this build' };
    const json = JSON.parse(cutoverJsonLine(short)) as Record<string, unknown>;
    expect(json).toMatchObject({ hold_ms_max: null, fetch_translated_ratio: null, stopped_short: 'no cutover in this build' });
    expect(formatCutoverReport(short).at(-1)).toBe('  stopped short: no cutover in this build');
  });
});
