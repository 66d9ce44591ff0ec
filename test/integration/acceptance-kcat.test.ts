// Acceptance: librdkafka (kcat) through Turnout. Keyed records with headers, plain and
// compressed, go in and come back intact and in order per partition; the metadata kcat
// learns names only Turnout's addresses, virtual node ids and cluster id.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProxyHandle } from '../../src/proxy.js';
import { backendFacts, byPartition, expectNoBackendLeak, readTopic, startTurnout, valuesByKey, virtualNodeIds } from './acceptance-helpers.js';
import { createTopic, kcat, mainCluster, waitFor } from './rig.js';

const CLUSTER_ID = 'tUrNoUtAcCePtKcAt00000';
let proxy: ProxyHandle;

beforeAll(async () => {
  ({ proxy } = await startTurnout(CLUSTER_ID));
});

afterAll(async () => {
  await proxy?.close();
});

interface KcatMetadata {
  originating_broker: { id: number; name: string };
  controllerid: number;
  brokers: Array<{ id: number; name: string }>;
  topics: Array<{
    topic: string;
    error?: string;
    partitions: Array<{ partition: number; leader: number; replicas: Array<{ id: number }>; isrs: Array<{ id: number }> }>;
  }>;
}

/** `kcat -L -J`, with librdkafka's metadata and broker debug log (which names the cluster id and every broker it learns). */
async function metadata(bootstrap: string, topic: string): Promise<{ text: string; md: KcatMetadata }> {
  const result = await kcat(['-b', bootstrap, '-L', '-J', '-t', topic, '-d', 'metadata,broker'], { timeoutMs: 30_000 });
  expect(result.code, result.stderr).toBe(0);
  return { text: result.stdout + result.stderr, md: JSON.parse(result.stdout) as KcatMetadata };
}

describe('kcat through Turnout', () => {
  for (const codec of ['none', 'zstd']) {
    it(`produces and consumes keyed records with headers (compression ${codec}) intact and in order per partition`, async () => {
      const topic = await createTopic(mainCluster(), { partitions: 3, replicationFactor: 3 });
      const produced = Array.from({ length: 500 }, (_, i) => ({ key: `k${(i * 5) % 9}`, value: `payload ${i} – ✓ ${'z'.repeat(i % 80)}` }));
      const input = produced.map((r) => `${r.key}\t${r.value}\n`).join('');
      const put = await kcat(
        ['-b', proxy.bootstrapServers(), '-P', '-t', topic, '-K', '\t', '-H', 'origin=kcat', '-H', 'note=ünï', '-z', codec, '-X', 'acks=all', '-X', 'linger.ms=5', '-d', 'broker,metadata'],
        { input, timeoutMs: 60_000 },
      );
      expect(put.code, put.stderr).toBe(0);
      // The debug log names every broker librdkafka learns of and connects to.
      expect(put.stderr).toContain('ClusterId: ');
      expectNoBackendLeak(put.stderr, 'kcat -P and its debug log');

      // The cluster holds each key's records, in order, with their headers.
      const stored = await readTopic(mainCluster().bootstrapServers, topic);
      expect(stored).toHaveLength(produced.length);
      expect(valuesByKey(stored)).toEqual(valuesByKey(produced));
      expect(stored.every((r) => JSON.stringify(r.headers) === JSON.stringify([['origin', 'kcat'], ['note', 'ünï']]))).toBe(true);

      // Read back through Turnout: partition by partition, the same records at the same offsets.
      const got = await kcat(['-b', proxy.bootstrapServers(), '-C', '-t', topic, '-o', 'beginning', '-e', '-q', '-J', '-d', 'broker,metadata'], { timeoutMs: 60_000 });
      expect(got.code, got.stderr).toBe(0);
      expectNoBackendLeak(got.stdout + got.stderr, 'kcat -C and its debug log');
      const lines = got.stdout.split('\n').filter((l) => l.trim() !== '');
      const servedBy = new Set<number>();
      const consumed = lines.map((l) => {
        const m = JSON.parse(l) as { partition: number; offset: number; key: string | null; payload: string | null; headers?: string[]; broker: number };
        servedBy.add(m.broker);
        return { partition: m.partition, offset: m.offset, key: m.key, value: m.payload, headers: JSON.stringify(m.headers ?? []) };
      });
      const expected = stored.map((r) => ({ partition: r.partition, offset: r.offset, key: r.key, value: r.value, headers: JSON.stringify(r.headers.flat()) }));
      expect([...byPartition(consumed)]).toEqual([...byPartition(expected)]);
      // Fetches were served by nodes kcat knows as Turnout's.
      const virtualIds = virtualNodeIds(proxy);
      expect([...servedBy].every((id) => virtualIds.has(id)), `fetches served by ${[...servedBy]}`).toBe(true);
    });
  }

  it('acks=0 records kcat sends just before it exits all reach the cluster, as they do without Turnout', async () => {
    // kcat sends its last produce requests and closes at once; a broker still takes requests
    // that arrived before the close, so Turnout must pass them on, not drop them with the client.
    const values = Array.from({ length: 2_000 }, (_, i) => `fire-and-forget ${i}`);
    const input = values.map((v) => `${v}\n`).join('');
    const storedVia = async (bootstrap: string): Promise<string[]> => {
      const topic = await createTopic(mainCluster(), { partitions: 3, replicationFactor: 3 });
      const put = await kcat(['-b', bootstrap, '-P', '-t', topic, '-X', 'acks=0'], { input, timeoutMs: 60_000 });
      expect(put.code, put.stderr).toBe(0);
      // acks=0 gives no acknowledgement to wait for: wait for the records to be there.
      let stored: string[] = [];
      await waitFor(async () => (stored = (await readTopic(mainCluster().bootstrapServers, topic)).map((r) => r.value ?? '')).length >= values.length, {
        timeoutMs: 15_000,
        what: `acks=0 records sent through ${bootstrap}`,
      }).catch(() => undefined);
      return stored.sort();
    };
    const expected = [...values].sort();
    // The control: straight to the cluster, every record arrives.
    expect(await storedVia(mainCluster().bootstrapServers)).toEqual(expected);
    const viaTurnout = await storedVia(proxy.bootstrapServers());
    expect(viaTurnout.length, 'acks=0 records stored when sent through Turnout').toBe(values.length);
    expect(viaTurnout).toEqual(expected);
  });

  it("kcat -L -J shows only Turnout host:ports, virtual node ids and Turnout's cluster id, consistent with the real layout", async () => {
    const topic = await createTopic(mainCluster(), { partitions: 6, replicationFactor: 3 });
    const facts = backendFacts();
    const virtualIds = virtualNodeIds(proxy);
    expect([...facts.brokerIds].some((id) => !virtualIds.has(id)), 'real and virtual ids differ, so a pass-through would show').toBe(true);

    const { text, md } = await metadata(proxy.bootstrapServers(), topic);
    expectNoBackendLeak(text, 'kcat -L -J and its debug log');
    const clusterIds = new Set([...text.matchAll(/ClusterId: (\S+?),/g)].map((m) => m[1]));
    expect([...clusterIds]).toEqual([CLUSTER_ID]);
    const nodes = proxy.ports().nodes;
    const host = proxy.ports().advertisedHost;
    expect(md.brokers.map((b) => [b.id, b.name]).sort((a, b) => Number(a[0]) - Number(b[0]))).toEqual(
      [...nodes].sort((a, b) => a[0] - b[0]).map(([id, port]) => [id, `${host}:${port}`]),
    );
    expect(virtualIds.has(md.controllerid), `controller ${md.controllerid}`).toBe(true);
    expect(md.originating_broker.name.startsWith(`${host}:`)).toBe(true);
    const t = md.topics.find((x) => x.topic === topic);
    expect(t?.error).toBeUndefined();
    expect(t?.partitions).toHaveLength(6);

    // Every id named is virtual, and renaming the real layout's replica lists gives exactly
    // what kcat saw through Turnout.
    const real = (await metadata(mainCluster().bootstrapServers, topic)).md.topics.find((x) => x.topic === topic);
    const virtualFor = new Map<number, number>();
    const realFor = new Map<number, number>();
    for (const p of t?.partitions ?? []) {
      const rp = real?.partitions.find((x) => x.partition === p.partition);
      expect(rp, `partition ${p.partition} on the cluster`).toBeDefined();
      for (const id of [p.leader, ...p.replicas.map((r) => r.id), ...p.isrs.map((r) => r.id)]) expect(virtualIds.has(id), `id ${id}`).toBe(true);
      p.replicas.forEach((r, i) => {
        const b = rp!.replicas[i].id;
        expect(virtualFor.get(b) ?? r.id).toBe(r.id);
        expect(realFor.get(r.id) ?? b).toBe(b);
        virtualFor.set(b, r.id);
        realFor.set(r.id, b);
      });
      expect(p.replicas.map((r) => r.id)).toContain(p.leader);
    }
    expect(virtualFor.size).toBe(3);
  });
});
