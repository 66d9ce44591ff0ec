// Three simulated availability zones (scripts/zones/zones.sh: network namespaces joined in a
// core namespace), one Kafka 4.1.1 broker per zone with its replication listener on its own
// veth and the KRaft controller in the core, and a small direct workload: a Java producer
// and a kafkajs consumer in every zone, 1 KiB random records, RF 3. The kernel's veth
// counters must tell client traffic from replication, and the rig must leave nothing behind.
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterInfo, readZoneCounters, zoneNamespaces, zonesDown } from '../../src/devkit/index.js';
import { runRatios, type ZoneRunResult } from '../../bench/zones/traffic-report.js';
import { closeZoneRig, openZoneRig, runZoneMode, type ZoneRig } from '../../bench/zones/zone-bench.js';
import { directMode } from '../../bench/zones/zone-modes.js';

// A prefix of its own, so a zone benchmark (prefix tz) running on the machine is unaffected.
const PREFIX = 'tzit';
const CLUSTER = `it-zones-${process.pid}`;
const RECORDS_PER_ZONE = 2_000;
const RECORD_SIZE = 1024;

function log(line: string): void {
  process.stderr.write(`[zones test] ${line}\n`);
}

/** Links, addresses and routes of the namespace the test runs in, as the kernel reports them. */
function callerNetwork(): string {
  const ip = (...args: string[]): string => execFileSync('ip', args, { encoding: 'utf8' });
  return [ip('-o', 'link', 'show'), ip('-o', 'addr', 'show'), ip('route', 'show', 'table', 'all')].join('\n');
}

function rigFootprint(text: string): string[] {
  return text.split('\n').filter((line) => line.includes('10.231.') || new RegExp(`\\b${PREFIX}-`).test(line) || /\bbr-(client|repl|ctrl)\b/.test(line));
}

describe('zones in network namespaces', () => {
  let zoneRig: ZoneRig | undefined;
  let direct: ZoneRunResult;

  beforeAll(async () => {
    expect(rigFootprint(callerNetwork())).toEqual([]);
    zoneRig = await openZoneRig({ prefix: PREFIX, clusterName: CLUSTER, log });
    direct = await runZoneMode(zoneRig, directMode, { recordsPerZone: RECORDS_PER_ZONE, recordSize: RECORD_SIZE, partitions: 6, replicationFactor: 3 }, log);
    // The latency histogram (one count per millisecond) is summarised, not dumped.
    const { latencyMs, ...rest } = direct;
    log(JSON.stringify({ ...rest, latencyBuckets: Object.keys(latencyMs).length, ratios: runRatios(direct) }));
  }, 300_000);

  afterAll(async () => {
    if (zoneRig !== undefined) await closeZoneRig(zoneRig);
  }, 60_000);

  it('puts each broker in its zone and the controller in the core, on the zones\' addresses', () => {
    const rig = zoneRig as ZoneRig;
    expect(rig.cluster.brokers.map((b) => [b.rack, b.netns, b.host, b.replication?.host])).toEqual(
      rig.layout.zones.map((z) => [z.zone, z.netns, z.clientHost, z.replicationHost]),
    );
    expect(rig.cluster.controller).toMatchObject({ netns: `${PREFIX}-core`, host: rig.layout.controllerHost });
  });

  it('delivers every record exactly once to the consumers of all zones', () => {
    expect(direct.delivery).toEqual({ expected: 3 * RECORDS_PER_ZONE, delivered: 3 * RECORDS_PER_ZONE, missing: 0, duplicates: 0, unexpected: 0, exactlyOnce: true });
    expect(direct.producedBytes).toBe(3 * RECORDS_PER_ZONE * RECORD_SIZE);
    expect(direct.consumedBytes).toBe(direct.producedBytes);
  });

  it('counts replication across zones at about twice the bytes produced (RF 3, one replica per zone)', () => {
    const { replicationPerProducedByte } = runRatios(direct);
    // Each record reaches two followers in other zones; framing, TCP/IP and idle fetches add a little.
    expect(replicationPerProducedByte).toBeGreaterThanOrEqual(2.0);
    expect(replicationPerProducedByte).toBeLessThan(2.4);
    for (const zone of Object.values(direct.traffic.perZone)) {
      expect(zone.replication.outBytes).toBeGreaterThan(0.5 * direct.producedBytes / 3);
      expect(zone.replication.inBytes).toBeGreaterThan(0.5 * direct.producedBytes / 3);
    }
  });

  it('counts client bytes crossing zones as the leaders and the group assignment predict', () => {
    const { clientCrossPerLeaderPathByte, clientCrossShare } = runRatios(direct);
    expect(direct.traffic.client.outBytes).toBeGreaterThan(0);
    // Direct clients write to and read from leaders: what crosses is the payload headed for
    // another zone's leader, plus protocol and TCP/IP overhead.
    expect(direct.leaderPathCrossPayloadBytes).toBeGreaterThan(0);
    expect(clientCrossPerLeaderPathByte).toBeGreaterThanOrEqual(1.0);
    expect(clientCrossPerLeaderPathByte).toBeLessThan(1.3);
    expect(clientCrossShare).toBeGreaterThan(0.3);
    expect(clientCrossShare).toBeLessThan(0.95);
  });

  it('sees every cross-zone byte leave one zone and arrive in another', () => {
    const t = direct.traffic;
    // The core only switches frames between zones: what left a zone arrived in another.
    expect(Math.abs(t.client.inBytes - t.client.outBytes)).toBeLessThan(0.01 * t.client.outBytes);
    expect(Math.abs(t.replication.inBytes - t.replication.outBytes)).toBeLessThan(0.01 * t.replication.outBytes);
    // Controller traffic (heartbeats, metadata) is counted apart and stays small.
    expect(t.controlBytes).toBeGreaterThan(0);
    expect(t.controlBytes).toBeLessThan(0.05 * t.replication.outBytes);
  });

  it('leaves the caller\'s network untouched while up, and nothing behind once down', async () => {
    expect(rigFootprint(callerNetwork())).toEqual([]);
    expect((await readZoneCounters({ prefix: PREFIX })).devices).toHaveLength(12);
    expect(await zoneNamespaces({ prefix: PREFIX })).toEqual([`${PREFIX}-a`, `${PREFIX}-b`, `${PREFIX}-c`, `${PREFIX}-core`]);

    await closeZoneRig(zoneRig as ZoneRig);
    zoneRig = undefined;
    expect(await zoneNamespaces({ prefix: PREFIX })).toEqual([]);
    expect(await clusterInfo(CLUSTER)).toBeUndefined();
    expect(rigFootprint(callerNetwork())).toEqual([]);
    // Down again (a crashed run's cleanup) is harmless.
    await zonesDown({ prefix: PREFIX });
    expect(await zoneNamespaces({ prefix: PREFIX })).toEqual([]);
  });
});
