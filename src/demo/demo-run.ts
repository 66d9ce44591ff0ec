// `turnout demo` end to end: two local 3-broker clusters from the devkit, east and west,
// started side by side (or reused when they already run, or existing clusters given by their
// bootstrap servers), or with `secure` one 1-broker SASL_SSL cluster; Turnout in front
// in-process, the demo flow (demo-session.ts, secure-demo-session.ts), the summary, and cleanup
// that runs on success, on failure and on Ctrl-C alike. With `keep`, Turnout keeps serving in
// the foreground and the clusters stay up after it.
import { relative } from 'node:path';
import { clusterStatus, DEFAULT_KAFKA_VERSION, startCluster, stopCluster, type ClusterInfo } from '../devkit/index.js';
import type { LogLevel } from '../observability/logger.js';
import { DemoAbortedError } from './demo-abort.js';
import { openPlainDemo, type DemoOutcome, type DemoSession } from './demo-session.js';
import { DEMO_BACKEND_NAMES, DEMO_ZONES, type DemoBackendName, type DemoBackends } from './demo-workspace.js';
import { openSecureDemo } from './secure-demo-session.js';

/** The plain demo's clusters, by the backend each one is. */
export const DEMO_CLUSTERS: Readonly<Record<DemoBackendName, string>> = { east: 'demo-east', west: 'demo-west' };
export const SECURE_DEMO_CLUSTER = 'demo-secure';
export const DEMO_RACKS: readonly string[] = [...DEMO_ZONES];
/** Small heaps: the demo's six brokers and two controllers share a small machine. */
const DEMO_BROKER_HEAP_MB = 256;

export interface DemoRunOptions {
  records: number;
  /** Kafka version of the demo cluster; default 4.1.1. */
  kafkaVersion?: string;
  /** Leave the cluster and Turnout running afterwards. */
  keep?: boolean;
  /** Print the result as JSON on stdout instead of the summary. */
  json?: boolean;
  /** Run against these existing clusters (east, where the orders domain starts, and west) instead of starting them (they are never stopped). */
  bootstrap?: { east: string; west: string };
  /** Cutovers of the orders domain; default 3. */
  cutovers?: number;
  /** Turnout's log level (to stderr); default error. */
  logLevel?: LogLevel;
  /**
   * The secured demo: a SASL_SSL cluster, Turnout with TLS, SASL SCRAM-SHA-512 and ACLs on its
   * listener and its own login to the cluster (secure-demo-flow.ts). Not with `bootstrap`.
   */
  secure?: boolean;
}

function progress(line: string): void {
  process.stderr.write(`turnout demo: ${line}\n`);
}

/** How to invoke this CLI again, as the user did (`node dist/src/cli.js` or `turnout`). */
function cliInvocation(): string {
  const script = process.argv[1];
  if (script === undefined) return 'turnout';
  const rel = relative(process.cwd(), script);
  return rel.startsWith('..') || rel === '' ? 'turnout' : `node ${rel}`;
}

function waitForSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const done = (sig: NodeJS.Signals): void => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve(sig);
    };
    process.on('SIGINT', done);
    process.on('SIGTERM', done);
  });
}

function keepInstructions(session: DemoOutcome, clusters: readonly string[]): string[] {
  const cli = cliInvocation();
  const stays = clusters.length === 0 ? '.' : clusters.length === 1 ? ' (the cluster stays up).' : ' (the clusters stay up).';
  const lines = ['', `Turnout keeps serving in this terminal; Ctrl-C stops it${stays}`, ...session.keepLines(cli)];
  for (const c of clusters) lines.push(`  ${`stop ${c}`.padEnd(18)} ${cli} kafka down --cluster ${c}`);
  return lines;
}

function splitServers(servers: string): string[] {
  return servers.split(',').map((s) => s.trim()).filter((s) => s !== '');
}

/** The secured demo's cluster: one broker with a SASL_SSL listener. */
function startSecureCluster(name: string, version: string): Promise<ClusterInfo> {
  progress(`starting a local 1-broker Kafka ${version} cluster "${name}" with a SASL_SSL listener (SCRAM-SHA-512, certificates from openssl)`);
  return startCluster({ name, brokers: 1, racks: DEMO_RACKS.slice(0, 1), version, security: ['sasl-ssl'], log: progress });
}

/** A cluster of the plain demo: three brokers in three racks, started, or reused when it already runs healthy. */
async function startPlainCluster(name: string, version: string): Promise<{ info: ClusterInfo; reused: boolean }> {
  const reused = (await clusterStatus(name).catch(() => undefined))?.healthy === true;
  if (reused) progress(`reusing the running cluster "${name}" (it is left running)`);
  else progress(`starting a local ${DEMO_RACKS.length}-broker Kafka ${version} cluster "${name}" (racks ${DEMO_RACKS.join(', ')})`);
  const info = await startCluster({ name, brokers: 3, racks: DEMO_RACKS, version, heapMb: DEMO_BROKER_HEAP_MB, quickStart: true, log: progress });
  return { info, reused };
}

function backendOf(name: DemoBackendName, info: ClusterInfo): DemoBackends[DemoBackendName] {
  return { bootstrapServers: info.bootstrapServers.split(','), kafkaVersion: info.version, label: `cluster ${info.cluster}` };
}

/** Runs the demo; resolves with the process exit code (0 passed, 1 failed, 130 interrupted). */
export async function runDemo(opts: DemoRunOptions): Promise<number> {
  const secure = opts.secure === true;
  if (secure && opts.bootstrap !== undefined) {
    progress('--secure starts its own SASL_SSL cluster: it does not run against --bootstrap');
    return 1;
  }
  const ownClusters = opts.bootstrap === undefined;
  const version = opts.kafkaVersion ?? DEFAULT_KAFKA_VERSION;
  const abort = new AbortController();
  let stage = 'starting';
  let signals = 0;
  /** Clusters this run started: stopped at the end unless kept. */
  const started: string[] = [];
  /** Clusters this run started or reused: named in the --keep instructions. */
  const used: string[] = [];
  const onSignal = (sig: NodeJS.Signals): void => {
    signals++;
    if (signals === 1) {
      progress(
        stage === 'cluster'
          ? `${sig}: the clusters are still starting; they are stopped as soon as their start completes (${sig === 'SIGINT' ? 'Ctrl-C' : sig} again to leave them running)`
          : `${sig}: stopping and cleaning up (${sig === 'SIGINT' ? 'Ctrl-C' : sig} again to exit at once)`,
      );
      abort.abort();
      return;
    }
    const pending = secure ? [SECURE_DEMO_CLUSTER] : ownClusters ? Object.values(DEMO_CLUSTERS) : [];
    for (const c of pending) progress(`exiting without cleanup; stop the cluster with: ${cliInvocation()} kafka down --cluster ${c}`);
    process.exit(130);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  let session: DemoSession | undefined;
  let keepRunning = false;
  try {
    const logLevel = opts.logLevel ?? 'error';
    if (secure) {
      stage = 'cluster';
      const info = await startSecureCluster(SECURE_DEMO_CLUSTER, version);
      started.push(SECURE_DEMO_CLUSTER);
      used.push(SECURE_DEMO_CLUSTER);
      if (abort.signal.aborted) throw new DemoAbortedError();
      stage = 'turnout';
      session = await openSecureDemo(info, { logLevel, log: progress });
    } else {
      let backends: DemoBackends;
      if (opts.bootstrap !== undefined) {
        backends = {
          east: { bootstrapServers: splitServers(opts.bootstrap.east), label: `cluster at ${opts.bootstrap.east}` },
          west: { bootstrapServers: splitServers(opts.bootstrap.west), label: `cluster at ${opts.bootstrap.west}` },
        };
      } else {
        stage = 'cluster';
        const clusterStarts = DEMO_BACKEND_NAMES.map(async (b) => {
          const { info, reused } = await startPlainCluster(DEMO_CLUSTERS[b], version);
          if (!reused) started.push(info.cluster);
          used.push(info.cluster);
          return info;
        });
        // Both start side by side; a failed one still lets the other finish, so that both are stopped.
        const infos = await Promise.allSettled(clusterStarts);
        const failed = infos.find((r): r is PromiseRejectedResult => r.status === 'rejected');
        if (failed !== undefined) throw failed.reason;
        const [east, west] = infos.map((r) => (r as PromiseFulfilledResult<ClusterInfo>).value) as [ClusterInfo, ClusterInfo];
        backends = { east: backendOf('east', east), west: backendOf('west', west) };
      }
      if (abort.signal.aborted) throw new DemoAbortedError();
      stage = 'turnout';
      session = await openPlainDemo(backends, { logLevel });
    }
    const proxy = session.proxy;
    progress(`Turnout is up: ${session.description}`);
    if (abort.signal.aborted) throw new DemoAbortedError();

    stage = 'flow';
    const outcome = await session.run({ records: opts.records, log: progress, signal: abort.signal, ...(opts.cutovers !== undefined ? { cutovers: opts.cutovers } : {}) });
    if (opts.json === true) process.stdout.write(`${JSON.stringify(outcome.result, null, 2)}\n`);
    else process.stdout.write(`${outcome.summary(process.stdout.isTTY === true && process.env.NO_COLOR === undefined).join('\n')}\n`);

    if (opts.keep === true) {
      keepRunning = true;
      stage = 'keep';
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      process.stderr.write(`${keepInstructions(outcome, used).join('\n')}\n`);
      await waitForSignal();
      progress('stopping Turnout');
      await proxy.close({ drainTimeoutMs: 2_000 });
      for (const c of used) progress(`cluster ${c} is still running: ${cliInvocation()} kafka down --cluster ${c} stops it`);
    }
    return outcome.ok ? 0 : 1;
  } catch (err) {
    if (err instanceof DemoAbortedError || abort.signal.aborted) {
      progress('interrupted');
      return 130;
    }
    progress(`failed: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  } finally {
    if (!keepRunning) await session?.proxy.close({ drainTimeoutMs: 1_000 }).catch(() => undefined);
    await session?.dispose(opts.keep === true).catch(() => undefined);
    if (opts.keep !== true && started.length > 0) {
      progress(`stopping cluster${started.length > 1 ? 's' : ''} ${started.join(', ')}`);
      // The demo's clusters are removed with their data: no need to wait long for a clean shutdown.
      await Promise.all(started.map((c) => stopCluster(c, { timeoutMs: 2_000, log: progress }).catch((e: unknown) => progress(`could not stop cluster ${c}: ${String(e)}`))));
    }
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
