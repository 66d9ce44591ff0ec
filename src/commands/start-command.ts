// `turnout start --config FILE`: runs the proxy until SIGTERM or SIGINT, then stops accepting
// connections and lets in-flight requests finish before exiting. The policy store the file
// names is re-read on SIGHUP. With `processes` above 1 (or `--processes`), this process
// becomes the primary of that many workers, each running the proxy on the same ports
// (src/cluster/).
import cluster from 'node:cluster';
import { availableParallelism } from 'node:os';
import type { Command } from 'commander';
import { loadConfigFile, ConfigError, type ConfigIssue, type TurnoutConfig } from '../policy/config.js';
import { checkProcesses, processCountOf, type ProcessesSetting } from '../policy/processes-schema.js';
import { reloadOnSignal } from '../policy/policy-store.js';
import { createLogger, type Logger } from '../observability/logger.js';
import { startProxy } from '../proxy.js';
import { runClusterPrimary } from '../cluster/cluster-primary.js';
import { joinPrimary, sharedVirtualNodeIds, workerIndex } from '../cluster/cluster-worker.js';
import { applyHeapGrowth } from './heap-growth.js';
import { allocatorSettings, onGlibc } from './malloc-tunables.js';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
type LogLevel = (typeof LOG_LEVELS)[number];

interface StartOptions {
  config: string;
  logLevel?: string;
  drainTimeoutMs: string;
  processes?: string;
}

function processesOption(value: string): ProcessesSetting {
  if (value === 'auto') return 'auto';
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 256) throw new Error('--processes must be auto or an integer from 1 to 256');
  return n;
}

function configErrorText(err: ConfigError): string {
  const lines = err.issues.map((i) => `  ${i.path || '(file)'}: ${i.reason}`).join('\n');
  return `invalid configuration ${err.source}:\n${lines}`;
}

/** The configuration with `--processes` applied, checked again for what several processes need. */
function withProcesses(config: TurnoutConfig, setting: ProcessesSetting, source: string): TurnoutConfig {
  const out = { ...config, processes: setting };
  const issues: ConfigIssue[] = [];
  checkProcesses(out, (path, reason) => issues.push({ path: path.map(String).join('.'), reason: `${reason} (--processes)` }));
  if (issues.length > 0) throw new ConfigError(source, issues);
  return out;
}

export function registerStartCommand(program: Command): void {
  program
    .command('start')
    .description('run the proxy in front of the configured backend cluster')
    .requiredOption('-c, --config <file>', 'YAML configuration file (see config/turnout.example.yaml)')
    .option('--log-level <level>', `override logging.level (${LOG_LEVELS.join(', ')})`)
    .option('--drain-timeout-ms <ms>', 'on SIGTERM/SIGINT, time allowed for in-flight requests to finish', '10000')
    .option('--processes <n>', 'override processes: how many processes serve the listeners (auto: one per core)')
    .action(async (opts: StartOptions) => {
      if (opts.logLevel !== undefined && !(LOG_LEVELS as readonly string[]).includes(opts.logLevel)) {
        throw new Error(`--log-level must be one of ${LOG_LEVELS.join(', ')}`);
      }
      const drainTimeoutMs = Number(opts.drainTimeoutMs);
      if (!Number.isInteger(drainTimeoutMs) || drainTimeoutMs < 0) {
        throw new Error('--drain-timeout-ms must be a non-negative integer');
      }
      let config;
      try {
        config = await loadConfigFile(opts.config, { severalBackends: true });
        if (opts.processes !== undefined) config = withProcesses(config, processesOption(opts.processes), opts.config);
      } catch (err) {
        if (err instanceof ConfigError) throw new Error(configErrorText(err));
        throw err;
      }
      if (opts.logLevel !== undefined) config.logging.level = opts.logLevel as LogLevel;

      const processes = processCountOf(config.processes, availableParallelism());
      if (processes > 1 && cluster.isPrimary) {
        await runClusterPrimary({ config, processes, drainTimeoutMs, log: createLogger({ level: config.logging.level }).child({ role: 'primary' }) });
        return;
      }
      if (cluster.isWorker) {
        // The channel to the primary would keep a worker that failed to start alive, serving nothing: it exits, and the primary decides.
        await runProxy(config, opts.config, drainTimeoutMs).catch((err: unknown) => {
          process.stderr.write(`turnout worker ${workerIndex()}: ${err instanceof Error ? err.message : String(err)}\n`);
          process.exit(1);
        });
        return;
      }
      await runProxy(config, opts.config, drainTimeoutMs);
    });
}

/** One Turnout, alone or as a worker of a primary. */
async function runProxy(config: TurnoutConfig, configFile: string, drainTimeoutMs: number): Promise<void> {
  applyHeapGrowth();
  const worker = cluster.isWorker;
  const logger = worker ? createLogger({ level: config.logging.level }).child({ worker: workerIndex() }) : undefined;
  const proxy = await startProxy(config, {
    waitForReadyMs: 0,
    processMetrics: true,
    configFile,
    privateAdmin: worker,
    ...(worker ? { logger, virtualNodeIds: sharedVirtualNodeIds() } : {}),
  });
  const log = proxy.logger;
  logAllocatorSettings(log);
  const stopReloading = proxy.policyStore === null ? () => undefined : reloadOnSignal(proxy.policyStore, log);

  let stopping = false;
  const stop = (signal: NodeJS.Signals | 'primary gone'): void => {
    if (stopping) {
      log.warn({ signal }, 'second signal, exiting now');
      process.exit(1);
    }
    stopping = true;
    stopReloading();
    log.info({ signal, drainTimeoutMs }, 'stopping: draining connections');
    proxy.close({ drainTimeoutMs }).then(
      () => {
        log.info('stopped');
        log.flush();
        process.exitCode = 0;
        // A worker's channel to its primary would keep it running.
        if (worker) process.exit(0);
      },
      (err: unknown) => {
        log.error({ err }, 'error while stopping');
        log.flush();
        process.exitCode = 1;
        if (worker) process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  if (worker) {
    // A terminal's Ctrl-C reaches the whole process group: the primary's SIGTERM is what stops a worker.
    process.on('SIGINT', () => undefined);
    joinPrimary({ registry: proxy.registry, adminPort: proxy.adminPort, onPrimaryGone: () => stop('primary gone') });
  } else {
    process.on('SIGINT', stop);
  }
}

/** Says when the allocator runs at glibc's defaults, which cost a page fault per 4 KiB read (malloc-tunables.ts). */
function logAllocatorSettings(log: Logger): void {
  if (!onGlibc()) return;
  const settings = allocatorSettings(process.env.GLIBC_TUNABLES);
  if (settings.missing.length === 0) {
    log.info({ glibcTunables: settings.set }, 'allocator keeps freed memory for the next reads');
  } else {
    log.warn(
      { missing: settings.missing },
      'allocator at glibc defaults: socket reads fault in new memory; start Turnout with bin/turnout, or set GLIBC_TUNABLES (README, "Memory allocator")',
    );
  }
}
