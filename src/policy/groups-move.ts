// Moves a domain's consumer groups to the coordinator of the domain's backend (`turnout cutover
// groups DOMAIN`). After a cutover the groups stay on the source's coordinator, where their
// committed (virtual) offsets keep meaning the same; when the source is to be retired, the
// operator moves them, at a time of their choosing:
//
//   counting  (one store write) every instance counts the domain's group requests in flight;
//             each confirms (cutover-barrier.ts, step `prepared`).
//   holding   (one store write) every instance holds the domain's group requests (JoinGroup,
//             SyncGroup, Heartbeat, LeaveGroup, OffsetCommit, OffsetFetch,
//             ConsumerGroupHeartbeat, TxnOffsetCommit) and confirms once those it had
//             forwarded were answered (step `holding`). The domain's groups are listed on the
//             old coordinator; each must be empty or unknown on the new one, else the move is
//             refused. Each group's committed offsets are read there and written as they are
//             on the new coordinator (an admin's commit: generation −1, no member), then read
//             back and compared.
//   moved     (one store write) the groups' backend is the domain's own (groupsBackend null)
//             and the hold ends: every instance applies the new coordinator before it releases
//             the held requests, so a member's next heartbeat reaches the new coordinator, which
//             does not know it; the group rejoins once and resumes where it committed. The same
//             write records the members each group had on the old coordinator: until a member
//             learns that it must rejoin (its next heartbeat), it still commits what it read,
//             and those commits are taken as commits of no member (cutover-hold-filter.ts), which
//             the new coordinator accepts only while the group has not rejoined there.
//
// Any failure before the last write ends the hold with the groups where they were. The hold is
// bounded by `maxHoldMs`. A move whose instance is gone is given up by the others
// (groups-move-participant.ts).
import { randomUUID } from 'node:crypto';
import type { Logger } from '../observability/logger.js';
import { awaitConfirmations } from './cutover-barrier.js';
import { CutoverRequestError } from './cutover-coordinator.js';
import type { GroupsMove } from './cutover-domain-state.js';
import type { CutoverConfig } from './cutover-schema.js';
import { CutoverConflictError, type AckStep, type CutoverStore } from './cutover-store.js';
import { updateDomainState } from './domain-state-update.js';
import type { GroupOffsetBackends } from './group-offset-backends.js';
import { copyGroupOffsets, GroupsMoveError, type GroupOffsetsCopied } from './group-offsets-copy.js';
import type { PolicySnapshot } from './policy-snapshot.js';

/** How long the members of moved groups are recognised (well past any session timeout). */
export const FORMER_MEMBERS_MS = 5 * 60_000;

export interface GroupsMoveResult {
  id: string;
  domain: string;
  from: string;
  to: string;
  /** Each group moved, with how many committed offsets were copied. */
  groups: Array<{ group: string; offsets: number }>;
  /** From the hold to its release, in ms. */
  holdMs: number;
}

export interface GroupsMoveReporter {
  groupsMoved(outcome: 'moved' | 'released'): void;
}

export interface GroupsMoverOptions {
  store: CutoverStore;
  backends: GroupOffsetBackends;
  /** The policy in effect (with cut-over domains' backends). */
  policy: () => PolicySnapshot;
  settings: CutoverConfig;
  log: Logger;
  metrics?: GroupsMoveReporter;
  /** Time between two looks at the confirmations of a step, in ms. (default: 25) */
  ackPollMs?: number;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export class GroupsMover {
  private readonly opts: GroupsMoverOptions;
  private readonly log: Logger;

  constructor(opts: GroupsMoverOptions) {
    this.opts = opts;
    this.log = opts.log.child({ component: 'cutover-groups' });
  }

  /** Moves the domain's groups to its backend's coordinator; resolves once they are moved. */
  async move(domainName: string): Promise<GroupsMoveResult> {
    const { store } = this.opts;
    const domain = this.opts.policy().domains.get(domainName);
    if (domain === undefined) throw new CutoverRequestError(404, `unknown domain ${JSON.stringify(domainName)}`);
    const state = store.current();
    const d = state.domains.get(domain.name);
    if (d === undefined || d.groupsBackend === null) throw new CutoverRequestError(409, `the groups of domain ${domain.name} are coordinated on its backend already`);
    if (d.groupsMove !== null) throw new CutoverRequestError(409, `the groups of domain ${domain.name} are being moved already (${d.groupsMove.id})`);
    const active = state.activeOf(domain.name);
    if (active !== undefined) throw new CutoverRequestError(409, `domain ${domain.name} has cutover ${active.id} in progress (${active.phase})`);
    const from = d.groupsBackend;
    const to = d.backend;
    const move: GroupsMove = { id: randomUUID(), phase: 'counting', coordinator: store.instanceId, from, to, startedAtMs: Date.now() };
    const startMs = Date.now();
    if (from === to) {
      // A cutover back to where the groups stayed: nothing to copy.
      await this.write(domain.name, (s) => ({ ...s, groupsBackend: null }));
      this.log.info({ domain: domain.name, backend: to }, 'groups moved: they are on the domain backend already');
      return { id: move.id, domain: domain.name, from, to, groups: [], holdMs: 0 };
    }
    await this.write(domain.name, (s) => {
      if (s.groupsMove !== null || s.groupsBackend !== from || s.backend !== to) throw new CutoverRequestError(409, `the state of domain ${domain.name} changed meanwhile`);
      return { ...s, groupsMove: move };
    });
    this.log.info({ moveId: move.id, domain: domain.name, from, to, phase: 'counting' }, 'groups move phase');
    let holdStartMs = 0;
    try {
      await this.barrier(move, 'prepared');
      await this.write(domain.name, (s) => ({ ...s, groupsMove: { ...ours(domain.name, s.groupsMove, move), phase: 'holding' } }));
      holdStartMs = Date.now();
      this.log.info({ moveId: move.id, domain: domain.name, phase: 'holding', countingMs: holdStartMs - startMs }, 'groups move phase');
      await this.barrier(move, 'holding');
      const { groups, members } = await this.copyOffsets(domain.name, move, holdStartMs);
      const formerMembers = { untilMs: Date.now() + FORMER_MEMBERS_MS, groups: members };
      await this.write(domain.name, (s) => {
        ours(domain.name, s.groupsMove, move);
        return { ...s, groupsBackend: null, groupsMove: null, formerMembers };
      });
      const holdMs = Date.now() - holdStartMs;
      this.log.info({ moveId: move.id, domain: domain.name, from, to, groups: groups.length, holdMs }, 'groups moved');
      this.opts.metrics?.groupsMoved('moved');
      return { id: move.id, domain: domain.name, from, to, groups, holdMs };
    } catch (err) {
      await this.release(domain.name, move, messageOf(err));
      if (err instanceof CutoverRequestError) throw err;
      throw new CutoverRequestError(409, `the groups of domain ${domain.name} were not moved: ${messageOf(err)}`);
    }
  }

  /**
   * Copies every group's committed offsets from the move's source to its target, checked by
   * reading them back. Groups that moved with the domain's transactional ids are on the target
   * already: what the source keeps of them is older.
   */
  private async copyOffsets(domain: string, move: GroupsMove, holdStartMs: number): Promise<GroupOffsetsCopied> {
    const { backends, settings } = this.opts;
    const policy = this.opts.policy();
    const withTransactions = new Set(this.opts.store.current().domains.get(domain)?.transactionalGroups ?? []);
    const wanted = (group: string): boolean => {
      const r = policy.resolve('group', group);
      return r.ok && r.domain.name === domain && !withTransactions.has(group);
    };
    const onSource = await backends.listGroups(move.from, wanted);
    return copyGroupOffsets({
      backends,
      domain,
      groups: [...onSource.keys()].map((group) => ({ group, from: move.from })),
      to: move.to,
      deadlineMs: holdStartMs + settings.maxHoldMs,
      deadlineWhat: `the hold's cutover.maxHoldMs (${settings.maxHoldMs} ms)`,
    });
  }

  private async barrier(move: GroupsMove, step: AckStep): Promise<void> {
    const result = await awaitConfirmations({ store: this.opts.store, cutoverId: move.id, step, timeoutMs: this.opts.settings.phaseDeadlineMs, pollMs: this.opts.ackPollMs });
    if (!result.ok) throw new Error(result.reason);
  }

  /** Ends the hold with the groups where they were (when the move is still this one). */
  private async release(domain: string, move: GroupsMove, reason: string): Promise<void> {
    try {
      const released = await releaseGroupsMove(this.opts.store, domain, move.id);
      if (released) {
        this.log.warn({ moveId: move.id, domain, reason }, 'groups move given up: the groups stay where they were');
        this.opts.metrics?.groupsMoved('released');
      }
    } catch (err) {
      this.log.error({ err, moveId: move.id, domain }, 'cannot end the groups move; its group requests stay held until it is decided');
    }
  }

  private async write(domain: string, change: Parameters<typeof updateDomainState>[2]): Promise<void> {
    try {
      await updateDomainState(this.opts.store, domain, change);
    } catch (err) {
      if (err instanceof CutoverConflictError) throw new CutoverRequestError(409, err.message);
      throw err;
    }
  }

}

/** The move in the state, when it is still `move` (else someone gave it up meanwhile). */
function ours(domain: string, current: GroupsMove | null, move: GroupsMove): GroupsMove {
  if (current === null || current.id !== move.id) throw new GroupsMoveError(domain, `move ${move.id} was given up meanwhile`);
  return current;
}

/** Ends a groups move without moving the groups; false when the state holds no such move any more. */
export async function releaseGroupsMove(store: CutoverStore, domain: string, moveId: string): Promise<boolean> {
  let released = false;
  await updateDomainState(store, domain, (s) => {
    released = s.groupsMove?.id === moveId;
    return released ? { ...s, groupsMove: null } : s;
  });
  return released;
}
