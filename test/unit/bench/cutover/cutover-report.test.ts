// The cutover bench's report: the JSON line's names, the hold maximum and the fetch ratio, with
// and without a cutover.
import { describe, expect, it } from 'vitest';
import { cutoverJsonLine, fetchRatio, formatCutoverReport, holdMsMax, type CutoverBenchSummary } from '../../../../bench/cutover/cutover-report.js';

const base: CutoverBenchSummary = {
  config: { ratePerSec: 1000, partitions: 6, source: 'bench-cut-s', target: 'bench-cut-t', sourceVersion: '3.9.1', targetVersion: '4.1.1', fillRecords: 100, recordSizeBytes: 1024 },
  holds: [
    { to: 'target', phase: 'SWITCHED', holdMs: 420, latency: { records: 400, p50Ms: 210, p99Ms: 400, maxMs: 430 } },
    { to: 'source', phase: 'SWITCHED', holdMs: 380, latency: null },
  ],
  fetchBefore: { records: 100, mbPerSec: 10, recordsPerSec: 10_000 },
  fetchAfter: { records: 300, mbPerSec: 9.8, recordsPerSec: 9_700 },
  traffic: { lost: 0, duplicated: 1, reordered: 2, rebalances: 3, clientErrors: 4, otherFaults: 5, acked: 6_000 },
  stoppedShort: null,
};

describe('the cutover bench report', () => {
  it('ends with one JSON object holding the counts, the longest hold and the fetch ratio', () => {
    const json = JSON.parse(cutoverJsonLine(base)) as Record<string, unknown>;
    expect(json).toMatchObject({ lost: 0, duplicated: 1, reordered: 2, rebalances: 3, client_errors: 4, hold_ms_max: 420, fetch_ratio: 0.97 });
    expect(holdMsMax(base)).toBe(420);
    expect(fetchRatio(base)).toBeCloseTo(0.97);
    expect(formatCutoverReport(base).join('\n')).toContain('hold 1 (to target, SWITCHED): 420 ms; 400 records in flight, produce latency p50 210 ms, p99 400 ms, max 430 ms');
  });

  it('says why it stopped short, with no hold and no ratio, when the build has no cutover', () => {
    const short: CutoverBenchSummary = { ...base, holds: null, fetchAfter: null, stoppedShort: 'no cutover in this build' };
    const json = JSON.parse(cutoverJsonLine(short)) as Record<string, unknown>;
    expect(json).toMatchObject({ hold_ms_max: null, fetch_ratio: null, stopped_short: 'no cutover in this build' });
    expect(formatCutoverReport(short).at(-1)).toBe('  stopped short: no cutover in this build');
  });
});
