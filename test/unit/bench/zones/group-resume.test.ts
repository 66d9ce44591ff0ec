import { describe, expect, it } from 'vitest';
import { groupLedBy, groupPartition, javaStringHash } from '../../../../bench/zones/group-placement.js';
import { checkOrder, PartitionOrder } from '../../../../bench/zones/partition-order.js';
import { checkResumes } from '../../../../bench/zones/resume-check.js';

function orderOf(...consumers: PartitionOrder[]) {
  return consumers.map((c) => ({ runs: c.toJSON(), offsetRegressions: c.offsetRegressions, readBreaks: c.readBreaks, sequenceRegressions: c.sequenceRegressions }));
}

describe('resuming after a group join', () => {
  it('accepts a member that rejoins and reads again from its last acknowledged commit', () => {
    const a = new PartitionOrder();
    a.joined();
    for (let o = 0; o < 10; o++) a.add(0, o, 0, o, 1_000 + o);
    a.committed(0, 7);
    // The commit of 7..9 failed (the coordinator moved); the member rejoins.
    a.joined();
    for (let o = 7; o < 12; o++) a.add(0, o, 0, o, 2_000 + o);
    a.committed(0, 12);
    expect(a.offsetRegressions).toBe(0);
    expect(a.readBreaks).toBe(0);
    expect(a.sequenceRegressions).toBe(0);
    expect(a.tenures).toEqual([
      { partition: 0, join: 1, startedAtMs: 1_000, from: 0, to: 9, committed: 7 },
      { partition: 0, join: 2, startedAtMs: 2_007, from: 7, to: 11, committed: 12 },
    ]);
    expect(checkResumes(a.tenures)).toEqual({ tenures: 2, redeliveredOffsets: 3, redeliveredByPartition: { '0': 3 }, misplaced: [] });
    expect(checkOrder(orderOf(a), [12])).toMatchObject({ overlappingOffsets: 3, skippedOffsets: 0 });
  });

  it('follows a partition to another member, which resumes from the first one\'s last commit', () => {
    const a = new PartitionOrder();
    const b = new PartitionOrder();
    a.joined();
    b.joined();
    for (let o = 0; o < 5; o++) a.add(3, o, 1, o, 100 + o);
    a.committed(3, 4);
    b.joined();
    for (let o = 4; o < 9; o++) b.add(3, o, 1, o, 200 + o);
    expect(checkResumes([...b.tenures, ...a.tenures])).toEqual({ tenures: 2, redeliveredOffsets: 1, redeliveredByPartition: { '3': 1 }, misplaced: [] });
  });

  it('flags a resume anywhere but the last commit, and a record read again without a rejoin', () => {
    const a = new PartitionOrder();
    a.joined();
    for (let o = 0; o < 6; o++) a.add(0, o, 0, o, o);
    a.committed(0, 6);
    a.joined();
    // Resumed before the commit: records the group had committed are read again.
    for (let o = 4; o < 8; o++) a.add(0, o, 0, o, 10 + o);
    // Read again within one tenure: no join, so no reason to.
    a.add(0, 6, 0, 6, 20);
    expect(checkResumes(a.tenures)).toMatchObject({ redeliveredOffsets: 2, misplaced: [{ partition: 0, from: 4, committed: 6 }] });
    expect(a.offsetRegressions).toBe(1);
    expect(a.readBreaks).toBe(1);
    expect(a.sequenceRegressions).toBe(1);
  });

  it('flags a tenure that skips past the last commit', () => {
    const a = new PartitionOrder();
    for (let o = 0; o < 3; o++) a.add(1, o, 0, o, o);
    a.committed(1, 3);
    a.joined();
    for (let o = 5; o < 7; o++) a.add(1, o, 0, o, 10 + o);
    expect(checkResumes(a.tenures)).toMatchObject({ redeliveredOffsets: 0, misplaced: [{ partition: 1, from: 5, committed: 3 }] });
    expect(checkOrder(orderOf(a), [0, 7])).toMatchObject({ skippedOffsets: 2 });
  });
});

describe('a group coordinated by a chosen broker', () => {
  it('hashes a group id as Java does and keeps Kafka\'s partition of it', () => {
    expect(javaStringHash('hello')).toBe(99162322);
    expect(javaStringHash('zones-turnout-x')).toBe(339584854);
    // Its hashCode is Integer.MIN_VALUE, which Kafka's Utils.abs maps to 0.
    expect(javaStringHash('polygenelubricants')).toBe(-2147483648);
    expect(groupPartition('polygenelubricants', 10)).toBe(0);
    expect(groupPartition('hello', 10)).toBe(2);
  });

  it('picks the first name whose offsets partition the broker leads', () => {
    const leaders = new Map(Array.from({ length: 10 }, (_, p) => [p, p % 3] as [number, number]));
    for (const broker of [0, 1, 2]) {
      const group = groupLedBy('g', leaders, broker) as string;
      expect(leaders.get(groupPartition(group, 10))).toBe(broker);
    }
    expect(groupLedBy('g', leaders, 7)).toBeUndefined();
  });
});
