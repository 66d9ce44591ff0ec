// The demo's flow against the rig's two clusters, main (Kafka 4.1.1) as east and legacy (3.9.1)
// as west: one Turnout with a listener per zone, the orders domain on east and payments on
// west, paced producers and a consumer group per domain (the orders group with a member in
// every zone) through Turnout the whole time, kcat and the Java console consumer reading the
// orders topic back (every one required: `npm run setup` installs kcat), every record checked,
// the segments held against what each cluster stores, the bytes by zone, and a summary with no
// trace of either cluster in what a client saw. It asks for no cutover, so that it holds for
// builds with and without one; what the demo shows of the cutover is asserted in
// demo-cutover.pending.ts, which needs a build with the cutover.
import { describe, expect, it } from 'vitest';
import { runDemoFlow, startDemoProxy } from '../../src/demo/demo-flow.js';
import { formatDemoSummary } from '../../src/demo/demo-summary.js';
import { DEMO_ZONES } from '../../src/demo/demo-workspace.js';
import { rigDemoBackends } from './demo-rig.js';
import { uniqueName } from './rig.js';

const RECORDS = 1_500;

describe('turnout demo flow', () => {
  it('keeps two domains flowing over two clusters, reads every record intact and in order, and shows zones and segments', async () => {
    const { backends, clusters } = await rigDemoBackends();
    // Domains of this run's own: no topic or group another test left on the rig falls into them.
    const turnout = await startDemoProxy(backends, { logLevel: 'silent', namePrefix: `${uniqueName('demo')}-` });
    try {
      const result = await runDemoFlow(turnout, backends, {
        records: RECORDS,
        cutovers: 0,
        deleteTopics: true,
      });
      const summary = formatDemoSummary(result).join('\n');

      expect(result.ok, summary).toBe(true);
      const [orders, payments] = result.produce;
      expect(orders?.failure).toBeNull();
      expect(payments?.failure).toBeNull();
      expect(orders?.stats.records).toBeGreaterThanOrEqual(RECORDS);
      expect(payments?.stats.records).toBeGreaterThan(0);

      const [ordersTopic, paymentsTopic] = result.topics;
      expect(result.clients.map((c) => c.client)).toEqual([`kafkajs group ${result.groups[0]?.group}`, `kafkajs group ${result.groups[1]?.group}`, 'kcat', 'Java console consumer']);
      const expectedCounts = [orders?.stats.records, payments?.stats.records, orders?.stats.records, orders?.stats.records];
      result.clients.forEach((c, i) => {
        expect(c.notInstalled, 'kcat is required: run `npm run setup`').toBeUndefined();
        expect(c.error).toBeUndefined();
        const n = expectedCounts[i];
        expect(c.report, c.client).toMatchObject({ expected: n, received: n, missing: 0, duplicates: 0, corrupted: 0, outOfOrder: 0, unexpected: 0, ok: true });
      });

      expect(result.groups.map((g) => g.zones)).toEqual([[...DEMO_ZONES], ['az-b']]);
      for (const g of result.groups) {
        expect(g.rebalances, g.group).toBe(0);
        expect(g.crashes, g.group).toEqual([]);
      }

      // Every partition of the orders topic: its segments cover its virtual log, and each cluster holds exactly its segments.
      expect(result.segments.stored).toEqual({ ok: true, problems: [] });
      expect(result.segments.partitions).toHaveLength(ordersTopic?.partitions ?? 0);
      let virtualRecords = 0;
      for (const p of result.segments.partitions) {
        expect(p.segments.reduce((n, s) => n + s.records, 0)).toBe(p.virtualEnd);
        virtualRecords += p.virtualEnd;
      }
      expect(virtualRecords).toBe(orders?.stats.records);

      // Clients in every zone, fetches served in the client's own zone, produce crossing zones to leaders elsewhere.
      const clientZones = new Set(result.zones.pairs.flatMap((p) => (p.clientZone === null ? [] : [p.clientZone])));
      expect([...clientZones].sort()).toEqual([...DEMO_ZONES]);
      const fetched = result.zones.fetchedRecordBytes;
      expect(fetched.sameZone).toBeGreaterThan(0);
      expect(fetched.sameZone / (fetched.sameZone + fetched.otherZone)).toBeGreaterThan(0.9);
      expect(fetched.fromFollowers).toBeGreaterThan(0);
      expect(result.zones.crossZone.toBrokerBytes).toBeGreaterThan(0);

      // Each zone's clients see that zone's Turnout nodes only, and nothing of either cluster.
      expect(result.leaks).toEqual([]);
      for (const z of result.turnout.zones) {
        expect(z.nodes.length).toBeGreaterThan(0);
        for (const n of z.nodes) expect(n.rack).toBe(z.zone);
      }
      expect(result.kafkajsSaw.clusterId).toBe(result.turnout.clusterId);
      for (const c of result.clusters) expect(result.turnout.clusterId).not.toBe(c.view.clusterId);
      const realAddresses = new Set(clusters.flatMap((c) => c.brokers).map((b) => `${b.host}:${b.port}`));
      for (const address of result.kafkajsSaw.brokers) expect(realAddresses.has(address)).toBe(false);

      expect(result.traffic.requests.Produce).toBeGreaterThan(0);
      expect(result.traffic.requests.Fetch).toBeGreaterThan(0);
      expect(result.cutover).toEqual({ domain: 'orders', status: 'none', reason: null, cutovers: [] });
      expect(result.segments.source).toBe('no-cutover');
      expect(result.domains.map((d) => [d.name, d.backend, d.now])).toEqual([
        ['orders', 'east', 'east'],
        ['payments', 'west', 'west'],
      ]);

      expect(summary).toContain('Turnout demo: PASSED');
      expect(summary).toContain(`Partition ${ordersTopic?.name}-0: one log to its clients`);
      expect(summary).toContain(`all ${ordersTopic?.partitions} partitions: each cluster holds exactly its segments' records`);
      expect(summary).toContain('Bytes by client zone and broker zone');
      expect(summary).toMatch(new RegExp(`${paymentsTopic?.name} +payments-service, az-c +\\d`));
      expect(summary).toContain('no broker address or id of either cluster reached a client');
    } finally {
      await turnout.close();
    }
  }, 300_000);
});
