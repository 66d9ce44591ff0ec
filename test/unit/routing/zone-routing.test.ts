import { sessionWithoutSocket } from '../../../src/pipeline/filter-states.js';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { ClientSession } from '../../../src/net/request-router.js';
import { createLogger } from '../../../src/observability/logger.js';
import { ZoneMetrics } from '../../../src/observability/zone-metrics.js';
import { parseConfig } from '../../../src/policy/config.js';
import { PolicySnapshot, policyDocumentOf } from '../../../src/policy/policy-snapshot.js';
import { PartitionLeaders } from '../../../src/routing/multi/partition-leaders.js';
import { QUARANTINE_MS, ReadReplicas } from '../../../src/routing/multi/read-replicas.js';
import { ZoneRouting } from '../../../src/routing/multi/zone-routing.js';
import { ZoneNodes } from '../../../src/routing/zone-nodes.js';

const RACKS: Record<number, string> = { 1: 'az-a', 2: 'az-b', 3: 'az-c' };
const facts = { brokerZone: (_b: string, id: number) => RACKS[id] ?? null, isLive: () => true };

describe('ReadReplicas', () => {
  const state = (learnedAtMs: number, isr = [1, 2, 3], replicas = [1, 2, 3]) => ({ leaderId: 1, isr, replicas, learnedAtMs });

  it('chooses the leader when it is in the client\'s zone, else an in-sync replica there, else the leader', () => {
    const r = new ReadReplicas(facts);
    expect(r.choose('m', 't', 0, 'az-a', state(1))).toEqual({ brokerId: 1, follower: false });
    expect(r.choose('m', 't', 0, 'az-b', state(1))).toEqual({ brokerId: 2, follower: true });
    expect(r.choose('m', 't', 0, 'az-b', state(1, [1, 3]))).toEqual({ brokerId: 1, follower: false });
    expect(r.choose('m', 't', 0, 'az-x', state(1))).toEqual({ brokerId: 1, follower: false });
  });

  it('keeps a follower set aside until a refresh asked for at least the quarantine later lists it in sync', () => {
    const r = new ReadReplicas(facts);
    r.setAsideFollower('m', 't', 0, 2, 10_000);
    expect(r.hasSetAside('m', 't', 0)).toBe(true);
    // A refresh from before the failure, or too soon after it, does not bring it back.
    expect(r.choose('m', 't', 0, 'az-b', state(9_000)).follower).toBe(false);
    expect(r.choose('m', 't', 0, 'az-b', state(10_000 + QUARANTINE_MS - 1)).follower).toBe(false);
    // Nor one that shows it out of the ISR.
    expect(r.choose('m', 't', 0, 'az-b', state(10_000 + QUARANTINE_MS, [1, 3])).follower).toBe(false);
    expect(r.choose('m', 't', 0, 'az-b', state(10_000 + QUARANTINE_MS))).toEqual({ brokerId: 2, follower: true });
    expect(r.hasSetAside('m', 't', 0)).toBe(false);
    // Only that partition was affected.
    r.setAsideFollower('m', 't', 0, 2, 20_000);
    expect(r.choose('m', 't', 1, 'az-b', state(1)).follower).toBe(true);
  });

  it('places by the in-zone replica of the assignment, whatever the ISR and set-aside followers say', () => {
    const r = new ReadReplicas(facts);
    expect(r.steadyReplica('m', 'az-a', state(1))).toBe(1);
    expect(r.steadyReplica('m', 'az-b', state(1))).toBe(2);
    // Out of sync, set aside, or with no assignment known (then the ISR decides).
    r.setAsideFollower('m', 't', 0, 2, 10_000);
    expect(r.steadyReplica('m', 'az-b', state(1, [1, 3]))).toBe(2);
    expect(r.steadyReplica('m', 'az-b', state(1, [1, 2], []))).toBe(2);
    expect(r.steadyReplica('m', 'az-b', state(1, [1, 3], []))).toBe(1);
    // No replica in the zone: the leader.
    expect(r.steadyReplica('m', 'az-x', state(1))).toBe(1);
    // The leader not known (being elected, or forgotten): still the in-zone replica.
    expect(r.steadyReplica('m', 'az-b', { ...state(1), leaderId: -1 })).toBe(2);
    expect(r.steadyReplica('m', 'az-b', { ...state(1, [], []), leaderId: -1 })).toBe(-1);
  });
});

function session(zone: string | null): ClientSession {
  return { connId: 1, log: createLogger({ level: 'silent' }), listenerName: 'a', virtualNodeId: -1, anyBrokerId: -1,
    ...sessionWithoutSocket(), zone, sendUpstream: () => Promise.resolve(null) };
}

describe('ZoneRouting', () => {
  const listener = { name: 'a', advertisedHost: 'turnout-a', nodePort: (id: number) => 9000 + id };

  function routing(metrics: ZoneMetrics): ZoneRouting {
    return new ZoneRouting({
      nodes: new ZoneNodes({ zones: ['az-a', 'az-b', 'az-c'], listeners: [{ listener, zone: 'az-a', nodeIdBase: 0, nodes: 2 }] }),
      ...facts,
      metrics,
    });
  }

  it('counts a connection served from a fallback zone once, however often it asks', () => {
    const metrics = new ZoneMetrics(new Registry());
    const z = routing(metrics);
    const s = session('az-c');
    for (let i = 0; i < 3; i++) expect(z.served(s)).toMatchObject({ zone: 'az-a', fallback: true });
    z.served(session('az-c'));
    z.served(session('az-a'));
    expect(metrics.snapshot().fallbacks).toEqual([{ clientZone: 'az-c', servedZone: 'az-a', connections: 2 }]);
  });

  it('reports partitions of producer-zone domains whose leader is outside the zones they are produced from', () => {
    const metrics = new ZoneMetrics(new Registry());
    const z = routing(metrics);
    const config = parseConfig({
      virtualCluster: { clusterId: 'v' },
      listeners: [{ bootstrapPort: 0, nodePortBase: 0 }],
      backends: [{ name: 'm', bootstrapServers: ['m:1'] }],
      domains: [
        { name: 'local', owner: 'o', topics: ['local.*'], backend: 'm', locality: { leaders: 'producer-zone' } },
        { name: 'any', owner: 'o', topics: ['any.*'], backend: 'm' },
      ],
    });
    const policy = new PolicySnapshot(policyDocumentOf(config), 1, new Map());
    const leaders = new PartitionLeaders();
    for (const topic of ['local.t', 'any.t']) [1, 2, 3].forEach((leader, p) => leaders.record('m', topic, p, leader));
    z.produced(session('az-a'), 'm', 'local.t');
    z.produced(session('az-b'), 'm', 'local.t');
    z.produced(session('az-a'), 'm', 'any.t');
    expect(z.remoteLeaders(policy, leaders)).toEqual([{ domain: 'local', topic: 'local.t', partition: 2, leaderZone: 'az-c', producerZones: ['az-a', 'az-b'] }]);
  });

  it('routes every fetch to the leader when follower fetching is off', () => {
    const z = new ZoneRouting({ nodes: ZoneNodes.zoneless([listener], 1), ...facts, followerFetching: false });
    const leaders = new PartitionLeaders();
    leaders.record('m', 't', 0, 1, [1, 2, 3]);
    expect(z.readReplica(session('az-b'), leaders, 'm', 't', 0, 12)).toEqual({ brokerId: 1, follower: false });
  });
});

describe('PartitionLeaders', () => {
  it('keeps what the newer Metadata request taught', () => {
    const l = new PartitionLeaders();
    l.record('m', 't', 0, 2, [2, 3], 200, 7);
    l.record('m', 't', 0, 1, [1], 100);
    expect(l.replicasOf('m', 't', 0)).toEqual({ leaderId: 2, leaderEpoch: 7, isr: [2, 3], replicas: [], learnedAtMs: 200 });
    l.forgetBroker('m', 2);
    expect(l.leaderOf('m', 't', 0)).toBe(-1);
    expect(l.topicsOf('m')).toEqual(['t']);
  });
});
