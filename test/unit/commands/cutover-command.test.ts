import { describe, expect, it } from 'vitest';
import { cutoverView } from '../../../src/admin/cutover-routes.js';
import { formatCutover, formatPlan } from '../../../src/commands/cutover-command.js';
import { movedRecord } from '../../../src/policy/cutover-record.js';
import { plannedCutover, point } from '../policy/cutover-fixtures.js';

describe('turnout cutover output', () => {
  it('prints a plan with each topic on both sides, the expected hold and the problems', () => {
    const text = formatPlan({
      domain: 'orders',
      from: 'east',
      to: 'west',
      drainTimeoutMs: 5_000,
      preflight: {
        ok: false,
        problems: ['topic orders.b does not exist on west'],
        topics: [
          { topic: 'orders.a', sourcePartitions: 3, targetPartitions: 3, configs: { 'cleanup.policy': { source: 'delete', target: 'delete' } } },
          { topic: 'orders.b', sourcePartitions: 1, targetPartitions: -1, configs: { 'cleanup.policy': { source: 'compact', target: null } } },
        ],
        produceRecordsPerSecond: 250,
        rateSampleMs: 1_000,
        expectedHoldMs: 120,
        expectedHeldRecords: 30,
        checkedAtMs: 0,
      },
    });
    expect(text).toContain('cutover plan of orders: east → west (drain timeout 5000 ms)');
    expect(text).toMatch(/orders\.a\s+3\s+3\s+cleanup\.policy=delete\/delete/);
    expect(text).toMatch(/orders\.b\s+1\s+missing\s+cleanup\.policy=compact\/\?/);
    expect(text).toContain('expected hold: 120 ms, about 30 records held');
    expect(text).toContain('preflight: NOT ok\n  - topic orders.b does not exist on west');
  });

  it('prints a cutover with each phase, the hold and the switch points', () => {
    let r = plannedCutover('orders', 'east', 'west', Date.UTC(2026, 0, 1));
    r = movedRecord(r, 'PREPARED', Date.UTC(2026, 0, 1) + 400);
    r = movedRecord(r, 'HOLDING', Date.UTC(2026, 0, 1) + 500);
    r = movedRecord(r, 'DRAINED', Date.UTC(2026, 0, 1) + 650);
    r = movedRecord(r, 'SWITCHED', Date.UTC(2026, 0, 1) + 700, { switchPoints: [point('orders.a', 0, 120n, 5n)] });
    const text = formatCutover(cutoverView(r));
    expect(text).toContain('phase       SWITCHED');
    expect(text).toContain('  PREPARED  2026-01-01T00:00:00.400Z (100 ms)');
    expect(text).toContain('hold        200 ms');
    expect(text).toMatch(/orders\.a\s+0\s+120\s+120\s+5\s+115/);
  });
});
