// The zone benchmark's life cycle: build the zones, start a Kafka cluster with one broker per
// zone (controller in the core namespace), run the workload once per mode on a fresh topic,
// and take everything down again, also when a step fails.
import { randomBytes } from 'node:crypto';
import {
  startCluster,
  stopCluster,
  zoneClusterPlacement,
  zonesDown,
  zonesUp,
  type ClusterInfo,
  type ZoneLayout,
  type ZoneRigOptions,
} from '../../src/devkit/index.js';
import { FollowerStop, type FollowerStopSpec } from './follower-stop.js';
import { groupCoordinatedBy } from './group-placement.js';
import { countLeaders, leaderPathCross, summarizeTraffic, type ZoneRunResult } from './traffic-report.js';
import { runZoneWorkload } from './workload.js';
import type { ZoneMode } from './zone-modes.js';
import { createZoneTopic, deleteZoneTopic, leaderZones } from './zone-topic.js';

export interface ZoneRig {
  layout: ZoneLayout;
  cluster: ClusterInfo;
  rig: ZoneRigOptions;
}

export interface ZoneRigSetup {
  /** Namespace prefix; default `tz`. */
  prefix?: string;
  clusterName: string;
  kafkaVersion?: string;
  /** Broker heap; small by default, the machine is shared. */
  heapMb?: number;
  /** The process whose death makes the cluster stale; default this one. */
  ownerPid?: number;
  log: (line: string) => void;
}

/** Builds the zones and the namespaced cluster; tears down what it built if a step fails. */
export async function openZoneRig(setup: ZoneRigSetup): Promise<ZoneRig> {
  const rig: ZoneRigOptions = setup.prefix !== undefined ? { prefix: setup.prefix } : {};
  const ownerPid = setup.ownerPid ?? process.pid;
  const layout = await zonesUp({ ...rig, ownerPid });
  try {
    const cluster = await startCluster({
      name: setup.clusterName,
      brokers: layout.zones.length,
      racks: layout.zones.map((z) => z.zone),
      placement: zoneClusterPlacement(layout),
      heapMb: setup.heapMb ?? 384,
      ownerPid,
      readyTimeoutMs: 240_000,
      log: setup.log,
      ...(setup.kafkaVersion !== undefined ? { version: setup.kafkaVersion } : {}),
    });
    return { layout, cluster, rig };
  } catch (err) {
    await stopCluster(setup.clusterName, { timeoutMs: 5_000 }).catch(() => undefined);
    await zonesDown(rig).catch(() => undefined);
    throw err;
  }
}

/** Stops the cluster (brokers need their namespaces to shut down cleanly), then the zones. */
export async function closeZoneRig(zoneRig: ZoneRig, opts: { keepZones?: boolean } = {}): Promise<void> {
  try {
    await stopCluster(zoneRig.cluster.cluster, { timeoutMs: 10_000 });
  } finally {
    if (opts.keepZones !== true) await zonesDown(zoneRig.rig);
  }
}

export interface ZoneRunSpec {
  recordsPerZone: number;
  recordSize: number;
  partitions: number;
  replicationFactor: number;
  /** Records a second per producer; 0 or absent for as fast as it can. */
  ratePerZone?: number;
  idleWindowMs?: number;
  phaseTimeoutMs?: number;
  /** Stop one zone's broker while records flow, and start it again. */
  followerStop?: FollowerStopSpec;
}

/** One run of the workload in one mode, on a topic and group of its own. */
export async function runZoneMode(zoneRig: ZoneRig, mode: ZoneMode, spec: ZoneRunSpec, log: (line: string) => void): Promise<ZoneRunResult> {
  const { layout, cluster, rig } = zoneRig;
  const suffix = `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  const topic = `zones-${mode.name}-${suffix}`;
  await createZoneTopic(layout, cluster, topic, spec.partitions, spec.replicationFactor);
  try {
    const leaders = await leaderZones(layout, cluster, topic);
    const zones = layout.zones.map((z) => z.zone);
    const session = await mode.open({ layout, cluster, log });
    try {
      log(`${mode.name}: ${mode.summary}; topic ${topic}, leaders per zone ${JSON.stringify(countLeaders(zones, leaders))}`);
      const followerStop = spec.followerStop !== undefined ? new FollowerStop(zoneRig, topic, spec.followerStop, session.views, log) : undefined;
      // A random group name puts the coordinator on the stopped broker one run in three: place it.
      const coordinator = followerStop?.coordinatorId();
      const group = coordinator !== undefined ? await groupCoordinatedBy(layout, cluster, coordinator, `zones-${mode.name}-${suffix}`) : `zones-${mode.name}-${suffix}`;
      if (coordinator !== undefined) log(`${mode.name}: group ${group}, coordinated by broker ${coordinator}${coordinator === followerStop?.brokerId() ? ', the one to be stopped' : ', which keeps running'}`);
      const outcome = await runZoneWorkload(
        session.endpoints,
        {
          topic,
          group,
          recordsPerZone: spec.recordsPerZone,
          recordSize: spec.recordSize,
          partitions: spec.partitions,
          ...(spec.ratePerZone !== undefined ? { ratePerZone: spec.ratePerZone } : {}),
          ...(spec.idleWindowMs !== undefined ? { idleWindowMs: spec.idleWindowMs } : {}),
          ...(spec.phaseTimeoutMs !== undefined ? { phaseTimeoutMs: spec.phaseTimeoutMs } : {}),
          ...(session.views !== undefined ? { views: session.views } : {}),
          ...(session.meter !== undefined ? { meter: session.meter } : {}),
          ...(followerStop !== undefined && spec.followerStop !== undefined
            ? { midRun: { afterFraction: spec.followerStop.afterFraction, run: (produced: () => number) => followerStop.run(produced) } }
            : {}),
        },
        rig,
        log,
      );
      const leaderPath = leaderPathCross({
        zones,
        recordsPerZone: spec.recordsPerZone,
        recordSize: spec.recordSize,
        partitions: spec.partitions,
        leaderZones: leaders,
        consumerZones: outcome.consumerZones,
      });
      return {
        mode: mode.name,
        records: outcome.records,
        producedBytes: outcome.producedBytes,
        consumedBytes: outcome.consumedBytes,
        delivery: outcome.delivery,
        traffic: summarizeTraffic(outcome.delta),
        leadersPerZone: countLeaders(zones, leaders),
        leaderPathCrossPayloadBytes: leaderPath.produceBytes + leaderPath.fetchBytes,
        leaderPath,
        fetchPath: mode.fetchPath,
        elapsedMs: outcome.elapsedMs,
        flowMs: outcome.flowMs,
        produceMs: outcome.produceMs,
        ...(outcome.proxyCpuSec !== undefined && session.meter !== undefined ? { proxy: { cpuSec: outcome.proxyCpuSec, peakRssBytes: session.meter.peakRssBytes() } } : {}),
        idle: { traffic: summarizeTraffic(outcome.idle.delta), elapsedMs: outcome.idle.elapsedMs },
        latencyMs: outcome.latencyMs,
        order: outcome.order,
        consumerRestarts: outcome.consumerRestarts,
        resume: outcome.resume,
        group: outcome.group,
        ...(outcome.modeTally !== undefined ? { turnout: outcome.modeTally } : {}),
        ...(followerStop !== undefined ? { followerStop: followerStop.finish(await session.views?.()) } : {}),
      };
    } finally {
      await session.close();
    }
  } finally {
    await deleteZoneTopic(layout, cluster, topic).catch((err: unknown) => log(`could not delete ${topic}: ${err instanceof Error ? err.message : String(err)}`));
  }
}
