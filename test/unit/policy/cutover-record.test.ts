import { describe, expect, it } from 'vitest';
import { canMove, CutoverTransitionError, holdModeOf, isFinished, nextPhase, CUTOVER_PHASES } from '../../../src/policy/cutover-phase.js';
import { movedRecord, parseCutoverRecord, phaseDurations, rolledBackRecord, CutoverStateError } from '../../../src/policy/cutover-record.js';
import { plannedCutover } from './cutover-fixtures.js';

describe('cutover phases', () => {
  it('go PLANNED → PREPARED → HOLDING → DRAINED → SWITCHED, one step at a time', () => {
    expect(nextPhase('PLANNED')).toBe('PREPARED');
    expect(nextPhase('DRAINED')).toBe('SWITCHED');
    expect(nextPhase('SWITCHED')).toBeNull();
    expect(canMove('PLANNED', 'HOLDING')).toBe(false);
    expect(canMove('HOLDING', 'PREPARED')).toBe(false);
    expect(canMove('HOLDING', 'DRAINED')).toBe(true);
  });

  it('roll back from every phase before SWITCHED and from none after', () => {
    for (const p of ['PLANNED', 'PREPARED', 'HOLDING', 'DRAINED'] as const) expect(canMove(p, 'ROLLED_BACK')).toBe(true);
    expect(canMove('SWITCHED', 'ROLLED_BACK')).toBe(false);
    expect(canMove('ROLLED_BACK', 'ROLLED_BACK')).toBe(false);
    expect(CUTOVER_PHASES.filter(isFinished)).toEqual(['SWITCHED', 'ROLLED_BACK']);
  });

  it('count before the hold, hold new work while draining, hold everything once drained', () => {
    expect(holdModeOf('PLANNED')).toBe('count');
    expect(holdModeOf('PREPARED')).toBe('count');
    expect(holdModeOf('HOLDING')).toBe('drain');
    expect(holdModeOf('DRAINED')).toBe('hold');
    expect(holdModeOf('SWITCHED')).toBe('none');
    expect(holdModeOf('ROLLED_BACK')).toBe('none');
  });
});

describe('cutover records', () => {
  it('keep the time each phase was entered and report how long each lasted and the hold', () => {
    let r = plannedCutover('orders', 'legacy', 'main', 1_000);
    r = movedRecord(r, 'PREPARED', 1_400);
    r = movedRecord(r, 'HOLDING', 1_500);
    r = movedRecord(r, 'DRAINED', 1_700);
    r = movedRecord(r, 'SWITCHED', 1_750, { generations: { t: 2 } });
    expect(r.phase).toBe('SWITCHED');
    expect(r.generations).toEqual({ t: 2 });
    const d = phaseDurations(r);
    expect(d.phases).toEqual({ PLANNED: 400, PREPARED: 100, HOLDING: 200, DRAINED: 50 });
    expect(d.holdMs).toBe(250);
  });

  it('refuse a move the phase rules do not allow, leaving the record as it was', () => {
    const r = plannedCutover();
    expect(() => movedRecord(r, 'SWITCHED', 2_000)).toThrow(CutoverTransitionError);
    const switched = movedRecord(movedRecord(movedRecord(movedRecord(r, 'PREPARED', 1), 'HOLDING', 2), 'DRAINED', 3), 'SWITCHED', 4);
    expect(() => rolledBackRecord(switched, 'too late', 5)).toThrow(CutoverTransitionError);
    expect(r.phase).toBe('PLANNED');
  });

  it('carry the reason of a rollback', () => {
    const r = rolledBackRecord(movedRecord(plannedCutover(), 'PREPARED', 1_100), 'aborted by the operator', 1_200);
    expect(r.phase).toBe('ROLLED_BACK');
    expect(r.rollbackReason).toBe('aborted by the operator');
    expect(phaseDurations(r).holdMs).toBeNull();
  });

  it('read back what they were written as, and name the field of a bad one', () => {
    const r = movedRecord(plannedCutover(), 'PREPARED', 1_100);
    expect(parseCutoverRecord(JSON.parse(JSON.stringify(r)), 'test')).toEqual(r);
    expect(() => parseCutoverRecord({ ...r, phase: 'PAUSED' }, 'test')).toThrow(CutoverStateError);
    expect(() => parseCutoverRecord({ ...r, switchPoints: [{ topic: 't', partition: 0, firstOffset: 'x' }] }, 'test')).toThrow(/switchPoints/);
  });
});
