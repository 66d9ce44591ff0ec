// `turnout demo`: a local 3-broker Kafka cluster, Turnout in front of it, order events
// produced and consumed through Turnout by real clients and checked record by record, and a
// summary of where the traffic went. `--secure` runs it over TLS and SASL SCRAM-SHA-512 with
// ACLs decided by Turnout, in front of a SASL_SSL cluster Turnout logs in to. The work is in
// src/demo.
import { InvalidArgumentError, Option, type Command } from 'commander';
import { DEFAULT_KAFKA_VERSION } from '../devkit/index.js';
import { DEMO_CLUSTER, runDemo, SECURE_DEMO_CLUSTER } from '../demo/demo-run.js';
import type { LogLevel } from '../observability/logger.js';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

function recordCount(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 1_000_000) throw new InvalidArgumentError('--records must be an integer from 1 to 1000000');
  return n;
}

interface DemoOptions {
  records: number;
  kafkaVersion: string;
  keep?: boolean;
  json?: boolean;
  bootstrap?: string;
  logLevel: LogLevel;
  secure?: boolean;
}

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('start a local 3-broker Kafka cluster and Turnout in front of it, send order events through Turnout with real clients, check every record, and show where the traffic went')
    .option('--records <n>', 'number of order events to produce', recordCount, 5_000)
    .option('--kafka-version <version>', 'Kafka version of the demo cluster (downloaded from Maven Central on first use)', DEFAULT_KAFKA_VERSION)
    .option(
      '--secure',
      `over TLS and SASL SCRAM-SHA-512 with ACLs decided by Turnout, in front of a 1-broker SASL_SSL cluster ("${SECURE_DEMO_CLUSTER}") Turnout logs in to: ` +
        'a permitted producer and consumer, refused clients with their errors, an ACL added with kafka-acls while its client runs',
    )
    .option('--keep', `leave the cluster ("${DEMO_CLUSTER}", or "${SECURE_DEMO_CLUSTER}") running, and Turnout serving in the foreground until Ctrl-C`)
    .option('--json', 'print the result as JSON on stdout (progress stays on stderr)')
    .option('--bootstrap <servers>', 'use this running cluster (host:port,...) instead of starting one; it is left as it is (not with --secure)')
    .addOption(new Option('--log-level <level>', "Turnout's log level (to stderr)").choices(LOG_LEVELS).default('error'))
    .addHelpText(
      'after',
      '\nThe cluster is stopped at the end, also on failure or Ctrl-C, unless --keep is given.\n' +
        'Exit code: 0 when every client received every record intact and in order (with --secure: and every refusal,\n' +
        'the ACL added while its client ran and Turnout\'s login to the cluster held), 1 otherwise, 130 when interrupted.',
    )
    .action(async (opts: DemoOptions) => {
      process.exitCode = await runDemo({
        records: opts.records,
        kafkaVersion: opts.kafkaVersion,
        keep: opts.keep === true,
        json: opts.json === true,
        logLevel: opts.logLevel,
        secure: opts.secure === true,
        ...(opts.bootstrap !== undefined ? { bootstrap: opts.bootstrap } : {}),
      });
    });
}
