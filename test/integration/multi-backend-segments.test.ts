// A cutover's offset segments against the real clusters: one topic on legacy (Kafka 3.9) and
// main (Kafka 4.1), N records written to legacy and M to main directly, and the topic chained
// by hand on the running Turnout as a cutover would leave it (segment 0 on legacy, segment 1 on
// main from virtual offset N with shift N and the next leader epoch generation; the domain
// moved to main, its groups left on legacy). Through Turnout, Kafka's own tools and kafkajs
// see one log of N + M records: offsets by time on either side of the switch point, an
// idempotent producer whose acknowledged offsets continue from N + M, and a consumer group
// reading the log whose commits stay on legacy's coordinator.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import kafkajs from 'kafkajs';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { ProxyHandle } from '../../src/proxy.js';
import { PartitionChain } from '../../src/routing/offset-segments.js';
import { idempotentProducerProperties, javaClientLogOptions, javaTool, verifiableProducerEvents } from './acceptance-helpers.js';
import { consumeLines, createTopic, kafkaTool, kafkaToolOk, mainCluster, startTool, uniqueName, useCluster, type ClusterInfo } from './rig.js';
import { startFromConfigFile, twoDomainConfig } from './two-domain-turnout.js';

const { Kafka, logLevel } = kafkajs;
const CLUSTER_ID = 'tUrNoUtSeGmEnTs0000000';
/** The orders domain (main) and the payments domain (legacy, the one cut over here). */
const ORDERS = 'sgo-';
const PAYMENTS = 'sgp-';
/** Records written to legacy before the switch, and to main after it. */
const N = 6;
const M = 4;
/** Record timestamps: legacy's an hour ago, one a second; main's half an hour ago (retention keeps both). */
const LEGACY_TS = Date.now() - 3_600_000;
const MAIN_TS = Date.now() - 1_800_000;

interface ChainedTopic {
  proxy: ProxyHandle;
  main: ClusterInfo;
  legacy: ClusterInfo;
  topic: string;
}

async function writeDirectly(cluster: ClusterInfo, topic: string, count: number, firstTimestamp: number, label: string): Promise<void> {
  const producer = new Kafka({ clientId: 'segments-it', brokers: cluster.bootstrapServers.split(','), logLevel: logLevel.NOTHING }).producer();
  await producer.connect();
  try {
    const messages = Array.from({ length: count }, (_, i) => ({ key: `k${i}`, value: `${label}-${i}`, timestamp: String(firstTimestamp + i * 1000) }));
    await producer.send({ topic, acks: -1, messages });
  } finally {
    await producer.disconnect();
  }
}

/** Turnout over both clusters and the payments topic on both, N records on legacy and M on main, seen by a client on legacy. */
async function topicOnBoth(): Promise<ChainedTopic> {
  const main = mainCluster();
  const legacy = await useCluster('legacy');
  const proxy = await startFromConfigFile(twoDomainConfig({ clusterId: CLUSTER_ID, main, legacy, orders: ORDERS, payments: PAYMENTS }), { logLevel: 'warn', waitForReadyMs: 60_000 });
  const topic = uniqueName('sgp');
  await createTopic(legacy, { name: topic, partitions: 1 });
  await createTopic(main, { name: topic, partitions: 1 });
  await writeDirectly(legacy, topic, N, LEGACY_TS, 'legacy');
  await writeDirectly(main, topic, M, MAIN_TS, 'main');

  // A client's Metadata shows the topic on legacy: its epochs are in legacy's generation.
  const admin = new Kafka({ clientId: 'segments-it', brokers: [proxy.bootstrapServers()], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  await admin.fetchTopicMetadata({ topics: [topic] });
  await admin.disconnect();
  return { proxy, main, legacy, topic };
}

/** The topic chained legacy → main as a cutover at virtual offset `switchAt` leaves it (main's records from there on), the domain moved to main and its groups left on legacy. */
async function chain(t: ChainedTopic, switchAt = N): Promise<void> {
  const { proxy, topic } = t;
  const router = proxy.multiBackendRouter;
  const store = proxy.policyStore;
  if (router === null || store === null) throw new Error('Turnout runs without a router over several backends or a policy store');
  const first = router.epochs.currentGeneration(topic);
  expect(first, 'the topic was routed to legacy').toBeDefined();
  const next = (first as number) + 1;
  router.epochs.adoptGeneration(topic, next, 'main');
  const segments = new PartitionChain([
    { backend: 'legacy', firstOffset: 0n, shift: 0n, generation: first as number },
    { backend: 'main', firstOffset: BigInt(switchAt), shift: BigInt(switchAt), generation: next },
  ]);
  router.segments.setDomain('payments', { chains: new Map([[topic, [segments]]]), groupsBackend: 'legacy', era: 1 });
  await store.setDomainBackend('payments', 'main');
}

async function chainedTopic(): Promise<ChainedTopic> {
  const t = await topicOnBoth();
  await chain(t);
  return t;
}

/** `kafka-get-offsets` of partition 0 at `time` (-1 latest, -2 earliest, -3 max timestamp, or a timestamp). */
async function offsetAt(bootstrap: string, topic: string, time: number): Promise<number> {
  const out = await kafkaToolOk('kafka-get-offsets', ['--bootstrap-server', bootstrap, '--topic', topic, '--time', String(time)]);
  const line = out.split('\n').find((l) => l.startsWith(`${topic}:0:`));
  if (line === undefined) throw new Error(`kafka-get-offsets printed no offset for ${topic}:0 at ${time}: ${out}`);
  return Number(line.split(':')[2]);
}

describe('a topic chained over legacy and main', () => {
  it('shows one log through Turnout: offsets by time on either side of the switch, and an idempotent producer continuing it', async () => {
    const { proxy, main, legacy, topic } = await chainedTopic();
    const turnout = proxy.bootstrapServers();

    expect(await offsetAt(turnout, topic, -2)).toBe(0);
    expect(await offsetAt(turnout, topic, -1)).toBe(N + M);
    expect(await offsetAt(turnout, topic, -3)).toBe(N + M - 1);
    expect(await offsetAt(turnout, topic, LEGACY_TS + 2000)).toBe(2);
    expect(await offsetAt(turnout, topic, LEGACY_TS + (N - 1) * 1000)).toBe(N - 1);
    // After legacy's last record, before main's first: the switch point.
    expect(await offsetAt(turnout, topic, LEGACY_TS + N * 1000)).toBe(N);
    expect(await offsetAt(turnout, topic, MAIN_TS + 1000)).toBe(N + 1);

    const admin = new Kafka({ clientId: 'segments-it', brokers: [turnout], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    onTestFinished(() => admin.disconnect());
    expect(await admin.fetchTopicOffsets(topic)).toEqual([expect.objectContaining({ partition: 0, offset: String(N + M), low: '0', high: String(N + M) })]);
    expect(await admin.fetchTopicOffsetsByTimestamp(topic, MAIN_TS + 2000)).toEqual([{ partition: 0, offset: String(N + 2) }]);

    // An idempotent Java producer through Turnout: its records go to main, acknowledged at the
    // virtual offsets that follow N + M.
    const dir = await mkdtemp(join(tmpdir(), 'turnout-segments-'));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    const config = join(dir, 'producer.properties');
    await writeFile(config, idempotentProducerProperties(60_000));
    const producer = await startTool(
      'kafka-verifiable-producer',
      ['--bootstrap-server', turnout, '--topic', topic, '--acks', '-1', '--max-messages', '5', '--producer.config', config],
      await javaClientLogOptions(),
    );
    const events = verifiableProducerEvents(producer);
    await producer.exited;
    events.acked();
    expect(events.errors.map((e) => e.exception ?? e.message)).toEqual([]);
    expect(events.successes.map((e) => e.offset)).toEqual([0, 1, 2, 3, 4].map((i) => N + M + i));
    expect(await offsetAt(main.bootstrapServers, topic, -1)).toBe(M + 5);
    expect(await offsetAt(legacy.bootstrapServers, topic, -1)).toBe(N);
    expect(await offsetAt(turnout, topic, -1)).toBe(N + M + 5);
  });

  it("keeps a consumer group's virtual commits on legacy's coordinator, where the cutover left the group", async () => {
    const { proxy, main, legacy, topic } = await chainedTopic();
    const turnout = proxy.bootstrapServers();
    const group = uniqueName('sgp-group');
    onTestFinished(async () => {
      await kafkaTool('kafka-consumer-groups', ['--bootstrap-server', legacy.bootstrapServers, '--delete', '--group', group]);
    });
    const committed = async (bootstrap: string): Promise<string> =>
      (await javaTool('kafka-consumer-groups', ['--bootstrap-server', bootstrap, '--describe', '--group', group])).stdout;
    const row = (out: string): string[] | undefined => out.split('\n').map((l) => l.trim().split(/\s+/)).find((cells) => cells[0] === group && cells[1] === topic);

    // A Java consumer of the group joins (its subscription reaches a topic now on main, whose
    // chain includes legacy), reads the whole log and commits its end.
    const values = await consumeLines(turnout, topic, { count: N + M, group, timeoutMs: 30_000 });
    expect(values).toEqual([...Array.from({ length: N }, (_, i) => `legacy-${i}`), ...Array.from({ length: M }, (_, i) => `main-${i}`)]);
    expect(row(await committed(legacy.bootstrapServers))?.slice(2, 4)).toEqual(['0', String(N + M)]);

    // --to-offset is checked against the earliest and latest offsets Turnout answers.
    await javaTool('kafka-consumer-groups', ['--bootstrap-server', turnout, '--group', group, '--topic', topic, '--reset-offsets', '--to-offset', String(N + 2), '--execute']);
    // Through Turnout: the virtual offset, and the log end of the whole chain.
    expect(row(await committed(turnout))?.slice(2, 5)).toEqual(['0', String(N + 2), String(N + M)]);
    // On legacy itself, the same commit; main never heard of the group.
    expect(row(await committed(legacy.bootstrapServers))?.slice(2, 4)).toEqual(['0', String(N + 2)]);
    // The group resumes from there through Turnout.
    expect(await consumeLines(turnout, topic, { count: M - 2, group, fromBeginning: false, timeoutMs: 30_000 })).toEqual(Array.from({ length: M - 2 }, (_, i) => `main-${i + 2}`));
    const onMain = await kafkaTool('kafka-consumer-groups', ['--bootstrap-server', main.bootstrapServers, '--describe', '--group', group]);
    expect(onMain.stdout + onMain.stderr).toMatch(/does not exist|GroupIdNotFoundException/);
  });

  it('lets an idempotent producer carry on across the switch: its next sequence is taken on main under a fresh producer id', async () => {
    const t = await topicOnBoth();
    const producer = new Kafka({ clientId: 'segments-it', brokers: [t.proxy.bootstrapServers()], logLevel: logLevel.NOTHING }).producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    onTestFinished(() => producer.disconnect());
    const send = async (values: string[]): Promise<string | undefined> => {
      const [r] = await producer.send({ topic: t.topic, acks: -1, messages: values.map((value) => ({ value })) });
      return r.baseOffset;
    };
    expect(await send(['before-0', 'before-1', 'before-2'])).toBe(String(N));
    await chain(t, N + 3);
    // Sequence 3 of the same producer, now on main, where its id is new.
    expect(await send(['after-0', 'after-1'])).toBe(String(N + 3 + M));
    expect(await send(['after-2'])).toBe(String(N + 3 + M + 2));
    expect(await offsetAt(t.legacy.bootstrapServers, t.topic, -1)).toBe(N + 3);
    expect(await offsetAt(t.main.bootstrapServers, t.topic, -1)).toBe(M + 3);
    expect(await offsetAt(t.proxy.bootstrapServers(), t.topic, -1)).toBe(N + 3 + M + 3);
  });
});
