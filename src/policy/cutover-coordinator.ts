// Runs a domain's cutover from its source S to its target T, phase by phase, writing each
// phase to the store before anything acts on it (cutover-phase.ts for the rules):
//
//   PLANNED   recorded; preflight (cutover-preflight.ts). Every instance counts the domain's
//             produce in flight to S from here on.
//   PREPARED  preflight passed; every instance confirms it counts (cutover-barrier.ts).
//   HOLDING   every instance holds the domain's new produce and transactional work, and confirms
//             once what it had forwarded to S was answered (a failure rolls back). Where each
//             partition ends then is the hold's baseline. Open transactions on S get
//             `drainTimeoutMs` to end, then are aborted there (cutover-drain.ts).
//   DRAINED   every instance holds every request of the domain and confirms once what it let
//             through during the drain was answered. The switch points are taken
//             (cutover-switch-points.ts); a partition still moving on S, or grown since the
//             baseline without a transaction, means a writer bypassing Turnout: rolled back.
//             The consumer groups of exactly-once applications (those the domain's transactional
//             producers commit offsets for, reported by the instances that saw them, and those
//             that moved so before) go with the transactional ids: their group requests are
//             counted from HOLDING and held from DRAINED, and their committed offsets are
//             copied to T (group-offsets-copy.ts) once the transactions' markers are written.
//   SWITCHED  one store write: the new chains (a segment on T per partition, a new leader epoch
//             generation per topic), the era + 1, the other groups left where they are, those
//             of exactly-once applications on T, the domain's backend T. Each instance applies it and releases its held requests to T; each
//             confirms. From here, going back is another cutover.
//
// Any failure before SWITCHED rolls back: the holds end and the held requests go on to S. The
// whole hold is bounded by `maxHoldMs`. A cutover rolled back by someone else meanwhile (the
// operator, an instance whose hold failed) stops at its next step. Each phase change is logged
// once, with how long the previous phase took, and a rollback with its reason.
import { randomUUID } from 'node:crypto';
import type { Logger } from '../observability/logger.js';
import type { LeaderEpochMap } from '../routing/leader-epoch-map.js';
import { awaitConfirmations } from './cutover-barrier.js';
import { partitionKey, type CutoverBackends, type TopicLayouts } from './cutover-backends.js';
import { chainBackends, retiredSegmentState, switchedDomainState, type DomainCutoverState } from './cutover-domain-state.js';
import { awaitStableEnds, drainTransactions } from './cutover-drain.js';
import { switchGenerations } from './cutover-generations.js';
import type { CutoverPhase } from './cutover-phase.js';
import { domainTopics, runPreflight } from './cutover-preflight.js';
import { movedRecord, newCutoverRecord, CutoverStateError, type CutoverRecord, type PreflightReport, type RecordPatch, type TransactionalGroupMove } from './cutover-record.js';
import { rollBackCutover } from './cutover-rollback.js';
import type { CutoverConfig } from './cutover-schema.js';
import { CutoverConflictError, type AckStep, type CutoverStore } from './cutover-store.js';
import { readHoldBaseline, takeSwitchPoints, type HoldBaseline } from './cutover-switch-points.js';
import type { GroupOffsetBackends } from './group-offset-backends.js';
import { copyGroupOffsets } from './group-offsets-copy.js';
import type { PolicySnapshot } from './policy-snapshot.js';

export interface CutoverRequest {
  domain: string;
  /** Default: the domain's migration target. */
  to?: string;
  /** Default: `cutover.drainTimeoutMs`. */
  drainTimeoutMs?: number;
}

export interface CutoverPlan {
  domain: string;
  from: string;
  to: string;
  drainTimeoutMs: number;
  preflight: PreflightReport;
}

export interface RetireResult {
  domain: string;
  segment: number;
  /**
   * Groups whose committed offsets lie inside the segment: they would read from the segment
   * before it; for segment 0, below the partition's new start, they reset by their
   * auto.offset.reset.
   */
  groups: Array<{ group: string; topic: string; partition: number; offset: string }>;
  retired: boolean;
}

/** A request the coordinator refuses; `status` is the HTTP status the admin API answers with. */
export class CutoverRequestError extends Error {
  readonly status: 400 | 404 | 409;

  constructor(status: 400 | 404 | 409, message: string) {
    super(message);
    this.name = 'CutoverRequestError';
    this.status = status;
  }
}

/** Thrown inside a run when the cutover left the phase the run expects (someone else decided it). */
class CutoverStopped extends Error {
  constructor(readonly phase: CutoverPhase) {
    super(`the cutover is ${phase} now`);
    this.name = 'CutoverStopped';
  }
}

export interface CutoverOutcomeReporter {
  finished(outcome: 'switched' | 'rolled_back'): void;
}

export interface CutoverCoordinatorOptions {
  store: CutoverStore;
  backends: CutoverBackends;
  /** The policy in effect (with cut-over domains' backends). */
  policy: () => PolicySnapshot;
  epochs: LeaderEpochMap;
  settings: CutoverConfig;
  log: Logger;
  metrics?: CutoverOutcomeReporter;
  /** Moves the committed offsets of the groups that go with the transactional ids; none: such groups refuse the cutover. */
  groupBackends?: GroupOffsetBackends;
  /** Time between two looks at the confirmations of a step, in ms. (default: 25) */
  ackPollMs?: number;
}

/** How long the switch waits for the markers of transactions that ended in the drain. */
const STABLE_WAIT_MS = 2_000;

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export class CutoverCoordinator {
  private readonly opts: CutoverCoordinatorOptions;
  private readonly log: Logger;
  private readonly running = new Map<string, Promise<CutoverRecord>>();
  private closed = false;

  constructor(opts: CutoverCoordinatorOptions) {
    this.opts = opts;
    this.log = opts.log.child({ component: 'cutover' });
  }

  /** Preflight only (a dry run): nothing is recorded, nothing held. */
  async plan(req: CutoverRequest): Promise<CutoverPlan> {
    const { domain, from, to, drainTimeoutMs } = this.resolve(req);
    const { report } = await this.preflight(domain, from, to, drainTimeoutMs);
    return { domain, from, to, drainTimeoutMs, preflight: report };
  }

  /** Records the cutover (PLANNED) and runs it in the background; resolves with the PLANNED record. */
  async start(req: CutoverRequest): Promise<CutoverRecord> {
    if (this.closed) throw new CutoverRequestError(409, 'this instance is shutting down');
    const { domain, from, to, drainTimeoutMs } = this.resolve(req);
    const record = newCutoverRecord({ id: randomUUID(), domain, from, to, drainTimeoutMs, coordinator: this.opts.store.instanceId, atMs: Date.now() });
    try {
      await this.opts.store.create(record);
    } catch (err) {
      if (err instanceof CutoverConflictError) throw new CutoverRequestError(409, err.message);
      throw err;
    }
    this.log.info({ cutoverId: record.id, domain, from, to, phase: 'PLANNED', drainTimeoutMs }, 'cutover phase');
    const run = this.run(record).finally(() => this.running.delete(record.id));
    this.running.set(record.id, run);
    return record;
  }

  /** Rolls a cutover back (the operator's abort). A switched one cannot be: another cutover goes back. */
  async abort(id: string, reason = 'aborted by the operator'): Promise<CutoverRecord> {
    const record = this.get(id);
    if (record.phase === 'SWITCHED') throw new CutoverRequestError(409, `cutover ${id} has switched: go back with another cutover (to ${record.from})`);
    if (record.phase === 'ROLLED_BACK') return record;
    const after = await rollBackCutover(this.opts.store, id, reason);
    if (after.phase === 'SWITCHED') throw new CutoverRequestError(409, `cutover ${id} switched before it could be aborted`);
    if (after.rollbackReason === reason) {
      this.log.warn({ cutoverId: id, domain: after.domain, phase: 'ROLLED_BACK', reason }, 'cutover rolled back');
      this.opts.metrics?.finished('rolled_back');
    }
    return after;
  }

  get(id: string): CutoverRecord {
    const record = this.opts.store.current().cutovers.get(id);
    if (record === undefined) throw new CutoverRequestError(404, `no cutover ${id}`);
    return record;
  }

  list(): CutoverRecord[] {
    return this.opts.store.current().list();
  }

  /** Resolves when a cutover this instance runs has finished, with its last record. */
  async whenFinished(id: string): Promise<CutoverRecord> {
    return (await this.running.get(id)) ?? this.get(id);
  }

  /**
   * Drops segment `segment` from every chain of a domain that has it, after listing the groups
   * whose committed offsets lie inside it (which would then read from the segment before it,
   * or, for segment 0, fetch below the log start and reset). `dryRun` lists them only.
   */
  async retire(domain: string, segment: number, dryRun: boolean): Promise<RetireResult> {
    const state = this.opts.store.current();
    const d = state.domains.get(domain);
    if (d === undefined) throw new CutoverRequestError(404, `domain ${domain} has no segments`);
    let next: DomainCutoverState;
    try {
      next = retiredSegmentState(d, segment);
    } catch (err) {
      if (err instanceof CutoverStateError) throw new CutoverRequestError(400, err.message);
      throw err;
    }
    const groups = await this.groupsInside(domain, d, segment);
    if (dryRun) return { domain, segment, groups, retired: false };
    try {
      await this.opts.store.setDomainState(domain, next, state.version);
    } catch (err) {
      if (err instanceof CutoverConflictError) throw new CutoverRequestError(409, err.message);
      throw err;
    }
    this.log.info({ domain, segment, groupsInside: groups.length }, 'cutover segment retired');
    return { domain, segment, groups, retired: true };
  }

  /** Rolls back the cutovers this instance runs that have not switched, and waits for their runs. */
  async close(): Promise<void> {
    this.closed = true;
    const runs = [...this.running.values()];
    for (const id of this.running.keys()) {
      await rollBackCutover(this.opts.store, id, 'the instance running the cutover is shutting down').catch(() => undefined);
    }
    await Promise.allSettled(runs);
  }

  private resolve(req: CutoverRequest): { domain: string; from: string; to: string; drainTimeoutMs: number } {
    const policy = this.opts.policy();
    const d = policy.domains.get(req.domain);
    if (d === undefined) throw new CutoverRequestError(404, `unknown domain ${JSON.stringify(req.domain)}`);
    const from = d.backend;
    const to = req.to ?? d.migrationTarget ?? undefined;
    if (to === undefined) throw new CutoverRequestError(400, `domain ${d.name} has no migration target: name the backend to move it to`);
    if (!policy.backends.has(to)) throw new CutoverRequestError(400, `unknown backend ${JSON.stringify(to)}`);
    if (to === from) throw new CutoverRequestError(400, `domain ${d.name} is already on ${to}${req.to === undefined ? ' (its migration target): name the backend to move it to' : ''}`);
    const state = this.opts.store.current().domains.get(d.name);
    if (state?.groupsMove != null) throw new CutoverRequestError(409, `the groups of domain ${d.name} are being moved (${state.groupsMove.id}): cut it over once they are`);
    const allowed = new Set<string>(state === undefined ? [] : chainBackends(state));
    if (d.migrationTarget !== null) allowed.add(d.migrationTarget);
    if (!allowed.has(to)) throw new CutoverRequestError(400, `domain ${d.name} may move only to its migration target or to a backend its segments read from (${[...allowed].join(', ') || 'none'})`);
    const drainTimeoutMs = req.drainTimeoutMs ?? this.opts.settings.drainTimeoutMs;
    if (!Number.isInteger(drainTimeoutMs) || drainTimeoutMs < 0) throw new CutoverRequestError(400, 'drainTimeoutMs must be a non-negative integer');
    return { domain: d.name, from, to, drainTimeoutMs };
  }

  private preflight(domain: string, from: string, to: string, drainTimeoutMs: number): ReturnType<typeof runPreflight> {
    const s = this.opts.settings;
    return runPreflight({ backends: this.opts.backends, policy: this.opts.policy(), domain, from, to, drainTimeoutMs, rateSampleMs: s.rateSampleMs, switchPointIntervalMs: s.switchPointIntervalMs });
  }

  private async run(planned: CutoverRecord): Promise<CutoverRecord> {
    let record = planned;
    const settings = this.opts.settings;
    try {
      const pre = await this.preflight(record.domain, record.from, record.to, record.drainTimeoutMs);
      if (!pre.report.ok) return await this.rollBack(record, `preflight: ${pre.report.problems.join('; ')}`);
      record = await this.move(record, 'PREPARED', { preflight: pre.report });
      // Every instance counts the domain's requests in flight to the source before any holds.
      await this.barrier(record, 'prepared', () => this.check(record, Number.POSITIVE_INFINITY));

      record = await this.move(record, 'HOLDING');
      const holdStart = Date.now();
      const holdDeadline = holdStart + settings.maxHoldMs;
      const check = (): void => this.check(record, holdDeadline);
      await this.barrier(record, 'holding', check);
      // The domain's topics again: one created since preflight is part of the switch too.
      const source = domainTopics(this.opts.policy(), record.domain, await this.opts.backends.topics(record.from, null));
      const baseline = await readHoldBaseline(this.opts.backends, record.from, source);
      const { aborted } = await drainTransactions({ backends: this.opts.backends, backend: record.from, layouts: source, drainTimeoutMs: record.drainTimeoutMs, deadlineMs: holdDeadline, check });
      if (aborted.length > 0) this.log.warn({ cutoverId: record.id, domain: record.domain, transactionalIds: aborted }, 'open transactions aborted on the source');

      record = await this.move(record, 'DRAINED', { abortedTransactions: aborted });
      await this.barrier(record, 'drained', check);
      // Leaders may have moved during the drain: the switch points are read from the current ones.
      const settled = domainTopics(this.opts.policy(), record.domain, await this.opts.backends.topics(record.from, null));
      const offsetsAborted = await this.abortOffsetTransactions(record, baseline);
      // Markers of a transaction that ended in the drain (or was aborted just now) may still be on their way.
      await awaitStableEnds(this.opts.backends, record.from, settled, Math.min(holdDeadline, Date.now() + STABLE_WAIT_MS), check);
      const previous = this.opts.store.current().domains.get(record.domain);
      const transactionalGroups = await this.moveTransactionalGroups(record, previous, holdDeadline);
      check();
      const target = await this.targetLayouts(record.to, settled);
      const points = await takeSwitchPoints({ backends: this.opts.backends, from: record.from, to: record.to, source: settled, target, previous, baseline, intervalMs: settings.switchPointIntervalMs });
      check();
      const generations = switchGenerations(this.opts.epochs, previous, record.from, settled.keys());
      const state = switchedDomainState({
        previous,
        from: record.from,
        to: record.to,
        baseGenerations: generations.base,
        generations: generations.next,
        points,
        transactionalGroups: transactionalGroups.map((g) => g.group),
      });
      const abortedTransactions = [...new Set([...record.abortedTransactions, ...offsetsAborted])].sort();
      record = await this.move(record, 'SWITCHED', { switchPoints: points, generations: generations.next, transactionalGroups, abortedTransactions }, state);
      this.opts.metrics?.finished('switched');
      const confirmed = await awaitConfirmations({ store: this.opts.store, cutoverId: record.id, step: 'switched', timeoutMs: settings.phaseDeadlineMs, pollMs: this.opts.ackPollMs });
      if (!confirmed.ok) this.log.warn({ cutoverId: record.id, domain: record.domain, reason: confirmed.reason }, 'not every instance confirmed the switch in time; they hold the domain until they apply it');
      return record;
    } catch (err) {
      // Decided by someone else (who logged and counted it).
      if (err instanceof CutoverStopped) return this.opts.store.current().cutovers.get(record.id) ?? record;
      return this.rollBack(record, messageOf(err));
    }
  }

  /**
   * Aborts on the source the transactions whose consumer offsets reached it while their records
   * are held (the instances report them with their `drained` confirmations): such a transaction
   * goes on where its records go, and its client is made to abort it there (multi/produce.ts);
   * left open, it would keep its group's offsets unstable on the source until it timed out.
   */
  private async abortOffsetTransactions(record: CutoverRecord, baseline: HoldBaseline): Promise<string[]> {
    const ids = new Set<string>();
    for (const report of (await this.opts.store.acks(record.id, 'drained')).values()) {
      for (const t of report.offsetTransactions ?? []) {
        ids.add(t.transactionalId);
        // The abort marks the partitions the transaction added: they may grow by that marker.
        for (const p of t.partitions) baseline.transactional.add(partitionKey(p.topic, p.partition));
      }
    }
    const sorted = [...ids].sort();
    for (const id of sorted) await this.opts.backends.abortTransaction(record.from, id);
    if (sorted.length > 0) this.log.warn({ cutoverId: record.id, domain: record.domain, transactionalIds: sorted }, 'transactions whose offsets reached the source before their records were held: aborted there');
    return sorted;
  }

  /**
   * Copies to the target the committed offsets of the groups that move with the domain's
   * transactional ids: those that moved with them before, and those the instances saw the
   * domain's transactional producers commit offsets for (reported with their `drained`
   * confirmations), when the domain owns them. Every transaction has ended and every instance
   * holds these groups' requests, so the offsets are read once their markers are written and
   * cannot change meanwhile.
   */
  private async moveTransactionalGroups(record: CutoverRecord, previous: DomainCutoverState | undefined, holdDeadline: number): Promise<TransactionalGroupMove[]> {
    const names = new Set(previous?.transactionalGroups ?? []);
    for (const report of (await this.opts.store.acks(record.id, 'drained')).values()) for (const g of report.transactionalGroups ?? []) names.add(g);
    const policy = this.opts.policy();
    const owned = [...names].filter((g) => {
      const r = policy.resolve('group', g);
      return r.ok && r.domain.name === record.domain;
    });
    if (owned.length === 0) return [];
    const groupBackends = this.opts.groupBackends;
    if (groupBackends === undefined) throw new Error(`groups ${owned.join(', ')} commit offsets in the domain's transactions, and this instance cannot move groups`);
    const was = new Set(previous?.transactionalGroups ?? []);
    // Where each is coordinated now: with the transactional ids (the domain's backend) if it moved with them or every group did, else where the groups stayed.
    const fromOf = (g: string): string => (previous === undefined ? record.from : previous.groupsBackend === null || was.has(g) ? previous.backend : previous.groupsBackend);
    const moving = owned.sort().map((group) => ({ group, from: fromOf(group) }));
    const copy = moving.filter((g) => g.from !== record.to);
    const copied = copy.length === 0 ? { groups: [] } : await copyGroupOffsets({
      backends: groupBackends,
      domain: record.domain,
      groups: copy,
      to: record.to,
      deadlineMs: holdDeadline,
      deadlineWhat: `the hold's cutover.maxHoldMs (${this.opts.settings.maxHoldMs} ms)`,
      stable: true,
    });
    const counts = new Map(copied.groups.map((g) => [g.group, g.offsets]));
    this.log.info({ cutoverId: record.id, domain: record.domain, to: record.to, groups: moving.map((g) => g.group), copied: copied.groups.length }, 'groups move with the transactional ids');
    return moving.map((g) => ({ group: g.group, from: g.from, offsets: counts.get(g.group) ?? 0 }));
  }

  /** The target's partitions matching the source's (a target may have more). */
  private async targetLayouts(to: string, source: TopicLayouts): Promise<TopicLayouts> {
    const all = await this.opts.backends.topics(to, [...source.keys()]);
    const out: TopicLayouts = new Map();
    for (const [topic, partitions] of source) {
      const indexes = new Set(partitions.map((p) => p.index));
      const t = all.get(topic);
      if (t === undefined) throw new Error(`topic ${topic} does not exist on ${to} any more`);
      out.set(topic, t.filter((p) => indexes.has(p.index)));
    }
    return out;
  }

  /** Waits for every live instance to confirm a step; throws with the reason when they do not. */
  private async barrier(record: CutoverRecord, step: AckStep, check: () => void): Promise<void> {
    const result = await awaitConfirmations({ store: this.opts.store, cutoverId: record.id, step, timeoutMs: this.opts.settings.phaseDeadlineMs, pollMs: this.opts.ackPollMs, check });
    if (!result.ok) throw new Error(result.reason);
  }

  /** Throws CutoverStopped when the cutover left `record`'s phase, or an error past the hold's deadline. */
  private check(record: CutoverRecord, holdDeadline: number): void {
    const now = this.opts.store.current().cutovers.get(record.id);
    if (now !== undefined && now.phase !== record.phase) throw new CutoverStopped(now.phase);
    if (this.closed) throw new CutoverStopped(record.phase);
    if (Date.now() > holdDeadline) throw new Error(`the hold was not switched within cutover.maxHoldMs (${this.opts.settings.maxHoldMs} ms)`);
  }

  private async move(record: CutoverRecord, to: CutoverPhase, patch: RecordPatch = {}, domainState?: DomainCutoverState): Promise<CutoverRecord> {
    const next = movedRecord(record, to, Date.now(), patch);
    try {
      await this.opts.store.move(record.phase, next, domainState);
    } catch (err) {
      if (err instanceof CutoverConflictError && err.reason === 'phase') {
        await this.opts.store.refresh();
        throw new CutoverStopped(this.opts.store.current().cutovers.get(record.id)?.phase ?? record.phase);
      }
      throw err;
    }
    const enteredMs = record.phaseAtMs[record.phase];
    this.log.info(
      { cutoverId: next.id, domain: next.domain, from: next.from, to: next.to, phase: to, previousPhaseMs: enteredMs === undefined ? undefined : (next.phaseAtMs[to] as number) - enteredMs },
      'cutover phase',
    );
    return next;
  }

  private async rollBack(record: CutoverRecord, reason: string): Promise<CutoverRecord> {
    try {
      const after = await rollBackCutover(this.opts.store, record.id, reason);
      if (after.phase === 'ROLLED_BACK' && after.rollbackReason === reason) {
        this.log.warn({ cutoverId: record.id, domain: record.domain, from: record.from, to: record.to, phase: 'ROLLED_BACK', rolledBackFrom: record.phase, reason }, 'cutover rolled back');
        this.opts.metrics?.finished('rolled_back');
      }
      return after;
    } catch (err) {
      this.log.error({ err, cutoverId: record.id, reason }, 'cannot roll the cutover back; instances hold the domain until it is decided (the cutover is rolled back when this instance is gone)');
      return record;
    }
  }

  /** Groups of the domain with committed offsets inside segment `index` of some chain. */
  private async groupsInside(domain: string, d: DomainCutoverState, index: number): Promise<RetireResult['groups']> {
    const ranges = new Map<string, Array<[bigint, bigint]>>();
    for (const [topic, partitions] of d.chains) {
      partitions.forEach((chain, p) => {
        if (chain === undefined || index >= chain.lastIndex) return;
        // Below the first segment lies only what an earlier retirement left out of range: those commits reset too.
        const start = index === 0 ? 0n : chain.segments[index].firstOffset;
        const end = chain.endOf(index) as bigint;
        let list = ranges.get(topic);
        if (list === undefined) ranges.set(topic, (list = []));
        list[p] = [start, end];
      });
    }
    const policy = this.opts.policy();
    const ofDomain = (g: string): boolean => {
      const r = policy.resolve('group', g);
      return r.ok && r.domain.name === domain;
    };
    const groupsBackend = d.groupsBackend ?? d.backend;
    const withTransactions = new Set(d.transactionalGroups);
    const committed = await this.opts.backends.committedOffsets(groupsBackend, (g) => ofDomain(g) && (groupsBackend === d.backend || !withTransactions.has(g)), new Set(ranges.keys()));
    // The groups that moved with the transactional ids commit on the domain's backend.
    if (groupsBackend !== d.backend && withTransactions.size > 0) {
      committed.push(...(await this.opts.backends.committedOffsets(d.backend, (g) => ofDomain(g) && withTransactions.has(g), new Set(ranges.keys()))));
    }
    return committed
      .filter((c) => {
        const range = ranges.get(c.topic)?.[c.partition];
        return range !== undefined && c.offset >= range[0] && c.offset < range[1];
      })
      .map((c) => ({ group: c.group, topic: c.topic, partition: c.partition, offset: c.offset.toString() }));
  }
}
