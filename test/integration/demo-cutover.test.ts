// What the demo shows of the cutover (issue 9, "The demo shows the product"), against the rig's
// two clusters as in demo.test.ts: the orders domain moved east -> west -> east -> west while
// its producer and its three-zone group run. Every cutover switches with a hold well under the
// clients' request timeout; the producer's requests held by a cutover are acknowledged after
// it, never failed; the payments producer is never held; no group rebalances; every record is
// read once and in order by the groups, kcat and the Java console consumer; each partition of
// the orders topic shows four segments alternating between the clusters, each cluster holding
// exactly its segments' records; and the summary shows the holds and the segments.
//
// It runs only where the admin API has the cutover commands: before the test, Turnout is asked
// for a dry run (POST /v1/cutovers {dryRun: true}); when the route is unknown (404/405) the test
// fails with CutoverApiMissingError. It is not a skip: a build without the cutover fails here.
// The file's name keeps it out of the suite (vitest includes *.test.ts) until the cutover
// lands; rename it to demo-cutover.test.ts then.
import { beforeEach, describe, expect, it } from 'vitest';
import { CutoverApi } from '../../src/admin/cutover-client.js';
import { runDemoFlow, startDemoProxy, type DemoBackends, type DemoTurnout } from '../../src/demo/demo-flow.js';
import { formatDemoSummary } from '../../src/demo/demo-summary.js';
import { DEMO_DOMAINS, DEMO_ZONES } from '../../src/demo/demo-workspace.js';
import { rigDemoBackends } from './demo-rig.js';
import { uniqueName } from './rig.js';

const RECORDS = 2_000;
const CUTOVERS = 3;
/** Below kafkajs's request timeout (30 s) by far: a hold must never look like a failure to a client. */
const HOLD_BUDGET_MS = 5_000;

let backends: DemoBackends;

/**
 * Turnout as the demo starts it, with domains of this run's own: a cutover's preflight checks
 * every topic of the domain, and no topic another test left on the rig may fall into it.
 */
async function withDemoTurnout<T>(run: (turnout: DemoTurnout) => Promise<T>): Promise<T> {
  const turnout = await startDemoProxy(backends, { logLevel: 'silent', namePrefix: `${uniqueName('demo')}-` });
  try {
    return await run(turnout);
  } finally {
    await turnout.close();
  }
}

// In beforeEach rather than beforeAll: a failing beforeAll marks the tests skipped, a failing
// beforeEach fails each of them.
beforeEach(async () => {
  backends = (await rigDemoBackends()).backends;
  await withDemoTurnout((turnout) =>
    new CutoverApi(turnout.adminUrl, { 'content-type': 'application/json', authorization: `Bearer ${turnout.workspace.adminToken}` }).ensureAvailable(DEMO_DOMAINS.orders.name),
  );
}, 300_000);

describe('turnout demo flow with the cutover', () => {
  it('moves the orders domain east -> west -> east -> west live and shows the holds and four segments per partition', async () => {
    await withDemoTurnout(async (turnout) => {
      const result = await runDemoFlow(turnout, backends, { records: RECORDS, cutovers: CUTOVERS, deleteTopics: true });
      const summary = formatDemoSummary(result).join('\n');
      expect(result.ok, summary).toBe(true);

      // The cutovers: each switched, alternating, with a hold Turnout recorded and a client could live with.
      expect(result.cutover.status, summary).toBe('switched');
      expect(result.cutover.cutovers.map((c) => [c.from, c.to, c.phase])).toEqual([
        ['east', 'west', 'SWITCHED'],
        ['west', 'east', 'SWITCHED'],
        ['east', 'west', 'SWITCHED'],
      ]);
      for (const c of result.cutover.cutovers) {
        expect(c.holdMs, `cutover ${c.number}`).not.toBeNull();
        expect(c.holdMs as number).toBeLessThan(HOLD_BUDGET_MS);
        expect(c.phases.map((p) => p.phase)).toEqual(['PLANNED', 'PREPARED', 'HOLDING', 'DRAINED', 'SWITCHED']);
        expect(c.switchPoints.filter((p) => p.topic === result.topics[0]?.name)).toHaveLength(result.topics[0]?.partitions ?? -1);
      }
      expect(result.domains[0]).toMatchObject({ name: 'orders', backend: 'east', now: 'west' });

      // What the holds did to the clients: the orders producer waited, within the budget; payments never did.
      expect(result.holds).toHaveLength(CUTOVERS);
      for (const h of result.holds) {
        if (h.orders.maxAckMs !== null) expect(h.orders.maxAckMs).toBeLessThan(HOLD_BUDGET_MS + 1_000);
        if (h.payments.maxAckMs !== null) expect(h.payments.maxAckMs).toBeLessThan(HOLD_BUDGET_MS);
      }
      expect(result.produce.map((p) => p.failure)).toEqual([null, null]);

      // No group rebalanced for a cutover, and every client read every record once, in order.
      expect(result.groups.map((g) => [g.zones, g.rebalances, g.crashes])).toEqual([
        [[...DEMO_ZONES], 0, []],
        [['az-b'], 0, []],
      ]);
      for (const c of result.clients) {
        expect(c.notInstalled, 'kcat is required: run `npm run setup`').toBeUndefined();
        expect(c.report, c.client).toMatchObject({ missing: 0, duplicates: 0, corrupted: 0, outOfOrder: 0, unexpected: 0, ok: true });
      }

      // Four segments per partition, alternating, back to back in virtual offsets, each cluster holding exactly its own.
      expect(result.segments.source).not.toBe('no-cutover');
      expect(result.segments.stored).toEqual({ ok: true, problems: [] });
      for (const p of result.segments.partitions) {
        expect(p.segments.map((s) => s.backend)).toEqual(['east', 'west', 'east', 'west']);
        expect(p.segments[0]?.firstOffset).toBe(0);
        for (let i = 1; i < p.segments.length; i++) expect(p.segments[i]?.firstOffset).toBe(p.segments[i - 1]?.endOffset);
        expect(p.segments.at(-1)?.endOffset).toBe(p.virtualEnd);
        // Generations rise along the chain, so leader epochs never go back for a consumer.
        const generations = p.segments.map((s) => s.generation).filter((g): g is number => g !== null);
        for (let i = 1; i < generations.length; i++) expect(generations[i]).toBeGreaterThan(generations[i - 1] as number);
      }
      // Every partition had records in every stay on a cluster: the producer ran the whole time.
      expect(result.segments.partitions.every((p) => p.segments.every((s) => s.records > 0))).toBe(true);

      expect(summary).toContain('Turnout demo: PASSED');
      expect(summary).not.toContain('WARNING: the cutover was not shown');
      expect(summary).toMatch(/ 1 {2}east -> west {2}/);
      expect(summary).toMatch(/ 3 {2}east -> west {2}/);
      expect(summary).toContain(`Partition ${result.topics[0]?.name}-0: one log to its clients, 4 segment(s) on the clusters`);
      expect(summary).toMatch(/\n {2}3 +west +\d+\.\.\d+ +\d+\.\.\d+ +\+\d+/);
    });
  }, 300_000);
});
