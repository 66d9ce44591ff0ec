// Records of several MiB through Turnout, with the topic (max.message.bytes) and the clients
// (max.request.size, fetch sizes) configured for them, in front of one cluster and over two;
// and what a client gets when its request is larger than Turnout's frame cap
// (limits.maxFrameBytes): Turnout closes that connection before buffering any of the frame,
// logs why, and the client's retries end in its own delivery timeout, while other
// connections carry on. A broker's Fetch answer over the cap streams through.
import { describe, expect, it } from 'vitest';
import type { ProxyHandle } from '../../src/proxy.js';
import { readTopic, turnoutForFile, type LogLine } from './acceptance-helpers.js';
import { expectAllDelivered, readRecords, sha256Hex, writeRecords } from './record-programs.js';
import { kcat, mainCluster, uniqueTopic, type ClusterInfo } from './rig.js';
import { createTopicsAtOnce } from './topics-at-once.js';
import { twoDomainTurnoutForFile } from './two-domain-turnout.js';

const MiB = 1024 * 1024;
const RECORD_BYTES = 5 * MiB;
/** Room for one record of RECORD_BYTES and its batch, in the topic and in the clients. */
const LARGE_LIMIT = String(8 * MiB);
const FRAME_CAP = MiB;

const single = turnoutForFile('tUrNoUtCaSeLaRgE1bAcK0');
const capped = turnoutForFile('tUrNoUtCaSeLaRgEcApPeD', { limits: { maxFrameBytes: FRAME_CAP } });
const two = twoDomainTurnoutForFile({ clusterId: 'tUrNoUtCaSeLaRgE2bAcK0', orders: 'clo-', payments: 'clp-' });

/** A value of `bytes` bytes that differs from any other this test makes. */
function bigValue(label: string, bytes: number): string {
  const head = `${label}|`;
  let body = '';
  for (let i = 0; body.length < bytes - head.length; i++) body += `${label}:${i};`;
  return head + body.slice(0, bytes - head.length);
}

async function kcatProduceLarge(bootstrap: string, topic: string, values: readonly string[], extra: string[] = []): Promise<{ code: number | null; stderr: string }> {
  const r = await kcat(['-b', bootstrap, '-P', '-t', topic, '-X', 'acks=all', '-X', `message.max.bytes=${LARGE_LIMIT}`, ...extra], { input: values.map((v) => `${v}\n`).join(''), timeoutMs: 90_000 });
  return { code: r.code, stderr: r.stderr };
}

/** kcat with librdkafka's fetch sizes raised for records of RECORD_BYTES. */
const KCAT_LARGE_FETCH = { 'fetch.message.max.bytes': LARGE_LIMIT, 'receive.message.max.bytes': String(64 * MiB) };

/** The digests of what kcat reads through `bootstrap`, in partition and offset order. */
async function kcatDigests(bootstrap: string, topic: string): Promise<Array<{ partition: number; offset: number; sha: string; bytes: number }>> {
  return (await readTopic(bootstrap, topic, 90_000, KCAT_LARGE_FETCH)).map((r) => ({ partition: r.partition, offset: r.offset, sha: sha256Hex(r.value ?? ''), bytes: Buffer.byteLength(r.value ?? '') }));
}

/** A topic of records of several MiB, and whether the Java producer writes some of its records. */
interface LargeTopic {
  cluster: ClusterInfo;
  name: string;
  javaWriter: boolean;
}

/**
 * The Java producer (where asked) and kcat write records of RECORD_BYTES through Turnout;
 * kcat and the Java consumer read every one back whole through Turnout, at the same places.
 */
async function largeRecordsRoundTrip(proxy: ProxyHandle, topics: readonly LargeTopic[]): Promise<void> {
  const bootstrap = proxy.bootstrapServers();
  for (const t of topics) await createTopicsAtOnce(t.cluster, [{ name: t.name, partitions: 2, config: { 'max.message.bytes': LARGE_LIMIT } }]);
  const javaTopics = topics.filter((t) => t.javaWriter).map((t) => t.name);
  const java = javaTopics.length === 0 ? undefined : await writeRecords(bootstrap, javaTopics, { records: 2, valueBytes: RECORD_BYTES, props: { 'max.request.size': LARGE_LIMIT, 'linger.ms': '0' } });
  if (java !== undefined) expectAllDelivered(java);

  const readByKcat = new Map<string, Awaited<ReturnType<typeof kcatDigests>>>();
  for (const t of topics) {
    const kcatValues = [bigValue(`${t.name}-kcat-0`, RECORD_BYTES), bigValue(`${t.name}-kcat-1`, RECORD_BYTES + 12_345)];
    const put = await kcatProduceLarge(bootstrap, t.name, kcatValues);
    expect(put.code, put.stderr).toBe(0);
    const expected = [...kcatValues.map((v) => sha256Hex(v)), ...(java?.written ?? []).filter((w) => w.topic === t.name).map((w) => w.valueSha256)];
    const viaKcat = await kcatDigests(bootstrap, t.name);
    expect(viaKcat.map((r) => r.sha).sort(), `${t.name} read by kcat through Turnout`).toEqual(expected.sort());
    expect(viaKcat.every((r) => r.bytes >= RECORD_BYTES)).toBe(true);
    readByKcat.set(t.name, viaKcat);
  }

  const viaJava = await readRecords(bootstrap, topics.map((t) => t.name), { props: { 'max.partition.fetch.bytes': LARGE_LIMIT, 'fetch.max.bytes': String(64 * MiB) } });
  for (const t of topics) {
    const got = viaJava
      .filter((r) => r.topic === t.name)
      .map((r) => ({ partition: r.partition, offset: r.offset, sha: r.valueSha256, bytes: r.valueBytes }))
      .sort((a, b) => a.partition - b.partition || a.offset - b.offset);
    expect(got, `${t.name} read by the Java consumer through Turnout, as kcat read it`).toEqual(readByKcat.get(t.name));
  }
}

describe('records of several MiB through Turnout', () => {
  it('records of 5 MiB from the Java client and kcat come back whole through Turnout, in front of one cluster', async () => {
    await largeRecordsRoundTrip(single.proxy, [{ cluster: mainCluster(), name: uniqueTopic('cl-large'), javaWriter: true }]);
  });

  it('records of 5 MiB come back whole through Turnout over two clusters, on each', async () => {
    await largeRecordsRoundTrip(two.proxy, [
      { cluster: two.main, name: uniqueTopic('clo-large'), javaWriter: false },
      { cluster: two.legacy, name: uniqueTopic('clp-large'), javaWriter: false },
    ]);
  });
});

describe("Turnout's frame cap", () => {
  it('a request over the cap closes that connection with a logged reason; the Java producer and kcat fail the record when their delivery timeout ends; others carry on', async () => {
    const topic = uniqueTopic('cl-capped');
    await createTopicsAtOnce(mainCluster(), [{ name: topic, partitions: 1, config: { 'max.message.bytes': LARGE_LIMIT } }]);
    const bootstrap = capped.proxy.bootstrapServers();
    const tooLarge = (): LogLine[] => capped.logs.filter((l) => l.msg === 'client connection closed' && l.reason === 'frame_too_large');
    expect(tooLarge()).toEqual([]);

    // Both clients send a 2 MiB record, which their own limits allow, to a Turnout that takes 1 MiB.
    const [java, put] = await Promise.all([
      writeRecords(bootstrap, [topic], {
        records: 1,
        valueBytes: 2 * MiB,
        props: { 'max.request.size': LARGE_LIMIT, 'linger.ms': '0', 'request.timeout.ms': '3000', 'delivery.timeout.ms': '6000', 'retry.backoff.ms': '500' },
      }),
      kcatProduceLarge(bootstrap, topic, [bigValue('kcat-capped', 2 * MiB)], ['-X', 'message.timeout.ms=6000']),
    ]);

    // The Java producer saw its connection drop, retried, and failed the record at its delivery timeout.
    expect(java.written).toEqual([]);
    expect(java.failed).toHaveLength(1);
    expect(java.failed[0]?.error).toMatch(/TimeoutException: Expiring 1 record\(s\)/);
    expect(java.result.stderr).toMatch(/Error: NETWORK_EXCEPTION\. Error Message: Disconnected from node/);
    // kcat (librdkafka) likewise: the broker transport failed, then the message timed out.
    expect(put.code).not.toBe(0);
    expect(put.stderr).toMatch(/Disconnected/);
    expect(put.stderr).toMatch(/Delivery failed for message: Local: Message timed out/);

    // Turnout closed each such connection once it had read the size prefix, and said why.
    const closes = tooLarge();
    expect(closes.length, 'connections closed for frames over the cap').toBeGreaterThanOrEqual(2);
    for (const close of closes) {
      const err = close.err as { sizeBytes?: number; maxBytes?: number } | undefined;
      expect(err?.maxBytes).toBe(FRAME_CAP);
      expect(err?.sizeBytes).toBeGreaterThan(2 * MiB);
    }
    expect(await readTopic(mainCluster().bootstrapServers, topic)).toEqual([]);

    // A record within the cap goes through the same Turnout.
    const small = await kcat(['-b', bootstrap, '-P', '-t', topic, '-X', 'acks=all'], { input: 'within the cap\n', timeoutMs: 30_000 });
    expect(small.code, small.stderr).toBe(0);
    expect((await readTopic(bootstrap, topic)).map((r) => r.value)).toEqual(['within the cap']);
  });

  it("a Fetch answer larger than the cap streams through: kcat and the Java consumer read a 2 MiB record through Turnout capped at 1 MiB", async () => {
    const topic = uniqueTopic('cl-capped-fetch');
    await createTopicsAtOnce(mainCluster(), [{ name: topic, partitions: 1, config: { 'max.message.bytes': LARGE_LIMIT } }]);
    const value = bigValue('over-the-cap', 2 * MiB);
    const put = await kcatProduceLarge(mainCluster().bootstrapServers, topic, [value]);
    expect(put.code, put.stderr).toBe(0);
    const bootstrap = capped.proxy.bootstrapServers();
    const failuresBefore = capped.logs.filter((l) => l.msg === 'upstream connection failed').length;

    expect(await kcatDigests(bootstrap, topic), 'read by kcat through the capped Turnout').toEqual([{ partition: 0, offset: 0, sha: sha256Hex(value), bytes: 2 * MiB }]);
    const viaJava = await readRecords(bootstrap, [topic], { props: { 'max.partition.fetch.bytes': LARGE_LIMIT } });
    expect(viaJava.map((r) => ({ offset: r.offset, sha: r.valueSha256, bytes: r.valueBytes })), 'read by the Java consumer through the capped Turnout').toEqual([{ offset: 0, sha: sha256Hex(value), bytes: 2 * MiB }]);
    expect(capped.logs.filter((l) => l.msg === 'upstream connection failed').slice(failuresBefore)).toEqual([]);
  });
});
