// Large Fetch responses stream through Turnout (single backend): their bytes reach the client
// as they arrive from the broker, with broker ids rewritten on the way. The Java consumer and
// kcat read large topics through it, every record exactly once and in order, while a
// partition leader is stopped and comes back; and a large answer that names another broker
// as a partition's current leader names it as Turnout's node, with Turnout's address.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ApiKey,
  createFetchRequest,
  createMetadataRequest,
  decodeFetchResponse,
  decodeMetadataResponse,
  encodeRequestFrame,
  type FetchResponse,
  type MetadataResponse,
  ZERO_UUID,
} from '../../src/codec/index.js';
import { FrameReader } from '../../src/net/frame-reader.js';
import type { ProxyHandle } from '../../src/proxy.js';
import { decodeResponseFrame } from '../../src/codec/message-frames.js';
import { expectWatchSawOnlyTurnout, javaClientLogOptions, startTurnout, watchJavaLog } from './acceptance-helpers.js';
import { expectExactlyOnceInOrder, produceSequence } from './sequence-records.js';
import {
  createTopic,
  deleteTopics,
  describeTopic,
  kafkaToolOk,
  kcat,
  mainCluster,
  startRigBroker,
  startTool,
  stopRigBroker,
  uniqueTopic,
  waitFor,
} from './rig.js';

const CLUSTER_ID = 'tUrNoUtFeTcHsTrEaMiNg0';
const FETCH_VERSION = 17;
const NOT_LEADER_OR_FOLLOWER = 6;

let proxy: ProxyHandle;

beforeAll(async () => {
  ({ proxy } = await startTurnout(CLUSTER_ID, { topology: { refreshIntervalMs: 2_000 } }));
  await proxy.whenReady(60_000);
});

afterAll(async () => {
  await proxy?.close();
});

/** One request, one response, on a fresh connection to a Turnout port. */
async function exchange(port: number, frame: Buffer): Promise<Buffer> {
  const socket = net.connect({ host: '127.0.0.1', port });
  try {
    return await new Promise<Buffer>((resolve, reject) => {
      const reader = new FrameReader(64 * 1024 * 1024, (f) => resolve(Buffer.from(f)));
      socket.on('data', (b: Buffer) => reader.push(b));
      socket.on('error', reject);
      socket.on('close', () => reject(new Error(`connection to port ${port} closed before a response`)));
      socket.on('connect', () => socket.write(frame));
    });
  } finally {
    socket.destroy();
  }
}

async function turnoutMetadata(topic: string): Promise<MetadataResponse> {
  const body = createMetadataRequest();
  body.topics = [{ name: topic, topicId: ZERO_UUID }];
  const frame = encodeRequestFrame({ apiKey: ApiKey.Metadata, apiVersion: 12, correlationId: 7, clientId: 'it-fetch-streaming' }, body);
  const response = await exchange(proxy.ports().bootstrap, frame);
  return decodeResponseFrame(response, ApiKey.Metadata, 12, decodeMetadataResponse).body;
}

/**
 * Fetches both partitions of `topic` from the Turnout node leading partition 0: partition 0
 * answers with records, partition 1 (on another broker only) with NOT_LEADER_OR_FOLLOWER.
 */
async function fetchAcrossLeaders(topic: string): Promise<{ frame: Buffer; response: FetchResponse; leaders: number[] }> {
  const metadata = await turnoutMetadata(topic);
  const t = metadata.topics.find((x) => x.name === topic);
  if (t === undefined) throw new Error(`Turnout's metadata lacks ${topic}`);
  const leaders = [0, 1].map((p) => t.partitions.find((x) => x.partitionIndex === p)?.leaderId ?? -1);
  const port = proxy.ports().nodes.get(leaders[0]);
  if (port === undefined) throw new Error(`no Turnout node ${leaders[0]}`);
  const body = createFetchRequest();
  body.maxWaitMs = 100;
  body.minBytes = 1;
  body.maxBytes = 32 * 1024 * 1024;
  const partitions = [0, 1].map((partition) => ({
    partition,
    currentLeaderEpoch: -1,
    fetchOffset: 0n,
    lastFetchedEpoch: -1,
    logStartOffset: -1n,
    partitionMaxBytes: 8 * 1024 * 1024,
  }));
  body.topics = [{ topic: topic, topicId: t.topicId, partitions }];
  const request = encodeRequestFrame({ apiKey: ApiKey.Fetch, apiVersion: FETCH_VERSION, correlationId: 11, clientId: 'it-fetch-streaming' }, body);
  const frame = await exchange(port, request);
  return { frame, response: decodeResponseFrame(frame, ApiKey.Fetch, FETCH_VERSION, decodeFetchResponse).body, leaders };
}

function int32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n, 0);
  return b;
}

/** A topic with one replica per partition: partition 0 on `first` holding ~400 KiB, partition 1 on `second`. */
async function splitTopic(first: number, second: number): Promise<string> {
  const topic = uniqueTopic('streaming-split');
  await kafkaToolOk('kafka-topics', ['--bootstrap-server', mainCluster().bootstrapServers, '--create', '--topic', topic, '--replica-assignment', `${first},${second}`]);
  await produceSequence(mainCluster(), topic, 0, 0, 400);
  return topic;
}

/** Asserts the client saw partition 1's leader as Turnout's node, at Turnout's address, and no backend port. */
function expectLeaderRewritten(fetched: Awaited<ReturnType<typeof fetchAcrossLeaders>>): void {
  const { frame, response, leaders } = fetched;
  // Large enough to arrive in several chunks, so it went through the streaming path.
  expect(frame.length).toBeGreaterThan(256 * 1024);
  const [withRecords, elsewhere] = [0, 1].map((p) => response.responses[0].partitions.find((x) => x.partitionIndex === p));
  expect(withRecords?.errorCode).toBe(0);
  expect(withRecords?.records?.length ?? 0).toBeGreaterThan(256 * 1024);
  expect(elsewhere?.errorCode).toBe(NOT_LEADER_OR_FOLLOWER);
  expect(elsewhere?.currentLeader?.leaderId).toBe(leaders[1]);
  const endpoints = response.nodeEndpoints ?? [];
  expect(endpoints.map((e) => [e.nodeId, e.host, e.port])).toEqual([[leaders[1], '127.0.0.1', proxy.ports().nodes.get(leaders[1])]]);
  const backendPorts = mainCluster().brokers.map((b) => b.port);
  for (const port of backendPorts) expect(frame.includes(int32(port)), `backend port ${port} in the response`).toBe(false);
}

describe('Fetch responses streamed through Turnout', () => {
  it('names the current leader of a partition another broker holds as a Turnout node, in a large answer', async () => {
    const topic = await splitTopic(1, 2);
    try {
      expectLeaderRewritten(await fetchAcrossLeaders(topic));
    } finally {
      await deleteTopics(mainCluster(), [topic]);
    }
  }, 120_000);

  it('the Java consumer and kcat read every record once, in order, while a partition leader stops and comes back', async () => {
    const partitions = 3;
    const phases = [4_000, 2_000, 2_000];
    const perPartition = phases.reduce((a, b) => a + b, 0);
    const total = perPartition * partitions;
    const topic = await createTopic(mainCluster(), { partitions, replicationFactor: 3 });
    for (let p = 0; p < partitions; p++) await produceSequence(mainCluster(), topic, p, 0, phases[0]);

    const java = await startTool(
      'kafka-console-consumer',
      [
        '--bootstrap-server', proxy.bootstrapServers(), '--topic', topic, '--from-beginning',
        '--max-messages', String(total), '--timeout-ms', '120000',
        '--property', 'print.partition=false',
        '--consumer-property', 'fetch.min.bytes=262144', '--consumer-property', 'fetch.max.wait.ms=200',
        '--consumer-property', 'max.partition.fetch.bytes=1048576',
      ],
      await javaClientLogOptions(),
    );
    const watch = watchJavaLog(java.child.stderr as NodeJS.ReadableStream);
    const kcatRun = kcat(
      ['-C', '-b', proxy.bootstrapServers(), '-t', topic, '-o', 'beginning', '-c', String(total), '-q', '-f', '%s\n',
        '-X', 'fetch.min.bytes=262144', '-X', 'fetch.wait.max.ms=200'],
      { timeoutMs: 240_000 },
    );

    await waitFor(() => java.lines.length >= 1_000, { timeoutMs: 60_000, what: 'the Java consumer to start reading' });
    const leader = (await describeTopic(mainCluster(), topic))[0].leader;
    await stopRigBroker(mainCluster(), leader);
    await waitFor(async () => {
      const now = (await describeTopic(mainCluster(), topic))[0].leader;
      return now >= 0 && now !== leader;
    }, { timeoutMs: 60_000, what: `partition 0 to leave broker ${leader}` });
    for (let p = 0; p < partitions; p++) await produceSequence(mainCluster(), topic, p, phases[0], phases[0] + phases[1]);

    // While the leader is away: a large answer naming another broker's partition.
    const others = mainCluster().brokers.map((b) => b.id).filter((id) => id !== leader);
    const split = await splitTopic(others[0], others[1]);
    try {
      await waitFor(async () => (await turnoutMetadata(split)).topics[0]?.partitions.length === 2, { timeoutMs: 30_000, what: 'Turnout to see the split topic' });
      expectLeaderRewritten(await fetchAcrossLeaders(split));
    } finally {
      await deleteTopics(mainCluster(), [split]);
    }

    await startRigBroker(mainCluster(), leader);
    await waitFor(async () => (await describeTopic(mainCluster(), topic))[0].isr.includes(leader), { timeoutMs: 120_000, what: `broker ${leader} back in sync` });
    await kafkaToolOk('kafka-leader-election', ['--bootstrap-server', mainCluster().bootstrapServers, '--election-type', 'PREFERRED', '--topic', topic, '--partition', '0']);
    await waitFor(async () => (await describeTopic(mainCluster(), topic))[0].leader === leader, { timeoutMs: 60_000, what: `broker ${leader} to lead partition 0 again` });
    for (let p = 0; p < partitions; p++) await produceSequence(mainCluster(), topic, p, phases[0] + phases[1], perPartition);

    const [javaExit, kcatResult] = await Promise.all([java.exited, kcatRun]);
    expect(javaExit, java.stderr()).toBe(0);
    expect(kcatResult.timedOut, kcatResult.stderr.slice(-2_000)).toBe(false);
    expect(kcatResult.code, kcatResult.stderr.slice(-2_000)).toBe(0);
    expectExactlyOnceInOrder(java.lines.filter((l) => l !== ''), perPartition, partitions, 'the Java consumer');
    expectExactlyOnceInOrder(kcatResult.stdout.split('\n').filter((l) => l !== ''), perPartition, partitions, 'kcat');
    expectWatchSawOnlyTurnout(watch, CLUSTER_ID, 'the Java consumer');
  }, 420_000);
});
