// Cutover metrics: the phase each domain is in on this instance, what its hold keeps (requests
// and bytes), how long holds last, and how the cutovers this instance ran ended.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { HoldReporter } from '../pipeline/cutover-holds.js';
import { CUTOVER_PHASES, type CutoverPhase } from '../policy/cutover-phase.js';

export type CutoverOutcome = 'switched' | 'rolled_back';

/** Holds last from tens of milliseconds to a phase deadline of a minute. */
const HOLD_SECONDS_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60];

export class CutoverMetrics {
  private readonly phaseGauge: Gauge<'domain' | 'phase'>;
  private readonly heldRequests: Gauge<'domain'>;
  private readonly heldBytes: Gauge<'domain'>;
  private readonly holdSeconds: Histogram<'domain'>;
  private readonly outcomes: Counter<'outcome'>;
  private readonly groupHeldRequests: Gauge<'domain'>;
  private readonly groupHoldSeconds: Histogram<'domain'>;
  private readonly groupMoves: Counter<'outcome'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.phaseGauge = new Gauge({
      name: 'turnout_cutover_phase',
      help: 'The phase of the cutover in progress for a domain, as this instance applies it (1 for the phase it is in, 0 for the others)',
      labelNames: ['domain', 'phase'],
      registers,
    });
    this.heldRequests = new Gauge({
      name: 'turnout_cutover_held_requests',
      help: 'Requests of a domain held by this instance during its cutover',
      labelNames: ['domain'],
      registers,
    });
    this.heldBytes = new Gauge({
      name: 'turnout_cutover_held_bytes',
      help: 'Bytes of the requests of a domain held by this instance during its cutover',
      labelNames: ['domain'],
      registers,
    });
    this.holdSeconds = new Histogram({
      name: 'turnout_cutover_hold_duration_seconds',
      help: 'How long a domain traffic was held on this instance, from the hold to its release',
      labelNames: ['domain'],
      buckets: HOLD_SECONDS_BUCKETS,
      registers,
    });
    this.outcomes = new Counter({
      name: 'turnout_cutovers_total',
      help: 'Cutovers run by this instance, by outcome (switched, rolled_back)',
      labelNames: ['outcome'],
      registers,
    });
    for (const outcome of ['switched', 'rolled_back'] as const) this.outcomes.labels(outcome).inc(0);
    this.groupHeldRequests = new Gauge({
      name: 'turnout_cutover_group_held_requests',
      help: 'Group requests of a domain held by this instance while its groups move to its backend',
      labelNames: ['domain'],
      registers,
    });
    this.groupHoldSeconds = new Histogram({
      name: 'turnout_cutover_group_hold_duration_seconds',
      help: 'How long the group requests of a domain were held on this instance while its groups moved',
      labelNames: ['domain'],
      buckets: HOLD_SECONDS_BUCKETS,
      registers,
    });
    this.groupMoves = new Counter({
      name: 'turnout_cutover_group_moves_total',
      help: 'Moves of a domain groups run by this instance, by outcome (moved, released: given up, the groups stayed)',
      labelNames: ['outcome'],
      registers,
    });
    for (const outcome of ['moved', 'released'] as const) this.groupMoves.labels(outcome).inc(0);
  }

  /** What the group holds report to. */
  groupHoldReporter(): HoldReporter {
    return {
      held: (domain, requests) => this.groupHeldRequests.labels(domain).set(requests),
      holdEnded: (domain, seconds) => this.groupHoldSeconds.labels(domain).observe(seconds),
    };
  }

  groupsMoved(outcome: 'moved' | 'released'): void {
    this.groupMoves.labels(outcome).inc();
  }

  phase(domain: string, phase: CutoverPhase | null): void {
    for (const p of CUTOVER_PHASES) this.phaseGauge.labels(domain, p).set(p === phase ? 1 : 0);
  }

  held(domain: string, requests: number, bytes: number): void {
    this.heldRequests.labels(domain).set(requests);
    this.heldBytes.labels(domain).set(bytes);
  }

  holdEnded(domain: string, seconds: number): void {
    this.holdSeconds.labels(domain).observe(seconds);
  }

  finished(outcome: CutoverOutcome): void {
    this.outcomes.labels(outcome).inc();
  }
}
