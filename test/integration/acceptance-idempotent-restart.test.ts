// Acceptance: a broker stopped (cleanly, or killed) and restarted during a run of an
// idempotent Java producer (acks=all) through Turnout. The run finishes with every record acknowledged, and the topic,
// read back directly from the cluster, holds each record exactly once: count, per-record
// uniqueness (values are sequence numbers), checksum, per-partition order, and the offsets the
// producer was told.
//
// proxy-broker-restart.test.ts covers a non-idempotent kafkajs producer losing no acknowledged
// record; this adds the Java idempotent producer and checks for duplicates and order too.
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import type { ProxyHandle } from '../../src/proxy.js';
import {
  byPartition,
  expectWatchSawOnlyTurnout,
  idempotentProducerProperties,
  javaClientLogOptions,
  readTopic,
  startTurnout,
  verifiableProducerEvents,
  watchJavaLog,
} from './acceptance-helpers.js';
import { createTopic, describeTopic, mainCluster, startRigBroker, startTool, stopRigBroker, waitFor } from './rig.js';

const CLUSTER_ID = 'tUrNoUtAcCePtIdEmPoTnT';
const KEYS = 30;
let proxy: ProxyHandle;

beforeAll(async () => {
  ({ proxy } = await startTurnout(CLUSTER_ID, { topology: { refreshIntervalMs: 2_000 } }));
});

afterAll(async () => {
  await proxy?.close();
});

function sha256(lines: readonly string[]): string {
  return createHash('sha256').update(lines.join('\n')).digest('hex');
}

describe('broker restart under an idempotent producer through Turnout', () => {
  // A clean stop moves leadership away first; a kill (a crash) loses requests in flight, so
  // the producer retries batches the broker may already have written.
  it.for([
    ['stopped cleanly', false],
    ['killed', true],
  ] as const)('a broker %s and restarted mid-run: every record acknowledged, stored exactly once, in order', { timeout: 420_000 }, async ([, kill]) => {
    const cluster = mainCluster();
    const topic = await createTopic(cluster, { partitions: 3, replicationFactor: 3, config: { 'min.insync.replicas': '2' } });
    const dir = await mkdtemp(join(tmpdir(), 'turnout-acceptance-'));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    const config = join(dir, 'producer.properties');
    await writeFile(config, idempotentProducerProperties(240_000));

    // The victim leads a partition of the topic, so its stop moves leadership under the producer.
    const layout = await describeTopic(cluster, topic);
    const victim = layout[0].leader;
    expect(cluster.brokers.map((b) => b.id)).toContain(victim);

    const producer = await startTool('kafka-verifiable-producer', [
      '--bootstrap-server', proxy.bootstrapServers(), '--topic', topic, '--acks', '-1',
      '--throughput', '300', '--max-messages', '-1', '--repeating-keys', String(KEYS), '--producer.config', config,
    ], await javaClientLogOptions());
    // Everything the producer is told while the cluster changes under it must be Turnout's.
    const clientLog = watchJavaLog(producer.child.stderr!);
    const events = verifiableProducerEvents(producer);
    const { successes, errors, acked } = events;
    const progress = (what: string, atLeast: number) => events.progress(what, atLeast);

    await progress('records before the stop', 600);
    await stopRigBroker(cluster, victim, { kill });
    const atStop = acked();
    await progress('records while a broker is down', atStop + 600);

    await startRigBroker(cluster, victim);
    // Back in every ISR: the restarted broker replicates what was written without it.
    await waitFor(async () => (await describeTopic(cluster, topic)).every((p) => p.isr.includes(victim)), {
      timeoutMs: 120_000,
      what: `broker ${victim} back in every ISR`,
    });
    const atRestart = acked();
    await progress('records after the restart', atRestart + 600);

    expect(await events.finish(), 'the producer closes within 60 s').toBe(true);

    expect(errors.map((e) => e.exception ?? e.message)).toEqual([]);
    expectWatchSawOnlyTurnout(clientLog, CLUSTER_ID, 'the producer through the restart');
    const toolData = events.toolData();
    expect(toolData, 'the tool reported its totals').toBeDefined();
    const total = successes.length;
    expect(toolData?.sent).toBe(total);
    expect(toolData?.acked).toBe(total);
    // Values are the sequence 0..total-1 and keys cycle through 0..KEYS-1.
    expect(new Set(successes.map((e) => e.value)).size).toBe(total);

    const stored = await readTopic(cluster.bootstrapServers, topic, 120_000);
    expect(stored).toHaveLength(total);
    const values = stored.map((r) => Number(r.value));
    expect(new Set(values).size, 'no duplicate').toBe(total);
    expect(Math.min(...values)).toBe(0);
    expect(Math.max(...values)).toBe(total - 1);
    const expectedLines = Array.from({ length: total }, (_, i) => `${i % KEYS}=${i}`);
    const storedLines = stored.slice().sort((a, b) => Number(a.value) - Number(b.value)).map((r) => `${r.key}=${r.value}`);
    expect(sha256(storedLines), 'checksum of every key=value').toBe(sha256(expectedLines));

    // Order per partition: sequence numbers increase with the offset.
    for (const [partition, rs] of byPartition(stored)) {
      const seq = rs.map((r) => Number(r.value));
      const firstOutOfOrder = seq.findIndex((v, i) => i > 0 && v <= seq[i - 1]);
      expect(firstOutOfOrder, `partition ${partition} in order`).toBe(-1);
    }
    // Each acknowledgement named the partition and offset where the record really is.
    const at = new Map(stored.map((r) => [`${r.partition}@${r.offset}`, r.value]));
    const misplaced = successes.filter((e) => at.get(`${e.partition}@${e.offset}`) !== e.value).slice(0, 5);
    expect(misplaced).toEqual([]);
  });
});
