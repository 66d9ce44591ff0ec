// What the acceptance tests share: a Turnout started in-process in front of the shared cluster
// with its log lines captured, reading a topic back directly from the cluster (the ground
// truth a test compares against), the check that no text a client printed names a real
// broker or the real cluster, Java tools run with their client's view of the cluster logged,
// the events of a running kafka-verifiable-producer, and settled memory readings of the
// process Turnout runs in.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import v8 from 'node:v8';
import vm from 'node:vm';
import { afterAll, beforeAll, expect } from 'vitest';
import { createLogger, type LogLevel } from '../../src/observability/logger.js';
import type { TurnoutConfigInput } from '../../src/policy/config.js';
import { startProxy, type ProxyHandle, type StartProxyOptions } from '../../src/proxy.js';
import { kafkaTool, kcat, mainCluster, ToolFailedError, waitFor, type ClusterInfo, type KafkaToolResult, type RunningTool } from './rig.js';

/** One JSON log line Turnout wrote. */
export interface LogLine {
  level: number;
  msg: string;
  reason?: string;
  [field: string]: unknown;
}

export interface AcceptanceTurnout {
  proxy: ProxyHandle;
  /** Log lines at warn and above (and below when TURNOUT_LOG_LEVEL asks), newest last; capped. */
  logs: LogLine[];
}

const MAX_LOG_LINES = 50_000;

/**
 * Starts Turnout on ephemeral loopback ports in front of the shared 4.1.1 cluster. Log lines
 * (from `captureLevel`, warn by default) are kept in memory for assertions;
 * TURNOUT_LOG_LEVEL=info (or lower) also echoes them to stderr.
 */
export async function startTurnout(
  clusterId: string,
  overrides: Partial<TurnoutConfigInput> = {},
  start: Omit<StartProxyOptions, 'logger'> & { captureLevel?: LogLevel } = {},
): Promise<AcceptanceTurnout> {
  const echoLevel = process.env.TURNOUT_LOG_LEVEL;
  const logs: LogLine[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const text of chunk.toString('utf8').split('\n')) {
        if (text === '') continue;
        if (echoLevel !== undefined) process.stderr.write(`${text}\n`);
        try {
          logs.push(JSON.parse(text) as LogLine);
        } catch {
          logs.push({ level: 0, msg: text });
        }
        if (logs.length > MAX_LOG_LINES) logs.splice(0, logs.length - MAX_LOG_LINES);
      }
      done();
    },
  });
  const { captureLevel, ...startOptions } = start;
  const logger = createLogger({ level: (echoLevel as LogLevel | undefined) ?? captureLevel ?? 'warn', destination: sink });
  const proxy = await startProxy(
    {
      virtualCluster: { clusterId },
      listeners: [{ bindHost: '127.0.0.1', advertisedHost: '127.0.0.1', bootstrapPort: 0, nodePortBase: 0 }],
      backends: [{ name: 'main', bootstrapServers: mainCluster().bootstrapServers.split(',') }],
      admin: { host: '127.0.0.1', port: 0 },
      ...overrides,
    },
    { ...startOptions, logger },
  );
  return { proxy, logs };
}

/** Starts Turnout (as `startTurnout`) before the file's tests and closes it after them. */
export function turnoutForFile(clusterId: string, overrides: Partial<TurnoutConfigInput> = {}): AcceptanceTurnout {
  const turnout = {} as AcceptanceTurnout;
  beforeAll(async () => {
    Object.assign(turnout, await startTurnout(clusterId, overrides));
  });
  afterAll(async () => {
    await turnout.proxy?.close();
  });
  return turnout;
}

/** What identifies the real cluster behind Turnout: none of it may reach a client. */
export interface BackendFacts {
  /** `host:port` of every broker and the controller, as the rig knows them. */
  addresses: string[];
  brokerIds: Set<number>;
  clusterId: string;
}

export function backendFacts(cluster: ClusterInfo = mainCluster()): BackendFacts {
  const nodes = [...cluster.brokers, cluster.controller];
  const addresses = new Set<string>();
  for (const n of nodes) {
    addresses.add(`${n.host}:${n.port}`);
    // The same listener under the other loopback spellings a client could print.
    for (const alias of ['127.0.0.1', 'localhost']) addresses.add(`${alias}:${n.port}`);
  }
  return { addresses: [...addresses], brokerIds: new Set(cluster.brokers.map((b) => b.id)), clusterId: cluster.clusterId };
}

/** Every real address or the real cluster id found in `text` (empty when it shows only Turnout). */
export function backendLeaks(text: string, facts: BackendFacts = backendFacts()): string[] {
  const found: string[] = [];
  for (const address of facts.addresses) {
    const port = address.slice(address.lastIndexOf(':') + 1);
    const host = address.slice(0, address.lastIndexOf(':'));
    if (new RegExp(`(^|[^0-9A-Za-z.])${host.replace(/[.]/g, '\\.')}:${port}(?![0-9])`).test(text)) found.push(address);
  }
  if (text.includes(facts.clusterId)) found.push(`cluster id ${facts.clusterId}`);
  return found;
}

/** Asserts `text` (a tool's output) names no real broker address and not the real cluster id. */
export function expectNoBackendLeak(text: string, what: string, facts: BackendFacts = backendFacts()): void {
  expect(backendLeaks(text, facts), `${what} names the real cluster`).toEqual([]);
}

// Java clients log every node they connect to (NetworkClient, debug) and the cluster id they
// learn (Metadata, info; the Admin client's metadata manager, debug): with these loggers on,
// a Java tool's stderr shows everything the client was told about the cluster.
const JAVA_CLIENT_LOG_CONFIG = [
  'status = error',
  'appender.err.type = Console',
  'appender.err.name = err',
  'appender.err.target = SYSTEM_ERR',
  'appender.err.layout.type = PatternLayout',
  'appender.err.layout.pattern = [%d] %p %m (%c)%n',
  'rootLogger.level = warn',
  'rootLogger.appenderRef.err.ref = err',
  'logger.metadata.name = org.apache.kafka.clients.Metadata',
  'logger.metadata.level = info',
  'logger.network.name = org.apache.kafka.clients.NetworkClient',
  'logger.network.level = debug',
  'logger.admin.name = org.apache.kafka.clients.admin.internals.AdminMetadataManager',
  'logger.admin.level = debug',
  '',
].join('\n');

let javaLogConfigFile: Promise<string> | undefined;

/** JVM options that make a Kafka Java tool log the client's view of the cluster to stderr. */
export async function javaClientLogOptions(): Promise<{ jvmOptions: string[] }> {
  javaLogConfigFile ??= (async () => {
    const file = join(await mkdtemp(join(tmpdir(), 'turnout-acceptance-')), 'client-log4j2.properties');
    await writeFile(file, JAVA_CLIENT_LOG_CONFIG);
    return file;
  })();
  // Later -D options override the tool defaults' logging config.
  return { jvmOptions: [`-Dlog4j2.configurationFile=${await javaLogConfigFile}`] };
}

/** Runs a Kafka Java tool with its client's view logged to stderr; throws unless it exits 0. */
export async function javaTool(tool: string, args: readonly string[], opts: { timeoutMs?: number; input?: string } = {}): Promise<KafkaToolResult> {
  const result = await kafkaTool(tool, args, { ...opts, ...(await javaClientLogOptions()) });
  if (result.code !== 0) throw new ToolFailedError(tool, args, result);
  return result;
}

/**
 * Asserts that a Java tool run with `javaClientLogOptions` connected only to Turnout: it logged
 * connections, none to a real address, and every cluster id it learned is Turnout's.
 */
export function expectJavaSawOnlyTurnout(result: { stdout: string; stderr: string }, clusterId: string, what: string): void {
  const text = result.stdout + result.stderr;
  expectNoBackendLeak(text, what);
  expect(text, `${what} logged its connections`).toMatch(/Initiating connection to node /);
  // The Admin client's bootstrap placeholder cluster has id null.
  const ids = new Set([...text.matchAll(/Cluster ID: (\S+)|Cluster\(id = ([^,]+),/g)].map((m) => m[1] ?? m[2]).filter((id) => id !== 'null'));
  expect([...ids], `cluster ids ${what} learned`).toEqual([clusterId]);
}

/** What a long-running Java tool's client log (see javaClientLogOptions) showed, scanned as it streams. */
export interface JavaLogWatch {
  leaks: Set<string>;
  clusterIds: Set<string>;
  connections: number;
}

/** Scans a tool's stderr line by line, however long it runs, for what its client was told. */
export function watchJavaLog(stderr: NodeJS.ReadableStream, facts: BackendFacts = backendFacts()): JavaLogWatch {
  const watch: JavaLogWatch = { leaks: new Set(), clusterIds: new Set(), connections: 0 };
  let carry = '';
  stderr.on('data', (chunk: Buffer) => {
    const lines = (carry + chunk.toString('utf8')).split('\n');
    carry = lines.pop() ?? '';
    for (const line of lines) {
      for (const leak of backendLeaks(line, facts)) watch.leaks.add(leak);
      if (line.includes('Initiating connection to node ')) watch.connections++;
      for (const m of line.matchAll(/Cluster ID: (\S+)|Cluster\(id = ([^,]+),/g)) {
        const id = m[1] ?? m[2];
        if (id !== 'null') watch.clusterIds.add(id);
      }
    }
  });
  return watch;
}

/** Asserts that a watched Java tool connected only to Turnout and learned only Turnout's cluster id. */
export function expectWatchSawOnlyTurnout(watch: JavaLogWatch, clusterId: string, what: string): void {
  expect([...watch.leaks], `${what} names the real cluster`).toEqual([]);
  expect(watch.connections, `${what} logged its connections`).toBeGreaterThan(0);
  expect([...watch.clusterIds], `cluster ids ${what} learned`).toEqual([clusterId]);
}

/** Virtual node ids Turnout presents (the ids a client may see as broker ids). */
export function virtualNodeIds(proxy: ProxyHandle): Set<number> {
  return new Set(proxy.ports().nodes.keys());
}

/** One record as read back. Keys and values are UTF-8 text (null when absent). */
export interface ReadRecord {
  partition: number;
  offset: number;
  key: string | null;
  value: string | null;
  headers: Array<[string, string]>;
}

interface KcatMessage {
  partition: number;
  offset: number;
  key: string | null;
  payload: string | null;
  headers?: string[] | null;
}

/**
 * Reads a topic from the beginning to its current end with kcat and returns its records in
 * partition, then offset order (librdkafka's isolation.level is read_committed unless
 * `kcatConfig` says otherwise). Against the cluster directly this is the ground truth a test
 * compares with what clients saw through Turnout.
 */
export async function readTopic(bootstrap: string, topic: string, timeoutMs = 60_000, kcatConfig: Record<string, string> = {}): Promise<ReadRecord[]> {
  const config = Object.entries({ 'fetch.wait.max.ms': '100', ...kcatConfig }).flatMap(([k, v]) => ['-X', `${k}=${v}`]);
  const result = await kcat(['-b', bootstrap, '-C', '-t', topic, '-o', 'beginning', '-e', '-q', '-J', ...config], { timeoutMs });
  if (result.code !== 0 || result.timedOut) throw new Error(`kcat could not read ${topic} from ${bootstrap}: ${result.stderr.slice(-2_000)}`);
  const records: ReadRecord[] = [];
  for (const line of result.stdout.split('\n')) {
    if (line.trim() === '') continue;
    const m = JSON.parse(line) as KcatMessage;
    const flat = m.headers ?? [];
    const headers: Array<[string, string]> = [];
    for (let i = 0; i + 1 < flat.length; i += 2) headers.push([flat[i], flat[i + 1]]);
    records.push({ partition: m.partition, offset: m.offset, key: m.key, value: m.payload, headers });
  }
  return records.sort((a, b) => a.partition - b.partition || a.offset - b.offset);
}

/** One JSON event line of kafka-verifiable-producer. */
export interface ProducerEvent {
  name: string;
  key?: string;
  value?: string;
  partition?: number;
  offset?: number;
  exception?: string;
  message?: string;
  sent?: number;
  acked?: number;
}

/** What a running kafka-verifiable-producer has reported so far. */
export interface VerifiableProducerEvents {
  readonly successes: ProducerEvent[];
  readonly errors: ProducerEvent[];
  /** The totals it prints on a clean exit. */
  toolData(): ProducerEvent | undefined;
  /** Reads the lines printed since the last call; returns the records acknowledged so far. */
  acked(): number;
  /** Waits until at least `atLeast` records are acknowledged. */
  progress(what: string, atLeast: number, timeoutMs?: number): Promise<boolean>;
  /**
   * A clean end: SIGTERM makes the tool stop sending, flush, close and report its totals.
   * Resolves true once it has exited (and its last lines are read), false after `timeoutMs`.
   */
  finish(timeoutMs?: number): Promise<boolean>;
}

export function verifiableProducerEvents(producer: RunningTool): VerifiableProducerEvents {
  let read = 0;
  const successes: ProducerEvent[] = [];
  const errors: ProducerEvent[] = [];
  let toolData: ProducerEvent | undefined;
  const acked = (): number => {
    for (; read < producer.lines.length; read++) {
      const line = producer.lines[read];
      if (!line.startsWith('{')) continue;
      const e = JSON.parse(line) as ProducerEvent;
      if (e.name === 'producer_send_success') successes.push(e);
      else if (e.name === 'producer_send_error') errors.push(e);
      else if (e.name === 'tool_data') toolData = e;
    }
    return successes.length;
  };
  return {
    successes,
    errors,
    toolData: () => toolData,
    acked,
    progress: (what, atLeast, timeoutMs = 120_000) =>
      waitFor(() => acked() >= atLeast, { timeoutMs, what: `${what} (${acked()} acked when the wait began); stderr ${producer.stderr().slice(-800)}` }),
    finish: async (timeoutMs = 60_000) => {
      producer.child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const exited = await Promise.race([producer.exited.then(() => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), timeoutMs)))]);
      clearTimeout(timer);
      acked();
      return exited;
    },
  };
}

/**
 * The properties file of a Java idempotent producer that rides out a restart under it: acks=all,
 * retrying for `deliveryTimeoutMs`, 5 requests in flight, metadata refreshed every 5 s.
 */
export function idempotentProducerProperties(deliveryTimeoutMs: number, extra: readonly string[] = []): string {
  return [
    'enable.idempotence=true',
    'acks=all',
    'retries=2147483647',
    'max.in.flight.requests.per.connection=5',
    `delivery.timeout.ms=${deliveryTimeoutMs}`,
    'request.timeout.ms=15000',
    'linger.ms=5',
    'metadata.max.age.ms=5000',
    ...extra,
  ].join('\n');
}

/** Records grouped by partition, each list in the order given. */
export function byPartition<T extends { partition: number }>(records: readonly T[]): Map<number, T[]> {
  const out = new Map<number, T[]>();
  for (const r of records) {
    let list = out.get(r.partition);
    if (list === undefined) out.set(r.partition, (list = []));
    list.push(r);
  }
  return new Map([...out].sort((a, b) => a[0] - b[0]));
}

/** Values grouped by key, each list in the order given. */
export function valuesByKey(records: ReadonlyArray<{ key: string | null; value: string | null }>): Map<string | null, Array<string | null>> {
  const out = new Map<string | null, Array<string | null>>();
  for (const r of records) {
    let list = out.get(r.key);
    if (list === undefined) out.set(r.key, (list = []));
    list.push(r.value);
  }
  return out;
}

let gcFunction: (() => void) | undefined;

/** Runs a full garbage collection (enabling --expose-gc at run time if needed). */
export function collectGarbage(): void {
  if (gcFunction === undefined) {
    const existing = (globalThis as { gc?: () => void }).gc;
    if (existing !== undefined) {
      gcFunction = existing;
    } else {
      v8.setFlagsFromString('--expose-gc');
      gcFunction = vm.runInNewContext('gc') as () => void;
    }
  }
  gcFunction();
}

/** Heap, buffer memory and resident set of this process (where Turnout runs) after two full collections. */
export async function settledMemory(): Promise<{ heapUsedBytes: number; rssBytes: number; arrayBufferBytes: number }> {
  for (let i = 0; i < 2; i++) {
    collectGarbage();
    await new Promise((r) => setImmediate(r));
  }
  const m = process.memoryUsage();
  return { heapUsedBytes: m.heapUsed, rssBytes: m.rss, arrayBufferBytes: m.arrayBuffers };
}
