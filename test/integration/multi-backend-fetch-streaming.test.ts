// Large Fetch answers over several backends: a Fetch that one leader serves whole is
// forwarded and its answer streamed to the client in the client's terms (virtual topic ids,
// epochs and nodes). A Java consumer group and kcat read large topics of both domains (main:
// Kafka 4.1.1, legacy: 3.9.1) through Turnout, every record exactly once and in order, and
// Turnout's counters show the answers were streamed.
import { afterAll, describe, expect, it } from 'vitest';
import { expectWatchSawOnlyTurnout, javaClientLogOptions, watchJavaLog } from './acceptance-helpers.js';
import { createTopic, deleteTopics, kcat, startTool, uniqueName, type ClusterInfo } from './rig.js';
import { expectExactlyOnceInOrder, produceSequence } from './sequence-records.js';
import { twoDomainTurnoutForFile } from './two-domain-turnout.js';

const CLUSTER_ID = 'tUrNoUtMuLtIsTrEaMiNg0';
const ORDERS = 'mfs-o-';
const PAYMENTS = 'mfs-p-';
const PARTITIONS = 3;
const PER_PARTITION = 3_000;

const rig = twoDomainTurnoutForFile({ clusterId: CLUSTER_ID, orders: ORDERS, payments: PAYMENTS });
const topics: Array<[ClusterInfo, string]> = [];

afterAll(async () => {
  for (const [cluster, topic] of topics) await deleteTopics(cluster, [topic]);
});

async function largeTopic(cluster: ClusterInfo, prefix: string): Promise<string> {
  const topic = await createTopic(cluster, { name: uniqueName(`${prefix}big`), partitions: PARTITIONS, replicationFactor: 3 });
  topics.push([cluster, topic]);
  for (let p = 0; p < PARTITIONS; p++) await produceSequence(cluster, topic, p, 0, PER_PARTITION);
  return topic;
}

/** Client Fetch requests over several backends answered by `path`, from Turnout's registry. */
async function fetchesBy(path: string): Promise<number> {
  const text = await rig.proxy.registry.metrics();
  return Number(new RegExp(`^turnout_multi_fetch_total\\{path="${path}"\\} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
}

describe('large Fetch answers over several backends', () => {
  it('stream to a Java consumer group and to kcat, every record of both backends once and in order', async () => {
    const [onMain, onLegacy] = [await largeTopic(rig.main, ORDERS), await largeTopic(rig.legacy, PAYMENTS)];
    const streamedBefore = await fetchesBy('forwarded_streamed');
    const total = PARTITIONS * PER_PARTITION;

    const java = await startTool(
      'kafka-console-consumer',
      [
        '--bootstrap-server', rig.proxy.bootstrapServers(), '--topic', onMain, '--group', `${ORDERS}${uniqueName('g')}`, '--from-beginning',
        '--max-messages', String(total), '--timeout-ms', '120000',
        '--consumer-property', 'fetch.min.bytes=262144', '--consumer-property', 'fetch.max.wait.ms=200',
        '--consumer-property', 'max.partition.fetch.bytes=1048576',
      ],
      await javaClientLogOptions(),
    );
    const watch = watchJavaLog(java.child.stderr as NodeJS.ReadableStream);
    const kcatRead = (topic: string) =>
      kcat(['-C', '-b', rig.proxy.bootstrapServers(), '-t', topic, '-o', 'beginning', '-c', String(total), '-q', '-f', '%s\n', '-X', 'fetch.min.bytes=262144', '-X', 'fetch.wait.max.ms=200'], { timeoutMs: 240_000 });
    const [javaExit, kcatMain, kcatLegacy] = await Promise.all([java.exited, kcatRead(onMain), kcatRead(onLegacy)]);

    expect(javaExit, java.stderr()).toBe(0);
    expectExactlyOnceInOrder(java.lines.filter((l) => l !== ''), PER_PARTITION, PARTITIONS, 'the Java consumer (main)');
    for (const [result, who] of [[kcatMain, 'kcat (main)'], [kcatLegacy, 'kcat (legacy)']] as const) {
      expect(result.timedOut, result.stderr.slice(-2_000)).toBe(false);
      expect(result.code, result.stderr.slice(-2_000)).toBe(0);
      expectExactlyOnceInOrder(result.stdout.split('\n').filter((l) => l !== ''), PER_PARTITION, PARTITIONS, who);
    }
    expectWatchSawOnlyTurnout(watch, CLUSTER_ID, 'the Java consumer');
    const streamed = (await fetchesBy('forwarded_streamed')) - streamedBefore;
    process.stderr.write(`[multi-backend-fetch-streaming] answers streamed ${streamed}, taken whole ${await fetchesBy('forwarded_whole')}, gathered ${await fetchesBy('gathered')}\n`);
    expect(streamed, 'answers streamed').toBeGreaterThan(0);
  }, 420_000);
});
