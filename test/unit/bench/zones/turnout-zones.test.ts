import { describe, expect, it } from 'vitest';
import { LatencyHistogram, mergeLatency, summarizeLatency } from '../../../../bench/zones/latency-histogram.js';
import { checkOrder, PartitionOrder, recordsPerPartition } from '../../../../bench/zones/partition-order.js';
import { runFigures } from '../../../../bench/zones/run-figures.js';
import { summarizeTraffic, type ZoneRunResult } from '../../../../bench/zones/traffic-report.js';
import { checkTurnoutPorts, turnoutZoneConfig } from '../../../../bench/zones/turnout-config.js';
import { fetchSplit, tallyBetween, type ZonesView } from '../../../../bench/zones/turnout-zone-view.js';
import { formatZoneReport, zoneJsonLine } from '../../../../bench/zones/zone-report.js';
import { parseIsr } from '../../../../bench/zones/zone-topic.js';
import type { ClusterInfo } from '../../../../src/devkit/index.js';
import { parseZoneCounters, parseZoneLayout } from '../../../../src/devkit/zone-rig.js';
import { parseConfig } from '../../../../src/policy/config.js';

const layout = parseZoneLayout(
  JSON.stringify({
    prefix: 'tz',
    coreNetns: 'tz-core',
    controllerHost: '10.231.3.254',
    classes: ['client', 'repl', 'ctrl'],
    zones: ['a', 'b', 'c'].map((l, i) => ({ zone: `az-${l}`, netns: `tz-${l}`, clientHost: `10.231.1.${i + 1}`, replicationHost: `10.231.2.${i + 1}`, controlHost: `10.231.3.${i + 1}` })),
  }),
);

const cluster: ClusterInfo = {
  cluster: 'zones',
  version: '4.1.1',
  clusterId: 'x',
  bootstrapServers: '10.231.1.1:9092,10.231.1.2:9092,10.231.1.3:9092',
  brokers: layout.zones.map((z, i) => ({ id: i + 1, host: z.clientHost, port: 9092, rack: z.zone, pid: null, replication: { host: z.replicationHost, port: 9093 }, netns: z.netns })),
  controller: { id: 100, host: '10.231.3.254', port: 9094, pid: null },
  stateDir: '/tmp/x',
};

describe('Turnout in every zone', () => {
  it('gives each zone an instance on its client address, the other two as peers, and a valid configuration', () => {
    const configs = layout.zones.map((_, i) => parseConfig(turnoutZoneConfig(layout, cluster, i), `zone ${i}`, { severalBackends: true }));
    const b = configs[1];
    expect(b?.listeners).toEqual([expect.objectContaining({ bindHost: '10.231.1.2', advertisedHost: '10.231.1.2', zone: 'az-b', nodeIdBase: 100, nodes: 3 })]);
    expect(b?.zoneRouting.peers.map((p) => [p.zone, p.advertisedHost, p.nodeIdBase])).toEqual([
      ['az-a', '10.231.1.1', 0],
      ['az-c', '10.231.1.3', 200],
    ]);
    expect(b?.zoneRouting.followerFetching).toBe(true);
    expect(b?.backends[0]?.rackZones).toEqual({ 'az-a': 'az-a', 'az-b': 'az-b', 'az-c': 'az-c' });
    expect(b?.backends[0]?.bootstrapServers).toHaveLength(3);
    expect(b?.clientZones.cidrs).toEqual({ '10.231.1.1/32': 'az-a', '10.231.1.2/32': 'az-b', '10.231.1.3/32': 'az-c' });
    expect(b?.admin).toEqual({ host: '127.0.0.1', port: 29190 });
  });

  it('refuses Turnout ports that a broker uses on the same address', () => {
    expect(() => checkTurnoutPorts(cluster, { bootstrapPort: 9093, nodePortBase: 19093, adminPort: 19190 })).toThrow(/9093 is broker 1's port/);
    expect(() => checkTurnoutPorts(cluster, { bootstrapPort: 29092, nodePortBase: 29093, adminPort: 29190 })).not.toThrow();
  });

  const view = (to: number, from: number, follower: number, leaderRemote: number): ZonesView => ({
    bytes: {
      pairs: [
        { clientZone: 'az-a', brokerZone: 'az-a', crossZone: false, toBrokerBytes: 10 * to, fromBrokerBytes: 10 * from },
        { clientZone: 'az-a', brokerZone: 'az-b', crossZone: true, toBrokerBytes: to, fromBrokerBytes: from },
      ],
    },
    routing: {
      fetches: [
        { clientZone: 'az-a', brokerZone: 'az-a', replica: 'follower', partitions: 1, recordBytes: follower },
        { clientZone: 'az-a', brokerZone: 'az-b', replica: 'leader', partitions: 1, recordBytes: leaderRemote },
      ],
      followerRetries: { unreachable: leaderRemote > 0 ? 2 : 0 },
    },
  });

  it('tallies what the instances counted between two readings, split by where fetches were served', () => {
    const tally = tallyBetween({ 'az-a': view(100, 10, 1000, 0) }, { 'az-a': view(300, 50, 5000, 700) });
    expect(tally.crossZone).toEqual({ toBrokerBytes: 200, fromBrokerBytes: 40 });
    expect(tally.inZone).toEqual({ toBrokerBytes: 2000, fromBrokerBytes: 400 });
    expect(tally.followerRetries).toBe(2);
    expect(fetchSplit(tally)).toEqual({ inZoneRecordBytes: 4000, crossZoneRecordBytes: 700, followerRecordBytes: 4000, leaderRecordBytes: 700 });
    expect(fetchSplit(tally, 'az-b')).toEqual({ inZoneRecordBytes: 0, crossZoneRecordBytes: 0, followerRecordBytes: 0, leaderRecordBytes: 0 });
  });
});

describe('order per partition', () => {
  it('accepts consumers whose runs cover each partition once, also across a rebalance', () => {
    const a = new PartitionOrder();
    const b = new PartitionOrder();
    for (let o = 0; o < 5; o++) a.add(0, o, 0, o);
    for (let o = 5; o < 8; o++) b.add(0, o, 0, o);
    for (let o = 0; o < 3; o++) b.add(1, o, 1, o);
    const consumers = [a, b].map((c) => ({ runs: c.toJSON(), offsetRegressions: c.offsetRegressions, readBreaks: c.readBreaks, sequenceRegressions: c.sequenceRegressions }));
    expect(checkOrder(consumers, [8, 3])).toEqual({ brokenPartitions: [], overlappingOffsets: 0, skippedOffsets: 0, offsetRegressions: 0, readBreaks: 0, sequenceRegressions: 0, inOrder: true });
  });

  it('finds offsets skipped, read twice or backwards, and producer sequences out of order', () => {
    const a = new PartitionOrder();
    for (const o of [0, 1, 3, 4]) a.add(0, o, 0, o);
    a.add(1, 0, 0, 5);
    a.add(1, 1, 0, 4);
    a.add(1, 1, 0, 4);
    const check = checkOrder([{ runs: a.toJSON(), offsetRegressions: a.offsetRegressions, readBreaks: a.readBreaks, sequenceRegressions: a.sequenceRegressions }], [5, 3]);
    expect(check).toEqual({ brokenPartitions: [0, 1], overlappingOffsets: 1, skippedOffsets: 2, offsetRegressions: 1, readBreaks: 2, sequenceRegressions: 1, inOrder: false });
  });

  it('counts the records each partition holds', () => {
    expect(recordsPerPartition(3, 2, 7)).toEqual([6, 4, 4]);
    expect(recordsPerPartition(4, 1, 2)).toEqual([1, 1, 0, 0]);
  });

  it('reads in-sync replicas from kafka-topics --describe', () => {
    const text = '\tTopic: t\tPartition: 0\tLeader: 3\tReplicas: 3,1,2\tIsr: 3,2\tElr: \tLastKnownElr: \n\tTopic: t\tPartition: 1\tLeader: 1\tReplicas: 1,2,3\tIsr: 1,2,3\n';
    expect([...parseIsr(text)]).toEqual([[0, [3, 2]], [1, [1, 2, 3]]]);
  });
});

describe('latency', () => {
  it('merges consumers\' histograms and reads nearest-rank percentiles', () => {
    const h = new LatencyHistogram();
    for (let i = 1; i <= 98; i++) h.add(10);
    h.add(-3);
    h.add(250.4);
    const merged = mergeLatency([h.toJSON(), { '10': 100 }]);
    expect(merged).toEqual({ '0': 1, '10': 198, '250': 1 });
    expect(summarizeLatency(merged)).toEqual({ records: 200, p50Ms: 10, p99Ms: 10, maxMs: 250 });
    expect(summarizeLatency({ '5': 1, '900': 1 })).toEqual({ records: 2, p50Ms: 5, p99Ms: 900, maxMs: 900 });
    expect(summarizeLatency({})).toBeUndefined();
  });
});

describe('the report of a direct and a turnout run', () => {
  const traffic = (client: number, repl: number) =>
    summarizeTraffic({ readAtMs: 0, devices: parseZoneCounters(['az-a', 'az-b', 'az-c'].flatMap((z) => [`${z} client client ${client} ${client} 1 1`, `${z} repl repl ${repl} ${repl} 1 1`, `${z} ctrl ctrl 5 5 1 1`, `${z} local lo 1000 1000 1 1`]).join('\n')) });
  const base: ZoneRunResult = {
    mode: 'direct',
    records: 300,
    producedBytes: 300_000,
    consumedBytes: 300_000,
    delivery: { expected: 300, delivered: 300, missing: 0, duplicates: 0, unexpected: 0, exactlyOnce: true },
    traffic: traffic(140_000, 200_000),
    leadersPerZone: { 'az-a': 1, 'az-b': 1, 'az-c': 1 },
    leaderPathCrossPayloadBytes: 400_000,
    leaderPath: { produceBytes: 200_000, fetchBytes: 200_000 },
    fetchPath: 'leaders',
    elapsedMs: 10_000,
    idle: { traffic: traffic(1_000, 0), elapsedMs: 5_000 },
    latencyMs: { '20': 150, '30': 147, '90': 3 },
    order: { brokenPartitions: [], overlappingOffsets: 0, skippedOffsets: 0, offsetRegressions: 0, readBreaks: 0, sequenceRegressions: 0, inOrder: true },
    consumerRestarts: 0,
    resume: { tenures: 6, redeliveredOffsets: 0, redeliveredByPartition: {}, misplaced: [] },
    group: { rejoins: 0, rebalancing: 0, commits: 12 },
  };
  const turnout: ZoneRunResult = {
    ...base,
    mode: 'turnout',
    fetchPath: 'zone-replica',
    traffic: traffic(70_000, 201_000),
    latencyMs: { '25': 150, '40': 147, '600': 3 },
    turnout: {
      crossZone: { toBrokerBytes: 200_000, fromBrokerBytes: 2_000 },
      inZone: { toBrokerBytes: 100_000, fromBrokerBytes: 300_000 },
      fetches: { 'az-a>az-a:follower': { partitions: 5, recordBytes: 290_000 }, 'az-a>az-b:leader': { partitions: 1, recordBytes: 10_000 } },
      followerRetries: 0,
    },
  };

  it('splits cross-zone client bytes into produce to leaders, consumer fetches and the rest', () => {
    const d = runFigures(base);
    expect(d).toMatchObject({ clientCrossBytes: 420_000, produceToRemoteLeaderBytes: 200_000, fetchCrossBytes: 200_000, fetchCrossSource: 'leaders', otherCrossBytes: 20_000, otherCrossBytesPerSecond: 2_000, idleCrossBytesPerSecond: 600 });
    expect(d.latency).toEqual({ records: 300, p50Ms: 20, p99Ms: 30, maxMs: 90 });
    const t = runFigures(turnout);
    expect(t).toMatchObject({ clientCrossBytes: 210_000, fetchCrossBytes: 10_000, fetchCrossSource: 'turnout', otherCrossBytes: 0, kernelPerTurnoutCrossByte: 210_000 / 202_000 });
    expect(runFigures({ ...base, fetchPath: 'zone-replica' })).toMatchObject({ fetchCrossBytes: undefined, otherCrossBytes: undefined, fetchCrossSource: 'unknown' });
  });

  it('prints both columns, Turnout\'s counts and the latency difference, and one JSON line', () => {
    const config = { zones: ['az-a', 'az-b', 'az-c'], recordsPerZone: 100, recordSize: 1000, partitions: 3, replicationFactor: 3, kafkaVersion: '4.1.1', ratePerZone: 50 };
    const table = formatZoneReport(config, [base, turnout]);
    expect(table).toMatch(/at 50\/s/);
    expect(table).toMatch(/produce to other zones' leaders\s+0\.19 MiB\s+0\.19 MiB/);
    expect(table).toMatch(/consumer fetches\s+0\.19 MiB \(via leaders\)\s+0\.01 MiB \(Turnout count\)/);
    expect(table).toMatch(/order per partition\s+in order\s+in order/);
    expect(table).toMatch(/latency p50 \/ p99 \(produce to consume\)\s+20 \/ 30 ms\s+25 \/ 40 ms/);
    expect(table).toMatch(/against direct\s+\+0 ms \/ \+0 ms\s+\+5 ms \/ \+10 ms/);
    expect(table).toMatch(/kernel \/ Turnout cross-zone\s+-\s+1\.040/);
    const json = JSON.parse(zoneJsonLine(config, [base, turnout])) as { runs: Array<Record<string, unknown>> };
    expect(json.runs[1]).toMatchObject({ mode: 'turnout', inOrder: true, crossZone: { consumerFetchBytes: 10_000, consumerFetchSource: 'turnout', produceToRemoteLeaderBytes: 200_000 }, latency: { p50Ms: 25, p99Ms: 40 } });
  });
});
