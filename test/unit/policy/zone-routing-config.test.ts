import { describe, expect, it } from 'vitest';
import { parseConfig, presentationOf } from '../../../src/policy/config.js';
import { configIssuesOf as issuesOf } from './config-issues.js';

const base = {
  virtualCluster: { clusterId: 'turnout-test' },
  listeners: [{ bootstrapPort: 9192, nodePortBase: 9193 }],
  backends: [{ name: 'main', bootstrapServers: ['localhost:9092'] }],
};
const zones = ['az-a', 'az-b', 'az-c'];

const peer = { name: 'turnout-b', zone: 'az-b', advertisedHost: 'turnout-b.internal', nodePortBase: 9193, nodeIdBase: 100 };

describe('zone routing configuration', () => {
  it('defaults to follower fetching on, no fallbacks, no peers, peers probed every 3 s and node ids from 0', () => {
    const c = parseConfig(base);
    expect(c.zoneRouting).toEqual({ followerFetching: true, fallbacks: {}, peers: [], peerHealth: { intervalMs: 3_000, timeoutMs: 1_500, failuresBeforeDown: 2 } });
    expect(parseConfig({ ...base, zoneRouting: { peerHealth: { intervalMs: 500 } } }).zoneRouting.peerHealth).toEqual({ intervalMs: 500, timeoutMs: 1_500, failuresBeforeDown: 2 });
    expect(c.listeners[0].nodeIdBase).toBe(0);
    expect(c.virtualCluster.presentation).toBeUndefined();
  });

  it('presents brokers one for one with one backend and no zones, Turnout nodes with zones or several backends', () => {
    expect(presentationOf(parseConfig(base))).toBe('broker-per-node');
    expect(presentationOf(parseConfig({ ...base, zones }))).toBe('turnout-nodes');
    const two = parseConfig(
      { ...base, backends: [...base.backends, { name: 'b', bootstrapServers: ['h:1'] }], domains: [{ name: 'd', owner: 'o', topics: ['*'], backend: 'main' }] },
      'config',
      { severalBackends: true },
    );
    expect(presentationOf(two)).toBe('turnout-nodes');
    expect(presentationOf(parseConfig({ ...base, zones, virtualCluster: { clusterId: 'c', presentation: 'broker-per-node' } }))).toBe('broker-per-node');
    expect(presentationOf(parseConfig({ ...base, virtualCluster: { clusterId: 'c', presentation: 'turnout-nodes' } }))).toBe('turnout-nodes');
  });

  it('accepts peers, fallbacks and a domain locality naming declared zones', () => {
    const c = parseConfig({
      ...base,
      zones,
      listeners: [{ bootstrapPort: 9192, nodePortBase: 9193, zone: 'az-a', nodeIdBase: 0 }],
      zoneRouting: { fallbacks: { 'az-c': ['az-b', 'az-a'] }, peers: [peer] },
      domains: [{ name: 'orders', owner: 'o', topics: ['orders.*'], backend: 'main', locality: { leaders: 'producer-zone' } }],
      defaultDomain: 'orders',
    });
    expect(c.zoneRouting.peers[0]).toEqual({ ...peer, nodes: 3 });
    expect(c.zoneRouting.fallbacks['az-c']).toEqual(['az-b', 'az-a']);
    expect(c.domains[0].locality).toEqual({ leaders: 'producer-zone' });
  });

  it('names undeclared zones in fallbacks and peers, and a zone that falls back to itself', () => {
    const issues = issuesOf({
      ...base,
      zones,
      zoneRouting: { fallbacks: { 'az-x': ['az-a'], 'az-c': ['az-c', 'az-y'] }, peers: [{ ...peer, zone: 'az-z' }] },
    });
    expect(issues).toEqual(
      expect.arrayContaining([
        { path: 'zoneRouting.fallbacks.az-x', reason: expect.stringMatching(/names no declared zone: "az-x"/) },
        { path: 'zoneRouting.fallbacks.az-c[0]', reason: 'a zone is not its own fallback' },
        { path: 'zoneRouting.fallbacks.az-c[1]', reason: expect.stringMatching(/"az-y"/) },
        { path: 'zoneRouting.peers[0].zone', reason: expect.stringMatching(/"az-z"/) },
      ]),
    );
    expect(issues).toHaveLength(4);
  });

  it('refuses a peer whose node ids overlap a listener\'s or another peer\'s, and duplicate peer names', () => {
    const issues = issuesOf({
      ...base,
      zones,
      listeners: [{ bootstrapPort: 1, nodePortBase: 2, nodeIdBase: 100, nodes: 3 }],
      zoneRouting: { peers: [{ ...peer, nodeIdBase: 102 }, { ...peer, nodeIdBase: 104 }] },
    });
    expect(issues).toHaveLength(3);
    expect(issues).toEqual(
      expect.arrayContaining([
        { path: 'zoneRouting.peers[0].nodeIdBase', reason: 'node ids 102..104 of peer "turnout-b" overlap ids 100..102 of listener "default"' },
        { path: 'zoneRouting.peers[1].nodeIdBase', reason: 'node ids 104..106 of peer "turnout-b" overlap ids 102..104 of peer "turnout-b"' },
        { path: 'zoneRouting.peers[1].name', reason: 'peer name "turnout-b" is used twice' },
      ]),
    );
  });

  it('lets listeners of one instance show the same node ids', () => {
    const c = parseConfig({
      ...base,
      zones,
      listeners: [
        { name: 'inside', bootstrapPort: 1, nodePortBase: 2, zone: 'az-a' },
        { name: 'outside', bootstrapPort: 11, nodePortBase: 12 },
      ],
    });
    expect(c.listeners.map((l) => l.nodeIdBase)).toEqual([0, 0]);
  });

  it('refuses peers, node id bases and several backends with the broker-per-node presentation', () => {
    const issues = issuesOf({
      ...base,
      zones,
      virtualCluster: { clusterId: 'c', presentation: 'broker-per-node' },
      listeners: [{ bootstrapPort: 1, nodePortBase: 2, nodeIdBase: 10 }],
      backends: [...base.backends, { name: 'b', bootstrapServers: ['h:1'] }],
      domains: [{ name: 'd', owner: 'o', topics: ['*'], backend: 'main' }],
      zoneRouting: { peers: [peer] },
    });
    expect(issues.map((i) => i.path).sort()).toEqual(['listeners[0].nodeIdBase', 'virtualCluster.presentation', 'virtualCluster.presentation']);
    expect(issues.find((i) => i.path === 'listeners[0].nodeIdBase')?.reason).toMatch(/needs the turnout-nodes presentation/);
  });
});
