import { describe, expect, it } from 'vitest';
import { nodeCountAdvice } from '../../../src/routing/node-count-advice.js';

const backends = [
  { backend: 'main', brokers: 3 },
  { backend: 'legacy', brokers: 1 },
];

describe('nodeCountAdvice', () => {
  it('names each listener with fewer nodes than the backends have brokers, and the count to set', () => {
    const advice = nodeCountAdvice(
      [
        { name: 'inside', nodes: 3 },
        { name: 'outside', nodes: 4 },
        { name: 'tiny', nodes: 1 },
      ],
      backends,
      false,
    );
    expect(advice).toHaveLength(2);
    expect(advice[0]).toContain('listener inside has 3 nodes for 4 brokers (main 3, legacy 1)');
    expect(advice[0]).toContain('set listeners[].nodes to at least 4');
    expect(advice[1]).toContain('listener tiny has 1 node for 4 brokers');
  });

  it('says nothing with enough nodes, with one backend, or with zones (whose nodes stand for one zone each)', () => {
    expect(nodeCountAdvice([{ name: 'l', nodes: 4 }], backends, false)).toEqual([]);
    expect(nodeCountAdvice([{ name: 'l', nodes: 3 }], [{ backend: 'main', brokers: 6 }], false)).toEqual([]);
    expect(nodeCountAdvice([{ name: 'l', nodes: 3 }], backends, true)).toEqual([]);
  });
});
