import { describe, expect, it } from 'vitest';
import { VirtualNodeMap, type VirtualNodeAssignment } from '../../../src/routing/virtual-node-map.js';
import { nodeIdMessage, parseKnownNodeIds } from '../../../src/cluster/worker-messages.js';

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

  it('starts from the ids a sibling process gave, and reports only the ones it gives', () => {
    const given: VirtualNodeAssignment[] = [];
    const m = new VirtualNodeMap({
      known: [
        { backend: 'a', brokerId: 3, virtualNodeId: 1 },
        { backend: 'a', brokerId: 1, virtualNodeId: 0 },
        { backend: 'a', brokerId: 3, virtualNodeId: 5 },
        { backend: 'a', brokerId: 9, virtualNodeId: 0 },
      ],
      onAssigned: (a) => given.push(a),
    });
    expect(m.virtualIdFor('a', 3)).toBe(1);
    expect(m.virtualIdFor('a', 1)).toBe(0);
    expect(m.lookupVirtualId('a', 9), 'an id already taken is not given twice').toBe(-1);
    expect(m.virtualIdFor('a', 2)).toBe(2);
    expect(given).toEqual([{ backend: 'a', brokerId: 2, virtualNodeId: 2 }]);
  });

  it('carries ids from primary to worker as JSON, leaving out what is not an assignment', () => {
    const ids = [{ backend: 'a', brokerId: 1, virtualNodeId: 0 }];
    expect(parseKnownNodeIds(JSON.stringify([...ids, { backend: 'a', brokerId: 'x', virtualNodeId: 1 }, null]))).toEqual(ids);
    expect(parseKnownNodeIds('not json')).toEqual([]);
    expect(parseKnownNodeIds(undefined)).toEqual([]);
    expect(nodeIdMessage(ids[0])).toEqual({ turnout: 'virtual-node-id', ...ids[0] });
  });
});
