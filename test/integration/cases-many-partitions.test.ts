// A topic of 3000 partitions through Turnout: the Metadata answer a client gets (its size
// against the cluster's own, every partition led by a Turnout node), the Java producer writing
// to every partition and kcat reading each back, and what it costs
// Turnout in memory (reported in the test log; the bound asserted is generous: it is a limit,
// not a measurement). The topic is one replica per partition, to keep the shared cluster light,
// and is deleted afterwards.
import { describe, expect, it } from 'vitest';
import type { ProxyHandle } from '../../src/proxy.js';
import { readTopic, settledMemory, turnoutForFile } from './acceptance-helpers.js';
import { expectAllDelivered, writeRecords } from './record-programs.js';
import { mainCluster, uniqueTopic } from './rig.js';
import { createTopicsAtOnce } from './topics-at-once.js';
import { leadersOf, WireClient } from './wire-client.js';

const PARTITIONS = 3000;
const MiB = 1024 * 1024;
/** What Turnout may keep for a topic this size, far above what it needs. */
const MAX_HEAP_GROWTH_BYTES = 64 * MiB;

const turnout = turnoutForFile('tUrNoUtCaSeMaNyPaRtS00');

function mib(bytes: number): string {
  return `${(bytes / MiB).toFixed(1)} MiB`;
}

/** The Metadata answer a client gets through Turnout names every partition, each led by a Turnout node, at about the cluster's own size. */
async function metadataNamesEveryPartition(proxy: ProxyHandle, topic: string): Promise<void> {
  const client = new WireClient('127.0.0.1', proxy.ports().bootstrap);
  const viaTurnout = await leadersOf(client, [topic]).finally(() => client.close());
  const broker = mainCluster().brokers[0];
  const direct = new WireClient(broker.host, broker.port);
  const fromCluster = await leadersOf(direct, [topic]).finally(() => direct.close());
  console.log(`Metadata v12 of ${PARTITIONS} partitions: ${viaTurnout.frameBytes} bytes through Turnout, ${fromCluster.frameBytes} from the cluster`);
  expect(viaTurnout.leaders.size).toBe(PARTITIONS);
  const virtualIds = new Set(proxy.ports().nodes.keys());
  for (const [partition, leader] of viaTurnout.leaders) expect(virtualIds.has(leader), `leader ${leader} of ${partition}`).toBe(true);
  // Same shape as the cluster's answer: the same partitions, each led by one of three nodes.
  expect([...viaTurnout.leaders.keys()].sort()).toEqual([...fromCluster.leaders.keys()].sort());
  expect(viaTurnout.frameBytes).toBeLessThan(fromCluster.frameBytes * 2);
}

/**
 * The Java producer writes a record to every partition through Turnout, and kcat reads each
 * back through Turnout, as the producer was told it was stored. Returns
 * nothing, so that none of what the clients printed is still held when memory is measured.
 */
async function recordToEveryPartition(bootstrap: string, topic: string): Promise<void> {
  const java = await writeRecords(bootstrap, [topic], { records: PARTITIONS, partitions: PARTITIONS, props: { 'linger.ms': '50' } });
  expectAllDelivered(java);
  // RecordWriter sent record seq to partition seq: each partition holds one record, at offset 0.
  expect(java.written.map((w) => `${w.partition}@${w.offset}`)).toEqual(java.written.map((w) => `${w.seq}@0`));
  const expected = java.written.map((w) => ({ partition: w.partition, offset: w.offset, value: `${topic}#${w.seq}|` }));

  const viaKcat = await readTopic(bootstrap, topic, 120_000);
  expect(viaKcat.map((r) => ({ partition: r.partition, offset: r.offset, value: r.value })), 'read by kcat through Turnout').toEqual(expected);
}

describe('a topic of thousands of partitions', () => {
  it('3000 partitions: Metadata through Turnout names each, a record to every partition comes back, and Turnout memory stays bounded', { timeout: 300_000 }, async () => {
    const proxy = turnout.proxy;
    const bootstrap = proxy.bootstrapServers();
    const topic = uniqueTopic('cmp');
    // Turnout's Metadata path warmed up before the baseline.
    const warm = new WireClient('127.0.0.1', proxy.ports().bootstrap);
    await leadersOf(warm, []).finally(() => warm.close());
    const before = await settledMemory();

    await createTopicsAtOnce(mainCluster(), [{ name: topic, partitions: PARTITIONS, replicationFactor: 1 }]);

    await metadataNamesEveryPartition(proxy, topic);
    await recordToEveryPartition(bootstrap, topic);

    const after = await settledMemory();
    const heapGrowth = after.heapUsedBytes - before.heapUsedBytes;
    console.log(
      `Turnout after ${PARTITIONS} partitions (Metadata, Produce to each, Fetch from each): heap ${mib(before.heapUsedBytes)} -> ${mib(after.heapUsedBytes)} (${mib(heapGrowth)}), ` +
        `buffers ${mib(before.arrayBufferBytes)} -> ${mib(after.arrayBufferBytes)}, rss ${mib(before.rssBytes)} -> ${mib(after.rssBytes)}`,
    );
    expect(heapGrowth, `heap growth, ${mib(heapGrowth)}`).toBeLessThan(MAX_HEAP_GROWTH_BYTES);
  });
});
