import { describe, expect, it } from 'vitest';
import { coordinatorAmong, leaderAmong, ZoneNodes, type ListenerNodes } from '../../../src/routing/zone-nodes.js';

function listener(name: string, zone: string | null, nodeIdBase: number, nodes = 3, host = `${name}.local`): ListenerNodes {
  return { listener: { name, advertisedHost: host, nodePort: (id) => 9000 + id }, zone, nodeIdBase, nodes };
}

const zones = ['az-a', 'az-b', 'az-c'];

describe('ZoneNodes', () => {
  const nodes = new ZoneNodes({
    zones,
    listeners: [listener('a', 'az-a', 0), listener('b', 'az-b', 10, 2)],
    peers: [{ name: 'tc', zone: 'az-c', advertisedHost: 'turnout-c', nodePortBase: 7000, nodeIdBase: 20, nodes: 2 }],
  });

  it('shows a client of the listener\'s zone that listener\'s nodes, with the zone as rack', () => {
    const s = nodes.servedTo('a', 'az-a');
    expect(s).toMatchObject({ zone: 'az-a', fallback: false });
    expect(s.group.nodeIds).toEqual([0, 1, 2]);
    expect(s.group.endpoint(1)).toEqual({ nodeId: 1, host: 'a.local', port: 9001, rack: 'az-a' });
    expect(s.group.endpoint(10)).toBeUndefined();
  });

  it('shows a client without a zone the nodes of the listener it reached', () => {
    expect(nodes.servedTo('b', null).group.nodeIds).toEqual([10, 11]);
  });

  it('shows a client that reached another zone\'s listener the nodes of its own zone, here or at a peer', () => {
    expect(nodes.servedTo('a', 'az-b')).toMatchObject({ zone: 'az-b', fallback: false });
    expect(nodes.servedTo('a', 'az-b').group.nodeIds).toEqual([10, 11]);
    const c = nodes.servedTo('a', 'az-c');
    expect(c).toMatchObject({ zone: 'az-c', fallback: false });
    expect(c.group.nodeIds).toEqual([20, 21]);
    expect(c.group.endpoint(21)).toEqual({ nodeId: 21, host: 'turnout-c', port: 7001, rack: 'az-c' });
  });

  it('falls back, for a zone without nodes, to its configured fallbacks first, then the order of zones', () => {
    const two = new ZoneNodes({ zones: [...zones, 'az-d'], fallbacks: { 'az-d': ['az-b'] }, listeners: [listener('a', 'az-a', 0), listener('b', 'az-b', 10)] });
    expect(two.servedTo('a', 'az-d')).toMatchObject({ zone: 'az-b', fallback: true });
    expect(two.servedTo('a', 'az-c')).toMatchObject({ zone: 'az-a', fallback: true });
    expect(two.servedTo('b', 'az-c').group.name).toBe('a');
    expect(two.zonesWithNodes().sort()).toEqual(['az-a', 'az-b']);
  });

  it('serves a zone with several peers the union of their nodes', () => {
    const n = new ZoneNodes({
      zones,
      listeners: [listener('a', 'az-a', 0)],
      peers: [
        { name: 'b1', zone: 'az-b', advertisedHost: 'b1', nodePortBase: 7000, nodeIdBase: 30, nodes: 1 },
        { name: 'b2', zone: 'az-b', advertisedHost: 'b2', nodePortBase: 7000, nodeIdBase: 40, nodes: 1 },
      ],
    });
    const b = n.servedTo('a', 'az-b').group;
    expect(b.nodeIds).toEqual([30, 40]);
    expect(b.endpoint(40)?.host).toBe('b2');
  });

  it('shows only the peers that are up, and serves a zone whose peers are all down from its fallback, and its own again once one is back', () => {
    const up = new Set(['b1', 'b2', 'c1']);
    const n = new ZoneNodes({
      zones,
      fallbacks: { 'az-b': ['az-c'] },
      listeners: [listener('a', 'az-a', 0)],
      peers: [
        { name: 'b1', zone: 'az-b', advertisedHost: 'b1', nodePortBase: 7000, nodeIdBase: 30, nodes: 1 },
        { name: 'b2', zone: 'az-b', advertisedHost: 'b2', nodePortBase: 7000, nodeIdBase: 40, nodes: 1 },
        { name: 'c1', zone: 'az-c', advertisedHost: 'c1', nodePortBase: 7000, nodeIdBase: 50, nodes: 2 },
      ],
      peerUp: (name) => up.has(name),
    });
    expect(n.servedTo('a', 'az-b').group.nodeIds).toEqual([30, 40]);
    up.delete('b1');
    expect(n.servedTo('a', 'az-b')).toMatchObject({ zone: 'az-b', fallback: false });
    expect(n.servedTo('a', 'az-b').group.nodeIds).toEqual([40]);
    expect(n.servedTo('a', 'az-b').group.endpoint(30)).toBeUndefined();
    up.delete('b2');
    const fallback = n.servedTo('a', 'az-b');
    expect(fallback).toMatchObject({ zone: 'az-c', fallback: true });
    expect(fallback.group.nodeIds).toEqual([50, 51]);
    expect(n.zonesWithNodes().sort()).toEqual(['az-a', 'az-c']);
    up.delete('c1');
    // nothing up in the fallbacks: the listener's own zone, which is always up
    expect(n.servedTo('a', 'az-b')).toMatchObject({ zone: 'az-a', fallback: true });
    up.add('b2');
    expect(n.servedTo('a', 'az-b')).toMatchObject({ zone: 'az-b', fallback: false });
    expect(n.servedTo('a', 'az-b').group.nodeIds).toEqual([40]);
  });

  it('without zones shows every client its listener\'s nodes 0..n-1', () => {
    const n = ZoneNodes.zoneless([{ name: 'x', advertisedHost: 'h', nodePort: () => 1 }], 2);
    expect(n.servedTo('x', 'az-a')).toMatchObject({ zone: null, fallback: false });
    expect(n.localNodeIds('x')).toEqual([0, 1]);
  });

  it('binds each listener\'s own ids', () => {
    expect(nodes.localNodeIds('b')).toEqual([10, 11]);
    expect(() => nodes.servedTo('nope', null)).toThrow(/no listener named nope/);
  });
});

describe('placement among served nodes', () => {
  it('places leaders and coordinators on the served nodes only, spreading partitions', () => {
    const ids = [10, 11, 12];
    const leaders = new Set(Array.from({ length: 6 }, (_, p) => leaderAmong(ids, 'orders', p)));
    expect([...leaders].sort()).toEqual(ids);
    expect(ids).toContain(coordinatorAmong(ids, 'group-1'));
    // FNV-1a('orders') = 845059820, 2 modulo 3: partition 0 on the third node, then round the list.
    expect(Array.from({ length: 6 }, (_, p) => leaderAmong(ids, 'orders', p))).toEqual([12, 10, 11, 12, 10, 11]);
  });
});
