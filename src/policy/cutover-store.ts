// Where the cutover state lives and how its changes reach every instance. Two stores:
//   LocalCutoverStore  one instance: a state file in the instance's state folder (or memory)
//   RedisCutoverStore  several instances: Redis, next to the policy
// Every change is written to the store before any instance acts on it, and every write that
// moves a cutover is a compare-and-set on its phase, so two writers (the coordinator moving on,
// an instance rolling back) can never both win.
import type { Logger } from '../observability/logger.js';
import type { CutoverPhase } from './cutover-phase.js';
import type { CutoverRecord } from './cutover-record.js';
import type { DomainCutoverState } from './cutover-domain-state.js';
import type { CutoverState } from './cutover-state.js';

/**
 * What an instance confirms for a cutover: `prepared` it counts the domain's requests in flight
 * to the source; `holding` its hold is in effect and what it had forwarded to the source before
 * has been answered; `drained` what it let through during the drain (requests ending a
 * transaction) has been answered and it holds everything; `switched` the switch is applied.
 */
export type AckStep = 'prepared' | 'holding' | 'drained' | 'switched';

export interface AckReport {
  ok: boolean;
  /** Why the instance could not confirm (ok false). */
  reason: string | null;
  atMs: number;
  /**
   * With `drained`: the consumer groups the domain's transactional producers committed offsets
   * for through this instance (they move with the transactional ids).
   */
  transactionalGroups?: string[];
  /**
   * With `drained`: the domain's transactional ids whose open transaction added its consumer
   * offsets on the source through this instance (they are aborted there before the groups move).
   */
  offsetTransactions?: OffsetTransaction[];
}

/** A transaction whose consumer offsets reached the source, with the partitions it added there (its abort marks them). */
export interface OffsetTransaction {
  transactionalId: string;
  partitions: Array<{ topic: string; partition: number }>;
}

export interface CutoverStoreHealth {
  readonly kind: CutoverStore['kind'];
  /** False while the store cannot be read or written. */
  readonly ready: boolean;
  /** False while this instance cannot trust its copy of the state (not read yet, or the shared store lost too long). */
  readonly known: boolean;
  readonly lastError: string | null;
  readonly version: number;
}

/** Called after each change of the state or of whether it is known. */
export type CutoverStateListener = (next: CutoverState, previous: CutoverState) => void;

export interface CutoverStore {
  readonly kind: 'file' | 'memory' | 'redis';
  /** This instance, as acknowledgements and coordinators name it. */
  readonly instanceId: string;
  /** The state as this instance last read it. */
  current(): CutoverState;
  /**
   * False while `current()` may be out of date in a way that matters: before the first read,
   * and (shared store) once this instance has been cut off from it longer than its lease, when
   * another instance may have moved a cutover on without it.
   */
  known(): boolean;
  subscribe(listener: CutoverStateListener): () => void;
  /** Records a new cutover; CutoverConflictError when its domain already has one in progress. */
  create(record: CutoverRecord): Promise<void>;
  /**
   * Replaces a record whose phase is still `expected` (CutoverConflictError otherwise), and with
   * `domainState` the domain's state in the same write (the switch).
   */
  move(expected: CutoverPhase, next: CutoverRecord, domainState?: DomainCutoverState): Promise<void>;
  /** Replaces a domain's state (retiring a segment) while it has no cutover in progress and the state is still `expectedVersion`'s. */
  setDomainState(domain: string, state: DomainCutoverState, expectedVersion: number): Promise<void>;
  /** This instance's confirmation of a step of a cutover. */
  ack(cutoverId: string, step: AckStep, report: AckReport): Promise<void>;
  /** The confirmations of a step so far, by instance. */
  acks(cutoverId: string, step: AckStep): Promise<Map<string, AckReport>>;
  /** The instances that must confirm each step: those alive now. */
  liveInstances(): Promise<string[]>;
  /** Re-reads the store now. */
  refresh(): Promise<void>;
  health(): CutoverStoreHealth;
  close(): Promise<void>;
}

export type CutoverConflictReason = 'active' | 'phase' | 'unknown-cutover' | 'generation' | 'version';

/** A write refused because the state is not what it expected. */
export class CutoverConflictError extends Error {
  readonly reason: CutoverConflictReason;

  constructor(reason: CutoverConflictReason, message: string) {
    super(message);
    this.name = 'CutoverConflictError';
    this.reason = reason;
  }
}

/** The store could not be read or written; nothing was changed. */
export class CutoverStoreError extends Error {
  readonly kind: CutoverStore['kind'];

  constructor(kind: CutoverStore['kind'], message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CutoverStoreError';
    this.kind = kind;
  }
}

/** The subscribers of a store; one failing listener neither stops the others nor the store. */
export class CutoverListeners {
  private readonly listeners = new Set<CutoverStateListener>();
  private readonly log: Logger;

  constructor(log: Logger) {
    this.log = log;
  }

  add(listener: CutoverStateListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  notify(next: CutoverState, previous: CutoverState): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(next, previous);
      } catch (err) {
        this.log.error({ err, version: next.version }, 'cutover state listener failed');
      }
    }
  }

  clear(): void {
    this.listeners.clear();
  }
}

/** The checks every store makes before a write, against the state it holds. */
export function checkCreate(state: CutoverState, record: CutoverRecord): void {
  const active = state.activeOf(record.domain);
  if (active !== undefined) throw new CutoverConflictError('active', `domain ${record.domain} already has cutover ${active.id} in progress (${active.phase})`);
}

export function checkMove(state: CutoverState, expected: CutoverPhase, next: CutoverRecord): void {
  const current = state.cutovers.get(next.id);
  if (current === undefined) throw new CutoverConflictError('unknown-cutover', `no cutover ${next.id}`);
  if (current.phase !== expected) throw new CutoverConflictError('phase', `cutover ${next.id} is ${current.phase}, not ${expected}`);
}

export function checkSetDomain(state: CutoverState, domain: string, expectedVersion: number): void {
  const active = state.activeOf(domain);
  if (active !== undefined) throw new CutoverConflictError('active', `domain ${domain} has cutover ${active.id} in progress (${active.phase})`);
  if (state.version !== expectedVersion) throw new CutoverConflictError('version', `the cutover state changed (version ${state.version}, expected ${expectedVersion})`);
}
