// The phases of a cutover and the moves between them:
//
//   PLANNED → PREPARED → HOLDING → DRAINED → SWITCHED
//      └─────────┴──────────┴─────────┴──→ ROLLED_BACK
//
// PLANNED: the cutover is recorded; preflight runs. PREPARED: preflight passed. HOLDING: every
// instance holds the domain's new produce and transactional work. DRAINED: what was in flight
// to the source completed and open transactions ended; every transactional request is held.
// SWITCHED: the new segments are in the store, traffic goes to the target. SWITCHED is the
// point of no return: going back is another cutover.

export const CUTOVER_PHASES = ['PLANNED', 'PREPARED', 'HOLDING', 'DRAINED', 'SWITCHED', 'ROLLED_BACK'] as const;
export type CutoverPhase = (typeof CUTOVER_PHASES)[number];

const NEXT: Readonly<Record<CutoverPhase, CutoverPhase | null>> = {
  PLANNED: 'PREPARED',
  PREPARED: 'HOLDING',
  HOLDING: 'DRAINED',
  DRAINED: 'SWITCHED',
  SWITCHED: null,
  ROLLED_BACK: null,
};

export function isCutoverPhase(value: unknown): value is CutoverPhase {
  return typeof value === 'string' && (CUTOVER_PHASES as readonly string[]).includes(value);
}

/** True once a cutover can change no more. */
export function isFinished(phase: CutoverPhase): boolean {
  return phase === 'SWITCHED' || phase === 'ROLLED_BACK';
}

/** The phase after `phase` on the way to SWITCHED, or null when it is finished. */
export function nextPhase(phase: CutoverPhase): CutoverPhase | null {
  return NEXT[phase];
}

/** Whether a cutover in phase `from` may move to `to`. */
export function canMove(from: CutoverPhase, to: CutoverPhase): boolean {
  if (to === 'ROLLED_BACK') return !isFinished(from);
  return NEXT[from] === to;
}

/**
 * What an instance does with a domain's traffic in a phase:
 *   count   forward, counting the produce requests in flight to the source (PLANNED, PREPARED)
 *   drain   hold new produce and transactional work; let requests that end a transaction on the
 *           source through, counted, so that open transactions can end (HOLDING)
 *   hold    hold every produce and transactional request (DRAINED, and a state not known)
 *   none    nothing to do (no cutover, or a finished one)
 */
export type HoldMode = 'none' | 'count' | 'drain' | 'hold';

export function holdModeOf(phase: CutoverPhase): HoldMode {
  switch (phase) {
    case 'PLANNED':
    case 'PREPARED':
      return 'count';
    case 'HOLDING':
      return 'drain';
    case 'DRAINED':
      return 'hold';
    case 'SWITCHED':
    case 'ROLLED_BACK':
      return 'none';
  }
}

export class CutoverTransitionError extends Error {
  readonly cutoverId: string;
  readonly from: CutoverPhase;
  readonly to: CutoverPhase;

  constructor(cutoverId: string, from: CutoverPhase, to: CutoverPhase, message?: string) {
    super(message ?? `cutover ${cutoverId} cannot move from ${from} to ${to}`);
    this.name = 'CutoverTransitionError';
    this.cutoverId = cutoverId;
    this.from = from;
    this.to = to;
  }
}
