import { describe, expect, it } from 'vitest';
import { VirtualNodeMap } from '../../../src/routing/virtual-node-map.js';

describe('VirtualNodeMap', () => {
  it('assigns ids in order of first sight and never reuses them', () => {
    const m = new VirtualNodeMap();
    expect(m.virtualIdFor('a', 7)).toBe(0);
    expect(m.virtualIdFor('a', 3)).toBe(1);
    expect(m.virtualIdFor('b', 7)).toBe(2);
    expect(m.virtualIdFor('a', 7)).toBe(0);
    expect(m.brokerFor(2)).toEqual({ backend: 'b', brokerId: 7 });
    expect(m.brokerFor(3)).toBeUndefined();
    expect(m.brokerFor(-1)).toBeUndefined();
    expect(m.lookupVirtualId('a', 99)).toBe(-1);
    expect(m.size).toBe(3);
  });
});
