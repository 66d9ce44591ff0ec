import { describe, expect, it } from 'vitest';
import { compareThroughput, cpuMsPerMbOf, moderateRate, pairByRep, perRound, proxyCores, rotation, sizeThroughputRecords, warmUpConnections, warmUpPath, withProxyCpu, type BenchPath, type MeasuredThroughputRun } from '../../../bench/comparison.js';
import { sizeRecords } from '../../../bench/two-backend-case.js';

describe('pairByRep', () => {
  it('pairs the direct and Turnout run of each repetition, leaving out a repetition with one path', () => {
    const runs = [
      { path: 'turnout' as const, rep: 1, v: 't1' },
      { path: 'direct' as const, rep: 0, v: 'd0' },
      { path: 'turnout' as const, rep: 0, v: 't0' },
      { path: 'direct' as const, rep: 2, v: 'd2' },
      { path: 'direct' as const, rep: 1, v: 'd1' },
    ];
    expect(pairByRep(runs).map((p) => [p.direct.v, p.turnout.v])).toEqual([
      ['d0', 't0'],
      ['d1', 't1'],
    ]);
  });
});


describe('rotation', () => {
  it('moves every path one place each round, so that over three rounds each goes first, in the middle and last', () => {
    const paths = ['direct', 'haproxy', 'turnout'];
    expect([0, 1, 2, 3].map((rep) => rotation(paths, rep))).toEqual([
      ['direct', 'haproxy', 'turnout'],
      ['haproxy', 'turnout', 'direct'],
      ['turnout', 'direct', 'haproxy'],
      ['direct', 'haproxy', 'turnout'],
    ]);
    expect(paths).toEqual(['direct', 'haproxy', 'turnout']);
    expect([0, 1].map((rep) => rotation(['direct', 'turnout'], rep))).toEqual([
      ['direct', 'turnout'],
      ['turnout', 'direct'],
    ]);
  });
});

describe('perRound', () => {
  it('compares the runs of each round that has both paths, leaving out rounds without a figure', () => {
    const runs = [
      { path: 'direct' as const, rep: 0, v: 10 },
      { path: 'haproxy' as const, rep: 0, v: 9 },
      { path: 'haproxy' as const, rep: 1, v: 8 },
      { path: 'direct' as const, rep: 1, v: 10 },
      { path: 'haproxy' as const, rep: 2, v: 7 },
      { path: 'direct' as const, rep: 3, v: 0 },
      { path: 'haproxy' as const, rep: 3, v: 0 },
    ];
    const r = perRound(runs, 'haproxy', 'direct', (a, b) => a.v / b.v);
    expect(r.runs).toEqual([0.9, 0.8]);
    expect(r.value).toBeCloseTo(0.85, 10);
  });
});

describe('compareThroughput', () => {
  const run = (path: BenchPath, rep: number, mbPerSec: number, proxyCpuSec?: number): MeasuredThroughputRun & { mbPerSec: number } => ({
    path,
    rep,
    mbPerSec,
    mb: 100,
    durationMs: (100 / mbPerSec) * 1000,
    ...(proxyCpuSec !== undefined ? { proxyCpuSec } : {}),
  });
  const numbers = (runs: Array<MeasuredThroughputRun & { mbPerSec: number }>) => withProxyCpu({ mbPerSec: runs[0]?.mbPerSec ?? Number.NaN, recordsPerSec: 0 }, runs);

  it('without HAProxy runs: Turnout/direct only', () => {
    const t = compareThroughput([run('direct', 0, 10), run('turnout', 0, 9, 0.5)], numbers, (r) => r.mbPerSec);
    expect(t.ratios).toEqual([0.9]);
    expect(t.vsHaproxy).toBeUndefined();
    expect(t.turnout.cpuMsPerMb).toBe(5);
    expect(t.turnout.proxyCores).toBeCloseTo(0.045, 10);
    expect(t.direct.cpuMsPerMb).toBeUndefined();
  });

  it('with HAProxy runs: HAProxy/direct, Turnout/HAProxy and CPU per MB Turnout/HAProxy per round', () => {
    const t = compareThroughput(
      [run('direct', 0, 10), run('haproxy', 0, 10, 0.125), run('turnout', 0, 8, 0.5), run('haproxy', 1, 9, 0.1), run('turnout', 1, 9, 0.3), run('direct', 1, 10)],
      numbers,
      (r) => r.mbPerSec,
    );
    expect(t.ratios).toEqual([0.8, 0.9]);
    expect(t.vsHaproxy?.haproxyToDirect.runs).toEqual([1, 0.9]);
    expect(t.vsHaproxy?.turnoutToHaproxy.runs).toEqual([0.8, 1]);
    expect(t.vsHaproxy?.cpuPerMbTurnoutToHaproxy.runs).toEqual([4, 3]);
    expect(t.vsHaproxy?.cpuPerMbTurnoutToHaproxy.value).toBe(3.5);
    expect(t.vsHaproxy?.haproxy.cpuMsPerMb).toBeCloseTo(1.125, 10);
    expect(t.vsKroxylicious).toBeUndefined();
  });

  it('with Kroxylicious runs: its throughput against direct, and Turnout against it and it against HAProxy, per round', () => {
    const t = compareThroughput(
      [
        run('direct', 0, 10),
        run('haproxy', 0, 10, 0.1),
        run('kroxylicious', 0, 9, 0.2),
        run('turnout', 0, 8, 0.3),
        run('kroxylicious', 1, 10, 0.25),
        run('turnout', 1, 10, 0.25),
        run('haproxy', 1, 10, 0.1),
        run('direct', 1, 10),
      ],
      numbers,
      (r) => r.mbPerSec,
    );
    expect(t.vsKroxylicious?.kroxyliciousToDirect.runs).toEqual([0.9, 1]);
    expect(t.vsKroxylicious?.turnoutToKroxylicious.runs.map((r) => Math.round(r * 1000) / 1000)).toEqual([0.889, 1]);
    expect(t.vsKroxylicious?.cpuPerMbTurnoutToKroxylicious.runs).toEqual([1.5, 1]);
    expect(t.vsKroxylicious?.cpuPerMbKroxyliciousToHaproxy?.runs).toEqual([2, 2.5]);
    expect(t.vsKroxylicious?.kroxylicious.cpuMsPerMb).toBeCloseTo(2.25, 10);
  });
});

describe('cpuMsPerMbOf', () => {
  it('is the proxy CPU in ms per MB moved, NaN without a proxy', () => {
    expect(cpuMsPerMbOf({ proxyCpuSec: 0.342, mb: 100 })).toBeCloseTo(3.42, 10);
    expect(cpuMsPerMbOf({ mb: 100 })).toBeNaN();
  });
});

describe('proxyCores', () => {
  it('is the median CPU share over runs that measured it', () => {
    expect(proxyCores([{ durationMs: 2_000, proxyCpuSec: 1 }, { durationMs: 1_000 }, { durationMs: 4_000, proxyCpuSec: 1 }])).toBeCloseTo(0.375, 10);
    expect(proxyCores([{ durationMs: 1_000 }])).toBeUndefined();
  });
});

describe('warmUpPath', () => {
  it("runs a connection per warm-up run, three unless quick, and gives the last one's rate", async () => {
    for (const quick of [false, true]) {
      const rates = [100, 200, 300];
      let runs = 0;
      const rate = await warmUpPath(quick, async () => ({ recordsPerSec: rates[runs++] as number }));
      expect(runs).toBe(warmUpConnections(quick));
      expect(runs).toBe(quick ? 1 : 3);
      expect(rate).toBe(rates[runs - 1]);
    }
  });
});

describe('moderateRate', () => {
  it('is 40% of the direct rate in hundreds, capped at 5000 (2000 quick), at least 100', () => {
    expect(moderateRate(6_180, false)).toBe(2_500);
    expect(moderateRate(40_000, false)).toBe(5_000);
    expect(moderateRate(40_000, true)).toBe(2_000);
    expect(moderateRate(50, false)).toBe(100);
  });
});

describe('sizeRecords', () => {
  it('sizes a two-backend produce run to about 6 s (3 s quick) of the warm-up rate, an even number in thousands, within bounds', () => {
    expect(sizeRecords(5_000, false)).toBe(30_000);
    expect(sizeRecords(4_983, true)).toBe(14_000);
    expect(sizeRecords(100, false)).toBe(10_000);
    expect(sizeRecords(1_000_000, false)).toBe(200_000);
    expect(sizeRecords(1_000_000, true)).toBe(30_000);
    expect(sizeRecords(5_100, false) % 2).toBe(0);
  });
});

describe('sizeThroughputRecords', () => {
  it('sizes a run to about 8 s (3 s quick) of the warm-up rate, in thousands, within bounds', () => {
    expect(sizeThroughputRecords(5_000, false)).toEqual({ records: 40_000, seconds: 8 });
    expect(sizeThroughputRecords(1_000, false).records).toBe(20_000);
    expect(sizeThroughputRecords(100_000, false).records).toBe(300_000);
    expect(sizeThroughputRecords(2_345, true)).toEqual({ records: 7_000, seconds: 3 });
    expect(sizeThroughputRecords(100, true).records).toBe(5_000);
  });
});
