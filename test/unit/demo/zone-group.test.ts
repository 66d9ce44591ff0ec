import { describe, expect, it } from 'vitest';
import { assignmentsSettled } from '../../../src/demo/zone-group.js';

describe('assignmentsSettled', () => {
  it('holds once every member has joined and each partition is held once', () => {
    expect(assignmentsSettled([[0, 3], [1, 4], [2, 5]], 6)).toBe(true);
    expect(assignmentsSettled([[0, 1, 2]], 3)).toBe(true);
  });

  it('waits for a member that has not joined yet', () => {
    expect(assignmentsSettled([[0, 1, 2, 3, 4, 5], null, null], 6)).toBe(false);
  });

  it('waits while a member still holds what an earlier generation gave it', () => {
    expect(assignmentsSettled([[0, 1, 2, 3, 4, 5], [1, 4], [2, 5]], 6)).toBe(false);
  });

  it('waits while a partition is held by nobody', () => {
    expect(assignmentsSettled([[0, 3], [1, 4], []], 6)).toBe(false);
  });
});
