// What integration tests use to reach the shared Kafka clusters (started by global-setup.ts)
// and to drive them with Kafka's own tools and kcat. Tests start no clusters themselves:
// they ask for one by role, make uniquely named topics and groups, and clean up after.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { expect, inject, onTestFinished } from 'vitest';
import {
  acquireRigCluster,
  clusterStatus,
  runKafkaTool,
  spawnKafkaTool,
  startBroker,
  stopBroker,
  type ClusterInfo,
  type KafkaToolResult,
  type RunKafkaToolOptions,
  type SpawnKafkaToolOptions,
} from '../../src/devkit/index.js';
import type { RigContext } from './global-setup.js';
import { UpstreamError } from '../../src/net/upstream-connection.js';
import { leadersOf, WireClient, type LeaderView } from './wire-client.js';

export type { ClusterInfo, KafkaToolResult };

/** A cluster, or just its bootstrap servers. */
export type Target = ClusterInfo | string;

function bootstrapOf(target: Target): string {
  return typeof target === 'string' ? target : target.bootstrapServers;
}

export function rigContext(): RigContext {
  return inject('turnoutKafka');
}

/** The shared 3-broker Kafka 4.1.1 cluster, brokers 1..3 in racks az-a, az-b, az-c. */
export function mainCluster(): ClusterInfo {
  return rigContext().main;
}

const lazyClusters = new Map<string, Promise<ClusterInfo>>();

/**
 * The cluster for a role ('main', 'legacy' = Kafka 3.9.1, 3 brokers, same racks, 'secure' = one
 * broker with SASL_SSL and SSL listeners, see `info.security`). Started on first use and
 * shared by every later test file of the run; stopped when the run ends.
 * Allow for its start (about 30 s) in the hook or test timeout that first asks.
 */
export function useCluster(role: string): Promise<ClusterInfo> {
  const ctx = rigContext();
  if (role === 'main') return Promise.resolve(ctx.main);
  const provided = ctx.extra[role];
  if (provided !== undefined) return Promise.resolve(provided);
  let pending = lazyClusters.get(role);
  if (pending === undefined) {
    pending = acquireRigCluster(role, { ownerPid: ctx.run.ownerPid, reuse: ctx.run.reuse });
    pending.catch(() => lazyClusters.delete(role));
    lazyClusters.set(role, pending);
  }
  return pending;
}

let nameCounter = 0;

function slug(text: string, max: number): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, max)
    .replace(/-+$/g, '');
}

/** A name no other test (in this run or an earlier one) uses: prefix, test name, time, counter. */
export function uniqueName(prefix: string): string {
  const testName = expect.getState().currentTestName ?? '';
  const label = slug(testName.split(' > ').pop() ?? '', 40);
  nameCounter += 1;
  return [slug(prefix, 30) || 't', label, `${Date.now().toString(36)}${process.pid.toString(36)}`, String(nameCounter)].filter((p) => p !== '').join('-');
}

export function uniqueTopic(label = 'topic'): string {
  return uniqueName(label);
}

export function uniqueGroup(label = 'group'): string {
  return uniqueName(label);
}

export class ToolFailedError extends Error {
  constructor(readonly tool: string, readonly args: readonly string[], readonly result: KafkaToolResult) {
    super(
      `${tool} ${args.join(' ')} ${result.timedOut ? 'timed out' : `exited with ${result.code ?? result.signal}`}\n` +
        `stderr: ${result.stderr.slice(-2_000)}\nstdout: ${result.stdout.slice(-1_000)}`,
    );
    this.name = 'ToolFailedError';
  }
}

/** Runs a Kafka CLI tool (4.1.1 jars) and returns its result, whatever its exit code. */
export function kafkaTool(tool: string, args: readonly string[], opts: RunKafkaToolOptions = {}): Promise<KafkaToolResult> {
  return runKafkaTool(tool, args, { timeoutMs: 60_000, ...opts });
}

/** Runs a Kafka CLI tool and returns its stdout; throws ToolFailedError unless it exits 0. */
export async function kafkaToolOk(tool: string, args: readonly string[], opts: RunKafkaToolOptions = {}): Promise<string> {
  const result = await kafkaTool(tool, args, opts);
  if (result.code !== 0) throw new ToolFailedError(tool, args, result);
  return result.stdout;
}

export interface CreateTopicOptions {
  /** Default: uniqueTopic(). */
  name?: string;
  /** Default 3. */
  partitions?: number;
  /** Default: min(3, brokers) for a ClusterInfo, else 1. */
  replicationFactor?: number;
  config?: Record<string, string>;
  /** Delete the topic when the current test finishes (default true inside a test). */
  cleanup?: boolean;
}

/** Creates a topic and waits for it; returns its name. */
export async function createTopic(target: Target, opts: CreateTopicOptions = {}): Promise<string> {
  const name = opts.name ?? uniqueTopic();
  const rf = opts.replicationFactor ?? (typeof target === 'string' ? 1 : Math.min(3, target.brokers.length));
  const args = ['--bootstrap-server', bootstrapOf(target), '--create', '--topic', name, '--partitions', String(opts.partitions ?? 3), '--replication-factor', String(rf)];
  for (const [key, value] of Object.entries(opts.config ?? {})) args.push('--config', `${key}=${value}`);
  await kafkaToolOk('kafka-topics', args);
  if (typeof target !== 'string') await waitForTopicOnEveryBroker(target, name, opts.partitions ?? 3);
  if (opts.cleanup !== false && expect.getState().currentTestName !== undefined) {
    onTestFinished(async () => {
      await deleteTopics(target, [name]);
    });
  }
  return name;
}

/**
 * Waits until every running broker of `cluster` names a leader for each of the topic's
 * `partitions`. kafka-topics returns once the controller has made the topic; each broker
 * learns of it a little later, and until then a client whose Metadata reaches that broker
 * (through Turnout, or kcat's bootstrap) sees no partitions. A broker a test has stopped is
 * passed over.
 */
async function waitForTopicOnEveryBroker(cluster: ClusterInfo, topic: string, partitions: number): Promise<void> {
  for (const broker of cluster.brokers) {
    const client = new WireClient(broker.host, broker.port, { clientId: 'it-topic-wait' });
    try {
      await waitFor(
        async () => {
          let view: LeaderView;
          try {
            view = await leadersOf(client, [topic]);
          } catch (err) {
            if (err instanceof UpstreamError && err.kind === 'connect_failed') return 'stopped';
            throw err;
          }
          for (let p = 0; p < partitions; p++) if ((view.leaders.get(`${topic}:${p}`) ?? -1) < 0) return false;
          return true;
        },
        { timeoutMs: 30_000, what: `broker ${broker.id} to name leaders for the ${partitions} partitions of ${topic}` },
      );
    } finally {
      client.close();
    }
  }
}

/** Deletes topics (missing ones are ignored). */
export async function deleteTopics(target: Target, topics: readonly string[]): Promise<void> {
  if (topics.length === 0) return;
  const pattern = topics.map((t) => t.replace(/[.]/g, '\\.')).join('|');
  await kafkaToolOk('kafka-topics', ['--bootstrap-server', bootstrapOf(target), '--delete', '--if-exists', '--topic', pattern]);
}

export interface PartitionInfo {
  partition: number;
  leader: number;
  replicas: number[];
  isr: number[];
}

function ids(text: string | undefined): number[] {
  return (text ?? '').split(',').filter((s) => s.trim() !== '').map(Number);
}

/** Partition leaders, replicas and ISRs, as kafka-topics --describe reports them. */
export async function describeTopic(target: Target, topic: string): Promise<PartitionInfo[]> {
  const out = await kafkaToolOk('kafka-topics', ['--bootstrap-server', bootstrapOf(target), '--describe', '--topic', topic]);
  const partitions: PartitionInfo[] = [];
  for (const line of out.split('\n')) {
    const m = /Partition:\s*(\d+)\s+Leader:\s*(-?\d+|none)\s+Replicas:\s*([\d,]*)\s+Isr:\s*([\d,]*)/.exec(line);
    if (m === null) continue;
    partitions.push({ partition: Number(m[1]), leader: m[2] === 'none' ? -1 : Number(m[2]), replicas: ids(m[3]), isr: ids(m[4]) });
  }
  return partitions.sort((a, b) => a.partition - b.partition);
}

export interface ProduceOptions {
  /** Lines are `key<sep>value` when set. */
  keySeparator?: string;
  /** Producer properties (acks, linger.ms, ...). */
  props?: Record<string, string>;
  timeoutMs?: number;
}

/** Produces one record per line with the console producer (acks=all unless props say otherwise). */
export async function produceLines(target: Target, topic: string, lines: readonly string[], opts: ProduceOptions = {}): Promise<void> {
  const args = ['--bootstrap-server', bootstrapOf(target), '--topic', topic];
  const props = { acks: 'all', ...(opts.props ?? {}) };
  for (const [key, value] of Object.entries(props)) args.push('--producer-property', `${key}=${value}`);
  if (opts.keySeparator !== undefined) args.push('--property', 'parse.key=true', '--property', `key.separator=${opts.keySeparator}`);
  await kafkaToolOk('kafka-console-producer', args, { input: lines.map((l) => `${l}\n`).join(''), timeoutMs: opts.timeoutMs ?? 60_000 });
}

export interface ConsumeOptions {
  /** Stop after this many records. */
  count: number;
  /** Default true. */
  fromBeginning?: boolean;
  /** Default: the console consumer's random group. */
  group?: string;
  /** Print `key<TAB>value`. */
  printKey?: boolean;
  /** Give up after this long without a record; default 30 s. */
  timeoutMs?: number;
  props?: Record<string, string>;
}

/** Consumes up to `count` records with the console consumer and returns their values (lines). */
export async function consumeLines(target: Target, topic: string, opts: ConsumeOptions): Promise<string[]> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const args = ['--bootstrap-server', bootstrapOf(target), '--topic', topic, '--max-messages', String(opts.count), '--timeout-ms', String(timeoutMs)];
  if (opts.fromBeginning !== false) args.push('--from-beginning');
  if (opts.group !== undefined) args.push('--group', opts.group);
  if (opts.printKey === true) args.push('--property', 'print.key=true', '--property', 'key.separator=\t');
  for (const [key, value] of Object.entries(opts.props ?? {})) args.push('--consumer-property', `${key}=${value}`);
  const result = await kafkaTool('kafka-console-consumer', args, { timeoutMs: timeoutMs + 60_000 });
  if (result.timedOut) throw new ToolFailedError('kafka-console-consumer', args, result);
  return result.stdout.split('\n').filter((line, i, all) => i < all.length - 1 || line !== '');
}

export interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** Runs kcat (librdkafka) with the given arguments (installed by `npm run setup`). */
export function kcat(args: readonly string[], opts: { input?: string | Buffer; timeoutMs?: number } = {}): Promise<CommandResult> {
  return new Promise((resolveRun, reject) => {
    const child = spawn('kcat', [...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? undefined);
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs ?? 30_000);
    child.once('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(e.code === 'ENOENT' ? new Error('kcat is not installed: run `npm run setup`') : e);
    });
    child.once('close', (code: number | null) => {
      clearTimeout(timer);
      resolveRun({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), timedOut });
    });
  });
}

export interface WaitForOptions {
  timeoutMs?: number;
  intervalMs?: number;
  /** Said in the timeout error. */
  what?: string;
}

/** Polls until `probe` returns a truthy value (which is returned) or throws at the deadline. */
export async function waitFor<T>(probe: () => T | Promise<T>, opts: WaitForOptions = {}): Promise<NonNullable<T>> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value as NonNullable<T>;
      lastError = undefined;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const why = lastError instanceof Error ? `: last error ${lastError.message}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${opts.what ?? 'condition'}${why}`);
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 250));
  }
}

/**
 * Stops one broker of a rig cluster for the current test (clean shutdown, or `kill` for a
 * crash). It is started again when the test finishes, so the next test finds the cluster whole.
 */
export async function stopRigBroker(cluster: ClusterInfo, brokerId: number, opts: { kill?: boolean } = {}): Promise<void> {
  if (expect.getState().currentTestName !== undefined) {
    onTestFinished(async () => {
      const status = await clusterStatus(cluster.cluster);
      if (status?.brokers.find((b) => b.id === brokerId)?.running === false) await startBroker(cluster.cluster, brokerId, { readyTimeoutMs: 240_000 });
    });
  }
  await stopBroker(cluster.cluster, brokerId, { kill: opts.kill === true });
}

/** Starts a stopped broker of a rig cluster and waits until the cluster lists it again. */
export async function startRigBroker(cluster: ClusterInfo, brokerId: number): Promise<void> {
  await startBroker(cluster.cluster, brokerId, { readyTimeoutMs: 240_000 });
}

/** A long-running Kafka tool (consumer, verifiable producer, perf test) read line by line. */
export interface RunningTool {
  child: ChildProcess;
  /** Every stdout line so far. */
  readonly lines: readonly string[];
  /** The last 16 KiB of stderr. */
  stderr(): string;
  /** Waits for the next stdout line matching `match` (default: any) that no earlier wait took. */
  waitForLine(match?: (line: string) => boolean, timeoutMs?: number): Promise<string>;
  /** Resolves with the exit code (null after a signal) once the process has exited. */
  readonly exited: Promise<number | null>;
  /** SIGTERM, then SIGKILL after 5 s; resolves once it has exited. */
  stop(): Promise<number | null>;
}

/**
 * Starts a Kafka CLI tool in the background. Inside a test it is stopped when the test
 * finishes, so a failing assertion never leaves a consumer running.
 */
export async function startTool(tool: string, args: readonly string[], opts: SpawnKafkaToolOptions = {}): Promise<RunningTool> {
  const child = await spawnKafkaTool(tool, args, { ...opts, stdio: ['pipe', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let taken = 0;
  let stderrTail = '';
  let notify: (() => void) | undefined;
  const exited = new Promise<number | null>((resolveExit) => {
    child.once('close', (code: number | null) => {
      notify?.();
      resolveExit(code);
    });
  });
  let done = false;
  void exited.then(() => {
    done = true;
  });
  child.stdin?.end();
  child.stderr?.on('data', (b: Buffer) => {
    stderrTail = (stderrTail + b.toString('utf8')).slice(-16_384);
  });
  createInterface({ input: child.stdout! }).on('line', (line) => {
    lines.push(line);
    notify?.();
  });
  const stop = async (): Promise<number | null> => {
    if (!done) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
    return exited;
  };
  if (expect.getState().currentTestName !== undefined) onTestFinished(async () => void (await stop()));
  return {
    child,
    lines,
    stderr: () => stderrTail,
    exited,
    stop,
    async waitForLine(match = () => true, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        while (taken < lines.length) {
          const line = lines[taken++] as string;
          if (match(line)) return line;
        }
        if (done) throw new Error(`${tool} exited before printing the awaited line; stderr: ${stderrTail.slice(-2_000)}`);
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`timed out after ${timeoutMs} ms waiting for a line from ${tool}; stderr: ${stderrTail.slice(-2_000)}`);
        await new Promise<void>((wake) => {
          const timer = setTimeout(wake, left);
          notify = () => {
            clearTimeout(timer);
            notify = undefined;
            wake();
          };
        });
      }
    },
  };
}
