import { describe, expect, it } from 'vitest';
import { pairedLeaderAssignment } from '../../../../bench/zones/zone-topic.js';

/** Partitions a round-robin assignment over `members` gives member k: p = k mod members. */
function roundRobin(partitions: number, members: number, k: number): number[] {
  return Array.from({ length: partitions }, (_, p) => p).filter((p) => p % members === k);
}

describe('pairedLeaderAssignment', () => {
  it('leads partitions in pairs round the brokers, each replica list distinct and of the replication factor', () => {
    const a = pairedLeaderAssignment([1, 2, 3], 6, 3);
    expect(a).toEqual([
      [1, 2, 3],
      [1, 2, 3],
      [2, 3, 1],
      [2, 3, 1],
      [3, 1, 2],
      [3, 1, 2],
    ]);
    for (const r of pairedLeaderAssignment([1, 2, 3], 12, 2)) {
      expect(r).toHaveLength(2);
      expect(new Set(r).size).toBe(2);
    }
  });

  it('gives every round-robin member partitions of two leaders, so some lie in another zone whatever the assignment', () => {
    for (const partitions of [6, 12, 24]) {
      const a = pairedLeaderAssignment([1, 2, 3], partitions, 3);
      for (let k = 0; k < 3; k++) {
        const leaders = new Set(roundRobin(partitions, 3, k).map((p) => a[p]?.[0]));
        expect(leaders.size, `member ${k} of ${partitions} partitions`).toBe(2);
      }
    }
  });

  it('refuses a replication factor above the broker count', () => {
    expect(() => pairedLeaderAssignment([1, 2], 4, 3)).toThrow(/replication factor 3 needs 3 brokers/);
  });
});
