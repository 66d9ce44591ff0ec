// Named KRaft clusters, run as detached JVMs: one dedicated controller and N brokers
// (stopping any broker never costs the quorum), on loopback by default or each node at its
// own address and network namespace (a placement, see cluster-placement.ts). The CLI
// (`turnout kafka`), the integration-test rig, the demo and the benchmarks all go through here.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { checkClusterName, checkKafkaVersion, clusterDir, clustersRoot, DEFAULT_KAFKA_VERSION, kafkaMajor } from './devkit-paths.js';
import { resolveJava, toolArchive } from './class-data-archive.js';
import { withLock } from './file-lock.js';
import { ensureKafka, type KafkaInstall } from './kafka-install.js';
import { probeKafka } from './kafka-probe.js';
import { logConfigProperty, renderServerLogConfig } from './log-config.js';
import { newClusterId, renderNodeConfig, renderProperties, storageFormatArgs } from './node-config.js';
import { livePid, processMarker, spawnDetached, stopProcess } from './node-process.js';
import { assignRacks, planPorts } from './cluster-ports.js';
import { createClusterSecurity, securityInfo, type ClusterSecurityInfo, type SecurityProtocol } from './cluster-security.js';
import { checkPlacement, placedBroker, placedController, placementConflicts, type ClusterPlacement } from './cluster-placement.js';
import { inNetns } from './netns.js';
import {
  bootstrapServers,
  CONTROLLER_NODE_ID,
  listClusterNames,
  LOOPBACK,
  MAX_BROKERS,
  nodeHost,
  nodePaths,
  readRecord,
  writeRecord,
  type ClusterRecord,
  type NodePaths,
} from './cluster-record.js';

export const DEFAULT_RACKS: readonly string[] = ['az-a', 'az-b', 'az-c'];
export const DEFAULT_BROKER_HEAP_MB = 512;
const CONTROLLER_HEAP_MB = 256;
const STORAGE_TOOL = 'kafka.tools.StorageTool';

export interface StartClusterOptions {
  name: string;
  /** Default 3. */
  brokers?: number;
  /** Assigned round-robin to brokers 1..N; default az-a, az-b, az-c. */
  racks?: readonly string[];
  /** Default 4.1.1. */
  version?: string;
  /** First broker port; default: a free block derived from the name. */
  basePort?: number;
  /** Broker JVM heap; default 512. */
  heapMb?: number;
  /**
   * Run every node with the client compiler only (C1): some 40% less CPU to start, less
   * throughput afterwards. For short-lived clusters on small machines (the demo's).
   */
  quickStart?: boolean;
  /** Extra broker properties (replace the devkit's own where they overlap). */
  brokerConfig?: Readonly<Record<string, string>>;
  /**
   * Secured client listeners besides PLAINTEXT (which stays for inter-broker traffic):
   * certificates, SCRAM and PLAIN users are made with the cluster (cluster-security.ts).
   */
  security?: readonly SecurityProtocol[];
  /**
   * Each node at its own address, optionally in a network namespace, brokers optionally
   * replicating over a second address; default: all on loopback here. Needs root for netns.
   */
  placement?: ClusterPlacement;
  /** Wait for readiness at most this long; default 180 s. */
  readyTimeoutMs?: number;
  /** Pid of the process that owns the cluster (a test run); the cluster is stale once it dies. */
  ownerPid?: number;
  /** Progress lines. */
  log?: (line: string) => void;
  /** Cache root override; default `$TURNOUT_CACHE_DIR` or ~/.cache/turnout. */
  cacheRoot?: string;
}

export interface BrokerInfo {
  id: number;
  host: string;
  port: number;
  rack: string;
  pid: number | null;
  /** The replication listener, when the cluster was started with a placement that gives one. */
  replication?: { host: string; port: number };
  netns?: string;
  /** A secured cluster's further client listeners. */
  secured?: Array<{ protocol: SecurityProtocol; port: number }>;
}

export interface ClusterInfo {
  cluster: string;
  version: string;
  clusterId: string;
  bootstrapServers: string;
  brokers: BrokerInfo[];
  controller: { id: number; host: string; port: number; pid: number | null; netns?: string };
  stateDir: string;
  /** Set for a secured cluster: its listeners' bootstrap servers, users, certificates and client settings. */
  security?: ClusterSecurityInfo;
}

export interface NodeStatus {
  role: 'broker' | 'controller';
  id: number;
  host: string;
  port: number;
  rack: string | null;
  pid: number | null;
  running: boolean;
  /** Answered ApiVersions just now. */
  answers: boolean;
  /** Broker ids this broker's Metadata lists (brokers only, when it answers). */
  sees?: number[];
  error?: string;
  logFile: string;
}

export interface ClusterStatus {
  cluster: string;
  version: string;
  clusterId: string;
  bootstrapServers: string;
  stateDir: string;
  controller: NodeStatus;
  brokers: NodeStatus[];
  /** Every node running and answering, and every broker seeing every broker. */
  healthy: boolean;
  ownerPid: number | null;
  ownerAlive: boolean | null;
  createdAt: string;
}

export class ClusterStartError extends Error {
  constructor(readonly cluster: string, reason: string, readonly logTails: Record<string, string>) {
    super(
      `cluster ${cluster}: ${reason}` +
        Object.entries(logTails)
          .map(([file, tail]) => `\n--- ${file} (last lines) ---\n${tail}`)
          .join(''),
    );
    this.name = 'ClusterStartError';
  }
}

interface Context {
  root: string | undefined;
  log: (line: string) => void;
}

function contextOf(opts: { cacheRoot?: string; log?: (line: string) => void }): Context {
  return { root: opts.cacheRoot, log: opts.log ?? (() => undefined) };
}

function lockPath(name: string, root: string | undefined): string {
  return `${clusterDir(name, root)}.lock`;
}

function brokerPaths(record: ClusterRecord, id: number, root: string | undefined): NodePaths {
  return nodePaths(clusterDir(record.name, root), 'broker', id, kafkaMajor(record.version));
}

function controllerPaths(record: ClusterRecord, root: string | undefined): NodePaths {
  return nodePaths(clusterDir(record.name, root), 'controller', record.controller.id, kafkaMajor(record.version));
}

async function tail(file: string, lines = 25): Promise<string> {
  try {
    const text = await readFile(file, 'utf8');
    return text.split('\n').slice(-lines - 1).join('\n');
  } catch {
    return '(no file)';
  }
}

function checkOptions(opts: StartClusterOptions): Required<Pick<StartClusterOptions, 'brokers' | 'racks' | 'version' | 'heapMb'>> {
  checkClusterName(opts.name);
  const brokers = opts.brokers ?? 3;
  if (!Number.isInteger(brokers) || brokers < 1 || brokers > MAX_BROKERS) throw new Error(`--brokers must be 1..${MAX_BROKERS}, got ${brokers}`);
  const racks = opts.racks ?? DEFAULT_RACKS;
  for (const rack of racks) {
    if (!/^[A-Za-z0-9_.-]+$/.test(rack)) throw new Error(`invalid rack name ${JSON.stringify(rack)}`);
  }
  const version = checkKafkaVersion(opts.version ?? DEFAULT_KAFKA_VERSION);
  const heapMb = opts.heapMb ?? DEFAULT_BROKER_HEAP_MB;
  if (!Number.isInteger(heapMb) || heapMb < 128) throw new Error(`heap must be at least 128 MiB, got ${heapMb}`);
  if (opts.placement !== undefined) checkPlacement(opts.placement, brokers);
  return { brokers, racks: racks.length > 0 ? racks : DEFAULT_RACKS, version, heapMb };
}

/** Differences between a recorded cluster and what a new `up` asks for. */
function specConflicts(record: ClusterRecord, opts: StartClusterOptions, wanted: ReturnType<typeof checkOptions>): string[] {
  const out: string[] = [];
  if (record.version !== wanted.version) out.push(`version ${record.version} (asked ${wanted.version})`);
  if (record.brokers.length !== wanted.brokers) out.push(`${record.brokers.length} brokers (asked ${wanted.brokers})`);
  const racks = assignRacks(wanted.brokers, wanted.racks);
  if (record.brokers.length === wanted.brokers && record.brokers.some((b, i) => b.rack !== racks[i])) {
    out.push(`racks ${record.brokers.map((b) => b.rack).join(',')} (asked ${racks.join(',')})`);
  }
  if (opts.basePort !== undefined && record.brokers[0]?.port !== opts.basePort) out.push(`base port ${record.brokers[0]?.port} (asked ${opts.basePort})`);
  const recorded = (record.security?.protocols ?? []).join(',');
  const asked = (opts.security ?? []).join(',');
  if (recorded !== asked) out.push(`security ${recorded || 'none'} (asked ${asked || 'none'})`);
  if (record.brokers.length === wanted.brokers) out.push(...placementConflicts(record, opts.placement));
  return out;
}

async function reservedPorts(except: string, root: string | undefined): Promise<Set<number>> {
  const ports = new Set<number>();
  for (const name of await listClusterNames(root)) {
    if (name === except) continue;
    const other = await readRecord(name, root).catch(() => undefined);
    if (other === undefined) continue;
    ports.add(other.controller.port);
    for (const b of other.brokers) {
      ports.add(b.port);
      for (const l of b.secured ?? []) ports.add(l.port);
    }
  }
  return ports;
}

function jvmArgs(install: KafkaInstall, paths: NodePaths, heapMb: number, quickStart: boolean): string[] {
  return [
    `-Xms${Math.min(128, heapMb)}m`,
    `-Xmx${heapMb}m`,
    '-XX:+UseSerialGC',
    ...(quickStart ? ['-XX:TieredStopAtLevel=1'] : []),
    '-XX:+ExitOnOutOfMemoryError',
    '-XX:-UsePerfData',
    '-Djava.awt.headless=true',
    '-Djava.net.preferIPv4Stack=true',
    `-Dkafka.logs.dir=${paths.dir}`,
    logConfigProperty(install.version, paths.logConfigFile),
    processMarker(paths.dir),
    '-cp',
    install.classpath,
  ];
}

/** `$JAVA_HOME/bin/java` when it exists, else `java` from PATH; throws when there is none. */
export function javaCommand(env: NodeJS.ProcessEnv = process.env): string {
  const home = env.JAVA_HOME;
  if (home !== undefined && home !== '' && existsSync(join(home, 'bin', 'java'))) return join(home, 'bin', 'java');
  if (resolveJava('java', env) === undefined) {
    throw new Error('no java found (JAVA_HOME or PATH): Kafka needs a Java 17+ runtime; `npm run setup` installs one');
  }
  return 'java';
}

/** The javac beside the java that `javaCommand` finds (a JDK's), else `javac` from PATH. */
export function javacCommand(env: NodeJS.ProcessEnv = process.env): string {
  const java = javaCommand(env);
  return java === 'java' ? 'javac' : join(dirname(java), 'javac');
}

/** Writes a node's config and logging files (every start: code changes reach kept clusters). */
async function writeNodeFiles(record: ClusterRecord, role: 'broker' | 'controller', id: number, root: string | undefined): Promise<NodePaths> {
  const paths = role === 'controller' ? controllerPaths(record, root) : brokerPaths(record, id, root);
  await mkdir(paths.dataDir, { recursive: true });
  const broker = record.brokers.find((b) => b.id === id);
  const node = role === 'controller' ? record.controller : broker;
  const config = renderNodeConfig({
    version: record.version,
    role,
    node: { id, host: nodeHost(record, node ?? {}), port: node?.port ?? 0 },
    ...(role === 'broker' && broker !== undefined ? { rack: broker.rack } : {}),
    ...(role === 'broker' && broker?.replication !== undefined ? { replication: broker.replication } : {}),
    controller: { id: record.controller.id, host: nodeHost(record, record.controller), port: record.controller.port },
    dataDir: paths.dataDir,
    brokerCount: record.brokers.length,
    ...(role === 'broker' ? { overrides: record.brokerConfig } : {}),
    ...(role === 'broker' && record.security !== undefined ? { security: { record: record.security, listeners: broker?.secured ?? [] } } : {}),
  });
  await writeFile(paths.configFile, config);
  await writeFile(paths.logConfigFile, renderServerLogConfig(record.version, paths.logFile));
  return paths;
}

async function formatStorage(install: KafkaInstall, record: ClusterRecord, role: 'broker' | 'controller', paths: NodePaths): Promise<void> {
  if (existsSync(join(paths.dataDir, 'meta.properties'))) return;
  const java = javaCommand();
  // A cluster formats every node at once: with a class data archive each format costs about half the CPU.
  const archive = await toolArchive({ java, home: install.home, classpath: install.classpath, mainClass: STORAGE_TOOL, create: true });
  const args = [
    '-Xmx256m',
    '-XX:+UseSerialGC',
    '-XX:TieredStopAtLevel=1',
    ...archive.jvmArgs,
    '-XX:-UsePerfData',
    logConfigProperty(install.version, install.toolLogConfig),
    '-cp',
    install.classpath,
    STORAGE_TOOL,
    ...storageFormatArgs(record.version, role, paths.configFile, record.clusterId, record.security),
  ];
  const out: Buffer[] = [];
  const code = await new Promise<number | null>((resolveCode, reject) => {
    const child = spawn(java, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => out.push(b));
    child.once('error', reject);
    child.once('close', resolveCode);
  });
  await archive.finish(code);
  if (code !== 0) {
    throw new ClusterStartError(record.name, `formatting storage of ${paths.dir} failed (exit ${code})`, { 'kafka-storage format': Buffer.concat(out).toString('utf8') });
  }
}

async function startNode(install: KafkaInstall, record: ClusterRecord, role: 'broker' | 'controller', paths: NodePaths, netns: string | undefined): Promise<number> {
  const running = await livePid(paths.pidFile, processMarker(paths.dir));
  if (running !== undefined) return running;
  await writeFile(paths.stdoutFile, `--- started ${new Date().toISOString()} ---\n`, { flag: 'a' });
  const heap = role === 'controller' ? CONTROLLER_HEAP_MB : record.heapMb;
  const { command, args } = inNetns(netns, javaCommand(), [...jvmArgs(install, paths, heap, record.quickStart === true), 'kafka.Kafka', paths.configFile]);
  return spawnDetached({
    command,
    args,
    cwd: paths.dir,
    outputFile: paths.stdoutFile,
    pidFile: paths.pidFile,
  });
}

function netnsOf(node: { netns?: string }): { netns?: string } {
  return node.netns !== undefined ? { netns: node.netns } : {};
}

async function nodePid(paths: NodePaths): Promise<number | undefined> {
  return livePid(paths.pidFile, processMarker(paths.dir));
}

/**
 * Waits until every broker in `ids` answers and every one of them lists all of `ids` in its
 * Metadata (so each broker's metadata cache has caught up with the registrations).
 * Fails fast when a node process dies.
 */
async function waitReady(record: ClusterRecord, ids: readonly number[], timeoutMs: number, root: string | undefined): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const cpaths = controllerPaths(record, root);
  let lastProblem = 'not yet probed';
  for (;;) {
    if ((await nodePid(cpaths)) === undefined) {
      throw new ClusterStartError(record.name, 'the controller process exited', { [cpaths.stdoutFile]: await tail(cpaths.stdoutFile), [cpaths.logFile]: await tail(cpaths.logFile) });
    }
    const problems: string[] = [];
    for (const id of ids) {
      const broker = record.brokers.find((b) => b.id === id);
      if (broker === undefined) throw new Error(`cluster ${record.name} has no broker ${id}`);
      const paths = brokerPaths(record, id, root);
      if ((await nodePid(paths)) === undefined) {
        throw new ClusterStartError(record.name, `broker ${id} process exited`, { [paths.stdoutFile]: await tail(paths.stdoutFile), [paths.logFile]: await tail(paths.logFile) });
      }
      const probe = await probeKafka(nodeHost(record, broker), broker.port, { metadata: true, timeoutMs: 2_000, ...netnsOf(broker) });
      if (probe.error !== undefined || probe.brokers === undefined) {
        problems.push(`broker ${id}: ${probe.error ?? 'no metadata'}`);
        continue;
      }
      const seen = new Set(probe.brokers.map((b) => b.nodeId));
      const missing = ids.filter((want) => !seen.has(want));
      if (missing.length > 0) problems.push(`broker ${id} does not yet list ${missing.join(',')}`);
    }
    if (problems.length === 0) return;
    lastProblem = problems.join('; ');
    if (Date.now() > deadline) {
      const tails: Record<string, string> = {};
      for (const id of ids) tails[brokerPaths(record, id, root).logFile] = await tail(brokerPaths(record, id, root).logFile, 10);
      throw new ClusterStartError(record.name, `not ready after ${timeoutMs} ms: ${lastProblem}`, tails);
    }
    // A probe into a namespace starts a relay process: poll those less often.
    await sleep(record.brokers.some((b) => b.netns !== undefined) ? 1_000 : 300);
  }
}

async function infoOf(record: ClusterRecord, root: string | undefined): Promise<ClusterInfo> {
  const brokers: BrokerInfo[] = [];
  for (const b of record.brokers) {
    brokers.push({
      id: b.id,
      host: nodeHost(record, b),
      port: b.port,
      rack: b.rack,
      pid: (await nodePid(brokerPaths(record, b.id, root))) ?? null,
      ...(b.replication !== undefined ? { replication: b.replication } : {}),
      ...netnsOf(b),
      ...(b.secured !== undefined ? { secured: b.secured } : {}),
    });
  }
  return {
    cluster: record.name,
    version: record.version,
    clusterId: record.clusterId,
    bootstrapServers: bootstrapServers(record),
    brokers,
    controller: {
      id: record.controller.id,
      host: nodeHost(record, record.controller),
      port: record.controller.port,
      pid: (await nodePid(controllerPaths(record, root))) ?? null,
      ...netnsOf(record.controller),
    },
    stateDir: clusterDir(record.name, root),
    ...(record.security !== undefined
      ? { security: securityInfo(record.security, record.brokers.map((b) => ({ host: nodeHost(record, b), secured: b.secured ?? [] }))) }
      : {}),
  };
}

async function stopAllNodes(record: ClusterRecord, root: string | undefined, graceMs: number): Promise<void> {
  await Promise.all(
    record.brokers.map((b) => {
      const p = brokerPaths(record, b.id, root);
      return stopProcess(p.pidFile, processMarker(p.dir), { timeoutMs: graceMs });
    }),
  );
  const c = controllerPaths(record, root);
  await stopProcess(c.pidFile, processMarker(c.dir), { timeoutMs: graceMs });
}

async function createRecord(opts: StartClusterOptions, wanted: ReturnType<typeof checkOptions>, root: string | undefined): Promise<ClusterRecord> {
  // One allocation at a time machine-wide, so two `up`s never pick the same free block.
  return withLock(join(clustersRoot(root), '.ports.lock'), async () => {
    const protocols = opts.security ?? [];
    const plan = await planPorts(opts.name, wanted.brokers, {
      ...(opts.basePort !== undefined ? { basePort: opts.basePort } : {}),
      reserved: await reservedPorts(opts.name, root),
      extraPerBroker: protocols.length,
    });
    const racks = assignRacks(wanted.brokers, wanted.racks);
    await mkdir(clusterDir(opts.name, root), { recursive: true });
    const security = protocols.length === 0 ? undefined : await createClusterSecurity(join(clusterDir(opts.name, root), 'security'), protocols, renderProperties);
    const secured = (i: number): { secured?: Array<{ protocol: SecurityProtocol; port: number }> } =>
      protocols.length === 0 ? {} : { secured: protocols.map((protocol, k) => ({ protocol, port: plan.extraPorts[i]?.[k] as number })) };
    const record: ClusterRecord = {
      name: opts.name,
      version: wanted.version,
      clusterId: newClusterId(randomBytes),
      host: LOOPBACK,
      controller: { id: CONTROLLER_NODE_ID, port: plan.controllerPort, ...placedController(opts.placement) },
      brokers: plan.brokerPorts.map((port, i) => ({ id: i + 1, port, rack: racks[i] as string, ...placedBroker(opts.placement, i, port), ...secured(i) })),
      heapMb: wanted.heapMb,
      ...(opts.quickStart === true ? { quickStart: true } : {}),
      brokerConfig: { ...(opts.brokerConfig ?? {}) },
      ...(security !== undefined ? { security } : {}),
      ...(opts.ownerPid !== undefined ? { ownerPid: opts.ownerPid } : {}),
      createdAt: new Date().toISOString(),
    };
    await writeRecord(record, root);
    return record;
  });
}

/**
 * Starts the named cluster, or the nodes of it that are not running, and waits until it
 * answers. Idempotent: on a healthy cluster it only reports. A cluster recorded with a
 * different version, size or racks is an error (stop it with `stopCluster` first).
 */
export async function startCluster(opts: StartClusterOptions): Promise<ClusterInfo> {
  const wanted = checkOptions(opts);
  const ctx = contextOf(opts);
  const install = await ensureKafka(wanted.version, { log: ctx.log, ...(ctx.root !== undefined ? { cacheRoot: ctx.root } : {}) });
  return withLock(lockPath(opts.name, ctx.root), async () => {
    let record = await readRecord(opts.name, ctx.root);
    let created = false;
    if (record !== undefined) {
      const conflicts = specConflicts(record, opts, wanted);
      if (conflicts.length > 0) {
        throw new Error(`cluster ${opts.name} already exists with ${conflicts.join(', ')}; stop it first (turnout kafka down --cluster ${opts.name})`);
      }
      if (opts.ownerPid !== record.ownerPid) {
        record = { ...record };
        if (opts.ownerPid === undefined) delete record.ownerPid;
        else record.ownerPid = opts.ownerPid;
        await writeRecord(record, ctx.root);
      }
    } else {
      record = await createRecord(opts, wanted, ctx.root);
      created = true;
    }
    const started = Date.now();
    const rec = record;
    let spawned = false;
    try {
      const cpaths = await writeNodeFiles(rec, 'controller', rec.controller.id, ctx.root);
      const bpaths: NodePaths[] = [];
      for (const b of rec.brokers) bpaths.push(await writeNodeFiles(rec, 'broker', b.id, ctx.root));
      await Promise.all([formatStorage(install, rec, 'controller', cpaths), ...bpaths.map((p) => formatStorage(install, rec, 'broker', p))]);
      const all = [cpaths, ...bpaths];
      const stopped: NodePaths[] = [];
      for (const p of all) if ((await nodePid(p)) === undefined) stopped.push(p);
      if (stopped.length === 0) ctx.log(`cluster ${rec.name} is already running`);
      else if (stopped.length < all.length) ctx.log(`starting ${stopped.length} stopped node(s) of cluster ${rec.name}`);
      else ctx.log(`starting cluster ${rec.name} (Kafka ${rec.version}, ${rec.brokers.length} brokers) in ${clusterDir(rec.name, ctx.root)}`);
      spawned = true;
      await startNode(install, rec, 'controller', cpaths, rec.controller.netns);
      for (const [i, p] of bpaths.entries()) await startNode(install, rec, 'broker', p, rec.brokers[i]?.netns);
      await waitReady(rec, rec.brokers.map((b) => b.id), opts.readyTimeoutMs ?? 180_000, ctx.root);
    } catch (err) {
      await stopAllNodes(rec, ctx.root, 5_000);
      // A cluster that never got as far as a process has nothing worth keeping; otherwise
      // its logs stay for a look (and a later `up` retries it).
      if (created && !spawned) await rm(clusterDir(rec.name, ctx.root), { recursive: true, force: true });
      throw err;
    }
    ctx.log(`cluster ${rec.name} ready in ${Math.round((Date.now() - started) / 100) / 10} s: ${bootstrapServers(rec)}`);
    return infoOf(rec, ctx.root);
  });
}

export interface StopClusterOptions {
  /** Keep the state folder (data, logs) for a later `startCluster`. */
  keep?: boolean;
  /** Grace after SIGTERM before SIGKILL; default 30 s with --keep, else 10 s. */
  timeoutMs?: number;
  cacheRoot?: string;
  log?: (line: string) => void;
}

/** Stops every node (brokers first, then the controller). False if no such cluster. */
export async function stopCluster(name: string, opts: StopClusterOptions = {}): Promise<boolean> {
  checkClusterName(name);
  const ctx = contextOf(opts);
  return withLock(lockPath(name, ctx.root), async () => {
    const record = await readRecord(name, ctx.root).catch(() => undefined);
    const dir = clusterDir(name, ctx.root);
    if (record === undefined) {
      if (!existsSync(dir)) return false;
      // A folder without a readable record: nothing we can stop by pid, remove it.
      if (opts.keep !== true) await rm(dir, { recursive: true, force: true });
      return true;
    }
    await stopAllNodes(record, ctx.root, opts.timeoutMs ?? (opts.keep === true ? 30_000 : 10_000));
    if (opts.keep !== true) await rm(dir, { recursive: true, force: true });
    ctx.log(`cluster ${name} stopped${opts.keep === true ? ` (state kept in ${dir})` : ''}`);
    return true;
  });
}

export interface StatusOptions {
  cacheRoot?: string;
  /** Per-probe timeout; default 1.5 s. */
  probeTimeoutMs?: number;
}

export async function clusterStatus(name: string, opts: StatusOptions = {}): Promise<ClusterStatus | undefined> {
  checkClusterName(name);
  const root = opts.cacheRoot;
  const record = await readRecord(name, root);
  if (record === undefined) return undefined;
  const timeoutMs = opts.probeTimeoutMs ?? 1_500;
  const nodeStatus = async (role: 'broker' | 'controller', id: number, port: number, rack: string | null): Promise<NodeStatus> => {
    const paths = role === 'controller' ? controllerPaths(record, root) : brokerPaths(record, id, root);
    const node = role === 'controller' ? record.controller : (record.brokers.find((b) => b.id === id) ?? {});
    const host = nodeHost(record, node);
    const pid = (await nodePid(paths)) ?? null;
    const status: NodeStatus = { role, id, host, port, rack, pid, running: pid !== null, answers: false, logFile: paths.logFile };
    if (pid === null) return status;
    const probe = await probeKafka(host, port, { metadata: role === 'broker', timeoutMs, ...netnsOf(node) });
    status.answers = probe.answers;
    if (probe.brokers !== undefined) status.sees = probe.brokers.map((b) => b.nodeId).sort((a, b) => a - b);
    if (probe.error !== undefined) status.error = probe.error;
    return status;
  };
  const [controller, ...brokers] = await Promise.all([
    nodeStatus('controller', record.controller.id, record.controller.port, null),
    ...record.brokers.map((b) => nodeStatus('broker', b.id, b.port, b.rack)),
  ]);
  const allIds = record.brokers.map((b) => b.id);
  const healthy =
    controller !== undefined &&
    controller.answers &&
    brokers.every((b) => b.answers && allIds.every((id) => b.sees?.includes(id) === true));
  const ownerAlive = record.ownerPid === undefined ? null : isAlive(record.ownerPid);
  return {
    cluster: record.name,
    version: record.version,
    clusterId: record.clusterId,
    bootstrapServers: bootstrapServers(record),
    stateDir: clusterDir(record.name, root),
    controller: controller as NodeStatus,
    brokers,
    healthy,
    ownerPid: record.ownerPid ?? null,
    ownerAlive,
    createdAt: record.createdAt,
  };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Names of all clusters recorded under the cache root. */
export async function listClusters(opts: { cacheRoot?: string } = {}): Promise<string[]> {
  return listClusterNames(opts.cacheRoot);
}

/** The cluster's description (bootstrap, brokers, pids) without probing it. */
export async function clusterInfo(name: string, opts: { cacheRoot?: string } = {}): Promise<ClusterInfo | undefined> {
  checkClusterName(name);
  const record = await readRecord(name, opts.cacheRoot);
  return record === undefined ? undefined : infoOf(record, opts.cacheRoot);
}

export interface StopBrokerOptions {
  /** SIGKILL at once, like a crash; default is a clean SIGTERM shutdown. */
  kill?: boolean;
  /** Grace after SIGTERM before SIGKILL; default 30 s. */
  timeoutMs?: number;
  cacheRoot?: string;
}

async function requireRecord(name: string, root: string | undefined): Promise<ClusterRecord> {
  const record = await readRecord(checkClusterName(name), root);
  if (record === undefined) throw new Error(`no cluster named ${name} (turnout kafka status lists them)`);
  return record;
}

function requireBroker(record: ClusterRecord, brokerId: number): void {
  if (!record.brokers.some((b) => b.id === brokerId)) {
    throw new Error(`cluster ${record.name} has no broker ${brokerId} (brokers: ${record.brokers.map((b) => b.id).join(', ')})`);
  }
}

/** Stops one broker; the rest of the cluster keeps running. */
export async function stopBroker(name: string, brokerId: number, opts: StopBrokerOptions = {}): Promise<'stopped' | 'killed' | 'not-running'> {
  const root = opts.cacheRoot;
  return withLock(lockPath(name, root), async () => {
    const record = await requireRecord(name, root);
    requireBroker(record, brokerId);
    const paths = brokerPaths(record, brokerId, root);
    return stopProcess(paths.pidFile, processMarker(paths.dir), { ...(opts.kill !== undefined ? { kill: opts.kill } : {}), timeoutMs: opts.timeoutMs ?? 30_000 });
  });
}

export interface StartBrokerOptions {
  readyTimeoutMs?: number;
  cacheRoot?: string;
  log?: (line: string) => void;
}

/** Starts one stopped broker and waits until every running broker lists it again. */
export async function startBroker(name: string, brokerId: number, opts: StartBrokerOptions = {}): Promise<BrokerInfo> {
  const root = opts.cacheRoot;
  const first = await requireRecord(name, root);
  const install = await ensureKafka(first.version, { ...(opts.log !== undefined ? { log: opts.log } : {}), ...(root !== undefined ? { cacheRoot: root } : {}) });
  return withLock(lockPath(name, root), async () => {
    const record = await requireRecord(name, root);
    requireBroker(record, brokerId);
    if ((await nodePid(controllerPaths(record, root))) === undefined) {
      throw new Error(`the controller of cluster ${name} is not running; use turnout kafka up --cluster ${name}`);
    }
    const paths = await writeNodeFiles(record, 'broker', brokerId, root);
    await formatStorage(install, record, 'broker', paths);
    await startNode(install, record, 'broker', paths, record.brokers.find((b) => b.id === brokerId)?.netns);
    const running: number[] = [];
    for (const b of record.brokers) {
      if ((await nodePid(brokerPaths(record, b.id, root))) !== undefined) running.push(b.id);
    }
    await waitReady(record, running, opts.readyTimeoutMs ?? 120_000, root);
    const info = (await infoOf(record, root)).brokers.find((b) => b.id === brokerId);
    return info as BrokerInfo;
  });
}
