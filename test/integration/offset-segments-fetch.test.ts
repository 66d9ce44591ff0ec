// A partition cut over from legacy (Kafka 3.9.1) to main (Kafka 4.1.1) without copying data,
// read through Turnout as one log. The same topic exists on both clusters: N records on legacy
// (and a few more written there after the switch, bypassing Turnout, which are no part of the
// virtual log), M on main. Turnout is given the chain by hand, as a cutover would set it:
//
//   virtual 0 .. N−1        legacy real 0 .. N−1   segment 0, generation 0, shift 0
//   virtual N .. N+M−1      main   real 0 .. M−1   segment 1, generation 1, shift N
//
// and the domain's backend becomes main. The Java console consumer and a kafkajs group read
// every record from the beginning, in order, at offsets 0..N+M−1; kcat reads from N−1, N and
// N+1, across the switch. The records are large enough that answers stream through Turnout:
// legacy's too, the records it took after the switch masked at the end of its answers, which
// all three clients must skip.
import kafkajs from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { PartitionChain } from '../../src/routing/offset-segments.js';
import { createTopic, kafkaTool, kcat, mainCluster, uniqueGroup, uniqueName, useCluster, type ClusterInfo } from './rig.js';
import { startFromConfigFile, twoDomainConfig } from './two-domain-turnout.js';

const CLUSTER_ID = 'tUrNoUtSeGmEnTfEtCh000';
const ORDERS = 'osf-o-';
const PAYMENTS = 'osf-p-';
/** Records of segment 0 (legacy), segment 1 (main), and written to legacy after the switch. */
const N = 400;
const M = 3_000;
const STRAY = 7;
const PADDING = 'x'.repeat(1000);

function value(origin: string, seq: number): string {
  return `${origin}-${String(seq).padStart(6, '0')}-${PADDING}`;
}

/** What the virtual log holds at `offset`. */
function expectedAt(offset: number): string {
  return offset < N ? value('legacy', offset) : value('main', offset - N);
}

const { Kafka, logLevel } = kafkajs;

/** Reads partition 0 of `topic` from the beginning with a kafkajs group (Fetch v11) until `count` records came or a minute passed. */
async function readWithKafkajs(bootstrap: string, topic: string, groupId: string, count: number): Promise<Array<{ offset: number; value: string }>> {
  const consumer = new Kafka({ clientId: 'osf-kafkajs', brokers: [bootstrap], logLevel: logLevel.NOTHING }).consumer({ groupId });
  const got: Array<{ offset: number; value: string }> = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    let done: () => void = () => undefined;
    const all = new Promise<void>((resolve) => (done = resolve));
    await consumer.run({
      eachMessage: async ({ message }) => {
        got.push({ offset: Number(message.offset), value: message.value?.toString() ?? '' });
        if (got.length >= count) done();
      },
    });
    await Promise.race([all, new Promise((resolve) => setTimeout(resolve, 60_000))]);
  } finally {
    await consumer.disconnect();
  }
  return got;
}

async function produce(cluster: ClusterInfo, topic: string, origin: string, from: number, to: number): Promise<void> {
  const lines: string[] = [];
  for (let seq = from; seq < to; seq++) lines.push(value(origin, seq));
  const result = await kcat(['-P', '-b', cluster.bootstrapServers, '-t', topic, '-p', '0', '-X', 'linger.ms=20', '-X', 'acks=all'], { input: `${lines.join('\n')}\n`, timeoutMs: 120_000 });
  if (result.code !== 0 || result.timedOut) throw new Error(`kcat could not produce to ${topic} on ${cluster.cluster}: ${result.stderr.slice(-2_000)}`);
}

/** A counter of Turnout's registry, by one label. */
async function counter(registry: { metrics(): Promise<string> }, name: string, label: string, labelValue: string): Promise<number> {
  const text = await registry.metrics();
  return Number(new RegExp(`^${name}\\{${label}="${labelValue}"\\} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
}

describe('a partition cut over from legacy to main, read through Turnout', () => {
  it('is one log: the Java consumer reads every record once in order at offsets 0..N+M−1, kcat reads across the switch', async () => {
    const [main, legacy] = [mainCluster(), await useCluster('legacy')];
    const proxy = await startFromConfigFile(twoDomainConfig({ clusterId: CLUSTER_ID, main, legacy, orders: ORDERS, payments: PAYMENTS }), { logLevel: 'warn', waitForReadyMs: 60_000 });
    const router = proxy.multiBackendRouter;
    const store = proxy.policyStore;
    if (router === null || store === null) throw new Error('Turnout over two backends has a multi-backend router and a policy store');

    const topic = uniqueName(`${PAYMENTS}cut`);
    for (const cluster of [legacy, main]) await createTopic(cluster, { name: topic, partitions: 1, replicationFactor: 3 });
    await produce(legacy, topic, 'legacy', 0, N);
    await produce(main, topic, 'main', 0, M);
    await produce(legacy, topic, 'stray', 0, STRAY);

    // The cutover's outcome, set by hand: the chain, its generations, the domain on main.
    router.epochs.adoptGeneration(topic, 0, 'legacy');
    router.epochs.adoptGeneration(topic, 1, 'main');
    const chain = new PartitionChain([
      { backend: 'legacy', firstOffset: 0n, shift: 0n, generation: 0 },
      { backend: 'main', firstOffset: BigInt(N), shift: BigInt(N), generation: 1 },
    ]);
    router.segments.setDomain('payments', { chains: new Map([[topic, [chain]]]), groupsBackend: null, era: 1 });
    await store.setDomainBackend('payments', 'main');

    const streamedBefore = await counter(proxy.registry, 'turnout_multi_fetch_total', 'path', 'forwarded_streamed');
    const gatheredBefore = await counter(proxy.registry, 'turnout_multi_fetch_total', 'path', 'gathered');
    const javaArgs = [
      '--bootstrap-server', proxy.bootstrapServers(), '--topic', topic, '--group', uniqueGroup(`${PAYMENTS}g`), '--from-beginning',
      '--max-messages', String(N + M), '--timeout-ms', '60000',
      '--property', 'print.offset=true',
      '--consumer-property', 'fetch.min.bytes=262144', '--consumer-property', 'fetch.max.wait.ms=200',
      '--consumer-property', 'max.partition.fetch.bytes=1048576',
    ];
    const java = await kafkaTool('kafka-console-consumer', javaArgs, { timeoutMs: 180_000 });
    expect(java.timedOut, java.stderr.slice(-3_000)).toBe(false);
    const consumed = java.stdout
      .split('\n')
      .filter((l) => l.startsWith('Offset:'))
      .map((line) => {
        const m = /^Offset:(\d+)\t(.*)$/.exec(line);
        if (m === null) throw new Error(`unexpected console consumer line: ${line.slice(0, 80)}`);
        return { offset: Number(m[1]), value: m[2] };
      });
    expect(consumed.length, `records read (stderr: ${java.stderr.slice(-2_000)})`).toBe(N + M);
    const firstWrong = consumed.findIndex((r, i) => r.offset !== i || r.value !== expectedAt(i));
    expect(firstWrong, `first record out of place: ${JSON.stringify(consumed[firstWrong])?.slice(0, 80)}`).toBe(-1);
    expect(java.stdout.includes('stray-'), 'records legacy took after the switch are never served').toBe(false);
    // One partition, one destination per Fetch: legacy's answers are forwarded too, never gathered.
    expect((await counter(proxy.registry, 'turnout_multi_fetch_total', 'path', 'gathered')) - gatheredBefore, 'Fetches gathered').toBe(0);

    const viaKafkajs = await readWithKafkajs(proxy.bootstrapServers(), topic, uniqueGroup(`${PAYMENTS}g`), N + M);
    expect(viaKafkajs.length, 'records kafkajs read').toBe(N + M);
    const kafkajsWrong = viaKafkajs.findIndex((r, i) => r.offset !== i || r.value !== expectedAt(i));
    expect(kafkajsWrong, `first record out of place for kafkajs: ${JSON.stringify(viaKafkajs[kafkajsWrong])?.slice(0, 80)}`).toBe(-1);

    // kcat (librdkafka) from just before, at and just after the switch point.
    for (const start of [N - 1, N, N + 1]) {
      const result = await kcat(['-C', '-b', proxy.bootstrapServers(), '-t', topic, '-p', '0', '-o', String(start), '-c', '3', '-q', '-f', '%o %s\\n'], { timeoutMs: 60_000 });
      expect(result.timedOut, result.stderr.slice(-2_000)).toBe(false);
      expect(result.code, result.stderr.slice(-2_000)).toBe(0);
      const got = result.stdout.split('\n').filter((l) => l !== '').map((l) => l.split(' '));
      expect(got, `kcat from ${start}`).toEqual([0, 1, 2].map((i) => [String(start + i), expectedAt(start + i)]));
    }

    const streamed = (await counter(proxy.registry, 'turnout_multi_fetch_total', 'path', 'forwarded_streamed')) - streamedBefore;
    const perSegment = await Promise.all(['0', '1'].map((s) => counter(proxy.registry, 'turnout_cutover_fetch_partitions_total', 'segment', s)));
    process.stderr.write(`[offset-segments-fetch] answers streamed ${streamed}; partitions translated from segment 0: ${perSegment[0]}, segment 1: ${perSegment[1]}\n`);
    expect(streamed, "main's answers streamed").toBeGreaterThan(0);
    expect(perSegment[0], 'partitions read from legacy').toBeGreaterThan(0);
    expect(perSegment[1], 'partitions read from main').toBeGreaterThan(0);
  }, 420_000);
});
