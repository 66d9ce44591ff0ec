// Turns the zone rig's counter deltas into the numbers the zone benchmark reports: bytes
// that crossed zones, split by traffic class, next to the payload the workload moved.
//
// Counting: a byte that leaves a zone is counted once, as transmitted by the zone-side veth
// of its class (client, repl). Control traffic runs between the zones and the controller in
// the core namespace, so both directions count. `local` is what stayed on zone loopbacks.
import type { DeviceCounters, ZoneCounters } from '../../src/devkit/index.js';
import type { FollowerStopReport } from './follower-stop.js';
import type { LatencyCounts } from './latency-histogram.js';
import type { OrderCheck } from './partition-order.js';
import type { DeliveryCheck } from './record-payload.js';
import type { ResumeCheck } from './resume-check.js';
import type { TurnoutTally } from './turnout-zone-view.js';
import type { GroupActivity } from './workload.js';

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
  /** Its two parts: produce payload sent to another zone's leader, and fetch payload read from one. */
  leaderPath: LeaderPathCross;
  /** Where consumers fetch from in this mode: leaders (plain clients), or unknown ahead of time. */
  fetchPath: 'leaders' | 'zone-replica';
  elapsedMs: number;
  /** From starting the producers to the last record consumed, and the slowest producer's own send time. */
  flowMs?: number;
  produceMs?: number;
  /** The mode's proxy processes (Turnout's instances) over the run: CPU seconds, and the sum of their memory peaks. */
  proxy?: { cpuSec: number; peakRssBytes: number };
  /** What crossed in the idle window before the first record (control traffic only). */
  idle: { traffic: ZoneTraffic; elapsedMs: number };
  /** Produce timestamp to consumption, all consumers (latency-histogram.ts). */
  latencyMs: LatencyCounts;
  order: OrderCheck;
  /** Consumer crashes kafkajs restarted from, once the group had settled (errors the application saw). */
  consumerRestarts: number;
  /** Where consumers resumed after each group join, and the records they read again there. */
  resume: ResumeCheck;
  group: GroupActivity;
  /** Turnout's own counts over the run (turnout mode). */
  turnout?: TurnoutTally;
  followerStop?: FollowerStopReport;
}

export interface LeaderPathCross {
  produceBytes: number;
  fetchBytes: number;
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
export function leaderPathCross(input: LeaderPathInput): LeaderPathCross {
  const cross: LeaderPathCross = { produceBytes: 0, fetchBytes: 0 };
  for (let p = 0; p < input.partitions; p++) {
    const recordsHere = p < input.recordsPerZone ? Math.floor((input.recordsPerZone - 1 - p) / input.partitions) + 1 : 0;
    const perProducer = recordsHere * input.recordSize;
    const leader = input.leaderZones.get(p);
    for (const zone of input.zones) if (zone !== leader) cross.produceBytes += perProducer;
    if (input.consumerZones.get(p) !== leader) cross.fetchBytes += perProducer * input.zones.length;
  }
  return cross;
}

/** Both parts of leaderPathCross together. */
export function leaderPathCrossPayload(input: LeaderPathInput): number {
  const cross = leaderPathCross(input);
  return cross.produceBytes + cross.fetchBytes;
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
  /** Records a second per producer; 0 or absent for as fast as it can. */
  ratePerZone?: number;
}
