import { describe, expect, it } from 'vitest';
import { moderateRate, orderFor, pairByRep, sizeThroughputRecords, proxyCores } from '../../../bench/comparison.js';
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

describe('orderFor', () => {
  it('alternates which path goes first', () => {
    expect(orderFor(0)).toEqual(['direct', 'turnout']);
    expect(orderFor(1)).toEqual(['turnout', 'direct']);
  });
});

describe('proxyCores', () => {
  it('is the median CPU share over runs that measured it', () => {
    expect(proxyCores([{ durationMs: 2_000, proxyCpuSec: 1 }, { durationMs: 1_000 }, { durationMs: 4_000, proxyCpuSec: 1 }])).toBeCloseTo(0.375, 10);
    expect(proxyCores([{ durationMs: 1_000 }])).toBeUndefined();
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
