import { describe, expect, it } from 'vitest';
import { brokerSlots, LeaderPlacement, preferredSlot, type BrokerRoster } from '../../../src/routing/leader-placement.js';

function roster(backend: string, ids: number[]): BrokerRoster & { set(ids: number[]): void } {
  let brokers = new Map(ids.map((id) => [id, {}]));
  return {
    backend,
    brokers: () => brokers,
    set(next: number[]) {
      brokers = new Map(next.map((id) => [id, {}]));
    },
  };
}

function slotsOf(backends: Array<[string, number[]]>, nodes: number): Record<string, number[]> {
  const slots = brokerSlots(backends.map(([backend, brokerIds]) => ({ backend, brokerIds })), nodes);
  return Object.fromEntries(backends.map(([b, ids]) => [b, ids.map((id) => slots.get(b)?.get(id) as number)]));
}

describe('brokerSlots', () => {
  it('gives each broker a node of its own while there are no more brokers than nodes', () => {
    expect(slotsOf([['main', [1, 2, 3]]], 3)).toEqual({ main: [1, 2, 0] });
    expect(slotsOf([['main', [0, 1, 2]]], 3)).toEqual({ main: [0, 1, 2] });
    // Ids far apart that prefer the same slot step aside to free ones.
    expect(new Set(slotsOf([['main', [10, 20, 30]]], 10).main).size).toBe(3);
    // Two backends over enough nodes: their brokers start evenly apart and never share.
    const two = slotsOf([['main', [1, 2, 3]], ['legacy', [1, 2, 3]]], 6);
    expect(two).toEqual({ main: [1, 2, 3], legacy: [4, 5, 0] });
  });

  it('spreads more brokers than nodes evenly, a new round once every node has one', () => {
    const two = slotsOf([['main', [1, 2, 3]], ['legacy', [1, 2, 3]]], 3);
    expect(new Set(two.main).size).toBe(3);
    expect(new Set(two.legacy).size).toBe(3);
    const perNode = [0, 0, 0];
    for (const s of [...two.main, ...two.legacy]) perNode[s]++;
    expect(perNode).toEqual([2, 2, 2]);
  });

  it('moves no other broker when one with consecutive ids leaves', () => {
    const before = slotsOf([['main', [1, 2, 3]], ['legacy', [1, 2, 3]]], 6);
    const after = slotsOf([['main', [1, 3]], ['legacy', [1, 2, 3]]], 6);
    expect([after.main, after.legacy]).toEqual([[before.main[0], before.main[2]], before.legacy]);
  });

  it('depends only on the configuration order and the broker ids, not the order brokers are listed in', () => {
    expect(slotsOf([['main', [3, 1, 2]]], 3)).toEqual({ main: [0, 1, 2] });
    expect(preferredSlot(1, 2, 1, 4)).toBe(3);
  });
});

describe('LeaderPlacement', () => {
  it('names the same node for a broker every time and on every instance that sees the same brokers', () => {
    const a = new LeaderPlacement([roster('main', [1, 2, 3]), roster('legacy', [1, 2, 3])]);
    const b = new LeaderPlacement([roster('main', [1, 2, 3]), roster('legacy', [1, 2, 3])]);
    const nodes = [100, 101, 102];
    for (const backend of ['main', 'legacy']) {
      for (const id of [1, 2, 3]) {
        expect(a.nodeOf(nodes, backend, id)).toBe(a.nodeOf(nodes, backend, id));
        expect(a.nodeOf(nodes, backend, id)).toBe(b.nodeOf(nodes, backend, id));
      }
    }
    expect(new Set([1, 2, 3].map((id) => a.nodeOf(nodes, 'main', id)))).toEqual(new Set(nodes));
  });

  it('answers for each group of served nodes by its own ids', () => {
    const p = new LeaderPlacement([roster('main', [1, 2, 3])]);
    expect([1, 2, 3].map((id) => p.nodeOf([0, 1, 2], 'main', id))).toEqual([1, 2, 0]);
    expect([1, 2, 3].map((id) => p.nodeOf([100, 101], 'main', id))).toEqual([101, 100, 101]);
  });

  it('follows a change of brokers, and places a broker not listed yet at its preferred slot', () => {
    const main = roster('main', [1, 2]);
    const p = new LeaderPlacement([main]);
    expect(p.nodeOf([0, 1, 2], 'main', 3)).toBe(0);
    main.set([1, 2, 4]);
    expect(p.nodeOf([0, 1, 2], 'main', 4)).toBe(0);
    expect(p.nodeOf([0, 1, 2], 'main', 1)).toBe(1);
  });

  it('keeps every broker\'s node when one stops, however the slots wrapped', () => {
    const main = roster('main', [1, 2, 3]);
    const p = new LeaderPlacement([main]);
    // Two nodes, three brokers: 2 on node 100, 1 and 3 (a second round) on 101.
    const before = [1, 2, 3].map((id) => p.nodeOf([100, 101], 'main', id));
    expect(before).toEqual([101, 100, 101]);
    // Worked out from 1 and 3 alone, 3 would step aside to 100.
    main.set([1, 3]);
    expect([1, 2, 3].map((id) => p.nodeOf([100, 101], 'main', id))).toEqual(before);
    main.set([1, 2, 3]);
    expect([1, 2, 3].map((id) => p.nodeOf([100, 101], 'main', id))).toEqual(before);
  });
});
