// `turnout start` with several processes, in the primary: forks the workers (each runs the
// proxy on the same listener ports), serves the admin port for all of them, passes SIGHUP on
// (policy reload) and stops them on SIGTERM or SIGINT, each draining as a single Turnout does.
import cluster from 'node:cluster';
import type { Logger } from '../observability/logger.js';
import type { TurnoutConfig } from '../policy/config.js';
import { PrimaryAdmin } from './primary-admin.js';
import { WorkerSupervisor } from './worker-supervisor.js';

export interface ClusterPrimaryOptions {
  config: TurnoutConfig;
  processes: number;
  /** Time each worker gets to drain its connections on stop, in ms. */
  drainTimeoutMs: number;
  log: Logger;
}

/** Time a worker gets beyond its drain before it is killed: closing its stores and exporting its last spans. */
const STOP_GRACE_MS = 5_000;

export async function runClusterPrimary(opts: ClusterPrimaryOptions): Promise<void> {
  const { config, log } = opts;
  // Connections go to the workers in turn (the default everywhere but Windows, said here so that it holds there too).
  cluster.schedulingPolicy = cluster.SCHED_RR;
  const supervisor = new WorkerSupervisor({
    processes: opts.processes,
    log,
    stopTimeoutMs: opts.drainTimeoutMs + STOP_GRACE_MS,
    onGiveUp: () => {
      void admin.close().then(() => {
        log.flush();
        process.exit(1);
      });
    },
  });
  const admin = new PrimaryAdmin({ host: config.admin.host, port: config.admin.port, workers: () => supervisor.workers(), log });
  const adminPort = await admin.listen();
  supervisor.start();
  log.info({ processes: opts.processes, adminPort, listeners: config.listeners.map((l) => ({ name: l.name, bootstrapPort: l.bootstrapPort })) }, 'turnout primary started');

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      log.warn({ signal }, 'second signal, exiting now');
      process.exit(1);
    }
    stopping = true;
    log.info({ signal, drainTimeoutMs: opts.drainTimeoutMs }, 'stopping: workers draining connections');
    void supervisor
      .stop()
      .then(() => admin.close())
      .then(() => {
        log.info('stopped');
        log.flush();
        process.exit(0);
      });
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.on('SIGHUP', () => {
    for (const w of supervisor.workers()) if (w.pid !== null) process.kill(w.pid, 'SIGHUP');
  });
}
