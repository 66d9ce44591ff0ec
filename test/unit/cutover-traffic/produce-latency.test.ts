// Produce latencies of a traffic run: per window by send time, and over an interval such as a
// cutover's hold (every record in flight at some moment of it).
import { describe, expect, it } from 'vitest';
import { ProduceLatency } from '../../integration/cutover-traffic/produce-latency.js';

describe('produce latency', () => {
  it('gives the longest latency per window, placing each record by its send time', () => {
    const l = new ProduceLatency();
    l.add('p', 1_000, 1_010);
    l.add('p', 1_500, 1_900);
    l.add('p', 2_100, 2_120);
    expect(l.windows('p', 1_000)).toEqual([
      { startMs: 1_000, records: 2, maxMs: 400 },
      { startMs: 2_000, records: 1, maxMs: 20 },
    ]);
    expect(l.windows('other', 1_000)).toEqual([]);
  });

  it('takes every record in flight during an interval: sent before it ends, acknowledged after it starts', () => {
    const l = new ProduceLatency();
    l.add('p', 100, 150); // done before the hold
    l.add('p', 900, 2_300); // sent before the hold, held through it
    l.add('q', 1_500, 2_100); // sent during the hold
    l.add('q', 2_500, 2_510); // after it
    expect(l.during(1_000, 2_000)).toEqual({ records: 2, maxMs: 1_400, producer: 'p' });
    expect(l.during(3_000, 4_000)).toEqual({ records: 0, maxMs: 0, producer: null });
    expect(l.percentilesDuring(1_000, 2_000, [0.5, 1])).toEqual([600, 1_400]);
    expect(l.percentilesDuring(3_000, 4_000, [0.5])).toBeNull();
  });
});
