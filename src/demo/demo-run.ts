// `turnout demo` end to end: a local 3-broker cluster from the devkit (or an existing cluster),
// or with `secure` a 1-broker SASL_SSL one, Turnout in front of it in-process, the demo flow
// (demo-session.ts, secure-demo-session.ts), the summary, and cleanup that runs on success, on
// failure and on Ctrl-C alike. With `keep`, Turnout keeps serving in the foreground and the
// cluster stays up after it.
import { relative } from 'node:path';
import { DEFAULT_KAFKA_VERSION, startCluster, stopCluster, type ClusterInfo } from '../devkit/index.js';
import type { LogLevel } from '../observability/logger.js';
import { DemoAbortedError } from './demo-abort.js';
import { openPlainDemo, type DemoOutcome, type DemoSession } from './demo-session.js';
import { openSecureDemo } from './secure-demo-session.js';

export const DEMO_CLUSTER = 'demo';
export const SECURE_DEMO_CLUSTER = 'demo-secure';
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

function keepInstructions(session: DemoOutcome, cluster: string | null): string[] {
  const cli = cliInvocation();
  const lines = ['', 'Turnout keeps serving in this terminal; Ctrl-C stops it' + (cluster !== null ? ` (the cluster stays up).` : '.'), ...session.keepLines(cli)];
  if (cluster !== null) lines.push(`  stop the cluster   ${cli} kafka down --cluster ${cluster}`);
  return lines;
}

/** Starts the demo's own cluster: three brokers in three racks, or one broker with a SASL_SSL listener for --secure. */
async function startDemoCluster(name: string, version: string, secure: boolean): Promise<ClusterInfo> {
  if (secure) {
    progress(`starting a local 1-broker Kafka ${version} cluster "${name}" with a SASL_SSL listener (SCRAM-SHA-512, certificates from openssl)`);
    return startCluster({ name, brokers: 1, racks: DEMO_RACKS.slice(0, 1), version, security: ['sasl-ssl'], log: progress });
  }
  progress(`starting a local ${DEMO_RACKS.length}-broker Kafka ${version} cluster "${name}" (racks ${DEMO_RACKS.join(', ')})`);
  return startCluster({ name, brokers: 3, racks: DEMO_RACKS, version, log: progress });
}

/** Runs the demo; resolves with the process exit code (0 passed, 1 failed, 130 interrupted). */
export async function runDemo(opts: DemoRunOptions): Promise<number> {
  const secure = opts.secure === true;
  if (secure && opts.bootstrap !== undefined) {
    progress('--secure starts its own SASL_SSL cluster: it does not run against --bootstrap');
    return 1;
  }
  const clusterName = opts.clusterName ?? (secure ? SECURE_DEMO_CLUSTER : DEMO_CLUSTER);
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

  let session: DemoSession | undefined;
  let clusterStarted = false;
  let keepRunning = false;
  try {
    const logLevel = opts.logLevel ?? 'error';
    if (ownCluster) {
      stage = 'cluster';
      const info = await startDemoCluster(clusterName, opts.kafkaVersion ?? DEFAULT_KAFKA_VERSION, secure);
      clusterStarted = true;
      if (abort.signal.aborted) throw new DemoAbortedError();
      stage = 'turnout';
      session = secure
        ? await openSecureDemo(info, { logLevel, log: progress })
        : await openPlainDemo({ bootstrapServers: info.bootstrapServers.split(','), kafkaVersion: info.version, label: `cluster ${info.cluster}` }, { logLevel });
    } else {
      stage = 'turnout';
      const bootstrapServers = (opts.bootstrap as string).split(',').map((s) => s.trim()).filter((s) => s !== '');
      session = await openPlainDemo({ bootstrapServers, label: `cluster at ${opts.bootstrap}` }, { logLevel });
    }
    const proxy = session.proxy;
    progress(`Turnout is up: ${session.description}`);
    if (abort.signal.aborted) throw new DemoAbortedError();

    stage = 'flow';
    const outcome = await session.run({ records: opts.records, log: progress, signal: abort.signal });
    if (opts.json === true) process.stdout.write(`${JSON.stringify(outcome.result, null, 2)}\n`);
    else process.stdout.write(`${outcome.summary(process.stdout.isTTY === true && process.env.NO_COLOR === undefined).join('\n')}\n`);

    if (opts.keep === true) {
      keepRunning = true;
      stage = 'keep';
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      process.stderr.write(`${keepInstructions(outcome, ownCluster ? clusterName : null).join('\n')}\n`);
      await waitForSignal();
      progress('stopping Turnout');
      await proxy.close({ drainTimeoutMs: 2_000 });
      if (ownCluster) progress(`cluster ${clusterName} is still running: ${cliInvocation()} kafka down --cluster ${clusterName} stops it`);
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
    if (ownCluster && clusterStarted && opts.keep !== true) {
      progress(`stopping cluster ${clusterName}`);
      await stopCluster(clusterName, { log: progress }).catch((e: unknown) => progress(`could not stop cluster ${clusterName}: ${String(e)}`));
    }
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
