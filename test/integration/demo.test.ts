// The demo's flow against the shared rig cluster: order events through Turnout with kafkajs,
// kcat and the Java console consumer (every one required: `npm run setup` installs kcat), every record checked, and a summary
// with the right counts and no trace of the real cluster in what the client saw.
import { describe, expect, it } from 'vitest';
import { runDemoFlow, startDemoProxy, type DemoBackend } from '../../src/demo/demo-flow.js';
import { formatDemoSummary } from '../../src/demo/demo-summary.js';
import { mainCluster, uniqueGroup, uniqueTopic } from './rig.js';

const RECORDS = 1_500;

describe('turnout demo flow', () => {
  it('delivers every order event intact and in order to every client and reports the counts', async () => {
    const cluster = mainCluster();
    const backend: DemoBackend = { bootstrapServers: cluster.bootstrapServers.split(','), kafkaVersion: cluster.version, label: `cluster ${cluster.cluster}` };
    const proxy = await startDemoProxy(backend, { logLevel: 'silent' });
    try {
      const result = await runDemoFlow(proxy, backend, { records: RECORDS, topic: uniqueTopic('orders'), groupId: uniqueGroup('orders'), deleteTopic: true });

      expect(result.ok).toBe(true);
      expect(result.produce.records).toBe(RECORDS);
      expect(result.clients.map((c) => c.client)).toEqual(['kafkajs', 'kcat', 'Java console consumer']);
      for (const c of result.clients) {
        expect(c.notInstalled, 'kcat is required: run `npm run setup`').toBeUndefined();
        expect(c.error).toBeUndefined();
        expect(c.report).toMatchObject({ expected: RECORDS, received: RECORDS, missing: 0, duplicates: 0, corrupted: 0, outOfOrder: 0, unexpected: 0, ok: true });
        expect(c.report?.perPartition.reduce((n, p) => n + p.received, 0)).toBe(RECORDS);
      }

      expect(result.leaks).toEqual([]);
      expect(result.seen.clusterId).not.toBe(result.real.clusterId);
      expect(result.kafkajsSaw.clusterId).toBe(result.seen.clusterId);
      const realAddresses = new Set(cluster.brokers.map((b) => `${b.host}:${b.port}`));
      for (const address of result.kafkajsSaw.brokers) expect(realAddresses.has(address)).toBe(false);

      expect(result.nodes).toHaveLength(cluster.brokers.length);
      for (const n of result.nodes) {
        expect(n.real).not.toBeNull();
        expect(n.virtual.rack).toBe(n.real?.rack);
      }
      expect(result.nodes.flatMap((n) => n.partitions).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5]);
      expect(result.nodes.reduce((n, x) => n + x.records, 0)).toBe(RECORDS);

      expect(result.traffic.requests.Produce).toBeGreaterThan(0);
      expect(result.traffic.requests.Fetch).toBeGreaterThan(0);
      expect(result.traffic.clientInBytes).toBeGreaterThan(result.produce.payloadBytes);
      expect(result.traffic.upstreamInBytes).toBeGreaterThan(result.produce.payloadBytes);

      const summary = formatDemoSummary(result).join('\n');
      expect(summary).toContain('Turnout demo: PASSED');
      expect(summary).toContain(`${RECORDS.toLocaleString('en-US')}/${RECORDS.toLocaleString('en-US')}`);
      expect(summary).toContain('no broker address or id of the real cluster reached the client');
    } finally {
      await proxy.close();
    }
  }, 240_000);
});
