// A transactional id moved by a cutover, through a Turnout that dies mid-transaction: killed
// (SIGKILL) and restarted on the file store, or killed with the client going on through a second
// instance on the same Redis store. After the move Turnout counts each partition's sequences
// from the client's first batch there (the real producer on the target knows nothing of the
// client's count); the instance that serves the client next must count from the same first
// batches, which only the binding store can tell it, or the broker refuses the client's next
// batch OUT_OF_ORDER_SEQUENCE_NUMBER, fatal to a transactional producer.
//
// At the wire, so that the kill falls where it must: after the move has counted two partitions
// from their first batch there, inside a transaction with one batch acknowledged. Every batch
// after it is taken, and read_committed from the source's and the target's cluster, every
// committed record is there once, in order, and no aborted one. Then with the Java producer
// (commit after commit), killed once it has produced a while on the target: it ends without
// an error (before the bases were stored: OutOfOrderSequenceException), each committed record
// stored once, in order.
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it, onTestFinished } from 'vitest';
import { CutoverApi, runCutover } from '../../src/admin/cutover-client.js';
import { ADMIN_WRITE_HEADERS } from './admin-token.js';
import { MOVING_DOMAIN, startCutoverInstances, type CutoverInstance, type CutoverInstances } from './cutover-instances.js';
import { writeTransactions } from './record-programs.js';
import { kcat, uniqueName, uniqueTopic, waitFor, type ClusterInfo } from './rig.js';
import { WireTransactionalProducer } from './wire-transactional-producer.js';

const MOVING = 'csb-';
const STAYING = 'csz-';
const PARTITIONS = [0, 1, 2];

/** The producer's batches, each a few records named after the transaction and partition. */
class Transactions {
  /** Partition → the committed records, in the order they were sent. */
  readonly committed = new Map<number, string[]>(PARTITIONS.map((p) => [p, []]));
  private open: Array<{ partition: number; values: string[] }> = [];

  constructor(readonly producer: WireTransactionalProducer) {}

  /** A batch of three records in the open transaction; the error code. */
  send(partition: number, tag: string): Promise<number> {
    const values = [0, 1, 2].map((i) => `${tag}-p${partition}-${i}`);
    this.open.push({ partition, values });
    return this.producer.send(partition, values);
  }

  /** Ends the open transaction; the error code. */
  async end(committed: boolean): Promise<number> {
    const code = await this.producer.end(committed);
    if (code === 0 && committed) for (const b of this.open) this.committed.get(b.partition)?.push(...b.values);
    this.open = [];
    return code;
  }

  /** A whole transaction with a batch on each of `partitions`: each step's error code. */
  async whole(tag: string, partitions: readonly number[], committed = true): Promise<number[]> {
    const codes = [await this.producer.addPartitions(partitions)];
    for (const p of partitions) codes.push(await this.send(p, tag));
    codes.push(await this.end(committed));
    return codes;
  }
}

/**
 * Partition → the values read_committed from `topic` on each cluster in turn (the source's
 * segment, then the target's): read where the records are, not through Turnout, as what is
 * checked is what the brokers stored.
 */
function committedOnBoth(clusters: readonly ClusterInfo[], topic: string): Promise<Map<number, string[]>> {
  return committedRead(clusters.map((c) => c.bootstrapServers), topic);
}

/**
 * What `read` gives once it gives `expected`, or its last answer after 15 s: a transaction's
 * markers are written after its EndTxn is answered, so read_committed may not see the last
 * commit at once.
 */
async function readUntil(read: () => Promise<Map<number, string[]>>, expected: ReadonlyMap<number, string[]>): Promise<Map<number, string[]>> {
  const until = Date.now() + 15_000;
  for (;;) {
    const seen = await read();
    if (isDeepStrictEqual(seen, expected) || Date.now() > until) return seen;
    await new Promise((done) => setTimeout(done, 500));
  }
}

/** Partition → the values read_committed from `topic` through each bootstrap in turn, from the beginning. */
async function committedRead(bootstraps: readonly string[], topic: string): Promise<Map<number, string[]>> {
  const seen = new Map<number, string[]>(PARTITIONS.map((p) => [p, []]));
  for (const bootstrap of bootstraps) {
    const read = await kcat(['-C', '-b', bootstrap, '-t', topic, '-o', 'beginning', '-e', '-q', '-X', 'isolation.level=read_committed', '-f', '%p %s\n'], { timeoutMs: 60_000 });
    expect(read.code, read.stderr).toBe(0);
    for (const line of read.stdout.split('\n')) {
      if (line === '') continue;
      const [partition, value] = line.split(' ');
      seen.get(Number(partition))?.push(value);
    }
  }
  return seen;
}

/** Produce requests an instance has received from clients (its /metrics). */
async function produceRequests(instance: CutoverInstance): Promise<number> {
  const text = await (await fetch(`${instance.adminUrl}/metrics`)).text();
  let total = 0;
  for (const m of text.matchAll(/^turnout_requests_total\{[^}]*api="Produce"[^}]*\} (\d+)$/gm)) total += Number(m[1]);
  return total;
}

const ok = (steps: number): number[] => new Array<number>(steps).fill(0);

/**
 * Commits a transaction on the source, moves the domain to the target, commits one there that
 * counts partitions 0 and 1 from their first batch, then opens one, sends on partition 0 and
 * hands over to `disrupt`, which kills the instance serving the producer and returns the one
 * it goes on through. Every step after must succeed and read_committed must read what was committed.
 */
async function moveThenDisrupt(rig: CutoverInstances, first: CutoverInstance, disrupt: () => Promise<CutoverInstance>): Promise<CutoverInstance> {
  const topic = `${MOVING}${uniqueTopic('seq')}`;
  await rig.createDomainTopic(topic, PARTITIONS.length);
  const producer = new WireTransactionalProducer(first.bootstrap, `${MOVING}${uniqueName('txn')}`, topic, 'it-cutover-seqbase');
  onTestFinished(() => producer.close());
  const txns = new Transactions(producer);
  expect(await producer.init()).toBe(0);
  expect(await txns.whole('source', PARTITIONS), 'a transaction on the source').toEqual(ok(5));

  const timeline = await runCutover(new CutoverApi(first.adminUrl, ADMIN_WRITE_HEADERS), { domain: MOVING_DOMAIN, to: 'main', drainTimeoutMs: 10_000 });
  expect(timeline.final.phase, `cutover: ${JSON.stringify(timeline.final)}`).toBe('SWITCHED');
  // The id moves; partitions 0 and 1 are counted from the client's sequence 3 there.
  expect(await txns.whole('target', [0, 1]), 'the first transaction on the target').toEqual(ok(4));

  expect(await producer.addPartitions(PARTITIONS)).toBe(0);
  expect(await txns.send(0, 'across-a')).toBe(0);
  const next = await disrupt();
  producer.reconnect(next.bootstrap);
  expect([producer.sequenceOf(1), producer.sequenceOf(2)], "the client's count").toEqual([6, 3]);
  // Partition 1 goes on from its stored base, partition 2 gets its first since the move, 0 goes on.
  expect([await txns.send(1, 'across'), await txns.send(2, 'across'), await txns.send(0, 'across-b')], 'batches after the kill (45: OUT_OF_ORDER_SEQUENCE_NUMBER)').toEqual([0, 0, 0]);
  expect(await txns.end(true), 'the transaction open across the kill commits').toBe(0);
  expect(await txns.whole('after', PARTITIONS), 'a transaction after').toEqual(ok(5));
  expect(await txns.whole('aborted', [0, 2], false), 'an aborted one').toEqual(ok(4));
  expect(await txns.whole('last', PARTITIONS), 'the last one').toEqual(ok(5));

  const seen = await readUntil(() => committedOnBoth([rig.legacy, rig.main], topic), txns.committed);
  expect(seen, 'read_committed: every committed record once, in order, no aborted one').toEqual(txns.committed);
  // Through the instance that took over: one log across both segments.
  expect(await readUntil(() => committedRead([next.bootstrap], topic), txns.committed), 'read_committed through Turnout after the kill').toEqual(txns.committed);
  return next;
}

/** How long an instance on Redis counts as alive after it last renewed its lease (cutover-redis-store.ts's default). */
const REDIS_LEASE_MS = 10_000;

/** Transactions the Java producer runs, each with a record on every partition (more than it can finish before the kill). */
const JAVA_TRANSACTIONS = 800;

/** What happens to the instances around the Java producer. */
interface JavaDisruption {
  /** Before the producer starts. */
  beforeProducer?: () => Promise<void>;
  /** Once it produces on the source, before the cutover. */
  beforeCutover?: () => Promise<void>;
  /** After the cutover, while it produces on the target. */
  afterCutover?: () => Promise<void>;
  /** Kills the instance serving it, once it has produced on the target a while. */
  kill: () => Promise<void>;
}

/**
 * The Java transactional producer (TransactionalWriter: commit after commit) through `first`
 * while its id's domain moves to the target; once it has produced there a while, the instance
 * is killed and it goes on through `bootstrap`. It must end without an error, and
 * read_committed finds each record it committed once, in the order it wrote them.
 */
async function javaProducerAcrossDisruption(rig: CutoverInstances, first: CutoverInstance, bootstrap: string, disruption: JavaDisruption): Promise<void> {
  const topic = `${MOVING}${uniqueTopic('java')}`;
  await rig.createDomainTopic(topic, PARTITIONS.length);
  await disruption.beforeProducer?.();
  const written = writeTransactions(bootstrap, `${MOVING}${uniqueName('txn')}`, 'C'.repeat(JAVA_TRANSACTIONS), PARTITIONS.length, [topic], {
    'reconnect.backoff.max.ms': '500',
    partitioner: 'org.apache.kafka.clients.producer.RoundRobinPartitioner',
  });
  let ended = false;
  void written.finally(() => (ended = true)).catch(() => undefined);
  const producedAtLeast = (n: number, what: string) =>
    waitFor(async () => {
      if (ended) throw new Error(`the Java producer ended before ${what}`);
      return (await produceRequests(first)) >= n;
    }, { timeoutMs: 60_000, what });
  await producedAtLeast(20, 'the Java producer producing on the source');
  await disruption.beforeCutover?.();
  const timeline = await runCutover(new CutoverApi(first.adminUrl, ADMIN_WRITE_HEADERS), { domain: MOVING_DOMAIN, to: 'main', drainTimeoutMs: 10_000 });
  expect(timeline.final.phase, `cutover: ${JSON.stringify(timeline.final)}`).toBe('SWITCHED');
  await disruption.afterCutover?.();
  await producedAtLeast((await produceRequests(first)) + 30, 'the Java producer committing on the target');
  expect(ended, 'the Java producer still running at the kill').toBe(false);
  await disruption.kill();
  const outcome = await written;
  expect(outcome.outcomes.size, 'transactions the Java producer finished').toBe(JAVA_TRANSACTIONS);
  const committed = new Map<number, string[]>(PARTITIONS.map((p) => [p, []]));
  for (const r of outcome.records) if (outcome.outcomes.get(r.txn) === 'committed') committed.get(r.partition)?.push(r.value);
  expect(await readUntil(() => committedOnBoth([rig.legacy, rig.main], topic), committed), 'read_committed: every committed record once, in order').toEqual(committed);
}

describe('a moved transactional id through a Turnout killed mid-transaction', () => {
  it('one instance on the file store, killed and restarted: the producer goes on committing, each committed record read once', { timeout: 300_000 }, async () => {
    const rig = await startCutoverInstances({ clusterId: 'tUrNoUtSeQbAsEfIlE000', movingPrefix: MOVING, stayingPrefix: STAYING, mode: 'process', count: 1, store: 'file' });
    onTestFinished(() => rig.close());
    const [turnout] = rig.instances;
    await moveThenDisrupt(rig, turnout, async () => {
      await turnout.kill();
      await turnout.restart();
      return turnout;
    });
    expect(turnout.output(), 'the restarted instance adopted the producer with its sequence bases').toMatch(/"sequenceBases":\{"main#1":\{[^}]*"0:[^"]*":3[^}]*\}\}[^\n]*producer adopted from the binding store/);
  });

  it('two instances on Redis, the first killed and the producer going on through the second: it goes on committing, each committed record read once', { timeout: 300_000 }, async () => {
    const rig = await startCutoverInstances({ clusterId: 'tUrNoUtSeQbAsErEdIs00', movingPrefix: MOVING, stayingPrefix: STAYING, mode: 'process', count: 2 });
    onTestFinished(() => rig.close());
    const [a, b] = rig.instances;
    await moveThenDisrupt(rig, a, async () => {
      await a.kill();
      return b;
    });
    expect(b.output(), 'the second instance adopted the producer with its sequence bases').toMatch(/"sequenceBases":\{"main#1":\{[^}]*"0:[^"]*":3[^}]*\}\}[^\n]*producer adopted from the binding store/);
  });

  it('the Java transactional producer through one instance on the file store, killed and restarted while it commits on the target', { timeout: 300_000 }, async () => {
    const rig = await startCutoverInstances({ clusterId: 'tUrNoUtSeQbAsEjFiLe00', movingPrefix: MOVING, stayingPrefix: STAYING, mode: 'process', count: 1, store: 'file' });
    onTestFinished(() => rig.close());
    const [turnout] = rig.instances;
    await javaProducerAcrossDisruption(rig, turnout, turnout.bootstrap, {
      kill: async () => {
        await turnout.kill();
        await turnout.restart();
      },
    });
    expect(turnout.output(), 'the restarted instance adopted the producer with its sequence bases').toMatch(/"sequenceBases":\{"main#1":\{"[^\n]*producer adopted from the binding store/);
  });

  it('the Java transactional producer through the first of two instances on Redis, killed while it commits on the target, going on through the second', { timeout: 300_000 }, async () => {
    const rig = await startCutoverInstances({ clusterId: 'tUrNoUtSeQbAsEjReDiS0', movingPrefix: MOVING, stayingPrefix: STAYING, mode: 'process', count: 2 });
    onTestFinished(() => rig.close());
    const [a, b] = rig.instances;
    // The producer must start on A: B refuses connections until then, and is up again before A dies.
    let bKilledAtMs = 0;
    await javaProducerAcrossDisruption(rig, a, `${a.bootstrap},${b.bootstrap}`, {
      beforeProducer: async () => {
        await b.kill();
        bKilledAtMs = Date.now();
      },
      // Past B's lease, so that the cutover does not wait for its confirmation.
      beforeCutover: () => new Promise((r) => setTimeout(r, Math.max(0, bKilledAtMs + REDIS_LEASE_MS + 1_000 - Date.now()))),
      afterCutover: () => b.restart(),
      kill: () => a.kill(),
    });
    expect(await produceRequests(b), 'produce requests the second instance served').toBeGreaterThan(0);
    expect(b.output(), 'the second instance adopted the producer with its sequence bases').toMatch(/"sequenceBases":\{"main#1":\{"[^\n]*producer adopted from the binding store/);
  });
});
