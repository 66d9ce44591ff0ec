// `turnout start --config FILE`: runs the proxy until SIGTERM or SIGINT, then stops accepting
// connections and lets in-flight requests finish before exiting. The policy store the file
// names is re-read on SIGHUP.
import type { Command } from 'commander';
import { loadConfigFile, ConfigError } from '../policy/config.js';
import { reloadOnSignal } from '../policy/policy-store.js';
import { startProxy } from '../proxy.js';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
type LogLevel = (typeof LOG_LEVELS)[number];

interface StartOptions {
  config: string;
  logLevel?: string;
  drainTimeoutMs: string;
}

export function registerStartCommand(program: Command): void {
  program
    .command('start')
    .description('run the proxy in front of the configured backend cluster')
    .requiredOption('-c, --config <file>', 'YAML configuration file (see config/turnout.example.yaml)')
    .option('--log-level <level>', `override logging.level (${LOG_LEVELS.join(', ')})`)
    .option('--drain-timeout-ms <ms>', 'on SIGTERM/SIGINT, time allowed for in-flight requests to finish', '10000')
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
      } catch (err) {
        if (err instanceof ConfigError) {
          const lines = err.issues.map((i) => `  ${i.path || '(file)'}: ${i.reason}`).join('\n');
          throw new Error(`invalid configuration ${err.source}:\n${lines}`);
        }
        throw err;
      }
      if (opts.logLevel !== undefined) config.logging.level = opts.logLevel as LogLevel;

      const proxy = await startProxy(config, { waitForReadyMs: 0, processMetrics: true, configFile: opts.config });
      const log = proxy.logger;
      const stopReloading = proxy.policyStore === null ? () => undefined : reloadOnSignal(proxy.policyStore, log);

      let stopping = false;
      const stop = (signal: NodeJS.Signals): void => {
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
          },
          (err: unknown) => {
            log.error({ err }, 'error while stopping');
            log.flush();
            process.exitCode = 1;
          },
        );
      };
      process.on('SIGTERM', stop);
      process.on('SIGINT', stop);
    });
}
