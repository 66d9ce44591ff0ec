// Turnout as two processes behind one set of ports (`processes: 2`: a primary and two cluster
// workers), on the Redis store, presenting Turnout's own nodes over the rig's main cluster,
// so that virtual producer ids, topic ids and cutover instances are shared state:
//   - every worker presents the same metadata (node ids, ports, leaders);
//   - kcat producers through it reach both workers, and the admin port's /metrics sums both;
//   - a Java idempotent producer and a Java consumer group stream through it while one worker
//     is killed (SIGKILL): the primary restarts it, the clients recover, and every
//     acknowledged record is stored once, in order, at its acknowledged offset, read once by
//     the group and read back through Turnout by kcat.
import { writeFile, mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { byPartition, idempotentProducerProperties, javaClientLogOptions, readTopic, verifiableProducerEvents } from './acceptance-helpers.js';
import { createTopic, kcat, mainCluster, startTool, uniqueGroup, waitFor, type ClusterInfo, type RunningTool } from './rig.js';
import { freePort, freePortBlock, hasRedis, TestRedis } from './test-redis.js';
import { runTurnoutCli, TurnoutProcess } from './turnout-process.js';

const CLUSTER_ID = 'tUrNoUtMuLtIpRoCeSs000';
const PREFIX = 'mproc-';
const NODES = 3;
/** The Java producer: records per second, and records acknowledged before the kill and after it before it stops. */
const JAVA = { rate: 200, beforeKill: 500, afterKill: 500 } as const;

let main: ClusterInfo;
let dir: string;
let redis: TestRedis | undefined;
const onExit = (): void => redis?.killNow();

beforeAll(async () => {
  if (!hasRedis) throw new Error('redis-server not found: install the Debian package redis-server (scripts/setup.sh)');
  main = mainCluster();
  dir = await mkdtemp(join(tmpdir(), 'turnout-multi-process-'));
  redis = new TestRedis(await freePort());
  await redis.start();
  process.once('exit', onExit);
}, 120_000);

afterAll(async () => {
  await redis?.stop();
  process.off('exit', onExit);
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

interface Ports {
  bootstrap: number;
  nodePortBase: number;
  admin: number;
}

async function writeConfig(ports: Ports): Promise<string> {
  return writeYaml('turnout.yaml', {
    processes: 2,
    virtualCluster: { clusterId: CLUSTER_ID, presentation: 'turnout-nodes' },
    listeners: [{ bindHost: '127.0.0.1', advertisedHost: '127.0.0.1', bootstrapPort: ports.bootstrap, nodePortBase: ports.nodePortBase, nodes: NODES }],
    backends: [{ name: 'main', bootstrapServers: main.bootstrapServers.split(',') }],
    domains: [{ name: 'mproc', owner: 'team-mproc', topics: [`${PREFIX}*`], groups: [`${PREFIX}*`], transactionalIds: [`${PREFIX}*`], backend: 'main' }],
    admin: { host: '127.0.0.1', port: ports.admin },
    store: { type: 'redis', watchFile: false, redis: { url: (redis as TestRedis).url, keyPrefix: `turnout:{it-multi-process-${process.pid}}:`, connectTimeoutMs: 2_000 } },
  });
}

async function writeYaml(name: string, config: Record<string, unknown>): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, stringify(config));
  return file;
}

/** Two processes over main alone, its brokers presented one for one, on the file store (nothing written to the state folder). */
async function writeBrokerPerNodeConfig(name: string, ports: Ports): Promise<string> {
  return writeYaml(name, {
    processes: 2,
    virtualCluster: { clusterId: CLUSTER_ID },
    listeners: [{ bindHost: '127.0.0.1', advertisedHost: '127.0.0.1', bootstrapPort: ports.bootstrap, nodePortBase: ports.nodePortBase }],
    backends: [{ name: 'main', bootstrapServers: main.bootstrapServers.split(',') }],
    admin: { host: '127.0.0.1', port: ports.admin },
    store: { watchFile: false },
  });
}

async function freshPorts(): Promise<Ports> {
  return { bootstrap: await freePort(), nodePortBase: await freePortBlock(NODES), admin: await freePort() };
}

interface WorkerView {
  index: number;
  pid: number | null;
  adminPort: number | null;
  restarts: number;
  ready: boolean;
}

async function workers(adminPort: number): Promise<{ ready: boolean; workers: WorkerView[] }> {
  const r = await fetch(`http://127.0.0.1:${adminPort}/readyz`);
  return (await r.json()) as { ready: boolean; workers: WorkerView[] };
}

/** Produce requests counted in a /metrics text. */
function produceRequests(metrics: string): number {
  let total = 0;
  for (const m of metrics.matchAll(/^turnout_requests_total\{[^}]*api="Produce"[^}]*\} (\d+)$/gm)) total += Number(m[1]);
  return total;
}

async function metricsOf(port: number): Promise<string> {
  return (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
}

/** kcat's view of the cluster (brokers, and the topic's partitions with their leaders), one connection. */
async function metadataView(bootstrap: string, topic: string): Promise<string> {
  const r = await kcat(['-b', bootstrap, '-L', '-t', topic, '-J'], { timeoutMs: 30_000 });
  expect(r.code, r.stderr).toBe(0);
  const md = JSON.parse(r.stdout) as { brokers: unknown[]; topics: Array<{ partitions: unknown[] }> };
  return JSON.stringify({ brokers: md.brokers, partitions: md.topics[0]?.partitions });
}

/** The distinct nodes that lead a partition in a metadataView, in id order. */
function leaderNodes(view: string): number[] {
  const partitions = (JSON.parse(view) as { partitions: Array<{ leader: number }> }).partitions;
  return [...new Set(partitions.map((p) => p.leader))].sort((a, b) => a - b);
}

/** Client connections open on a worker (its own /metrics). */
async function clientConnections(worker: WorkerView): Promise<number> {
  return openClientConnections(await metricsOf(worker.adminPort as number));
}

function openClientConnections(metrics: string): number {
  const m = /^turnout_active_connections\{side="client"\} (\d+)$/m.exec(metrics);
  return m === null ? 0 : Number(m[1]);
}

/** Client connections a worker has taken so far: those open and those closed. */
async function clientConnectionsTaken(worker: WorkerView): Promise<number> {
  const metrics = await metricsOf(worker.adminPort as number);
  let taken = openClientConnections(metrics);
  for (const m of metrics.matchAll(/^turnout_connection_closes_total\{side="client",reason="[^"]*"\} (\d+)$/gm)) taken += Number(m[1]);
  return taken;
}

/** Waits until no worker has taken a client connection for 2 s, even one closed since. */
async function connectionsSettled(workers: readonly WorkerView[]): Promise<void> {
  let last = '';
  let sameSince = Date.now();
  await waitFor(
    async () => {
      const now = (await Promise.all(workers.map(clientConnectionsTaken))).join(',');
      if (now !== last) {
        last = now;
        sameSince = Date.now();
      }
      return Date.now() - sameSince >= 2_000;
    },
    { timeoutMs: 60_000, intervalMs: 250, what: 'the client connections on the workers to settle' },
  );
}

/**
 * Makes the next connection to `port` land on worker `want`: connections to a port go to the
 * workers in turn, so open connections (kept until the caller closes them) until the last
 * one went to the other worker. Returns those connections.
 */
async function steerNextConnection(port: number, workers: readonly WorkerView[], want: number): Promise<net.Socket[]> {
  const held: net.Socket[] = [];
  for (let attempt = 0; attempt < 4; attempt++) {
    const before = await Promise.all(workers.map(clientConnections));
    const socket = net.connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => socket.once('connect', () => resolve()).once('error', reject));
    held.push(socket);
    const tookIt = await waitFor(
      async () => {
        const after = await Promise.all(workers.map(clientConnections));
        const index = after.findIndex((n, i) => n > before[i]);
        return index >= 0 ? { index } : undefined;
      },
      { timeoutMs: 10_000, intervalMs: 50, what: `a worker to take a connection to port ${port}` },
    );
    if (tookIt.index !== want) return held;
  }
  throw new Error(`connections to port ${port} never alternated between the workers`);
}

interface ConsumedRecord {
  member: string;
  partition: number;
  offset: number;
  value: string;
}

/** A kafka-verifiable-consumer member of `group`, its records gathered. */
async function startMember(name: string, bootstrap: string, topic: string, group: string, into: ConsumedRecord[]): Promise<RunningTool> {
  const tool = await startTool(
    'kafka-verifiable-consumer',
    ['--bootstrap-server', bootstrap, '--topic', topic, '--group-id', group, '--reset-policy', 'earliest', '--verbose'],
    await javaClientLogOptions(),
  );
  let read = 0;
  const drain = (): void => {
    for (; read < tool.lines.length; read++) {
      const line = tool.lines[read];
      if (!line.startsWith('{')) continue;
      const e = JSON.parse(line) as { name: string; partition?: number; offset?: number; value?: string };
      if (e.name === 'record_data' && e.partition !== undefined && e.offset !== undefined) into.push({ member: name, partition: e.partition, offset: e.offset, value: e.value ?? '' });
    }
  };
  const timer = setInterval(drain, 100);
  void tool.exited.then(() => {
    clearInterval(timer);
    drain();
  });
  return tool;
}

describe('two Turnout processes behind one set of ports', () => {
  it('present one cluster, sum their metrics, and keep every record once across a killed worker', { timeout: 420_000 }, async () => {
    const ports = await freshPorts();
    const turnout = new TurnoutProcess(await writeConfig(ports), ports.admin);
    await turnout.start(120_000);
    const bootstrap = `127.0.0.1:${ports.bootstrap}`;
    const started = await workers(ports.admin);
    expect(started.workers).toHaveLength(2);
    expect(new Set(started.workers.map((w) => w.pid)).size, 'two worker processes').toBe(2);

    // Connections to a port go to the workers in turn: consecutive clients see both, and must see one cluster.
    const kcatTopic = await createTopic(main, { name: `${PREFIX}kcat-${Date.now().toString(36)}`, partitions: 3, replicationFactor: 3 });
    const views = [];
    for (let i = 0; i < 4; i++) views.push(await metadataView(bootstrap, kcatTopic));
    expect(new Set(views).size, `every connection shows the same nodes, ports and leaders: ${views.join('\n')}`).toBe(1);
    expect(JSON.parse(views[0]).brokers.map((b: { id: number }) => b.id).sort()).toEqual([0, 1, 2]);

    // kcat producers, one after the other: their connections land on both workers.
    const kcatValues: string[] = [];
    for (let run = 0; run < 4; run++) {
      const lines = Array.from({ length: 50 }, (_, i) => `k${i % 5}\tv${run * 50 + i}`);
      kcatValues.push(...lines.map((l) => l.split('\t')[1]));
      const r = await kcat(['-b', bootstrap, '-P', '-t', kcatTopic, '-K', '\t', '-X', 'acks=all', '-X', 'enable.idempotence=true'], { input: `${lines.join('\n')}\n`, timeoutMs: 60_000 });
      expect(r.code, r.stderr).toBe(0);
    }
    const perWorker = await Promise.all(started.workers.map(async (w) => produceRequests(await metricsOf(w.adminPort as number))));
    const summed = produceRequests(await metricsOf(ports.admin));
    console.log(JSON.stringify({ produceRequestsPerWorker: perWorker, produceRequestsOnAdminPort: summed }));
    expect(perWorker.every((n) => n > 0), `both workers served produce requests: ${perWorker.join(', ')}`).toBe(true);
    expect(summed, "the admin port's /metrics is the sum of the workers'").toBe(perWorker[0] + perWorker[1]);
    const kcatRead = await readTopic(bootstrap, kcatTopic, 60_000);
    expect(kcatRead.map((r) => r.value).sort(), 'kcat reads back every record once through Turnout').toEqual([...kcatValues].sort());
    for (const rs of byPartition(kcatRead).values()) {
      const seq = rs.map((r) => Number((r.value as string).slice(1)));
      expect(seq, 'in order per partition').toEqual([...seq].sort((a, b) => a - b));
    }

    // A Java idempotent producer and a Java consumer group stream while a worker is killed.
    const topic = await createTopic(main, { name: `${PREFIX}java-${Date.now().toString(36)}`, partitions: 3, replicationFactor: 3 });
    const group = `${PREFIX}${uniqueGroup('g')}`;
    const consumed: ConsumedRecord[] = [];
    const producerConfig = join(dir, 'producer.properties');
    await writeFile(producerConfig, idempotentProducerProperties(120_000, ['reconnect.backoff.max.ms=500']));
    // The producer's connections to the nodes go to both workers: a worker then takes produce
    // requests for a topic whose id only its sibling has shown the client.
    // The group is assigned first, so that the producer meets a topic whose partitions the
    // workers already route for the group: the order that once let a worker refuse a new
    // topic's first batch and forward the batches behind it, stored out of order.
    const members = [await startMember('m1', bootstrap, topic, group, consumed), await startMember('m2', bootstrap, topic, group, consumed)];
    await Promise.all(members.map((m) => m.waitForLine((l) => l.includes('"partitions_assigned"'), 120_000)));
    // The producer's connection to each node that leads a partition of the topic is steered so
    // that those nodes are split over both workers.
    const leaders = leaderNodes(await metadataView(bootstrap, topic));
    expect(leaders.length, `the topic's partitions are led by more than one node: ${leaders.join(', ')}`).toBeGreaterThan(1);
    // The members open their connections to the leaders after their assignment (offsets, then
    // fetches); one opened during the steering would take the turn meant for the producer.
    await connectionsSettled(started.workers);
    const steering: net.Socket[] = [];
    for (const [i, node] of leaders.entries()) steering.push(...(await steerNextConnection(ports.nodePortBase + node, started.workers, i % 2)));
    const producerTool = await startTool(
      'kafka-verifiable-producer',
      ['--bootstrap-server', bootstrap, '--topic', topic, '--acks', '-1', '--throughput', String(JAVA.rate), '--max-messages', '-1', '--repeating-keys', '30', '--producer.config', producerConfig],
    );
    const producer = verifiableProducerEvents(producerTool);
    await producer.progress('Java producer started', 1, 120_000);
    for (const socket of steering) socket.destroy();
    await producer.progress('Java producer before the kill', JAVA.beforeKill, 120_000);
    // The worker the Java producer writes through most (its produce requests grew since the kcat runs) is the one killed.
    const javaProduce = await Promise.all(started.workers.map(async (w, i) => produceRequests(await metricsOf(w.adminPort as number)) - perWorker[i]));
    const victim = started.workers[javaProduce[0] >= javaProduce[1] ? 0 : 1];
    expect(javaProduce.every((n) => n > 0), `produce requests of the Java producer on each worker before the kill: ${javaProduce.join(', ')}`).toBe(true);
    process.kill(victim.pid as number, 'SIGKILL');
    const ackedAtKill = producer.acked();
    let lastReadiness = '';
    const restarted = await waitFor(
      async () => {
        const now = await workers(ports.admin);
        lastReadiness = JSON.stringify(now);
        const slot = now.workers.find((w) => w.index === victim.index);
        return now.ready && slot !== undefined && slot.pid !== victim.pid ? now : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 200, what: `worker ${victim.index} restarted by the primary and every worker ready` },
    ).catch((err: unknown) => {
      throw new Error(`${String(err)}; last /readyz ${lastReadiness}; output ${turnout.output().slice(-3_000)}`);
    });
    expect(restarted.workers.find((w) => w.index === victim.index)?.restarts).toBe(1);
    await producer.progress('Java producer after the kill', ackedAtKill + JAVA.afterKill, 120_000);

    expect(await producer.finish(60_000), 'the Java producer closes within 60 s').toBe(true);
    const acked = producer.successes.map((e) => ({ value: e.value as string, partition: e.partition as number, offset: e.offset as number }));
    const describe = (e: { exception?: string; message?: string }): string => `${e.exception}: ${e.message}`;
    expect(producer.errors.map(describe).filter((e) => !/closed/i.test(e)), 'Java send errors').toEqual([]);

    // Stored on the backend: each acknowledged record once, in order, where its acknowledgement said.
    const stored = await readTopic(main.bootstrapServers, topic, 120_000);
    const warnings = turnout.output().split('\n').filter((l) => /"level":(40|50|60)/.test(l));
    console.log(`turnout warnings:\n${warnings.slice(-40).join('\n')}`);
    console.log(`java producer warnings:\n${producerTool.stderr().split('\n').filter((l) => /WARN|ERROR|sequence|epoch/i.test(l)).slice(-60).join('\n')}`);
    const storedAt = new Map(stored.map((r) => [`${r.partition}@${r.offset}`, r.value]));
    expect(stored.length, 'records stored').toBe(acked.length);
    expect(new Set(stored.map((r) => r.value)).size, 'no duplicates stored').toBe(stored.length);
    expect(acked.filter((a) => storedAt.get(`${a.partition}@${a.offset}`) !== a.value), 'acknowledged records not at their offset').toEqual([]);
    for (const rs of byPartition(stored).values()) {
      const seq = rs.map((r) => Number(r.value));
      expect(seq, 'stored in send order per partition').toEqual([...seq].sort((a, b) => a - b));
    }

    // Read by the group: every record once, in offset order per partition.
    await waitFor(() => new Set(consumed.map((c) => `${c.partition}@${c.offset}`)).size >= acked.length, {
      timeoutMs: 120_000,
      what: `the group to read ${acked.length} records (read ${consumed.length}); ${members.map((m) => m.stderr().slice(-600)).join('\n')}`,
    });
    await Promise.all(members.map((m) => m.stop()));
    const readKeys = consumed.map((c) => `${c.partition}@${c.offset}`);
    expect(readKeys.length - new Set(readKeys).size, 'records the group read twice').toBe(0);
    expect(consumed.filter((c) => storedAt.get(`${c.partition}@${c.offset}`) !== c.value), 'records read with another value than stored').toEqual([]);
    for (const rs of byPartition(consumed).values()) {
      const offsets = rs.map((r) => r.offset);
      expect(offsets, 'read in offset order per partition').toEqual([...offsets].sort((a, b) => a - b));
    }

    // kcat through the restarted pair reads the same log.
    const throughTurnout = await readTopic(bootstrap, topic, 120_000);
    expect(throughTurnout.map((r) => `${r.partition}@${r.offset}=${r.value}`)).toEqual(stored.map((r) => `${r.partition}@${r.offset}=${r.value}`));
    console.log(JSON.stringify({ javaProduceRequestsPerWorkerBeforeKill: javaProduce, killed: victim.index, acked: acked.length, ackedAtKill, stored: stored.length, groupRead: consumed.length, members: [...new Set(consumed.map((c) => c.member))] }));
    expect(turnout.output()).toContain('worker exited: restarting it');
  });
});

describe('two Turnout processes over one backend on the file store', () => {
  it('present its brokers under the same ids and ports, and stop cleanly on SIGTERM', { timeout: 240_000 }, async () => {
    const ports = await freshPorts();
    const turnout = new TurnoutProcess(await writeBrokerPerNodeConfig('brokers.yaml', ports), ports.admin);
    await turnout.start(120_000);
    const bootstrap = `127.0.0.1:${ports.bootstrap}`;
    const topic = await createTopic(main, { name: `${PREFIX}file-${Date.now().toString(36)}`, partitions: 3, replicationFactor: 3 });
    const views = [];
    for (let i = 0; i < 4; i++) views.push(await metadataView(bootstrap, topic));
    expect(new Set(views).size, `every connection shows the same nodes, ports and leaders: ${views.join('\n')}`).toBe(1);
    const values = Array.from({ length: 100 }, (_, i) => `r${i}`);
    const produced = await kcat(['-b', bootstrap, '-P', '-t', topic, '-X', 'acks=all'], { input: `${values.join('\n')}\n`, timeoutMs: 60_000 });
    expect(produced.code, produced.stderr).toBe(0);
    expect((await readTopic(bootstrap, topic, 60_000)).map((r) => r.value).sort()).toEqual([...values].sort());

    expect(await turnout.stop(), 'the primary exits 0 once its workers have drained').toBe(0);
    const out = turnout.output();
    expect(out.match(/"msg":"worker stopped"/g)?.length, out.slice(-2_000)).toBe(2);
    expect(out).not.toContain('worker exited: restarting it');
    // The primary was started without the allocator settings (not through bin/turnout): it forks its workers with them.
    expect(out.match(/"msg":"allocator keeps freed memory for the next reads"/g)?.length, out.slice(-2_000)).toBe(2);
  });

  it('refuse several processes where the state folder would take writes from each', { timeout: 120_000 }, async () => {
    const ports = await freshPorts();
    const twoBackends = await writeYaml('two-backends.yaml', {
      virtualCluster: { clusterId: CLUSTER_ID },
      listeners: [{ bindHost: '127.0.0.1', advertisedHost: '127.0.0.1', bootstrapPort: ports.bootstrap, nodePortBase: ports.nodePortBase }],
      backends: [
        { name: 'a', bootstrapServers: ['127.0.0.1:1'] },
        { name: 'b', bootstrapServers: ['127.0.0.1:2'] },
      ],
      domains: [{ name: 'orders', owner: 'team', topics: ['orders.*'], backend: 'a' }],
      admin: { host: '127.0.0.1', port: ports.admin },
    });
    const refused = await runTurnoutCli(['start', '--config', twoBackends, '--processes', '2']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/processes: processes: 2 needs store\.type: redis/);
  });

  it('the primary gives up and exits 1 when a worker keeps failing to start', { timeout: 300_000 }, async () => {
    const ports = await freshPorts();
    // The bootstrap port is taken: every worker fails to bind it.
    const squatter = net.createServer();
    await new Promise<void>((resolve) => squatter.listen(ports.bootstrap, '127.0.0.1', () => resolve()));
    try {
      const run = await runTurnoutCli(['start', '--config', await writeBrokerPerNodeConfig('port-taken.yaml', ports)]);
      expect(run.code, run.stderr.slice(-2_000)).toBe(1);
      expect(run.stdout).toMatch(/giving up: worker \d exited 5 times/);
      expect(run.stderr).toContain('EADDRINUSE');
    } finally {
      await new Promise<void>((resolve) => squatter.close(() => resolve()));
    }
  });
});
