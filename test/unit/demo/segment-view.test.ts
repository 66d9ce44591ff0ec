import { describe, expect, it } from 'vitest';
import { chainFromSwitchPoints, checkStored, partitionSegments, type RealLog } from '../../../src/demo/segment-view.js';

// east -> west at virtual 100 (west empty: shift 100), west -> east at 250 (east at 100: shift 150), east -> west at 400 (west at 150: shift 250).
const chain = chainFromSwitchPoints('east', [
  { backend: 'west', firstOffset: '100', shift: '100', generation: 1 },
  { backend: 'east', firstOffset: '250', shift: '150', generation: 2 },
  { backend: 'west', firstOffset: '400', shift: '250', generation: 3 },
]);

const logs = (east: RealLog, west: RealLog): Map<string, Map<number, RealLog>> =>
  new Map([
    ['east', new Map([[0, east]])],
    ['west', new Map([[0, west]])],
  ]);

describe('partitionSegments', () => {
  it('gives each segment its virtual and real offsets, the last one up to the virtual end', () => {
    const p = partitionSegments('orders.events', 0, chain, 480);
    expect(p.segments).toEqual([
      { index: 0, backend: 'east', generation: null, firstOffset: 0, endOffset: 100, shift: 0, realFirst: 0, realEnd: 100, records: 100 },
      { index: 1, backend: 'west', generation: 1, firstOffset: 100, endOffset: 250, shift: 100, realFirst: 0, realEnd: 150, records: 150 },
      { index: 2, backend: 'east', generation: 2, firstOffset: 250, endOffset: 400, shift: 150, realFirst: 100, realEnd: 250, records: 150 },
      { index: 3, backend: 'west', generation: 3, firstOffset: 400, endOffset: 480, shift: 250, realFirst: 150, realEnd: 230, records: 80 },
    ]);
  });

  it('is one segment on the first backend before any cutover', () => {
    expect(partitionSegments('t', 2, chainFromSwitchPoints('east', []), 42).segments).toEqual([
      { index: 0, backend: 'east', generation: null, firstOffset: 0, endOffset: 42, shift: 0, realFirst: 0, realEnd: 42, records: 42 },
    ]);
  });
});

describe('checkStored', () => {
  const p = partitionSegments('orders.events', 0, chain, 480);

  it('holds when each cluster has exactly its segments, back to back', () => {
    expect(checkStored([p], logs({ start: 0, end: 250 }, { start: 0, end: 230 }))).toEqual({ ok: true, problems: [] });
  });

  it('finds a record on a cluster beyond its last segment (written there after the switch)', () => {
    const check = checkStored([p], logs({ start: 0, end: 251 }, { start: 0, end: 230 }));
    expect(check.ok).toBe(false);
    expect(check.problems).toEqual(['orders.events-0 on east: the log ends at 251, its segments at 250']);
  });

  it('finds a gap between two segments of one cluster', () => {
    const gap = partitionSegments(
      'orders.events',
      0,
      chainFromSwitchPoints('east', [
        { backend: 'west', firstOffset: '100', shift: '100', generation: 1 },
        { backend: 'east', firstOffset: '250', shift: '140', generation: 2 },
      ]),
      300,
    );
    const check = checkStored([gap], logs({ start: 0, end: 160 }, { start: 0, end: 150 }));
    expect(check.ok).toBe(false);
    expect(check.problems[0]).toBe("orders.events-0 segment 2 on east starts at real offset 110, where east's log has 100");
  });

  it('finds records of the domain on a cluster that holds no segment of it', () => {
    const one = partitionSegments('orders.events', 0, chainFromSwitchPoints('east', []), 50);
    expect(checkStored([one], logs({ start: 0, end: 50 }, { start: 0, end: 3 })).problems).toEqual(['orders.events-0 on west: the log ends at 3, its segments at 0']);
  });
});
