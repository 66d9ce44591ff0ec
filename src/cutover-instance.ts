// The cutover parts of one Turnout instance over several backends, made, started and closed
// together: the holds and their filter (src/pipeline), the state applier and this instance's
// participation in every cutover, the coordinator of the cutovers started here, and what the
// admin API shows. The policy view (cut-over domains' backends) is made first, by the caller,
// because the router reads its policy through it.
import type { CutoverAdmin } from './admin/cutover-routes.js';
import { segmentsView } from './admin/cutover-routes.js';
import type { ClientSession } from './net/request-router.js';
import type { Logger } from './observability/logger.js';
import type { CutoverMetrics } from './observability/cutover-metrics.js';
import { CutoverHoldFilter } from './pipeline/cutover-hold-filter.js';
import { CutoverHolds } from './pipeline/cutover-holds.js';
import { FormerMembers } from './pipeline/former-members.js';
import { CutoverApplier } from './policy/cutover-apply.js';
import { CutoverCoordinator } from './policy/cutover-coordinator.js';
import { CutoverParticipant } from './policy/cutover-participant.js';
import { GroupsMover } from './policy/groups-move.js';
import { GroupsMoveParticipant } from './policy/groups-move-participant.js';
import type { CutoverPolicyView } from './policy/cutover-policy-view.js';
import type { CutoverConfig } from './policy/cutover-schema.js';
import type { CutoverStore } from './policy/cutover-store.js';
import type { BackendTopology } from './routing/backend-topology.js';
import { CutoverBackendRequests } from './routing/cutover-backend-requests.js';
import type { MultiBackendRouter } from './routing/multi-backend-router.js';
import type { TransactionalGroups } from './routing/transactional-groups.js';

export interface CutoverInstanceOptions {
  store: CutoverStore;
  view: CutoverPolicyView;
  router: MultiBackendRouter;
  topologies: readonly BackendTopology[];
  /** The session Turnout's own requests go over. */
  ownSession: () => ClientSession | null;
  settings: CutoverConfig;
  log: Logger;
  metrics: CutoverMetrics;
}

export class CutoverInstance {
  readonly store: CutoverStore;
  readonly holds: CutoverHolds;
  /** The holds of domains whose groups move (groups-move.ts). */
  readonly groupHolds: CutoverHolds;
  readonly filter: CutoverHoldFilter;
  readonly coordinator: CutoverCoordinator;
  private readonly view: CutoverPolicyView;
  private readonly applier: CutoverApplier;
  private readonly participant: CutoverParticipant;
  private readonly groupsParticipant: GroupsMoveParticipant;
  readonly groupsMover: GroupsMover;
  private readonly transactionalGroups: TransactionalGroups;

  constructor(opts: CutoverInstanceOptions) {
    const { store, view, router, log, metrics } = opts;
    const policy = () => view.current();
    this.store = store;
    this.view = view;
    this.holds = new CutoverHolds({ maxHeldBytes: opts.settings.maxHeldBytes, reporter: metrics });
    const formerMembers = new FormerMembers();
    this.groupHolds = new CutoverHolds({ maxHeldBytes: opts.settings.maxHeldBytes, reporter: metrics.groupHoldReporter() });
    this.filter = new CutoverHoldFilter({
      holds: this.holds,
      groupHolds: this.groupHolds,
      formerMembers,
      policy,
      topicName: (id) => router.topicIds.nameOf(id),
      groupFollowsHold: (domain, group) => this.groupFollowsHold(domain, group),
    });
    this.applier = new CutoverApplier({ store, segments: router.segments, epochs: router.epochs, holds: this.holds, groupHolds: this.groupHolds, formerMembers, policy, log, reporter: metrics, primeLeaders: (backend, topics) => router.primeLeaders(backend, topics) });
    this.participant = new CutoverParticipant({
      store,
      holds: this.holds,
      groupHolds: this.groupHolds,
      transactionalGroups: router.transactionalGroups,
      transactionsWithOffsetsOn: (domain, backend) => router.transactionsWithOffsetsOn(domain, backend),
      log,
      onRolledBack: () => metrics.finished('rolled_back'),
    });
    this.transactionalGroups = router.transactionalGroups;
    this.groupsParticipant = new GroupsMoveParticipant({ store, holds: this.groupHolds, log });
    const backends = new CutoverBackendRequests({ topologies: new Map(opts.topologies.map((t) => [t.backend, t])), session: opts.ownSession });
    this.groupsMover = new GroupsMover({ store, backends, policy, settings: opts.settings, log, metrics });
    this.coordinator = new CutoverCoordinator({
      store,
      backends,
      policy,
      epochs: router.epochs,
      settings: opts.settings,
      log,
      metrics,
      groupBackends: backends,
    });
  }

  /**
   * During a domain's cutover, only the groups that move with its transactional ids are held:
   * those that moved so before and those its transactional producers were seen committing
   * offsets for here. During a groups move, every group of the domain is.
   */
  private groupFollowsHold(domain: string, group: string): boolean {
    const state = this.store.current();
    if (state.activeOf(domain) === undefined) return true;
    return this.transactionalGroups.has(domain, group) || state.domains.get(domain)?.transactionalGroups.includes(group) === true;
  }

  /**
   * Applies the stored state (segments first, then holds) now and after every change. Called
   * before any client can connect: a request routed before it would take a cut-over domain's
   * partitions for unchained ones on the configured backend.
   */
  startApplying(): void {
    this.applier.start();
  }

  /** Joins the cutovers (after `startApplying`). */
  start(): void {
    this.participant.start();
    this.groupsParticipant.start();
  }

  /** What the admin API serves. */
  admin(): CutoverAdmin {
    const c = this.coordinator;
    return {
      plan: (req) => c.plan(req),
      start: (req) => c.start(req),
      abort: (id, reason) => c.abort(id, reason),
      get: (id) => c.get(id),
      list: () => c.list(),
      retire: (domain, segment, dryRun) => c.retire(domain, segment, dryRun),
      segmentsOf: (domain) => segmentsView(this.store.current().domains.get(domain)),
      moveGroups: (domain) => this.groupsMover.move(domain),
    };
  }

  /** Why this instance is not ready, or null. */
  notReadyReason(): string | null {
    return this.store.known() ? null : `cutover state (${this.store.kind}) not known: domains that may be cut over are held`;
  }

  /** Rolls back the cutovers run here that have not switched: their holds end, so connections can drain. */
  async stopCoordinating(): Promise<void> {
    await this.coordinator.close();
  }

  /** Stops following the store and closes it (after rolling back the cutovers run here). */
  async close(): Promise<void> {
    await this.coordinator.close();
    this.participant.stop();
    this.groupsParticipant.stop();
    this.applier.stop();
    await this.view.close();
    await this.store.close();
  }
}
