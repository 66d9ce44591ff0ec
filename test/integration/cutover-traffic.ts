// Steady traffic on one topic of a domain, through one or more Turnout instances, with real
// clients, and at the end a report of what happened: the harness that proves a cutover is
// invisible to clients. Producers: Kafka's VerifiableProducer (idempotent, acks=all, 5 in
// flight), a Java transactional producer whose aborted transactions are recognisable, and
// kafkajs. Groups, all read_committed: VerifiableConsumer on the classic protocol and on
// KIP-848's consumer protocol, librdkafka (confluent-kafka), kafkajs. Clients are spread over
// the instances in turn.
//
// A run: the groups start and settle (every partition owned, no assignment change for a
// while); the producers start (from then on any assignment change is a rebalance); the caller
// does what it tests (a cutover); stop() stops the producers, waits until every group has read
// every acknowledged record (or a deadline), stops the groups, reads their committed offsets
// and reports. Free of the test runner, so that the benchmarks can use it too.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AckLedger } from './cutover-traffic/ack-ledger.js';
import { ClientIssues, type TrafficPhase } from './cutover-traffic/client-issues.js';
import { readCommittedOffsets } from './cutover-traffic/committed-offsets.js';
import { GroupReads, type CommittedOffsets } from './cutover-traffic/group-reads.js';
import { startKafkajsMember } from './cutover-traffic/kafkajs-member.js';
import { startKafkajsProducer } from './cutover-traffic/kafkajs-producer.js';
import { startLibrdkafkaMember } from './cutover-traffic/librdkafka-member.js';
import { ProduceLatency } from './cutover-traffic/produce-latency.js';
import type { ProducerClient, TrafficClient, TrafficContext } from './cutover-traffic/traffic-context.js';
import { formatTrafficReport, totalsOf, trafficProblems, type ProducerSummary, type TrafficReport } from './cutover-traffic/traffic-report.js';
import { startTransactionalProducer, type TransactionalProducerClient } from './cutover-traffic/transactional-producer.js';
import { startVerifiableMember } from './cutover-traffic/verifiable-consumer.js';
import { startVerifiableProducer, type VerifiableProducerClient } from './cutover-traffic/verifiable-producer.js';

export { formatTrafficReport, trafficProblems, type TrafficReport };

export type GroupKind = 'java-classic' | 'java-consumer' | 'librdkafka' | 'kafkajs';

export interface GroupSpec {
  kind: GroupKind;
  /** Default 2 (one per instance when there are two). */
  members?: number;
}

export interface TrafficSpec {
  /** Bootstrap servers of each Turnout instance; clients take them in turn. */
  instances: readonly string[];
  /** The topic, with `partitions` partitions, already created. */
  topic: string;
  partitions: number;
  /** Group ids and the transactional id start with this (the domain's patterns). */
  namePrefix: string;
  verifiableProducer?: { ratePerSec: number };
  transactionalProducer?: { periodMs: number; recordsPerTransaction: number; abortEvery: number };
  kafkajsProducer?: { ratePerSec: number };
  groups: readonly GroupSpec[];
  /** How long every group must go without an assignment change before the producers start; default 3 s. */
  settleQuietMs?: number;
  /** Deadline for the groups to settle; default 120 s. */
  settleTimeoutMs?: number;
  /** Default 1000. */
  latencyWindowMs?: number;
  log?: (line: string) => void;
}

export class TrafficSettleError extends Error {
  constructor(readonly what: string, details: string) {
    super(`the traffic run did not settle: ${what}\n${details}`);
    this.name = 'TrafficSettleError';
  }
}

export interface TrafficProgress {
  /** Producer → records acknowledged so far. */
  acked: Record<string, number>;
}

export interface RunningTraffic {
  readonly topic: string;
  /** Group ids, by kind. */
  readonly groupIds: ReadonlyMap<GroupKind, string>;
  readonly transactionalId: string;
  progress(): TrafficProgress;
  /** Waits until every producer has `atLeast` more acknowledgements than when called. */
  waitForProgress(atLeast: number, timeoutMs?: number): Promise<void>;
  /** Stops the producers, lets the groups read to the end (at most `drainTimeoutMs`, default 60 s), stops them and reports. */
  stop(drainTimeoutMs?: number): Promise<TrafficReport>;
  /** Ends every client at once and removes the run's files (after a failure; idempotent). */
  abort(): Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface RunGroup {
  id: string;
  kind: GroupKind;
  reads: GroupReads;
  members: TrafficClient[];
}

interface RunProducer {
  client: ProducerClient;
  kind: string;
  instance: string;
}

export async function startCutoverTraffic(spec: TrafficSpec): Promise<RunningTraffic> {
  const log = spec.log ?? (() => undefined);
  const runId = `${Date.now().toString(36)}${process.pid.toString(36)}`;
  const dir = await mkdtemp(join(tmpdir(), 'turnout-traffic-'));
  const ledger = new AckLedger();
  const latency = new ProduceLatency();
  const issues = new Map<string, ClientIssues>();
  const createTimes = new Map<string, number>();
  let phase: TrafficPhase = 'starting';
  const ctx: TrafficContext = {
    topic: spec.topic,
    partitions: spec.partitions,
    ledger,
    latency,
    dir,
    phase: () => phase,
    issues(client) {
      let i = issues.get(client);
      if (i === undefined) issues.set(client, (i = new ClientIssues(client)));
      return i;
    },
    noteCreateTime(partition, offset, timestampMs) {
      const key = `${partition}@${offset}`;
      if (!createTimes.has(key)) createTimes.set(key, timestampMs);
    },
  };
  let nextInstance = 0;
  const instance = (): string => spec.instances[nextInstance++ % spec.instances.length] as string;
  const groups: RunGroup[] = [];
  const producers: RunProducer[] = [];
  const everyClient = (): TrafficClient[] => [...producers.map((p) => p.client), ...groups.flatMap((g) => g.members)];
  let aborted = false;
  const abort = async (): Promise<void> => {
    if (aborted) return;
    aborted = true;
    for (const c of everyClient()) c.kill();
    await rm(dir, { recursive: true, force: true });
  };
  const transactionalId = `${spec.namePrefix}tx-${runId}`;

  try {
    // The groups first, so that every group is settled before the first record.
    for (const g of spec.groups) {
      const id = `${spec.namePrefix}${g.kind}-${runId}`;
      const names = Array.from({ length: g.members ?? 2 }, (_, i) => `${g.kind}-${i + 1}`);
      const reads = new GroupReads(id, g.kind, names);
      const group: RunGroup = { id, kind: g.kind, reads, members: [] };
      groups.push(group);
      group.members = await Promise.all(names.map((name) => startMember(ctx, reads, g.kind, { name, group: id, bootstrap: instance() })));
    }
    log(`traffic: ${groups.reduce((n, g) => n + g.members.length, 0)} group members started, waiting for their groups to settle`);
    await settle(groups, spec);

    phase = 'steady';
    if (spec.verifiableProducer !== undefined) {
      const bootstrap = instance();
      producers.push({ client: await startVerifiableProducer(ctx, { name: 'verifiable-producer', bootstrap, ratePerSec: spec.verifiableProducer.ratePerSec }), kind: 'verifiable', instance: bootstrap });
    }
    if (spec.transactionalProducer !== undefined) {
      const bootstrap = instance();
      producers.push({ client: await startTransactionalProducer(ctx, { name: 'transactional-producer', bootstrap, transactionalId, ...spec.transactionalProducer }), kind: 'transactional', instance: bootstrap });
    }
    if (spec.kafkajsProducer !== undefined) {
      const bootstrap = instance();
      producers.push({ client: await startKafkajsProducer(ctx, { name: 'kafkajs-producer', bootstrap, ratePerSec: spec.kafkajsProducer.ratePerSec }), kind: 'kafkajs', instance: bootstrap });
    }
  } catch (err) {
    await abort();
    throw err;
  }
  const steadyFromMs = Date.now();
  log(`traffic: ${producers.length} producers started`);

  const progress = (): TrafficProgress => ({ acked: Object.fromEntries(producers.map((p) => [p.client.name, p.client.acked()])) });

  return {
    topic: spec.topic,
    groupIds: new Map(groups.map((g) => [g.kind, g.id])),
    transactionalId,
    progress,
    async waitForProgress(atLeast, timeoutMs = 120_000) {
      const from = progress().acked;
      const deadline = Date.now() + timeoutMs;
      while (!producers.every((p) => p.client.acked() - (from[p.client.name] ?? 0) >= atLeast)) {
        if (Date.now() > deadline) throw new Error(`producers did not get ${atLeast} more acknowledgements within ${timeoutMs} ms: ${JSON.stringify(progress().acked)} (from ${JSON.stringify(from)})`);
        await sleep(100);
      }
    },
    async stop(drainTimeoutMs = 60_000) {
      try {
        phase = 'draining';
        await Promise.all(producers.map((p) => p.client.stop()));
        const steadyToMs = Date.now();
        log(`traffic: producers stopped (${JSON.stringify(progress().acked)}), waiting for every group to read to the end`);
        const deadline = Date.now() + drainTimeoutMs;
        while (groups.some((g) => g.reads.missing(ledger) > 0) && Date.now() < deadline) await sleep(250);
        phase = 'stopping';
        // The members of a group leave one after the other: a member whose group is
        // rebalancing because another left may fail its last commit.
        await Promise.all(
          groups.map(async (g) => {
            for (const m of g.members) await m.stop();
          }),
        );
        const offsets = new Map<string, CommittedOffsets>();
        for (const g of groups) offsets.set(g.id, await readCommittedOffsets(spec.instances[0] as string, g.id, spec.topic));
        const report = buildReport(spec, { steadyFromMs, steadyToMs, ledger, latency, createTimes, producers, groups, offsets, issues: [...issues.values()] });
        log(`traffic: stopped; totals ${JSON.stringify(report.totals)}`);
        return report;
      } finally {
        await abort();
      }
    },
    abort,
  };
}

function startMember(ctx: TrafficContext, reads: GroupReads, kind: GroupKind, member: { name: string; group: string; bootstrap: string }): Promise<TrafficClient> {
  switch (kind) {
    case 'java-classic':
      return startVerifiableMember(ctx, reads, { ...member, protocol: 'classic' });
    case 'java-consumer':
      return startVerifiableMember(ctx, reads, { ...member, protocol: 'consumer' });
    case 'librdkafka':
      return startLibrdkafkaMember(ctx, reads, member);
    case 'kafkajs':
      return startKafkajsMember(ctx, reads, member);
  }
}

/** Waits until every group has settled (see GroupReads.settled) and none has changed its assignment for a while. */
async function settle(groups: readonly RunGroup[], spec: TrafficSpec): Promise<void> {
  const quietMs = spec.settleQuietMs ?? 3_000;
  const deadline = Date.now() + (spec.settleTimeoutMs ?? 120_000);
  let last = groups.map((g) => g.reads.assignmentChanges());
  let quietSince = Date.now();
  for (;;) {
    await sleep(250);
    const now = groups.map((g) => g.reads.assignmentChanges());
    if (now.some((n, i) => n !== last[i])) quietSince = Date.now();
    last = now;
    const uncovered = groups.filter((g) => !g.reads.settled(spec.partitions));
    if (uncovered.length === 0 && Date.now() - quietSince >= quietMs) return;
    if (Date.now() > deadline) {
      throw new TrafficSettleError(
        uncovered.length > 0 ? `groups ${uncovered.map((g) => `${g.id} (${g.kind})`).join(', ')} have not shared out every partition among all members` : 'assignments keep changing',
        groups.map((g) => `${g.kind}: ${g.reads.describeOwners()}`).join('\n'),
      );
    }
  }
}

interface Collected {
  steadyFromMs: number;
  steadyToMs: number;
  ledger: AckLedger;
  latency: ProduceLatency;
  createTimes: ReadonlyMap<string, number>;
  producers: readonly RunProducer[];
  groups: readonly RunGroup[];
  offsets: ReadonlyMap<string, CommittedOffsets>;
  issues: readonly ClientIssues[];
}

function buildReport(spec: TrafficSpec, c: Collected): TrafficReport {
  // The VerifiableProducer reports acknowledgements only: its send time is the CreateTime its
  // client stamped, as the timestamped consumers read it back.
  let acksWithoutSendTime = 0;
  for (const p of c.producers) {
    const ackTimes = (p.client as Partial<VerifiableProducerClient>).ackTimes;
    if (ackTimes === undefined) continue;
    for (const [key, ackedMs] of ackTimes) {
      const sentMs = c.createTimes.get(key);
      if (sentMs === undefined) acksWithoutSendTime++;
      else c.latency.add(p.client.name, sentMs, ackedMs);
    }
  }
  const producers: ProducerSummary[] = c.producers.map((p) => {
    const txn = p.client as Partial<TransactionalProducerClient>;
    return {
      producer: p.client.name,
      kind: p.kind,
      instance: p.instance,
      acked: p.client.acked(),
      ...(txn.committedTransactions !== undefined ? { committedTransactions: txn.committedTransactions(), abortedTransactions: txn.abortedTransactions?.() ?? 0 } : {}),
    };
  });
  const groups = c.groups.map((g) => g.reads.verdict(c.ledger, c.offsets.get(g.id)));
  const clients = c.issues.map((i) => i.snapshot()).sort((a, b) => a.client.localeCompare(b.client));
  return {
    topic: spec.topic,
    steadyFromMs: c.steadyFromMs,
    steadyToMs: c.steadyToMs,
    producers,
    groups,
    clients,
    abortedRecords: c.ledger.abortedCount(),
    acksWithoutSendTime,
    latency: c.latency,
    latencyWindowMs: spec.latencyWindowMs ?? 1_000,
    totals: totalsOf(groups, clients, c.ledger.conflicts.length + c.ledger.producerReorders()),
  };
}
