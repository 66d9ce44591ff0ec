// Two Turnout instances on one Redis store (the machine's, 127.0.0.1:6379, under a key prefix
// of their own, deleted at the end), or one on the file store, in front of the rig's legacy
// (Kafka 3.9.1) and main (4.1.1) clusters: the setup of the cutover acceptance. Domain `moving` lives on legacy with main as
// its migration target; domain `staying` lives on main. Each domain owns the topics, groups
// and transactional ids that start with its prefix. The instances run in this process, or as
// `turnout start` processes that a test can kill and start again on the same ports.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { stringify } from 'yaml';
import { loadConfigFile, type TurnoutConfigInput } from '../../src/policy/config.js';
import { startProxy, type ProxyHandle } from '../../src/proxy.js';
import { TEST_ADMIN_AUTH } from './admin-token.js';
import { createTopic, deleteTopics, mainCluster, useCluster, type ClusterInfo } from './rig.js';
import { freePort, freePortBlock } from './test-redis.js';
import { TurnoutProcess } from './turnout-process.js';

const REDIS_URL = process.env.TURNOUT_IT_REDIS_URL ?? 'redis://127.0.0.1:6379';
const NODES = 3;
export const MOVING_DOMAIN = 'moving';
export const STAYING_DOMAIN = 'staying';

export interface CutoverInstancesSpec {
  clusterId: string;
  /** Names of the moving domain (on legacy, migration target main) start with this. */
  movingPrefix: string;
  /** Names of the staying domain (on main) start with this. */
  stayingPrefix: string;
  /** `in-process`: startProxy here; `process`: `turnout start` children that can be killed. */
  mode: 'in-process' | 'process';
  /** Default 2. */
  count?: number;
  /** `redis` (default): the shared store above; `file`: each instance's own state folder beside its configuration (one instance). */
  store?: 'redis' | 'file';
}

export interface CutoverInstance {
  readonly name: string;
  /** What clients bootstrap from. */
  readonly bootstrap: string;
  /** `http://127.0.0.1:<admin port>`. */
  readonly adminUrl: string;
  /** SIGKILL (process mode; in-process: close). */
  kill(): Promise<void>;
  /** Starts it again on the same ports after kill (process mode only). */
  restart(): Promise<void>;
  /** Stops it answering anything until resume(), as a hung instance (process mode only). */
  pause(): void;
  resume(): void;
  /** Its recent log output (process mode), for a failure message. */
  output(): string;
}

export interface CutoverInstances {
  instances: CutoverInstance[];
  legacy: ClusterInfo;
  main: ClusterInfo;
  redisKeyPrefix: string;
  /** Creates a topic of a domain on its backend, and for the moving domain on its migration target too (same partitions). */
  createDomainTopic(name: string, partitions: number): Promise<void>;
  close(): Promise<void>;
}

export class InProcessInstanceError extends Error {
  constructor(readonly instance: string, what: string) {
    super(`${instance} runs in this process: it cannot be ${what} (start the instances with mode 'process')`);
    this.name = 'InProcessInstanceError';
  }
}

function instanceConfig(spec: CutoverInstancesSpec, main: ClusterInfo, legacy: ClusterInfo, keyPrefix: string, ports: { bootstrap: number; nodePortBase: number; admin: number }): TurnoutConfigInput {
  const patterns = (prefix: string) => ({ topics: [`${prefix}*`], groups: [`${prefix}*`], transactionalIds: [`${prefix}*`] });
  return {
    virtualCluster: { clusterId: spec.clusterId },
    listeners: [{ bindHost: '127.0.0.1', advertisedHost: '127.0.0.1', bootstrapPort: ports.bootstrap, nodePortBase: ports.nodePortBase, nodes: NODES }],
    backends: [
      { name: 'main', bootstrapServers: main.bootstrapServers.split(',') },
      { name: 'legacy', bootstrapServers: legacy.bootstrapServers.split(',') },
    ],
    domains: [
      { name: MOVING_DOMAIN, owner: 'team-moving', ...patterns(spec.movingPrefix), backend: 'legacy', migrationTarget: 'main' },
      { name: STAYING_DOMAIN, owner: 'team-staying', ...patterns(spec.stayingPrefix), backend: 'main' },
    ],
    store: spec.store === 'file' ? { watchFile: false } : { type: 'redis', redis: { url: REDIS_URL, keyPrefix, pollIntervalMs: 1_000, connectTimeoutMs: 2_000 } },
    admin: { host: '127.0.0.1', port: ports.admin, auth: TEST_ADMIN_AUTH },
  };
}

async function startInProcess(name: string, file: string): Promise<CutoverInstance> {
  let proxy: ProxyHandle | null = await startProxy(await loadConfigFile(file, { severalBackends: true }), { configFile: file, logLevel: 'warn', waitForReadyMs: 60_000 });
  const p = proxy;
  return {
    name,
    bootstrap: p.bootstrapServers(),
    adminUrl: `http://127.0.0.1:${p.adminPort}`,
    async kill() {
      await proxy?.close();
      proxy = null;
    },
    restart: () => Promise.reject(new InProcessInstanceError(name, 'restarted')),
    pause: () => {
      throw new InProcessInstanceError(name, 'paused');
    },
    resume: () => undefined,
    output: () => '',
  };
}

async function startAsProcess(name: string, file: string, bootstrapPort: number, adminPort: number): Promise<CutoverInstance> {
  const proc = new TurnoutProcess(file, adminPort);
  await proc.start();
  return {
    name,
    bootstrap: `127.0.0.1:${bootstrapPort}`,
    adminUrl: `http://127.0.0.1:${adminPort}`,
    kill: () => proc.kill(),
    restart: () => proc.start(),
    pause: () => proc.pause(),
    resume: () => proc.resume(),
    output: () => proc.output(),
  };
}

/** Starts the instances; the caller closes them (in afterAll or onTestFinished). */
export async function startCutoverInstances(spec: CutoverInstancesSpec): Promise<CutoverInstances> {
  const main = mainCluster();
  const legacy = await useCluster('legacy');
  const dir = await mkdtemp(join(tmpdir(), 'turnout-cutover-'));
  const redisKeyPrefix = `turnout:{it-cutover-${process.pid}-${Date.now().toString(36)}}:`;
  const topics: Array<{ cluster: ClusterInfo; name: string }> = [];
  const instances: CutoverInstance[] = [];
  const close = async (): Promise<void> => {
    for (const i of instances) await i.kill().catch(() => undefined);
    for (const t of topics) await deleteTopics(t.cluster, [t.name]).catch(() => undefined);
    const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await redis.connect();
      const keys = await redis.keys(`${redisKeyPrefix}*`);
      if (keys.length > 0) await redis.del(...keys);
    } finally {
      redis.disconnect();
      await rm(dir, { recursive: true, force: true });
    }
  };
  try {
    for (let i = 0; i < (spec.count ?? 2); i++) {
      const name = `turnout-${String.fromCharCode(97 + i)}`;
      const ports = spec.mode === 'process' ? { bootstrap: await freePort(), nodePortBase: await freePortBlock(NODES), admin: await freePort() } : { bootstrap: 0, nodePortBase: 0, admin: 0 };
      const file = join(dir, `${name}.yaml`);
      await writeFile(file, stringify(instanceConfig(spec, main, legacy, redisKeyPrefix, ports)));
      instances.push(spec.mode === 'process' ? await startAsProcess(name, file, ports.bootstrap, ports.admin) : await startInProcess(name, file));
    }
  } catch (err) {
    await close();
    throw err;
  }
  return {
    instances,
    legacy,
    main,
    redisKeyPrefix,
    async createDomainTopic(name, partitions) {
      const onMain = name.startsWith(spec.stayingPrefix);
      const clusters = onMain ? [main] : [legacy, main];
      for (const cluster of clusters) {
        await createTopic(cluster, { name, partitions, cleanup: false });
        topics.push({ cluster, name });
      }
    },
    close,
  };
}
