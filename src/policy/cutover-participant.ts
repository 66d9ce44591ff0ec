// This instance's part in every cutover, whichever instance runs it:
//   - confirms each step once the state it read has taken effect here (cutover-store.ts
//     AckStep): `prepared` when it counts the domain's requests in flight to the source,
//     `holding` when its hold is in effect and those requests have been answered, `drained` when
//     the requests it let through during the drain have been answered too (each with the first
//     failure among them, if any), `switched` when the new segments are applied;
//   - rolls a cutover back when its hold reports a failure (a produce to the source answered
//     an error, held bytes over the cap);
//   - rolls back a cutover whose coordinating instance is gone (its lease ended, or on one
//     instance: the process that ran it restarted): the cutover can no longer finish, and
//     every instance holds the domain's traffic until it is decided.
// Confirmations are sent after the state applier (cutover-apply.ts) has applied the same state:
// it subscribes first, and confirmations wait for the next turn besides.
import type { Logger } from '../observability/logger.js';
import { rollBackCutover } from './cutover-rollback.js';
import type { AckReport, AckStep, CutoverStore, OffsetTransaction } from './cutover-store.js';

/** What the participant reads of the holds (src/pipeline/cutover-holds.ts). */
export interface ParticipantHolds {
  cutoverOf(domain: string): string | null;
  inFlightOf(domain: string): { readonly cutoverId: string; readonly failure: string | null; drained(): Promise<void> } | null;
  onFailure(listener: (domain: string, cutoverId: string, reason: string) => void): () => void;
}

export interface CutoverParticipantOptions {
  store: CutoverStore;
  holds: ParticipantHolds;
  /** The holds of the groups that move with a domain's transactional ids. */
  groupHolds?: ParticipantHolds;
  /** The groups each domain's transactional producers committed offsets for through this instance. */
  transactionalGroups?: { of(domain: string): string[] };
  /** The domain's transactional ids whose open transaction added consumer offsets on a backend through this instance. */
  transactionsWithOffsetsOn?: (domain: string, backend: string) => OffsetTransaction[];
  log: Logger;
  /** How often cutovers whose coordinator is gone are looked for, in ms. (default: 1000) */
  orphanCheckMs?: number;
  /** Told of a rollback this instance wrote. */
  onRolledBack?: (cutoverId: string, reason: string) => void;
}

export class CutoverParticipant {
  private readonly opts: CutoverParticipantOptions;
  private readonly log: Logger;
  /** `id/step` confirmed (or being confirmed) here. */
  private readonly confirmed = new Set<string>();
  /** Cutovers seen in progress here: their switch is confirmed. */
  private readonly seenActive = new Set<string>();
  private readonly rollingBack = new Set<string>();
  private readonly unsubscribe: Array<() => void> = [];
  private orphanTimer: NodeJS.Timeout | null = null;
  private checkingOrphans = false;
  private stopped = false;

  constructor(opts: CutoverParticipantOptions) {
    this.opts = opts;
    this.log = opts.log.child({ component: 'cutover-participant' });
  }

  start(): void {
    this.unsubscribe.push(this.opts.store.subscribe(() => setImmediate(() => this.onState())));
    this.unsubscribe.push(this.opts.holds.onFailure((domain, id, reason) => this.rollBack(id, reason, { domain })));
    const groupHolds = this.opts.groupHolds;
    if (groupHolds !== undefined) {
      // The group holds serve groups moves too: only a failure of a cutover's rolls it back.
      this.unsubscribe.push(groupHolds.onFailure((domain, id, reason) => (this.opts.store.current().cutovers.has(id) ? void this.rollBack(id, reason, { domain }) : undefined)));
    }
    this.orphanTimer = setInterval(() => void this.rollBackOrphans(), this.opts.orphanCheckMs ?? 1_000);
    this.orphanTimer.unref();
    this.onState();
    void this.rollBackOrphans();
  }

  stop(): void {
    this.stopped = true;
    for (const u of this.unsubscribe.splice(0)) u();
    if (this.orphanTimer !== null) clearInterval(this.orphanTimer);
  }

  /** Rolls back the cutovers whose coordinator is no longer alive. */
  async rollBackOrphans(): Promise<void> {
    const { store } = this.opts;
    if (this.stopped || this.checkingOrphans || !store.known() || store.current().active().length === 0) return;
    this.checkingOrphans = true;
    try {
      const live = new Set(await store.liveInstances());
      for (const c of store.current().active()) {
        if (!live.has(c.coordinator)) await this.rollBack(c.id, `the instance running the cutover (${c.coordinator}) is gone`, { domain: c.domain });
      }
    } catch (err) {
      this.log.debug({ err }, 'cannot look for cutovers whose coordinator is gone');
    } finally {
      this.checkingOrphans = false;
    }
  }

  private onState(): void {
    const { store, holds } = this.opts;
    if (this.stopped || !store.known()) return;
    const state = store.current();
    for (const c of state.active()) {
      this.seenActive.add(c.id);
      if (holds.cutoverOf(c.domain) !== c.id) continue;
      const answered = async (): Promise<string | null> => {
        const counts = [holds.inFlightOf(c.domain), this.opts.groupHolds?.inFlightOf(c.domain) ?? null].filter((n) => n !== null && n.cutoverId === c.id);
        for (const count of counts) await count?.drained();
        return counts.find((n) => n?.failure != null)?.failure ?? null;
      };
      if (c.phase === 'PREPARED') this.confirm(c.id, 'prepared', async () => null);
      else if (c.phase === 'HOLDING') this.confirm(c.id, 'holding', answered);
      else if (c.phase === 'DRAINED') {
        this.confirm(c.id, 'drained', answered, () => ({
          transactionalGroups: this.opts.transactionalGroups?.of(c.domain) ?? [],
          offsetTransactions: this.opts.transactionsWithOffsetsOn?.(c.domain, c.from) ?? [],
        }));
      }
    }
    for (const id of this.seenActive) {
      const c = state.cutovers.get(id);
      if (c === undefined || c.phase === 'ROLLED_BACK') this.seenActive.delete(id);
      else if (c.phase === 'SWITCHED') {
        this.seenActive.delete(id);
        this.confirm(id, 'switched', async () => null);
      }
    }
  }

  /** Confirms a step once; `failure` resolves with why it failed, or null; `extra` adds to the report. */
  private confirm(id: string, step: AckStep, failure: () => Promise<string | null>, extra: () => Pick<AckReport, 'transactionalGroups' | 'offsetTransactions'> = () => ({})): void {
    const key = `${id}/${step}`;
    if (this.confirmed.has(key)) return;
    this.confirmed.add(key);
    void (async () => {
      const reason = await failure();
      await this.opts.store.ack(id, step, { ok: reason === null, reason, atMs: Date.now(), ...extra() });
    })().catch((err: unknown) => {
      // Not confirmed: the coordinator's deadline rolls the cutover back.
      this.confirmed.delete(key);
      this.log.warn({ err, cutoverId: id, step }, 'cannot confirm a cutover step');
    });
  }

  private async rollBack(id: string, reason: string, context: { domain: string }): Promise<void> {
    if (this.rollingBack.has(id)) return;
    this.rollingBack.add(id);
    try {
      const after = await rollBackCutover(this.opts.store, id, reason);
      if (after.phase === 'ROLLED_BACK' && after.rollbackReason === reason) {
        this.log.warn({ cutoverId: id, domain: context.domain, phase: 'ROLLED_BACK', reason }, 'cutover rolled back');
        this.opts.onRolledBack?.(id, reason);
      }
    } catch (err) {
      this.log.error({ err, cutoverId: id, reason }, 'cannot roll the cutover back; its domain stays held until it is decided');
    } finally {
      this.rollingBack.delete(id);
    }
  }
}
