// Clusters shared by one integration-test run (or by a developer's successive runs).
// A cluster is named by its role (`it-main`, `it-legacy`) and owned by the test run's main
// process: its pid is recorded, so a run that died leaves a cluster the next run recognises
// as stale and replaces. With reuse on, clusters are left running, ownerless, for the next
// run; a cluster that another live run owns is never touched (this run takes another name).
import { isPidAlive } from './node-process.js';
import { clusterInfo, clusterStatus, listClusters, startCluster, stopCluster, type ClusterInfo } from './kafka-cluster.js';
import { readRecord } from './cluster-record.js';
import type { SecurityProtocol } from './cluster-security.js';
import { DEFAULT_KAFKA_VERSION } from './devkit-paths.js';

export interface RigClusterSpec {
  /** Short name; the cluster is `it-<role>`. */
  role: string;
  version: string;
  brokers: number;
  racks: string[];
  brokerConfig?: Record<string, string>;
  /** Broker JVM heap; default the devkit's. */
  heapMb?: number;
  /** Secured client listeners (cluster-security.ts). */
  security?: SecurityProtocol[];
}

/** The clusters tests can ask for by role. */
export const RIG_CLUSTER_SPECS: Readonly<Record<string, RigClusterSpec>> = {
  main: { role: 'main', version: DEFAULT_KAFKA_VERSION, brokers: 3, racks: ['az-a', 'az-b', 'az-c'] },
  // Kafka 3.9 coordinates KIP-848 consumer groups only when told to: the cutover acceptance
  // keeps such a group on this cluster's coordinator while its topics move to main.
  legacy: {
    role: 'legacy',
    version: '3.9.1',
    brokers: 3,
    racks: ['az-a', 'az-b', 'az-c'],
    brokerConfig: { 'group.coordinator.rebalance.protocols': 'classic,consumer' },
  },
  // One small broker with SASL_SSL (SCRAM-SHA-512, SCRAM-SHA-256, PLAIN) and SSL with client
  // certificates required, for Turnout's identity towards a backend and its TLS listeners.
  // Its SASL sessions last 10 s (KIP-368): logins are renewed, as clients of real clusters must.
  secure: {
    role: 'secure',
    version: DEFAULT_KAFKA_VERSION,
    brokers: 1,
    racks: ['az-a'],
    heapMb: 256,
    security: ['sasl-ssl', 'ssl'],
    brokerConfig: { 'connections.max.reauth.ms': '10000' },
  },
};

export interface RigRun {
  /** Pid of the test run's main process (vitest's globalSetup). */
  ownerPid: number;
  /** Leave clusters running for the next run and adopt the ones already running. */
  reuse: boolean;
  log?: (line: string) => void;
  cacheRoot?: string;
}

export function rigSpec(role: string): RigClusterSpec {
  const spec = RIG_CLUSTER_SPECS[role];
  if (spec === undefined) throw new Error(`no rig cluster role ${JSON.stringify(role)}; known: ${Object.keys(RIG_CLUSTER_SPECS).join(', ')}`);
  return spec;
}

function sameConfig(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
}

function sameSpec(info: ClusterInfo, spec: RigClusterSpec, brokerConfig: Readonly<Record<string, string>>): boolean {
  return (
    info.version === spec.version &&
    info.brokers.length === spec.brokers &&
    info.brokers.every((b, i) => b.rack === spec.racks[i % spec.racks.length]) &&
    (info.security?.protocols ?? []).join(',') === (spec.security ?? []).join(',') &&
    sameConfig(brokerConfig, spec.brokerConfig ?? {})
  );
}

/** The name this run uses for a role, clearing a stale cluster of that name on the way. */
export async function rigClusterName(spec: RigClusterSpec, run: RigRun): Promise<string> {
  const base = `it-${spec.role}`;
  const root = run.cacheRoot;
  const record = await readRecord(base, root).catch(() => undefined);
  if (record === undefined) return base;
  if (record.ownerPid === run.ownerPid) return base;
  const ownerLive = record.ownerPid !== undefined && isPidAlive(record.ownerPid);
  if (ownerLive) return `${base}-${run.ownerPid}`;
  if (record.ownerPid !== undefined) {
    // Its run died: nobody uses it.
    run.log?.(`removing stale cluster ${base} (owner pid ${record.ownerPid} is gone)`);
    await stopCluster(base, { timeoutMs: 5_000, ...(root !== undefined ? { cacheRoot: root } : {}) });
    return base;
  }
  // Ownerless: started by hand or left by a reuse run. Adopt it when reusing; otherwise
  // leave it alone while it runs, and clear it once nothing of it runs.
  if (run.reuse) return base;
  const info = await clusterInfo(base, root !== undefined ? { cacheRoot: root } : {});
  const running = info !== undefined && (info.controller.pid !== null || info.brokers.some((b) => b.pid !== null));
  if (running) return `${base}-${run.ownerPid}`;
  run.log?.(`removing stopped cluster ${base}`);
  await stopCluster(base, { timeoutMs: 5_000, ...(root !== undefined ? { cacheRoot: root } : {}) });
  return base;
}

/** Starts (or adopts, or just returns) the cluster for a role in this run. */
export async function acquireRigCluster(roleOrSpec: string | RigClusterSpec, run: RigRun): Promise<ClusterInfo> {
  const spec = typeof roleOrSpec === 'string' ? rigSpec(roleOrSpec) : roleOrSpec;
  const root = run.cacheRoot;
  const rootOpt = root !== undefined ? { cacheRoot: root } : {};
  const name = await rigClusterName(spec, run);
  const existing = await clusterInfo(name, rootOpt);
  const recordedConfig = (await readRecord(name, root).catch(() => undefined))?.brokerConfig ?? {};
  if (existing !== undefined && !sameSpec(existing, spec, recordedConfig)) {
    run.log?.(`replacing cluster ${name}: it runs Kafka ${existing.version} with ${existing.brokers.length} brokers and not the role's settings`);
    await stopCluster(name, { timeoutMs: 5_000, ...rootOpt });
  }
  if (existing !== undefined && run.reuse) {
    const status = await clusterStatus(name, rootOpt);
    if (status?.healthy === true) run.log?.(`reusing running cluster ${name}`);
  }
  // Reuse keeps only the role's own name running after the run; a fallback name (taken
  // because another live run holds the role's name) is this run's to stop.
  const keep = run.reuse && name === `it-${spec.role}`;
  return startCluster({
    name,
    version: spec.version,
    brokers: spec.brokers,
    racks: spec.racks,
    ...(spec.brokerConfig !== undefined ? { brokerConfig: spec.brokerConfig } : {}),
    ...(spec.heapMb !== undefined ? { heapMb: spec.heapMb } : {}),
    ...(spec.security !== undefined ? { security: spec.security } : {}),
    ...(keep ? {} : { ownerPid: run.ownerPid }),
    // Test machines are small and often busy: be patient before calling a start failed.
    readyTimeoutMs: 300_000,
    ...(run.log !== undefined ? { log: run.log } : {}),
    ...rootOpt,
  });
}

/** Stops every cluster this run owns (with reuse, only fallback-named ones). */
export async function releaseRigClusters(run: RigRun): Promise<string[]> {
  const root = run.cacheRoot;
  const rootOpt = root !== undefined ? { cacheRoot: root } : {};
  const stopped: string[] = [];
  for (const name of await listClusters(rootOpt)) {
    const record = await readRecord(name, root).catch(() => undefined);
    if (record?.ownerPid !== run.ownerPid) continue;
    await stopCluster(name, { timeoutMs: 10_000, ...rootOpt });
    stopped.push(name);
  }
  return stopped;
}
