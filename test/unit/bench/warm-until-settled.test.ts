import { describe, expect, it } from 'vitest';
import { formatTrail, hasSettled } from '../../../bench/warm-until-settled.js';

describe('hasSettled', () => {
  it('waits for three runs within 15% of each other', () => {
    expect(hasSettled([10, 10])).toBe(false);
    expect(hasSettled([39, 20, 21])).toBe(false);
    expect(hasSettled([20, 21, 17])).toBe(false);
    expect(hasSettled([12, 14, 13])).toBe(false);
    expect(hasSettled([13, 12, 12, 11])).toBe(true);
  });

  it('never calls runs that cost nothing settled', () => {
    expect(hasSettled([0, 0, 0])).toBe(false);
  });
});

describe('formatTrail', () => {
  it('lists each run and whether the warm-up ended settled', () => {
    expect(formatTrail('Turnout', { cpuMsPerMb: [7.14, 4, 3.05], settled: true })).toBe('Turnout 7.1 4.0 3.0 ms/MB, settled');
    expect(formatTrail('Kroxylicious', { cpuMsPerMb: [3], settled: false })).toBe('Kroxylicious 3.0 ms/MB, not settled');
  });
});
