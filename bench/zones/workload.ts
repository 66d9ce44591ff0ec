// The fixed zone workload: in every zone one producer (the Java client, java-producer.ts) and
// one kafkajs consumer (all consumers in one group), run inside the zone's namespace against
// whatever endpoint the mode gives that zone. Counters are read once the consumers have their partitions, again after an idle
// window (what crosses zones with no records moving: the control traffic), and once more
// after every record has been consumed.
import { setTimeout as sleep } from 'node:timers/promises';
import { counterDelta, readZoneCounters, type Zone, type ZoneCounters, type ZoneRigOptions } from '../../src/devkit/index.js';
import { mergeLatency, type LatencyCounts } from './latency-histogram.js';
import { checkOrder, recordsPerPartition, type OrderCheck } from './partition-order.js';
import { checkDelivery, type DeliveryCheck } from './record-payload.js';
import { checkResumes, type ResumeCheck } from './resume-check.js';
import { tallyBetween, type TurnoutTally, type ZoneViews } from './turnout-zone-view.js';
import type { ProcessMeter } from '../proc-stats.js';
import { zoneProducerCommand } from './java-producer.js';
import { ZoneClient } from './zone-process.js';

/** Where clients in one zone connect, and the rack they announce (for follower fetching). */
export interface ZoneEndpoint {
  zone: Zone;
  bootstrap: string;
  rack?: string;
}

export interface WorkloadSpec {
  topic: string;
  group: string;
  recordsPerZone: number;
  recordSize: number;
  partitions: number;
  /** Records a second each producer writes; 0 for as fast as it can. */
  ratePerZone?: number;
  /** Quiet time between the group settling and the first record, counted apart; default 5 s. */
  idleWindowMs?: number;
  /** Budget for each phase (joining, producing, consuming); default 120 s. */
  phaseTimeoutMs?: number;
  /** What the mode counts itself (Turnout's /v1/zones), read with the kernel counters. */
  views?: () => Promise<ZoneViews>;
  /** The mode's proxy processes, whose CPU time is read with the kernel counters. */
  meter?: ProcessMeter;
  /** Something done to the cluster while records flow, once this share of them is produced. */
  midRun?: { afterFraction: number; run: (producedSoFar: () => number) => Promise<void> };
}

export interface WorkloadOutcome {
  records: number;
  producedBytes: number;
  consumedBytes: number;
  delivery: DeliveryCheck;
  /** The zone of the consumer that read each partition. */
  consumerZones: Map<number, string>;
  /** Counters moved between the readings before the first record and after the last. */
  delta: ZoneCounters;
  elapsedMs: number;
  /** From starting the producers to the last record consumed. */
  flowMs: number;
  /** The slowest producer's own time from its first send to its last acknowledgement. */
  produceMs: number;
  /** CPU seconds of the mode's proxy processes over the same span as `delta`, when it has any. */
  proxyCpuSec?: number;
  /** Counters moved in the idle window before the first record. */
  idle: { delta: ZoneCounters; elapsedMs: number };
  latencyMs: LatencyCounts;
  order: OrderCheck;
  /** Consumer crashes kafkajs restarted from, once the group had settled. */
  consumerRestarts: number;
  /** Where consumers resumed after each join, and what they read again there. */
  resume: ResumeCheck;
  group: GroupActivity;
  /** The mode's own counts over the same span as `delta`, when it has any. */
  modeTally?: TurnoutTally;
}

/** The consumer group's own events over the run, summed over its members. */
export interface GroupActivity {
  /** Joins after each member's first assignment. */
  rejoins: number;
  /** Times a member was told the group was rebalancing or its coordinator had moved. */
  rebalancing: number;
  /** Offset commits the coordinator acknowledged. */
  commits: number;
}

/** True when the consumers' latest assignments split all partitions, each holding some. */
export function assignmentComplete(latest: ReadonlyArray<readonly number[] | undefined>, partitions: number): boolean {
  const owned = new Set<number>();
  for (const parts of latest) {
    if (parts === undefined || parts.length === 0) return false;
    for (const p of parts) {
      if (owned.has(p)) return false;
      owned.add(p);
    }
  }
  return owned.size === partitions;
}

async function waitUntil(what: string, done: () => boolean, clients: readonly ZoneClient[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    // A client that failed or died says why instead of the wait timing out.
    for (const c of clients) c.check();
    if (Date.now() > deadline) throw new Error(`zone workload: ${what} not reached within ${timeoutMs} ms`);
    await sleep(200);
  }
}

export async function runZoneWorkload(endpoints: readonly ZoneEndpoint[], spec: WorkloadSpec, rig: ZoneRigOptions, log: (line: string) => void): Promise<WorkloadOutcome> {
  const timeoutMs = spec.phaseTimeoutMs ?? 120_000;
  const producers = endpoints.length;
  const clients: ZoneClient[] = [];
  try {
    const consumers: ZoneClient[] = [];
    for (const e of endpoints) {
      const args = ['--bootstrap', e.bootstrap, '--topic', spec.topic, '--group', spec.group, '--producers', String(producers), '--per-producer', String(spec.recordsPerZone)];
      if (e.rack !== undefined) args.push('--rack', e.rack);
      const c = await ZoneClient.start(`consumer ${e.zone.zone}`, e.zone.netns, 'consume', args);
      consumers.push(c);
      clients.push(c);
    }
    await waitUntil('a settled consumer group', () => assignmentComplete(consumers.map((c) => c.last('assigned')?.partitions), spec.partitions), clients, timeoutMs);
    log(`consumers joined: ${consumers.map((c) => `${c.label} ${JSON.stringify(c.last('assigned')?.partitions)}`).join(', ')}`);

    const idleStart = await readZoneCounters(rig);
    await sleep(spec.idleWindowMs ?? 5_000);
    const before = await readZoneCounters(rig);
    const viewsBefore = await spec.views?.();
    const cpuBefore = spec.meter?.cpuSeconds();
    const flowStart = performance.now();
    const producerClients: ZoneClient[] = [];
    for (const [i, e] of endpoints.entries()) {
      const cmd = await zoneProducerCommand(e.zone.netns, {
        bootstrap: e.bootstrap,
        topic: spec.topic,
        producer: i,
        records: spec.recordsPerZone,
        recordSize: spec.recordSize,
        partitions: spec.partitions,
        rate: spec.ratePerZone ?? 0,
      });
      const p = await ZoneClient.run(`producer ${e.zone.zone}`, cmd);
      producerClients.push(p);
      clients.push(p);
    }
    if (spec.midRun !== undefined) {
      const due = Math.ceil(spec.midRun.afterFraction * producers * spec.recordsPerZone);
      const producedSoFar = (): number => producerClients.reduce((n, p) => n + (p.last('produced')?.records ?? p.last('progress')?.records ?? 0), 0);
      await waitUntil(`${due} records produced`, () => producedSoFar() >= due, clients, timeoutMs);
      // Clients keep running meanwhile; a client error still fails the run once this returns.
      await spec.midRun.run(producedSoFar);
    }
    let producedBytes = 0;
    let produceMs = 0;
    for (const p of producerClients) {
      const done = await p.waitFor('produced', () => p.last('produced'), timeoutMs);
      producedBytes += done.valueBytes;
      produceMs = Math.max(produceMs, done.elapsedMs);
      log(`${p.label}: ${done.records} records in ${(done.elapsedMs / 1000).toFixed(1)} s`);
    }
    const records = producers * spec.recordsPerZone;
    const consumedSoFar = (): number => consumers.reduce((n, c) => n + (c.last('progress')?.records ?? 0), 0);
    await waitUntil(`${records} records consumed`, () => consumedSoFar() >= records, clients, timeoutMs);
    const flowMs = performance.now() - flowStart;
    // Late duplicates would show up here; idle fetches and heartbeats are part of the cost.
    await sleep(1_000);
    const after = await readZoneCounters(rig);
    const viewsAfter = await spec.views?.();
    const cpuAfter = spec.meter?.cpuSeconds();

    const consumerZones = new Map<number, string>();
    consumers.forEach((c, i) => {
      for (const p of c.last('assigned')?.partitions ?? []) consumerZones.set(p, (endpoints[i] as ZoneEndpoint).zone.zone);
    });
    const reports = [];
    for (const c of consumers) {
      c.requestStop();
      reports.push(await c.waitFor('consumed', () => c.last('consumed'), 30_000));
    }
    for (const c of clients) c.check();
    return {
      records,
      producedBytes,
      consumedBytes: reports.reduce((n, r) => n + r.valueBytes, 0),
      delivery: checkDelivery(reports, producers, spec.recordsPerZone),
      consumerZones,
      delta: counterDelta(before, after),
      elapsedMs: after.readAtMs - before.readAtMs,
      flowMs,
      produceMs,
      ...(cpuBefore !== undefined && cpuAfter !== undefined ? { proxyCpuSec: cpuAfter - cpuBefore } : {}),
      idle: { delta: counterDelta(idleStart, before), elapsedMs: before.readAtMs - idleStart.readAtMs },
      latencyMs: mergeLatency(reports.map((r) => r.latencyMs)),
      consumerRestarts: reports.reduce((n, r) => n + r.restarts, 0),
      resume: checkResumes(reports.flatMap((r) => r.tenures)),
      group: {
        rejoins: reports.reduce((n, r) => n + r.rejoins, 0),
        rebalancing: reports.reduce((n, r) => n + r.rebalancing, 0),
        commits: reports.reduce((n, r) => n + r.commits, 0),
      },
      order: checkOrder(
        reports.map((r) => ({ runs: r.offsetRuns, offsetRegressions: r.offsetRegressions, readBreaks: r.readBreaks, sequenceRegressions: r.sequenceRegressions })),
        recordsPerPartition(spec.partitions, producers, spec.recordsPerZone),
      ),
      ...(viewsBefore !== undefined && viewsAfter !== undefined ? { modeTally: tallyBetween(viewsBefore, viewsAfter) } : {}),
    };
  } finally {
    await Promise.all(clients.map((c) => c.kill()));
  }
}
