// `turnout demo`: two local 3-broker Kafka clusters behind one virtual cluster with two
// domains, producers and consumer groups running through Turnout the whole time, a live
// cutover of one domain to the other cluster and back, the segments it leaves, the bytes by
// zone, and every record checked. `--secure` runs a one-cluster demo over TLS and SASL
// SCRAM-SHA-512 with ACLs decided by Turnout, in front of a SASL_SSL cluster Turnout logs in
// to. The work is in src/demo.
import { InvalidArgumentError, Option, type Command } from 'commander';
import { DEFAULT_KAFKA_VERSION } from '../devkit/index.js';
import { DEMO_CLUSTERS, runDemo, SECURE_DEMO_CLUSTER } from '../demo/demo-run.js';
import type { LogLevel } from '../observability/logger.js';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

function recordCount(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 1_000_000) throw new InvalidArgumentError('--records must be an integer from 1 to 1000000');
  return n;
}

/** The secured demo's order events; the plain demo writes fewer between its cutovers, as more come while they run. */
const SECURE_DEMO_RECORDS = 5_000;
const PLAIN_DEMO_RECORDS = 3_000;

function cutoverCount(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 20) throw new InvalidArgumentError('--cutovers must be an integer from 0 to 20');
  return n;
}

interface DemoOptions {
  records?: number;
  cutovers: number;
  kafkaVersion: string;
  keep?: boolean;
  json?: boolean;
  bootstrap?: string;
  targetBootstrap?: string;
  logLevel: LogLevel;
  secure?: boolean;
}

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description(
      'start two local 3-broker Kafka clusters behind one Turnout virtual cluster with two domains, keep producers and consumer groups running through it, ' +
        'cut one domain over to the other cluster and back live, and show the holds, the segments, the bytes by zone and every record checked',
    )
    .option('--records <n>', 'order events to produce before, between and after the cutovers, those written during a cutover on top (default 3000; with --secure, order events in all, default 5000)', recordCount)
    .option('--cutovers <n>', 'cutovers of the orders domain, alternately to west and back to east (0: none)', cutoverCount, 3)
    .option('--kafka-version <version>', 'Kafka version of the demo clusters (downloaded from Maven Central on first use)', DEFAULT_KAFKA_VERSION)
    .option(
      '--secure',
      `over TLS and SASL SCRAM-SHA-512 with ACLs decided by Turnout, in front of a 1-broker SASL_SSL cluster ("${SECURE_DEMO_CLUSTER}") Turnout logs in to: ` +
        'a permitted producer and consumer, refused clients with their errors, an ACL added with kafka-acls while its client runs',
    )
    .option(
      '--keep',
      `leave the clusters ("${DEMO_CLUSTERS.east}" and "${DEMO_CLUSTERS.west}", or "${SECURE_DEMO_CLUSTER}") running, and Turnout serving in the foreground until Ctrl-C; a later run reuses running demo clusters`,
    )
    .option('--json', 'print the result as JSON on stdout (progress stays on stderr)')
    .option('--bootstrap <servers>', 'use this running cluster (host:port,...) as east, where the orders domain starts, instead of starting one; with --target-bootstrap (not with --secure)')
    .option('--target-bootstrap <servers>', 'use this running cluster as west, the orders domain\'s migration target; both are left as they are')
    .addOption(new Option('--log-level <level>', "Turnout's log level (to stderr)").choices(LOG_LEVELS).default('error'))
    .addHelpText(
      'after',
      '\nClusters the demo started are stopped at the end, also on failure or Ctrl-C, unless --keep is given.\n' +
        'Exit code: 0 when every client received every record intact and in order, every cutover switched and each cluster\n' +
        'holds exactly its segments (with --secure: every record, every refusal, the ACL added while its client ran and\n' +
        'Turnout\'s login to the cluster held), 1 otherwise, 130 when interrupted.',
    )
    .action(async (opts: DemoOptions, cmd: Command) => {
      if ((opts.bootstrap === undefined) !== (opts.targetBootstrap === undefined)) {
        cmd.error('error: --bootstrap and --target-bootstrap go together: the demo needs both clusters');
      }
      process.exitCode = await runDemo({
        records: opts.records ?? (opts.secure === true ? SECURE_DEMO_RECORDS : PLAIN_DEMO_RECORDS),
        cutovers: opts.cutovers,
        kafkaVersion: opts.kafkaVersion,
        keep: opts.keep === true,
        json: opts.json === true,
        logLevel: opts.logLevel,
        secure: opts.secure === true,
        ...(opts.bootstrap !== undefined && opts.targetBootstrap !== undefined ? { bootstrap: { east: opts.bootstrap, west: opts.targetBootstrap } } : {}),
      });
    });
}
