// Carries the cutover state out on this instance, after every change the store announces:
//   - each domain's chains go to routing (OffsetSegmentMap.setDomain), and every segment's
//     generation is adopted by the leader epoch map, so epochs read from a new segment sit
//     above everything read before it;
//   - each domain's hold follows its cutover's phase (cutover-phase.ts holdModeOf);
//   - each domain's group hold follows its groups move (groups-move.ts): counted while
//     `counting`, held while `holding`, released by the write that moves the groups; during a
//     cutover it holds the groups that move with the transactional ids (counted while HOLDING,
//     held while DRAINED, released by the switch or the rollback).
// The domain's backend itself is read through CutoverPolicyView from the same state. Segments
// are applied before holds are released, in the same turn, so a released request is routed by
// the state that released it.
//
// While the state is not known (not read yet, or the shared store lost longer than the lease:
// another instance may be switching a domain without this one), every domain that could be
// in a cutover is held: rather late than written to a backend the domain has left.
import type { Logger } from '../observability/logger.js';
import type { LeaderEpochMap } from '../routing/leader-epoch-map.js';
import type { OffsetSegmentMap } from '../routing/offset-segments.js';
import { holdModeOf, type CutoverPhase, type HoldMode } from './cutover-phase.js';
import { domainSegmentsOf, serializeDomainState, type FormerMembers } from './cutover-domain-state.js';
import type { CutoverState } from './cutover-state.js';
import type { CutoverStore } from './cutover-store.js';
import type { PolicySnapshot } from './policy-snapshot.js';

/** What holds a domain's traffic (the cutover hold filter's state, src/pipeline/cutover-holds.ts). */
export interface HoldControl {
  /** Puts a domain's traffic in `mode` for cutover `cutoverId` (null: no cutover known). */
  setMode(domain: string, cutoverId: string | null, mode: HoldMode): void;
}

/** Where this instance reports what it applied (metrics). */
export interface CutoverPhaseReporter {
  phase(domain: string, phase: CutoverPhase | null): void;
}

export interface CutoverApplierOptions {
  store: CutoverStore;
  segments: OffsetSegmentMap;
  epochs: LeaderEpochMap;
  holds: HoldControl;
  /** What holds a domain's group requests while its groups move. */
  groupHolds?: HoldControl;
  /** Where the members of moved groups go (src/pipeline/former-members.ts). */
  formerMembers?: { set(domain: string, state: FormerMembers | null): void };
  /** The policy in effect: which domains exist and which have a migration target. */
  policy: () => PolicySnapshot;
  log: Logger;
  reporter?: CutoverPhaseReporter;
  /**
   * Learns the partition leaders of a domain's topics on the backend a cutover moves it to,
   * while its traffic is held: released requests then find their leaders known and are not
   * answered NOT_LEADER_OR_FOLLOWER, which some clients answer by rejoining their group.
   */
  primeLeaders?: (backend: string, topics: readonly string[]) => void;
}

export class CutoverApplier {
  private readonly opts: CutoverApplierOptions;
  private readonly log: Logger;
  /** Each domain's state as last applied (JSON: a shared store hands out new objects for every version). */
  private readonly applied = new Map<string, string>();
  private readonly phases = new Map<string, CutoverPhase | null>();
  private unsubscribe: (() => void) | null = null;

  constructor(opts: CutoverApplierOptions) {
    this.opts = opts;
    this.log = opts.log.child({ component: 'cutover-apply' });
  }

  /** Applies the state in the store now and after every change. */
  start(): void {
    this.apply();
    this.unsubscribe = this.opts.store.subscribe(() => this.apply());
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
  }

  /** Applies the store's current state (also called when whether it is known changes). */
  apply(): void {
    const { store } = this.opts;
    const state = store.current();
    const known = store.known();
    if (known) this.applySegments(state);
    this.applyHolds(state, known);
  }

  private applySegments(state: CutoverState): void {
    for (const [domain, d] of state.domains) {
      const text = JSON.stringify(serializeDomainState(d));
      if (this.applied.get(domain) === text) continue;
      for (const [topic, partitions] of d.chains) {
        for (const chain of partitions) {
          for (const seg of chain?.segments ?? []) {
            try {
              this.opts.epochs.adoptGeneration(topic, seg.generation, seg.backend);
            } catch (err) {
              this.log.error({ err, domain, topic, generation: seg.generation }, 'cannot adopt the generation of a segment');
            }
          }
        }
      }
      this.opts.segments.setDomain(domain, domainSegmentsOf(d));
      this.opts.formerMembers?.set(domain, d.formerMembers);
      this.applied.set(domain, text);
      this.log.info({ domain, backend: d.backend, era: d.era, topics: d.chains.size, version: state.version }, 'cutover segments applied');
    }
  }

  private applyHolds(state: CutoverState, known: boolean): void {
    const policy = this.opts.policy();
    const domains = new Set<string>([...policy.domains.keys(), ...state.domains.keys(), ...this.phases.keys()]);
    for (const c of state.active()) domains.add(c.domain);
    for (const domain of domains) {
      const active = state.activeOf(domain);
      let mode: HoldMode;
      if (known) mode = active === undefined ? 'none' : holdModeOf(active.phase);
      else mode = active !== undefined || state.domains.has(domain) || policy.domains.get(domain)?.migrationTarget != null ? 'hold' : 'none';
      this.opts.holds.setMode(domain, active?.id ?? null, mode);
      if (known && active !== undefined && mode !== 'none' && this.phases.get(domain) !== active.phase) {
        const topics = active.preflight?.topics.map((t) => t.topic) ?? [];
        if (topics.length > 0) this.opts.primeLeaders?.(active.to, topics);
      }
      this.applyGroupHold(domain, state, known);
      const phase = active?.phase ?? null;
      if (this.phases.get(domain) !== phase) {
        this.phases.set(domain, phase);
        this.opts.reporter?.phase(domain, phase);
      }
    }
  }

  /**
   * A domain's group hold: by its cutover (the groups that move with its transactional ids are
   * counted while it drains and held once it is drained), else by its groups move; with the
   * state not known, held while either was in progress.
   */
  private applyGroupHold(domain: string, state: CutoverState, known: boolean): void {
    const groupHolds = this.opts.groupHolds;
    if (groupHolds === undefined) return;
    const active = state.activeOf(domain);
    if (active !== undefined) {
      let mode: HoldMode = 'none';
      if (!known || active.phase === 'DRAINED') mode = 'hold';
      else if (active.phase === 'HOLDING') mode = 'count';
      groupHolds.setMode(domain, active.id, mode);
      return;
    }
    const move = state.domains.get(domain)?.groupsMove ?? null;
    let mode: HoldMode = 'none';
    if (move !== null) mode = known && move.phase === 'counting' ? 'count' : 'hold';
    groupHolds.setMode(domain, move?.id ?? null, mode);
  }
}
