import { describe, expect, it } from 'vitest';
import type { BenchPath } from '../../../bench/comparison.js';
import type { ProducerPerfResult } from '../../../bench/perf-output.js';
import { formatSteady, summarizeSteady, type SteadyRun } from '../../../bench/steady-report.js';

function steadyRun(path: BenchPath, rep: number, recordsPerSec: number, proxyCpuSec?: number): SteadyRun {
  const result: ProducerPerfResult = { records: 20_000, recordsPerSec, mbPerSec: recordsPerSec / 1024, avgLatencyMs: 3, maxLatencyMs: 9, p50Ms: 2, p95Ms: 4, p99Ms: 6, p999Ms: 8 };
  return { path, rep, result, durationMs: (20_000 / recordsPerSec) * 1000, mb: 19.53, ...(proxyCpuSec !== undefined ? { proxyCpuSec } : {}) };
}

describe('summarizeSteady', () => {
  const runs = [
    steadyRun('direct', 0, 2_000),
    steadyRun('haproxy', 0, 2_000, 0.1),
    steadyRun('turnout', 0, 2_000, 0.45),
    steadyRun('haproxy', 1, 2_000, 0.12),
    steadyRun('turnout', 1, 2_000, 0.48),
    steadyRun('direct', 1, 2_000),
  ];
  const s = summarizeSteady(2_000, 10, runs);

  it("gives each proxy's CPU as a share of one core over the time records flowed", () => {
    expect(s.paths.direct).toEqual({ recordsPerSec: 2_000 });
    expect(s.paths.haproxy?.proxyCores).toBeCloseTo(0.011, 10);
    expect(s.paths.turnout?.proxyCores).toBeCloseTo(0.0465, 10);
    expect(s.turnoutToHaproxyCores?.runs).toEqual([4.5, 4]);
    expect(s.notes).toEqual([]);
  });

  it('notes a rate the machine did not reach', () => {
    expect(summarizeSteady(2_000, 10, [steadyRun('direct', 0, 1_500)]).notes[0]).toMatch(/not reached \(direct #1 1500\)/);
  });

  it('with Kroxylicious beside them: its share of a core and Turnout over it, per round', () => {
    const k = summarizeSteady(2_000, 10, [...runs, steadyRun('kroxylicious', 0, 2_000, 0.3), steadyRun('kroxylicious', 1, 2_000, 0.24)]);
    expect(k.paths.kroxylicious?.proxyCores).toBeCloseTo(0.027, 10);
    expect(k.turnoutToKroxyliciousCores?.runs).toEqual([1.5, 2]);
    expect(formatSteady(k).join('\n')).toContain('Kroxylicious 2,000 rec/s, CPU 2.7%   Turnout 2,000 rec/s, CPU 4.7%   Turnout/HAProxy 4.25 (runs: 4.50, 4.00)   Turnout/Kroxylicious 1.75 (runs: 1.50, 2.00)');
  });

  it('prints every path side by side with the Turnout/HAProxy ratio', () => {
    const text = formatSteady(s).join('\n');
    expect(text).toContain('capped at 2,000 rec/s for 10 s on each path');
    expect(text).toContain('direct 2,000 rec/s   HAProxy 2,000 rec/s, CPU 1.1%   Turnout 2,000 rec/s, CPU 4.7%   Turnout/HAProxy 4.25 (runs: 4.50, 4.00)');
  });
});
