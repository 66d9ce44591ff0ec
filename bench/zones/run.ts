// `node dist/bench/zones/run.js` (as root): the cross-zone traffic benchmark. Three zones
// made of network namespaces (scripts/zones/zones.sh), one Kafka broker per zone, and in
// every zone a producer and a consumer moving incompressible 1 KiB records with RF 3. Each
// mode runs the same workload (by default clients straight to Kafka, then through one Turnout
// per zone); the kernel's veth counters say how many bytes crossed zones, split into client
// traffic, broker replication and controller traffic, and Turnout's own counts are shown next
// to them. With --follower-stop ZONE, that zone's broker is stopped while records flow and
// started again. Prints a table, then exactly one JSON line. Everything it built is removed
// on exit, also after a failure. The turnout mode runs dist/src/cli.js: `npm run build` first.
import { Command, InvalidArgumentError } from 'commander';
import { integerOption } from './cli-numbers.js';
import { DEFAULT_KAFKA_VERSION } from '../../src/devkit/index.js';
import type { ZoneBenchConfig, ZoneRunResult } from './traffic-report.js';
import { formatZoneReport, zoneJsonLine } from './zone-report.js';
import { TOPOLOGY_REFRESH_MS } from './turnout-config.js';
import { closeZoneRig, openZoneRig, runZoneMode, type ZoneRig } from './zone-bench.js';
import { ZONE_MODES, zoneMode } from './zone-modes.js';

interface Options {
  recordsPerZone: number;
  recordSize: number;
  partitions: number;
  modes: string;
  prefix: string;
  kafkaVersion: string;
  heapMb: number;
  rate: number;
  idleMs: number;
  followerStop?: string;
  downMs: number;
  coordinatorStop: boolean;
}

/** A commander parser for an integer option of at least 1. */
function atLeastOne(option: string) {
  return (value: string): number => {
    try {
      return integerOption(option, value, 1);
    } catch (err) {
      throw new InvalidArgumentError(err instanceof Error ? err.message : String(err));
    }
  };
}

function progress(line: string): void {
  process.stderr.write(`[zones] ${line}\n`);
}

async function main(): Promise<void> {
  const program = new Command('zones-bench')
    .description('cross-zone bytes of a fixed Kafka workload over three simulated zones (needs root)')
    .option('--records-per-zone <n>', 'records each zone produces', atLeastOne('--records-per-zone'), 20_000)
    .option('--record-size <bytes>', 'record value size (random bytes)', atLeastOne('--record-size'), 1024)
    .option('--partitions <n>', 'partitions of the workload topic', atLeastOne('--partitions'), 12)
    .option('--modes <list>', `comma-separated, of: ${Object.keys(ZONE_MODES).join(', ')}`, 'direct,turnout')
    .option('--rate <n>', 'records a second each producer writes (0: as fast as it can)', (v) => integerOption('--rate', v, 0), 1000)
    .option('--idle-ms <ms>', 'idle window before the first record, for the control budget', atLeastOne('--idle-ms'), 5000)
    .option('--follower-stop <zone>', 'stop this zone\'s broker after a quarter of the records, start it again, wait for the ISR')
    .option('--down-ms <ms>', 'how long --follower-stop keeps the broker down', atLeastOne('--down-ms'), 8000)
    .option('--coordinator-stop', 'with --follower-stop: let the stopped broker coordinate the consumer group too (members rejoin and read again what they had not committed)', false)
    .option('--prefix <p>', 'network namespace prefix', 'tz')
    .option('--kafka-version <v>', 'Kafka version of the cluster', DEFAULT_KAFKA_VERSION)
    .option('--heap-mb <mb>', 'broker heap', atLeastOne('--heap-mb'), 384);
  program.parse();
  const opts = program.opts<Options>();
  if (process.getuid?.() !== 0) throw new Error('the zone benchmark needs root (ip netns)');
  const modes = opts.modes.split(',').map((m) => zoneMode(m.trim()));
  const replicationFactor = 3;

  let zoneRig: ZoneRig | undefined;
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => (closing ??= zoneRig !== undefined ? closeZoneRig(zoneRig) : Promise.resolve());
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      progress(`${signal}: cleaning up`);
      void close().finally(() => process.exit(130));
    });
  }
  try {
    zoneRig = await openZoneRig({ prefix: opts.prefix, clusterName: `zones-bench-${opts.prefix}`, kafkaVersion: opts.kafkaVersion, heapMb: opts.heapMb, log: progress });
    const config: ZoneBenchConfig = {
      zones: zoneRig.layout.zones.map((z) => z.zone),
      recordsPerZone: opts.recordsPerZone,
      recordSize: opts.recordSize,
      partitions: opts.partitions,
      replicationFactor,
      kafkaVersion: opts.kafkaVersion,
      ratePerZone: opts.rate,
    };
    if (opts.followerStop !== undefined && !config.zones.includes(opts.followerStop)) {
      throw new Error(`--follower-stop ${opts.followerStop}: not a zone (${config.zones.join(', ')})`);
    }
    const runs: ZoneRunResult[] = [];
    for (const mode of modes) {
      runs.push(
        await runZoneMode(
          zoneRig,
          mode,
          {
            recordsPerZone: opts.recordsPerZone,
            recordSize: opts.recordSize,
            partitions: opts.partitions,
            replicationFactor,
            ratePerZone: opts.rate,
            idleWindowMs: opts.idleMs,
            ...(opts.followerStop !== undefined ? { followerStop: { zone: opts.followerStop, downMs: opts.downMs, afterFraction: 0.25, settleMs: TOPOLOGY_REFRESH_MS + 2_000, coordinator: opts.coordinatorStop ? 'stopped-broker' : 'elsewhere' } } : {}),
          },
          progress,
        ),
      );
    }
    process.stdout.write(`${formatZoneReport(config, runs)}\n${zoneJsonLine(config, runs)}\n`);
  } finally {
    await close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`zones bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
