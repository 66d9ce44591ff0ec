// What the tests of Java and librdkafka clients over several backends share: one Turnout in
// front of the main (4.1.1) and legacy (3.9.1) clusters with a domain on each, a tap between
// the clients and Turnout that notes which topics every Produce request carried, the Java test
// programs in ./java compiled once per source version, and a backend's own view of a group's
// committed offsets.
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { decodeRequestBody, decodeRequestHeader, scanRecordBatches } from '../../src/codec/index.js';
import { ensureKafka, TOOLS_KAFKA_VERSION } from '../../src/devkit/index.js';
import { javaCommand } from '../../src/devkit/kafka-cluster.js';
import type { ProxyHandle } from '../../src/proxy.js';
import { runProcess, testProgramClasses, type ProcessResult } from './java-test-programs.js';
import { javaClientLogOptions, watchJavaLog, type BackendFacts, type JavaLogWatch } from './acceptance-helpers.js';
import { kafkaTool, kafkaToolOk, type ClusterInfo } from './rig.js';
import { startTwoDomainTurnout } from './two-domain-turnout.js';

export const MULTI_CLUSTER_ID = 'tUrNoUtMuLtIcLiEnTs000';
/** Topics and groups of the orders domain start with this; they live on the main cluster. */
export const ORDERS = 'mco-';
/** Topics and groups of the payments domain start with this; they live on the legacy cluster. */
export const PAYMENTS = 'mcp-';
const NODES = 3;

// ---- Turnout behind a produce tap

/** One Produce request a client sent, as the tap decoded it. */
export interface TappedProduce {
  apiVersion: number;
  /** Topic names in request order (`id:<uuid>` where a version names topics by id only). */
  topics: string[];
  partitions: number;
  records: number;
  /** Set when the tap could not decode the request (the bytes still went through). */
  decodeError?: string;
}

export interface TappedTurnout {
  proxy: ProxyHandle;
  /** What clients use: the tap's bootstrap port, which Turnout's own node addresses match. */
  bootstrapServers: string;
  /** Every Produce request clients sent so far, in arrival order across connections. */
  produceRequests: TappedProduce[];
  close(): Promise<void>;
}

/**
 * Turnout over the two clusters, bound to 127.0.0.2 but advertising 127.0.0.1 on the same node
 * ports, where a tap listens: clients connect to the tap without knowing it, and the tap passes
 * bytes through both ways unchanged while decoding the Produce requests on the way in. That is
 * how a test sees what a client put in one request, which neither Turnout nor Kafka counts.
 * (Linux answers on all of 127.0.0.0/8; macOS needs `sudo ifconfig lo0 alias 127.0.0.2`.)
 */
export async function startTappedTurnout(main: ClusterInfo, legacy: ClusterInfo): Promise<TappedTurnout> {
  const produceRequests: TappedProduce[] = [];
  const sockets = new Set<net.Socket>();
  const servers: net.Server[] = [];
  const tap = (listenPort: number, targetPort: number): Promise<net.Server> =>
    listen(
      net.createServer((client) => relay(client, targetPort, sockets, produceRequests)),
      listenPort,
    );
  const nodePortBase = await reserveNodePorts(NODES, (port) => tap(port, port), servers);
  const proxy = await startTwoDomainTurnout({
    clusterId: MULTI_CLUSTER_ID,
    main,
    legacy,
    orders: ORDERS,
    payments: PAYMENTS,
    listener: { bindHost: '127.0.0.2', advertisedHost: '127.0.0.1', bootstrapPort: 0, nodePortBase, nodes: NODES },
  });
  const bootstrap = await tap(0, proxy.ports().bootstrap);
  servers.push(bootstrap);
  return {
    proxy,
    bootstrapServers: `127.0.0.1:${(bootstrap.address() as net.AddressInfo).port}`,
    produceRequests,
    async close() {
      for (const s of sockets) s.destroy();
      await Promise.all(servers.map((s) => new Promise<void>((done) => s.close(() => done()))));
      await proxy.close();
    },
  };
}

function listen(server: net.Server, port: number): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port }, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

// Below the devkit's cluster ports (20000-31999: a rig broker stopped for a moment must get
// its port back) and the kernel's ephemeral range (outgoing connections must not take them).
const TAP_PORTS_START = 12_000;
const TAP_PORTS_END = 19_990;

/** Finds `count` consecutive free ports on 127.0.0.1 and binds the tap on each. */
async function reserveNodePorts(count: number, bind: (port: number) => Promise<net.Server>, servers: net.Server[]): Promise<number> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 30; attempt++) {
    const base = TAP_PORTS_START + Math.floor(Math.random() * (TAP_PORTS_END - TAP_PORTS_START));
    const bound: net.Server[] = [];
    try {
      for (let i = 0; i < count; i++) bound.push(await bind(base + i));
      servers.push(...bound);
      return base;
    } catch (err) {
      lastError = err;
      await Promise.all(bound.map((s) => new Promise<void>((done) => s.close(() => done()))));
    }
  }
  throw new Error(`no ${count} consecutive free ports for the produce tap: ${String(lastError)}`);
}

function relay(client: net.Socket, targetPort: number, sockets: Set<net.Socket>, seen: TappedProduce[]): void {
  const upstream = net.connect({ host: '127.0.0.2', port: targetPort });
  for (const s of [client, upstream]) {
    sockets.add(s);
    s.setNoDelay(true);
    s.on('error', () => undefined);
    s.on('close', () => {
      sockets.delete(s);
      client.destroy();
      upstream.destroy();
    });
  }
  upstream.pipe(client);
  let pending: Buffer = Buffer.alloc(0);
  client.on('data', (chunk: Buffer) => {
    if (!upstream.write(chunk)) {
      client.pause();
      upstream.once('drain', () => client.resume());
    }
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    while (pending.length >= 4 && pending.length >= 4 + pending.readInt32BE(0)) {
      const size = pending.readInt32BE(0);
      noteProduce(pending.subarray(4, 4 + size), seen);
      pending = pending.subarray(4 + size);
    }
  });
}

const PRODUCE = 0;

function noteProduce(frame: Buffer, seen: TappedProduce[]): void {
  if (frame.length < 4 || frame.readInt16BE(0) !== PRODUCE) return;
  try {
    seen.push(decodeProduce(frame));
  } catch (err) {
    seen.push({ apiVersion: frame.readInt16BE(2), topics: [], partitions: 0, records: 0, decodeError: String(err) });
  }
}

function decodeProduce(frame: Buffer): TappedProduce {
  const header = decodeRequestHeader(frame);
  const body = decodeRequestBody(PRODUCE, header.apiVersion, frame.subarray(header.headerSizeBytes));
  let partitions = 0;
  let records = 0;
  for (const t of body.topicData) {
    for (const p of t.partitionData) {
      partitions++;
      for (const batch of scanRecordBatches(p.records).batches) records += batch.recordCount;
    }
  }
  return { apiVersion: header.apiVersion, topics: body.topicData.map((t) => (t.name !== '' ? t.name : `id:${t.topicId}`)), partitions, records };
}

/** The value of Turnout's request counter for one api, summed over versions. */
export async function turnoutRequests(proxy: ProxyHandle, api: string): Promise<number> {
  const metric = await proxy.registry.getSingleMetric('turnout_requests_total')?.get();
  return (metric?.values ?? []).filter((v) => v.labels.api === api).reduce((sum, v) => sum + v.value, 0);
}

// ---- Java test programs

export { testProgramClasses, type ProcessResult };

/** `jvmOptions` come after the defaults, so they override them (`-Djava.net.preferIPv4Stack=false` for an IPv6 client). */
async function javaProgramCommand(mainClass: string, args: readonly string[], jvmOptions: readonly string[] = []): Promise<{ command: string; args: string[] }> {
  const [classes, install, logging] = await Promise.all([testProgramClasses(), ensureKafka(TOOLS_KAFKA_VERSION), javaClientLogOptions()]);
  return {
    command: javaCommand(),
    args: ['-Xms32m', '-Xmx256m', '-XX:+UseSerialGC', '-XX:-UsePerfData', '-Djava.net.preferIPv4Stack=true', ...logging.jvmOptions, ...jvmOptions, '-cp', `${classes}:${install.classpath}`, mainClass, ...args],
  };
}

/** Runs a test program to its end and returns what it printed, however it ended (for a test that expects a failure). */
export async function runJavaProgramToEnd(mainClass: string, args: readonly string[], opts: { timeoutMs: number; jvmOptions?: readonly string[] }): Promise<ProcessResult> {
  const cmd = await javaProgramCommand(mainClass, args, opts.jvmOptions);
  return runProcess(cmd.command, cmd.args, opts);
}

/** Runs a test program to its end; throws with its stderr unless it exits 0. */
export async function runJavaProgram(mainClass: string, args: readonly string[], opts: { timeoutMs: number; jvmOptions?: readonly string[] }): Promise<ProcessResult> {
  const result = await runJavaProgramToEnd(mainClass, args, opts);
  if (result.code !== 0 || result.timedOut) {
    // The first warnings say what went wrong; the tail, how it ended. The whole log goes to a file.
    const log = join(tmpdir(), `turnout-it-${mainClass}-${Date.now()}.log`);
    await writeFile(log, result.stderr).catch(() => undefined);
    const firstWarnings = result.stderr.split('\n').filter((l) => /\b(WARN|ERROR)\b/.test(l)).slice(0, 8).join('\n');
    throw new Error(
      `${mainClass} ${args.join(' ')} ${result.timedOut ? `timed out after ${opts.timeoutMs} ms` : `exited with ${result.code}`} (whole stderr in ${log})\nfirst warnings:\n${firstWarnings}\nstderr tail: ${result.stderr.slice(-3_000)}`,
    );
  }
  return result;
}

/** A test program running in the background; it stops when its stdin closes (see GroupMember). */
export interface JavaProgram {
  /** Every stdout line so far. */
  readonly lines: readonly string[];
  /** What its client log showed, one watch per `BackendFacts` given at start, in that order. */
  readonly watches: JavaLogWatch[];
  stderr(): string;
  /** Closes stdin and waits for the exit (killing it after `timeoutMs`); throws unless it exits 0. */
  finish(timeoutMs?: number): Promise<void>;
  /** Kills it at once, whatever it is doing. */
  kill(): void;
}

export async function startJavaProgram(mainClass: string, args: readonly string[], watchFor: readonly BackendFacts[] = []): Promise<JavaProgram> {
  const cmd = await javaProgramCommand(mainClass, args);
  const child = spawn(cmd.command, cmd.args, { stdio: ['pipe', 'pipe', 'pipe'] });
  const watches = watchFor.map((facts) => watchJavaLog(child.stderr, facts));
  const lines: string[] = [];
  let stderrTail = '';
  child.stderr.on('data', (b: Buffer) => {
    stderrTail = (stderrTail + b.toString('utf8')).slice(-64_000);
  });
  createInterface({ input: child.stdout }).on('line', (line) => lines.push(line));
  const exited = new Promise<number | null>((resolveExit) => child.once('close', (code: number | null) => resolveExit(code)));
  await new Promise<void>((resolveSpawn, reject) => {
    child.once('spawn', resolveSpawn);
    child.once('error', (e) => reject(new Error(`${mainClass} could not start: ${e.message}`)));
  });
  return {
    lines,
    watches,
    stderr: () => stderrTail,
    kill: () => void child.kill('SIGKILL'),
    async finish(timeoutMs = 60_000) {
      child.stdin.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      const code = await exited.finally(() => clearTimeout(timer));
      if (code !== 0) throw new Error(`${mainClass} ${args.join(' ')} exited with ${code}\nstderr: ${stderrTail.slice(-4_000)}`);
    },
  };
}

// ---- A backend's own view of a group

/** Committed and end offset of one partition, as kafka-consumer-groups --describe shows them. */
export interface GroupPartitionOffsets {
  committed: number;
  logEnd: number;
}

/**
 * The committed offsets of a group, read directly from one cluster, keyed `topic:partition`.
 * Empty when the cluster does not know the group.
 */
export async function committedOffsetsOn(cluster: ClusterInfo, group: string): Promise<Map<string, GroupPartitionOffsets>> {
  const result = await kafkaTool('kafka-consumer-groups', ['--bootstrap-server', cluster.bootstrapServers, '--describe', '--group', group]);
  const offsets = new Map<string, GroupPartitionOffsets>();
  if (/does not exist/.test(result.stdout + result.stderr)) return offsets;
  if (result.code !== 0) throw new Error(`kafka-consumer-groups --describe --group ${group} on ${cluster.cluster} exited with ${result.code}: ${result.stderr.slice(-2_000)}`);
  for (const line of result.stdout.split('\n')) {
    const cols = line.trim().split(/\s+/);
    // GROUP TOPIC PARTITION CURRENT-OFFSET LOG-END-OFFSET LAG ...
    if (cols[0] !== group || !/^\d+$/.test(cols[2] ?? '')) continue;
    offsets.set(`${cols[1]}:${cols[2]}`, { committed: cols[3] === '-' ? -1 : Number(cols[3]), logEnd: Number(cols[4]) });
  }
  return offsets;
}

/** The groups a cluster itself lists. */
export async function groupsOn(cluster: ClusterInfo): Promise<string[]> {
  const out = await kafkaToolOk('kafka-consumer-groups', ['--bootstrap-server', cluster.bootstrapServers, '--list']);
  return out.split('\n').map((l) => l.trim()).filter((l) => l !== '');
}

/** The topics a cluster itself lists. */
export async function topicsOn(cluster: ClusterInfo): Promise<string[]> {
  const out = await kafkaToolOk('kafka-topics', ['--bootstrap-server', cluster.bootstrapServers, '--list']);
  return out.split('\n').map((l) => l.trim()).filter((l) => l !== '');
}
