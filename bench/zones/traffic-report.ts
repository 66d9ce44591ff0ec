// Turns the zone rig's counter deltas into the numbers the zone benchmark reports: bytes
// that crossed zones, split by traffic class, next to the payload the workload moved.
//
// Counting: a byte that leaves a zone is counted once, as transmitted by the zone-side veth
// of its class (client, repl). Control traffic runs between the zones and the controller in
// the core namespace, so both directions count. `local` is what stayed on zone loopbacks.
import type { DeviceCounters, ZoneCounters } from '../../src/devkit/index.js';
import type { DeliveryCheck } from './record-payload.js';

/** Bytes one way and the other: out of a zone (sent by its veth), into it (received). */
export interface Flow {
  outBytes: number;
  inBytes: number;
}

export interface ZoneTraffic {
  /** Between zones, by class. Summed over zones, out and in should match (a check on the accounting). */
  client: Flow;
  replication: Flow;
  /** Broker <-> controller, both directions. */
  controlBytes: number;
  /** Traffic inside zones (loopback), counted once. */
  localBytes: number;
  perZone: Record<string, { client: Flow; replication: Flow; controlBytes: number; localBytes: number }>;
}

function addFlow(flow: Flow, d: DeviceCounters): void {
  flow.outBytes += d.txBytes;
  flow.inBytes += d.rxBytes;
}

const noFlow = (): Flow => ({ outBytes: 0, inBytes: 0 });

export function summarizeTraffic(delta: ZoneCounters): ZoneTraffic {
  const t: ZoneTraffic = { client: noFlow(), replication: noFlow(), controlBytes: 0, localBytes: 0, perZone: {} };
  for (const d of delta.devices) {
    const z = (t.perZone[d.zone] ??= { client: noFlow(), replication: noFlow(), controlBytes: 0, localBytes: 0 });
    switch (d.trafficClass) {
      case 'client':
        addFlow(t.client, d);
        addFlow(z.client, d);
        break;
      case 'repl':
        addFlow(t.replication, d);
        addFlow(z.replication, d);
        break;
      case 'ctrl':
        t.controlBytes += d.txBytes + d.rxBytes;
        z.controlBytes += d.txBytes + d.rxBytes;
        break;
      case 'local':
        // Loopback counts every packet as sent and as received: take one side.
        t.localBytes += d.txBytes;
        z.localBytes += d.txBytes;
        break;
    }
  }
  return t;
}

export interface ZoneRunResult {
  mode: string;
  records: number;
  producedBytes: number;
  consumedBytes: number;
  delivery: DeliveryCheck;
  traffic: ZoneTraffic;
  /** Partition leaders per zone of the run's topic. */
  leadersPerZone: Record<string, number>;
  /** Client payload that crosses zones when every request goes to the partition leader. */
  leaderPathCrossPayloadBytes: number;
  elapsedMs: number;
}

export interface LeaderPathInput {
  zones: readonly string[];
  recordsPerZone: number;
  recordSize: number;
  partitions: number;
  /** Partition -> zone of its leader. */
  leaderZones: ReadonlyMap<number, string>;
  /** Partition -> zone of the consumer that read it. */
  consumerZones: ReadonlyMap<number, string>;
}

/**
 * The payload that crosses zones if producers write to and consumers read from partition
 * leaders (plain Kafka clients without client.rack). Every zone's producer writes record i
 * to partition i mod P; each partition is read once, by the consumer it is assigned to.
 */
export function leaderPathCrossPayload(input: LeaderPathInput): number {
  let bytes = 0;
  for (let p = 0; p < input.partitions; p++) {
    const recordsHere = p < input.recordsPerZone ? Math.floor((input.recordsPerZone - 1 - p) / input.partitions) + 1 : 0;
    const perProducer = recordsHere * input.recordSize;
    const leader = input.leaderZones.get(p);
    for (const zone of input.zones) if (zone !== leader) bytes += perProducer;
    if (input.consumerZones.get(p) !== leader) bytes += perProducer * input.zones.length;
  }
  return bytes;
}

/** Partitions led per zone. */
export function countLeaders(zones: readonly string[], leaderZones: ReadonlyMap<number, string>): Record<string, number> {
  const out: Record<string, number> = Object.fromEntries(zones.map((z) => [z, 0]));
  for (const zone of leaderZones.values()) out[zone] = (out[zone] ?? 0) + 1;
  return out;
}

export interface ZoneRunRatios {
  /** Share of the client bytes on the wire (cross-zone plus in-zone) that crossed zones. */
  clientCrossShare: number;
  /** Cross-zone client bytes per payload byte produced or consumed. */
  clientCrossPerPayloadByte: number;
  /** Cross-zone replication bytes per payload byte produced (RF 3, one replica per zone: about 2). */
  replicationPerProducedByte: number;
  /** Cross-zone client bytes against the leader-path payload (1 plus protocol overhead when clients use leaders). */
  clientCrossPerLeaderPathByte: number;
}

export function runRatios(run: ZoneRunResult): ZoneRunRatios {
  const t = run.traffic;
  const clientWire = t.client.outBytes + t.localBytes;
  const payload = run.producedBytes + run.consumedBytes;
  return {
    clientCrossShare: clientWire > 0 ? t.client.outBytes / clientWire : 0,
    clientCrossPerPayloadByte: payload > 0 ? t.client.outBytes / payload : 0,
    replicationPerProducedByte: run.producedBytes > 0 ? t.replication.outBytes / run.producedBytes : 0,
    clientCrossPerLeaderPathByte: run.leaderPathCrossPayloadBytes > 0 ? t.client.outBytes / run.leaderPathCrossPayloadBytes : 0,
  };
}

export interface ZoneBenchConfig {
  zones: readonly string[];
  recordsPerZone: number;
  recordSize: number;
  partitions: number;
  replicationFactor: number;
  kafkaVersion: string;
}

function mib(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(2)} MiB`;
}

function pct(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}

function deliveryText(d: DeliveryCheck): string {
  if (d.exactlyOnce) return 'exactly once';
  return `${d.missing} missing, ${d.duplicates} duplicated, ${d.unexpected} unexpected`;
}

/** A table with one column per run. */
export function formatZoneReport(config: ZoneBenchConfig, runs: readonly ZoneRunResult[]): string {
  const rows: Array<[string, (r: ZoneRunResult) => string]> = [
    ['bytes produced (payload)', (r) => mib(r.producedBytes)],
    ['bytes consumed (payload)', (r) => mib(r.consumedBytes)],
    ['delivery', (r) => deliveryText(r.delivery)],
    ['cross-zone client', (r) => mib(r.traffic.client.outBytes)],
    ['  share of client wire bytes', (r) => pct(runRatios(r).clientCrossShare)],
    ['  per payload byte', (r) => runRatios(r).clientCrossPerPayloadByte.toFixed(3)],
    ['  payload crossing via leaders', (r) => mib(r.leaderPathCrossPayloadBytes)],
    ['  measured / via leaders', (r) => runRatios(r).clientCrossPerLeaderPathByte.toFixed(3)],
    ['cross-zone replication', (r) => mib(r.traffic.replication.outBytes)],
    ['  per produced byte', (r) => runRatios(r).replicationPerProducedByte.toFixed(3)],
    ['control (brokers-controller)', (r) => mib(r.traffic.controlBytes)],
    ['in-zone client (loopback)', (r) => mib(r.traffic.localBytes)],
    ['partition leaders per zone', (r) => config.zones.map((z) => r.leadersPerZone[z] ?? 0).join('/')],
    ['elapsed', (r) => `${(r.elapsedMs / 1000).toFixed(1)} s`],
  ];
  const header = ['', ...runs.map((r) => r.mode)];
  const body = rows.map(([label, cell]) => [label, ...runs.map(cell)]);
  const widths = header.map((_, i) => Math.max(...[header, ...body].map((row) => (row[i] ?? '').length)));
  const line = (row: readonly string[]): string => row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] as number) : cell.padStart(widths[i] as number))).join('   ');
  return [
    `zones ${config.zones.join(', ')}: ${config.recordsPerZone} records of ${config.recordSize} random bytes produced in every zone, ` +
      `${config.partitions} partitions, RF ${config.replicationFactor}, Kafka ${config.kafkaVersion}`,
    line(header),
    ...body.map(line),
  ].join('\n');
}

/** The final JSON line: configuration, then every run with its raw bytes and ratios. */
export function zoneJsonLine(config: ZoneBenchConfig, runs: readonly ZoneRunResult[]): string {
  return JSON.stringify({
    bench: 'zones',
    config,
    runs: runs.map((r) => ({
      mode: r.mode,
      records: r.records,
      producedBytes: r.producedBytes,
      consumedBytes: r.consumedBytes,
      exactlyOnce: r.delivery.exactlyOnce,
      delivery: r.delivery,
      crossZone: { clientBytes: r.traffic.client.outBytes, replicationBytes: r.traffic.replication.outBytes },
      controlBytes: r.traffic.controlBytes,
      localBytes: r.traffic.localBytes,
      ...runRatios(r),
      leadersPerZone: r.leadersPerZone,
      leaderPathCrossPayloadBytes: r.leaderPathCrossPayloadBytes,
      perZone: r.traffic.perZone,
      elapsedMs: r.elapsedMs,
    })),
  });
}
