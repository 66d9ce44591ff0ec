// Kafka's own CLI tools (kafka-topics, console producer/consumer, perf tests, ...), run from
// the cached jars without Kafka's shell scripts. By default the tools of one version (4.1.1)
// talk to every cluster, whatever the cluster's version: they negotiate API versions.
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { kafkaMajor, TOOLS_KAFKA_VERSION } from './devkit-paths.js';
import { toolArchive, type ArchivePlan } from './class-data-archive.js';
import { ensureKafka, type KafkaInstall } from './kafka-install.js';
import { javaCommand } from './kafka-cluster.js';
import { logConfigProperty } from './log-config.js';
import { inNetns } from './netns.js';

export interface KafkaToolSpec {
  /** The name of Kafka's script, without `.sh`. */
  name: string;
  /** Main class in Kafka 4.x. */
  mainClass: string;
  /** Main class in Kafka 3.x where it differs; null when 3.x has no such tool. */
  mainClass3?: string | null;
  /** Runs for long and moves data: full JIT, a larger heap. */
  longRunning?: boolean;
  summary: string;
}

export const KAFKA_TOOLS: readonly KafkaToolSpec[] = [
  { name: 'kafka-topics', mainClass: 'org.apache.kafka.tools.TopicCommand', summary: 'create, list, describe, alter, delete topics' },
  { name: 'kafka-console-producer', mainClass: 'org.apache.kafka.tools.ConsoleProducer', mainClass3: 'kafka.tools.ConsoleProducer', summary: 'produce lines from stdin' },
  { name: 'kafka-console-consumer', mainClass: 'org.apache.kafka.tools.consumer.ConsoleConsumer', summary: 'consume records to stdout' },
  { name: 'kafka-console-share-consumer', mainClass: 'org.apache.kafka.tools.consumer.ConsoleShareConsumer', mainClass3: null, summary: 'consume with a share group' },
  { name: 'kafka-consumer-groups', mainClass: 'org.apache.kafka.tools.consumer.group.ConsumerGroupCommand', summary: 'list, describe, reset consumer groups' },
  { name: 'kafka-share-groups', mainClass: 'org.apache.kafka.tools.consumer.group.ShareGroupCommand', mainClass3: null, summary: 'list, describe share groups' },
  { name: 'kafka-streams-groups', mainClass: 'org.apache.kafka.tools.streams.StreamsGroupCommand', mainClass3: null, summary: 'list, describe streams groups' },
  { name: 'kafka-groups', mainClass: 'org.apache.kafka.tools.GroupsCommand', mainClass3: null, summary: 'list groups of every type' },
  { name: 'kafka-producer-perf-test', mainClass: 'org.apache.kafka.tools.ProducerPerformance', longRunning: true, summary: 'producer throughput and latency' },
  { name: 'kafka-consumer-perf-test', mainClass: 'org.apache.kafka.tools.ConsumerPerformance', longRunning: true, summary: 'consumer throughput' },
  { name: 'kafka-e2e-latency', mainClass: 'org.apache.kafka.tools.EndToEndLatency', longRunning: true, summary: 'produce-to-consume latency' },
  { name: 'kafka-verifiable-producer', mainClass: 'org.apache.kafka.tools.VerifiableProducer', longRunning: true, summary: 'produce with a JSON line per ack (VerifiableProducer)' },
  { name: 'kafka-verifiable-consumer', mainClass: 'org.apache.kafka.tools.VerifiableConsumer', longRunning: true, summary: 'consume with a JSON line per event (VerifiableConsumer)' },
  { name: 'kafka-broker-api-versions', mainClass: 'org.apache.kafka.tools.BrokerApiVersionsCommand', mainClass3: 'kafka.admin.BrokerApiVersionsCommand', summary: 'API versions of every broker' },
  { name: 'kafka-metadata-quorum', mainClass: 'org.apache.kafka.tools.MetadataQuorumCommand', summary: 'KRaft quorum status and replication' },
  { name: 'kafka-cluster', mainClass: 'org.apache.kafka.tools.ClusterTool', summary: 'cluster id, unregister brokers' },
  { name: 'kafka-features', mainClass: 'org.apache.kafka.tools.FeatureCommand', summary: 'describe and upgrade feature levels' },
  { name: 'kafka-configs', mainClass: 'kafka.admin.ConfigCommand', summary: 'describe and alter configs' },
  { name: 'kafka-acls', mainClass: 'org.apache.kafka.tools.AclCommand', mainClass3: 'kafka.admin.AclCommand', summary: 'list, add, remove ACLs' },
  { name: 'kafka-get-offsets', mainClass: 'org.apache.kafka.tools.GetOffsetShell', summary: 'offsets of topic partitions' },
  { name: 'kafka-transactions', mainClass: 'org.apache.kafka.tools.TransactionsCommand', summary: 'list, describe, abort transactions' },
  { name: 'kafka-reassign-partitions', mainClass: 'org.apache.kafka.tools.reassign.ReassignPartitionsCommand', summary: 'move partition replicas' },
  { name: 'kafka-leader-election', mainClass: 'org.apache.kafka.tools.LeaderElectionCommand', summary: 'elect preferred or unclean leaders' },
  { name: 'kafka-delete-records', mainClass: 'org.apache.kafka.tools.DeleteRecordsCommand', summary: 'delete records up to an offset' },
  { name: 'kafka-log-dirs', mainClass: 'org.apache.kafka.tools.LogDirsCommand', summary: 'log directory sizes per partition' },
  { name: 'kafka-replica-verification', mainClass: 'org.apache.kafka.tools.ReplicaVerificationTool', longRunning: true, summary: 'check replicas hold the same data' },
  { name: 'kafka-client-metrics', mainClass: 'org.apache.kafka.tools.ClientMetricsCommand', summary: 'client metrics subscriptions' },
  { name: 'kafka-delegation-tokens', mainClass: 'org.apache.kafka.tools.DelegationTokenCommand', summary: 'delegation tokens' },
  { name: 'kafka-storage', mainClass: 'kafka.tools.StorageTool', summary: 'format storage, random-uuid' },
  { name: 'kafka-dump-log', mainClass: 'kafka.tools.DumpLogSegments', summary: 'print log segments and indexes' },
];

export class UnknownKafkaToolError extends Error {
  constructor(readonly tool: string) {
    super(`unknown Kafka tool ${JSON.stringify(tool)}; known: ${KAFKA_TOOLS.map((t) => t.name).join(', ')} (or a fully qualified main class)`);
    this.name = 'UnknownKafkaToolError';
  }
}

const FULLY_QUALIFIED = /^[a-z][a-z0-9_]*(\.[A-Za-z0-9_$]+)+$/;

export interface ResolvedTool {
  name: string;
  mainClass: string;
  longRunning: boolean;
}

/**
 * Finds a tool by script name (`kafka-topics`, `kafka-topics.sh`, `topics`), by its main
 * class's simple name (`VerifiableProducer`), or takes a fully qualified class as given.
 */
export function resolveKafkaTool(tool: string, version: string = TOOLS_KAFKA_VERSION): ResolvedTool {
  const bare = tool.replace(/\.sh$/, '');
  const spec =
    KAFKA_TOOLS.find((t) => t.name === bare || t.name === `kafka-${bare}`) ??
    KAFKA_TOOLS.find((t) => t.mainClass.endsWith(`.${bare}`) || t.mainClass3?.endsWith(`.${bare}`) === true);
  if (spec === undefined) {
    if (FULLY_QUALIFIED.test(tool)) return { name: tool, mainClass: tool, longRunning: false };
    throw new UnknownKafkaToolError(tool);
  }
  let mainClass = spec.mainClass;
  if (kafkaMajor(version) < 4 && spec.mainClass3 !== undefined) {
    if (spec.mainClass3 === null) throw new Error(`${spec.name} does not exist in Kafka ${version}`);
    mainClass = spec.mainClass3;
  }
  return { name: spec.name, mainClass, longRunning: spec.longRunning === true };
}

export interface KafkaToolOptions {
  /** Kafka version whose tools to run; default 4.1.1. */
  version?: string;
  /** Extra JVM options (placed before the defaults' heap so they can override it). */
  jvmOptions?: readonly string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  cacheRoot?: string;
  /** Download progress. */
  log?: (line: string) => void;
  /** Run the tool inside this network namespace (`ip netns exec`; needs root). */
  netns?: string;
}

export interface KafkaToolCommand {
  command: string;
  args: string[];
  tool: ResolvedTool;
  install: KafkaInstall;
  /** Class data archive in use or being dumped; call `archive.finish(exitCode)` after exit. */
  archive: ArchivePlan;
}

/**
 * The java command line for a tool (downloads the version first if needed). With
 * `createArchive`, a run without a class data archive dumps one; the caller must then call
 * `archive.finish(code)` when the process has exited.
 */
export async function kafkaToolCommand(tool: string, args: readonly string[], opts: KafkaToolOptions & { createArchive?: boolean } = {}): Promise<KafkaToolCommand> {
  const version = opts.version ?? TOOLS_KAFKA_VERSION;
  const resolved = resolveKafkaTool(tool, version);
  const install = await ensureKafka(version, {
    ...(opts.log !== undefined ? { log: opts.log } : {}),
    ...(opts.cacheRoot !== undefined ? { cacheRoot: opts.cacheRoot } : {}),
  });
  // Short admin commands start faster with the client compiler only; data movers need C2.
  const jvm = resolved.longRunning
    ? ['-Xms64m', '-Xmx768m', '-XX:+UseSerialGC']
    : ['-Xms32m', '-Xmx256m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1'];
  const java = javaCommand(opts.env ?? process.env);
  const archive = await toolArchive({
    java,
    home: install.home,
    classpath: install.classpath,
    mainClass: resolved.mainClass,
    create: opts.createArchive === true,
    ...(opts.env !== undefined ? { env: opts.env } : {}),
  });
  const { command, args: fullArgs } = inNetns(opts.netns, java, [
    ...jvm,
    ...archive.jvmArgs,
    '-XX:-UsePerfData',
    '-Djava.awt.headless=true',
    '-Djava.net.preferIPv4Stack=true',
    logConfigProperty(version, install.toolLogConfig),
    ...(opts.jvmOptions ?? []),
    '-cp',
    install.classpath,
    resolved.mainClass,
    ...args,
  ]);
  return {
    command,
    args: fullArgs,
    tool: resolved,
    install,
    archive,
  };
}

export interface RunKafkaToolOptions extends KafkaToolOptions {
  /** Kill (SIGTERM, then SIGKILL 5 s later) after this long; default 120 s. */
  timeoutMs?: number;
  /** Written to the tool's stdin, which is then closed. Without it stdin is closed at once. */
  input?: string | Buffer;
  /** Cap on kept stdout and stderr each; default 32 MiB (the rest is dropped). */
  maxOutputBytes?: number;
}

export interface KafkaToolResult {
  /** Exit code; null when killed by a signal. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  durationMs: number;
}

/** Runs a tool to completion and collects its output. Never rejects on a non-zero exit. */
export async function runKafkaTool(tool: string, args: readonly string[], opts: RunKafkaToolOptions = {}): Promise<KafkaToolResult> {
  const cmd = await kafkaToolCommand(tool, args, { ...opts, createArchive: true });
  const started = Date.now();
  const cap = opts.maxOutputBytes ?? 32 * 1024 * 1024;
  const child = spawn(cmd.command, cmd.args, {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const collect = (stream: NodeJS.ReadableStream): { chunks: Buffer[]; size: number } => {
    const sink = { chunks: [] as Buffer[], size: 0 };
    stream.on('data', (b: Buffer) => {
      if (sink.size >= cap) return;
      const part = sink.size + b.length > cap ? b.subarray(0, cap - sink.size) : b;
      sink.chunks.push(part);
      sink.size += part.length;
    });
    return sink;
  };
  const out = collect(child.stdout);
  const err = collect(child.stderr);
  child.stdin.on('error', () => undefined); // the tool may exit before reading its input
  child.stdin.end(opts.input ?? undefined);
  let timedOut = false;
  let killTimer: NodeJS.Timeout | undefined;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGTERM');
    killTimer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  }, opts.timeoutMs ?? 120_000);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolveExit, reject) => {
    child.once('error', reject);
    child.once('close', (c: number | null, s: NodeJS.Signals | null) => resolveExit([c, s]));
  }).finally(() => {
    clearTimeout(timer);
    if (killTimer !== undefined) clearTimeout(killTimer);
  });
  await cmd.archive.finish(timedOut ? null : code);
  return {
    code,
    signal,
    stdout: Buffer.concat(out.chunks).toString('utf8'),
    stderr: Buffer.concat(err.chunks).toString('utf8'),
    timedOut,
    durationMs: Date.now() - started,
  };
}

export interface SpawnKafkaToolOptions extends KafkaToolOptions {
  /** Default: all pipes. */
  stdio?: StdioOptions;
}

/** Starts a long-running tool (consumer, perf test) and hands back the child process. */
export async function spawnKafkaTool(tool: string, args: readonly string[], opts: SpawnKafkaToolOptions = {}): Promise<ChildProcess> {
  const cmd = await kafkaToolCommand(tool, args, opts);
  const child = spawn(cmd.command, cmd.args, {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    stdio: opts.stdio ?? ['pipe', 'pipe', 'pipe'],
  });
  await new Promise<void>((resolveSpawn, reject) => {
    child.once('spawn', resolveSpawn);
    child.once('error', reject);
  });
  return child;
}
