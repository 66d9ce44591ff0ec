import { describe, expect, it } from 'vitest';
import { percentile, summarizeLatency } from '../../../src/demo/latency-stats.js';

describe('latency stats', () => {
  it('takes nearest-rank percentiles', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(values, 0.5)).toBe(50);
    expect(percentile(values, 0.99)).toBe(99);
    expect(percentile(values, 1)).toBe(100);
    expect(percentile([7], 0.99)).toBe(7);
    expect(percentile([], 0.5)).toBeNaN();
  });

  it('summarizes unsorted samples', () => {
    expect(summarizeLatency([3, 1, 2, 10])).toEqual({ count: 4, p50: 2, p99: 10, max: 10, mean: 4 });
    expect(summarizeLatency([]).count).toBe(0);
  });
});
