// This instance's part in every groups move (groups-move.ts), whichever instance runs it:
//   - confirms `prepared` once it counts the domain's group requests in flight, and `holding`
//     once it holds them and those it had forwarded were answered;
//   - gives a move up when its hold fails (held bytes over the cap) or when the instance
//     running it is gone: the groups stay where they were and their requests go on there.
// Confirmations are sent after the state applier (cutover-apply.ts) applied the same state: it
// subscribes first, and confirmations wait for the next turn besides.
import type { Logger } from '../observability/logger.js';
import type { ParticipantHolds } from './cutover-participant.js';
import type { AckStep, CutoverStore } from './cutover-store.js';
import { releaseGroupsMove } from './groups-move.js';

export interface GroupsMoveParticipantOptions {
  store: CutoverStore;
  /** The group holds (src/pipeline/cutover-holds.ts), keyed by domain, with the move id as cutover id. */
  holds: ParticipantHolds;
  log: Logger;
  /** How often moves whose instance is gone are looked for, in ms. (default: 1000) */
  orphanCheckMs?: number;
}

export class GroupsMoveParticipant {
  private readonly opts: GroupsMoveParticipantOptions;
  private readonly log: Logger;
  /** `id/step` confirmed (or being confirmed) here. */
  private readonly confirmed = new Set<string>();
  private readonly unsubscribe: Array<() => void> = [];
  private orphanTimer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(opts: GroupsMoveParticipantOptions) {
    this.opts = opts;
    this.log = opts.log.child({ component: 'cutover-groups-participant' });
  }

  start(): void {
    this.unsubscribe.push(this.opts.store.subscribe(() => setImmediate(() => this.onState())));
    this.unsubscribe.push(this.opts.holds.onFailure((domain, id, reason) => void this.giveUp(domain, id, reason)));
    this.orphanTimer = setInterval(() => void this.giveUpOrphans(), this.opts.orphanCheckMs ?? 1_000);
    this.orphanTimer.unref();
    this.onState();
  }

  stop(): void {
    this.stopped = true;
    for (const u of this.unsubscribe.splice(0)) u();
    if (this.orphanTimer !== null) clearInterval(this.orphanTimer);
  }

  /** Gives up the moves whose instance is no longer alive. */
  async giveUpOrphans(): Promise<void> {
    const { store } = this.opts;
    if (this.stopped || !store.known()) return;
    const moves = [...store.current().domains].filter(([, d]) => d.groupsMove !== null);
    if (moves.length === 0) return;
    try {
      const live = new Set(await store.liveInstances());
      for (const [domain, d] of moves) {
        const move = d.groupsMove;
        if (move !== null && !live.has(move.coordinator)) await this.giveUp(domain, move.id, `the instance moving the groups (${move.coordinator}) is gone`);
      }
    } catch (err) {
      this.log.debug({ err }, 'cannot look for groups moves whose instance is gone');
    }
  }

  private onState(): void {
    const { store, holds } = this.opts;
    if (this.stopped || !store.known()) return;
    for (const [domain, d] of store.current().domains) {
      const move = d.groupsMove;
      if (move === null || holds.cutoverOf(domain) !== move.id) continue;
      if (move.phase === 'counting') this.confirm(move.id, 'prepared', async () => undefined);
      else {
        this.confirm(move.id, 'holding', async () => {
          const count = holds.inFlightOf(domain);
          if (count !== null && count.cutoverId === move.id) await count.drained();
        });
      }
    }
  }

  private confirm(id: string, step: AckStep, ready: () => Promise<void>): void {
    const key = `${id}/${step}`;
    if (this.confirmed.has(key)) return;
    this.confirmed.add(key);
    void (async () => {
      await ready();
      await this.opts.store.ack(id, step, { ok: true, reason: null, atMs: Date.now() });
    })().catch((err: unknown) => {
      // Not confirmed: the deadline of the instance moving the groups gives the move up.
      this.confirmed.delete(key);
      this.log.warn({ err, moveId: id, step }, 'cannot confirm a groups move step');
    });
  }

  private async giveUp(domain: string, id: string, reason: string): Promise<void> {
    try {
      if (await releaseGroupsMove(this.opts.store, domain, id)) this.log.warn({ moveId: id, domain, reason }, 'groups move given up: the groups stay where they were');
    } catch (err) {
      this.log.error({ err, moveId: id, domain, reason }, 'cannot give the groups move up; its group requests stay held until it is decided');
    }
  }
}
