// `turnout demo` end to end: a local 3-broker cluster from the devkit (or an existing cluster),
// Turnout in front of it in-process, the demo flow, the summary, and cleanup that runs on
// success, on failure and on Ctrl-C alike. With `keep`, Turnout keeps serving in the
// foreground and the cluster stays up after it.
import { relative } from 'node:path';
import { DEFAULT_KAFKA_VERSION, startCluster, stopCluster } from '../devkit/index.js';
import type { LogLevel } from '../observability/logger.js';
import type { ProxyHandle } from '../proxy.js';
import { formatDemoSummary } from './demo-summary.js';
import { DemoAbortedError } from './demo-abort.js';
import { runDemoFlow, startDemoProxy, type DemoBackend } from './demo-flow.js';

export const DEMO_CLUSTER = 'demo';
export const DEMO_RACKS: readonly string[] = ['az-a', 'az-b', 'az-c'];

export interface DemoRunOptions {
  records: number;
  /** Kafka version of the demo cluster; default 4.1.1. */
  kafkaVersion?: string;
  /** Leave the cluster and Turnout running afterwards. */
  keep?: boolean;
  /** Print the result as JSON on stdout instead of the summary. */
  json?: boolean;
  /** Run against this existing cluster instead of starting one (it is never stopped). */
  bootstrap?: string;
  /** Name of the cluster to start; default `demo`. */
  clusterName?: string;
  /** Turnout's log level (to stderr); default error. */
  logLevel?: LogLevel;
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

function keepInstructions(proxy: ProxyHandle, topic: string, cluster: string | null, realBootstrap: string): string[] {
  const cli = cliInvocation();
  const b = proxy.bootstrapServers();
  const lines = [
    '',
    'Turnout keeps serving in this terminal; Ctrl-C stops it' + (cluster !== null ? ` (the cluster stays up).` : '.'),
    `  bootstrap servers  ${b}`,
    `  read with kcat     kcat -b ${b} -C -t ${topic} -o beginning -e`,
    `  read with Java     ${cli} kafka tool kafka-console-consumer --bootstrap-server ${b} --topic ${topic} --from-beginning`,
    `  Turnout metrics    curl -s http://127.0.0.1:${proxy.adminPort}/metrics | grep '^turnout_'`,
    `  the real cluster   ${realBootstrap}`,
  ];
  if (cluster !== null) lines.push(`  stop the cluster   ${cli} kafka down --cluster ${cluster}`);
  return lines;
}

/** Runs the demo; resolves with the process exit code (0 passed, 1 failed, 130 interrupted). */
export async function runDemo(opts: DemoRunOptions): Promise<number> {
  const clusterName = opts.clusterName ?? DEMO_CLUSTER;
  const ownCluster = opts.bootstrap === undefined;
  const abort = new AbortController();
  let stage = 'starting';
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals): void => {
    signals++;
    if (signals === 1) {
      progress(
        stage === 'cluster'
          ? `${sig}: the cluster is still starting; it is stopped as soon as its start completes (${sig === 'SIGINT' ? 'Ctrl-C' : sig} again to leave it running)`
          : `${sig}: stopping and cleaning up (${sig === 'SIGINT' ? 'Ctrl-C' : sig} again to exit at once)`,
      );
      abort.abort();
      return;
    }
    if (ownCluster) progress(`exiting without cleanup; stop the cluster with: ${cliInvocation()} kafka down --cluster ${clusterName}`);
    process.exit(130);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  let proxy: ProxyHandle | undefined;
  let clusterStarted = false;
  let keepRunning = false;
  try {
    let backend: DemoBackend;
    if (ownCluster) {
      stage = 'cluster';
      const version = opts.kafkaVersion ?? DEFAULT_KAFKA_VERSION;
      progress(`starting a local ${DEMO_RACKS.length}-broker Kafka ${version} cluster "${clusterName}" (racks ${DEMO_RACKS.join(', ')})`);
      const info = await startCluster({ name: clusterName, brokers: 3, racks: DEMO_RACKS, version, log: progress });
      clusterStarted = true;
      backend = { bootstrapServers: info.bootstrapServers.split(','), kafkaVersion: info.version, label: `cluster ${info.cluster}` };
    } else {
      backend = { bootstrapServers: (opts.bootstrap as string).split(',').map((s) => s.trim()).filter((s) => s !== ''), label: `cluster at ${opts.bootstrap}` };
    }
    if (abort.signal.aborted) throw new DemoAbortedError();

    stage = 'turnout';
    proxy = await startDemoProxy(backend, { logLevel: opts.logLevel ?? 'error' });
    progress(`Turnout is up: clients connect to ${proxy.bootstrapServers()}; it fronts ${backend.bootstrapServers.join(',')}`);
    if (abort.signal.aborted) throw new DemoAbortedError();

    stage = 'flow';
    const result = await runDemoFlow(proxy, backend, { records: opts.records, log: progress, signal: abort.signal });
    if (opts.json === true) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    else process.stdout.write(`${formatDemoSummary(result, { color: process.stdout.isTTY === true && process.env.NO_COLOR === undefined }).join('\n')}\n`);

    if (opts.keep === true) {
      keepRunning = true;
      stage = 'keep';
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      process.stderr.write(`${keepInstructions(proxy, result.topic.name, ownCluster ? clusterName : null, backend.bootstrapServers.join(',')).join('\n')}\n`);
      await waitForSignal();
      progress('stopping Turnout');
      await proxy.close({ drainTimeoutMs: 2_000 });
      if (ownCluster) progress(`cluster ${clusterName} is still running: ${cliInvocation()} kafka down --cluster ${clusterName} stops it`);
    }
    return result.ok ? 0 : 1;
  } catch (err) {
    if (err instanceof DemoAbortedError || abort.signal.aborted) {
      progress('interrupted');
      return 130;
    }
    progress(`failed: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  } finally {
    if (!keepRunning) {
      if (proxy !== undefined) await proxy.close({ drainTimeoutMs: 1_000 }).catch(() => undefined);
      if (ownCluster && clusterStarted && opts.keep !== true) {
        progress(`stopping cluster ${clusterName}`);
        await stopCluster(clusterName, { log: progress }).catch((e: unknown) => progress(`could not stop cluster ${clusterName}: ${String(e)}`));
      }
    }
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
