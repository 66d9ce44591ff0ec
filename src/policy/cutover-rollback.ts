// Rolling a cutover back, from whichever instance finds a reason to: the coordinator (a step
// failed), an instance (a produce to the source failed, its held bytes went over the cap), any
// instance (the coordinator is gone), the operator (abort). A compare-and-set on the phase the
// writer last read, tried again on a newer read when the phase moved meanwhile; it never undoes
// a switch.
import { isFinished } from './cutover-phase.js';
import { rolledBackRecord, type CutoverRecord } from './cutover-record.js';
import { CutoverConflictError, type CutoverStore } from './cutover-store.js';

const ATTEMPTS = 5;

/**
 * Rolls cutover `id` back for `reason`. Resolves with the record after: ROLLED_BACK, or the
 * finished record it found (SWITCHED cannot be rolled back; the caller tells). Rejects with
 * CutoverConflictError for an unknown cutover, or with the store's error.
 */
export async function rollBackCutover(store: CutoverStore, id: string, reason: string, nowMs: () => number = Date.now): Promise<CutoverRecord> {
  for (let attempt = 1; ; attempt++) {
    const current = store.current().cutovers.get(id);
    if (current === undefined) throw new CutoverConflictError('unknown-cutover', `no cutover ${id}`);
    if (isFinished(current.phase)) return current;
    const next = rolledBackRecord(current, reason, nowMs());
    try {
      await store.move(current.phase, next);
      return next;
    } catch (err) {
      if (!(err instanceof CutoverConflictError) || err.reason !== 'phase' || attempt >= ATTEMPTS) throw err;
      await store.refresh();
    }
  }
}
