// `npm run bench`: Kafka's own perf tools against a 3-broker cluster, directly, through
// HAProxy in TCP mode (the floor of what any proxy costs) and through Turnout, in one run
// (single-cluster-case.ts). Produce throughput (kafka-producer-perf-test, uncapped), consume
// throughput (kafka-consumer-perf-test), latency at moderate load (the producer perf test
// capped, plus a microsecond-resolution produce probe) and a steady moderate rate (the
// proxies' CPU), each in rounds that run every path back to back, the order rotating; the
// proxies' CPU per MB from /proc. Then the secured case
// (secure-case.ts): the same tools through a plaintext Turnout, one with TLS and SASL SCRAM,
// and one with TLS, SCRAM and ACLs, in front of the same cluster. Then the two-backend case
// (two-backend-case.ts): one Turnout over two clusters against the same workload split
// across them by hand, directly and through HAProxy. With --tracing, then the tracing case
// (tracing-case.ts): Turnouts with tracing off, at 1% and at 100% sampling. With --zones, last
// the zone mode (zone-case.ts): zone routing with follower fetching over three network-namespace
// zones, clients announcing their zone directly against one Turnout per zone. Prints a table,
// then exactly one JSON line.
//
// Turnout runs as a child process (`turnout start`), as deployed: it then shares no event
// loop, heap or GC with this driver (which runs the probe), and its CPU time is its own.
import { availableParallelism, loadavg } from 'node:os';
import { Command, Option } from 'commander';
import { positiveInt, selectCases } from './cli-options.js';
import { DEFAULT_KAFKA_VERSION, startCluster, stopCluster, type ClusterInfo } from '../src/devkit/index.js';
import { brokerCount, brokerIds } from './bench-admin.js';
import { prepareKroxylicious, type KroxyliciousProcess } from './kroxylicious.js';
import { benchJsonLine, formatBenchReport, formatMachine, summarizeBench, type BenchConfig } from './bench-report.js';
import { MB } from './comparison.js';
import type { HaproxyProcess } from './haproxy.js';
import { startHaproxyCluster, type BrokerRoute } from './haproxy-listeners.js';
import type { TurnoutChild } from './turnout-child.js';
import { runSecureCase } from './secure-case.js';
import { formatSecureReport, type SecureSummary } from './secure-report.js';
import { runSingleClusterCase, type SingleClusterRuns } from './single-cluster-case.js';
import { summarizeSteady } from './steady-report.js';
import { runTracingCase } from './tracing-case.js';
import { formatTracingReport, type TracingSummary } from './tracing-report.js';
import { runTwoBackendCase } from './two-backend-case.js';
import { formatTwoBackendReport, type TwoBackendSummary } from './two-backend-report.js';
import { formatZoneCase, runZoneCase, type ZoneCaseSummary } from './zone-case.js';
import { closeZoneRig, type ZoneRig } from './zones/zone-bench.js';

const BENCH_CLUSTER = 'bench';
/** The second cluster of the two-backend case. */
const SECOND_CLUSTER = 'bench-b';
/** Small: it only has to hold the two-backend case's share of the records. */
const SECOND_HEAP_MB = 384;
/** Rounds by default: at least four, so that with three paths each goes first, in the middle and last. */
const DEFAULT_ROUNDS = 4;

interface BenchOptions {
  records?: number;
  recordSize: number;
  rounds?: number;
  repeat?: number;
  quick?: boolean;
  bootstrap?: string;
  kafkaVersion: string;
  partitions: number;
  replicationFactor?: number;
  latencyRate?: number;
  latencySeconds?: number;
  probeRate: number;
  latencyAcks: '1' | 'all';
  steady: boolean;
  steadyRate: number;
  steadySeconds?: number;
  haproxy: boolean;
  kroxylicious?: boolean;
  twoProcesses: boolean;
  keepCluster?: boolean;
  onlySingle?: boolean;
  twoBackends: boolean;
  onlyTwoBackends?: boolean;
  secondBootstrap?: string;
  secondKafkaVersion?: string;
  secondBrokers: number;
  twoBackendRepeat?: number;
  twoBackendNodes?: number;
  secure: boolean;
  onlySecure?: boolean;
  secureRepeat?: number;
  tracing?: boolean;
  onlyTracing?: boolean;
  zones?: boolean;
  onlyZones?: boolean;
  zoneRecords?: number;
}

function progress(line: string): void {
  process.stderr.write(`[bench] ${line}\n`);
}

async function main(opts: BenchOptions): Promise<void> {
  const quick = opts.quick === true;
  const cases = selectCases(opts);
  const rounds = opts.rounds ?? opts.repeat ?? (quick ? 1 : DEFAULT_ROUNDS);
  const latencySeconds = opts.latencySeconds ?? (quick ? 4 : 10);
  const ownCluster = opts.bootstrap === undefined;
  const runId = Date.now().toString(36);
  const loadAtStart = loadavg()[0] as number;
  let turnout: TurnoutChild | undefined;
  let turnout2: TurnoutChild | undefined;
  let haproxy: HaproxyProcess | undefined;
  let kroxylicious: KroxyliciousProcess | undefined;
  let secureTurnouts: TurnoutChild[] = [];
  let tracingTurnouts: TurnoutChild[] = [];
  let twoBackendTurnout: TurnoutChild | undefined;
  let zoneRig: ZoneRig | undefined;
  let clusterUp = false;
  // The zone mode has a cluster of its own; every other case runs on "bench".
  const benchNeeded = cases.single || cases.secure || cases.twoBackends || cases.tracing;
  let bootstrap = opts.bootstrap ?? '';
  const ownSecond = cases.twoBackends && opts.secondBootstrap === undefined;
  let secondUp = false;
  let secondBootstrap = opts.secondBootstrap ?? '';
  let secondVersion: string | null = null;
  // The HAProxy path needs the brokers' HAProxy listener: clusters the bench starts get one.
  const haproxyWanted = opts.haproxy && (cases.single || cases.twoBackends);
  if (haproxyWanted && !ownCluster) progress('--bootstrap: a cluster the bench did not start has no HAProxy listener, so the HAProxy path is left out');
  else if (haproxyWanted && cases.twoBackends && !ownSecond) progress('--second-bootstrap: a cluster the bench did not start has no HAProxy listener, so the two-backend case leaves the HAProxy path out');
  let benchRoutes: BrokerRoute[] | undefined;
  let secondRoutes: BrokerRoute[] | undefined;
  // A cluster the bench does not stop keeps its data: each case then deletes its topics.
  const keepsTopics = opts.keepCluster === true || !ownCluster;

  /** Stops the clusters the bench started, unless they are to be kept. */
  const stopClusters = async (): Promise<void> => {
    if (ownSecond && secondUp && opts.keepCluster !== true) {
      progress(`stopping cluster ${SECOND_CLUSTER}`);
      await stopCluster(SECOND_CLUSTER, { log: progress }).catch((e: unknown) => progress(`could not stop cluster ${SECOND_CLUSTER}: ${String(e)}`));
      secondUp = false;
    }
    if (ownCluster && clusterUp && opts.keepCluster !== true) {
      progress(`stopping cluster ${BENCH_CLUSTER}`);
      await stopCluster(BENCH_CLUSTER, { log: progress }).catch((e: unknown) => progress(`could not stop cluster ${BENCH_CLUSTER}: ${String(e)}`));
      clusterUp = false;
    }
  };
  const cleanup = async (): Promise<void> => {
    await turnout?.stop().catch(() => undefined);
    turnout = undefined;
    await turnout2?.stop().catch(() => undefined);
    turnout2 = undefined;
    await haproxy?.stop().catch(() => undefined);
    haproxy = undefined;
    await kroxylicious?.stop().catch(() => undefined);
    kroxylicious = undefined;
    for (const child of secureTurnouts) await child.stop().catch(() => undefined);
    secureTurnouts = [];
    for (const child of tracingTurnouts) await child.stop().catch(() => undefined);
    tracingTurnouts = [];
    await twoBackendTurnout?.stop().catch(() => undefined);
    twoBackendTurnout = undefined;
    if (zoneRig !== undefined) await closeZoneRig(zoneRig).catch((e: unknown) => progress(`could not take the zone rig down: ${String(e)}`));
    zoneRig = undefined;
    await stopClusters();
  };
  let interrupted = false;
  const onSignal = (): void => {
    if (interrupted) process.exit(130);
    interrupted = true;
    progress('interrupted: cleaning up (again to exit at once)');
    void cleanup().finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const onHaproxy = (p: HaproxyProcess | undefined): void => {
    haproxy = p;
  };

  try {
    let kafkaVersion: string | null = null;
    /** Starts a cluster of the bench, with the HAProxy listener when that path runs. */
    const start = async (o: { name: string; brokers: number; racks?: readonly string[]; version: string; heapMb?: number }): Promise<{ info: ClusterInfo; routes?: BrokerRoute[] }> => {
      if (!haproxyWanted) return { info: await startCluster({ ...o, log: progress }) };
      return startHaproxyCluster({ ...o, log: progress });
    };
    // Both clusters start together; each is recorded as up as soon as it is, for the cleanup.
    const starts: Array<Promise<void>> = [];
    if (ownCluster && benchNeeded) {
      progress(`starting cluster ${BENCH_CLUSTER} (3 brokers, Kafka ${opts.kafkaVersion}${haproxyWanted ? ', a listener per broker for HAProxy' : ''})`);
      starts.push(
        start({ name: BENCH_CLUSTER, brokers: 3, racks: ['az-a', 'az-b', 'az-c'], version: opts.kafkaVersion }).then(({ info, routes }) => {
          clusterUp = true;
          bootstrap = info.bootstrapServers;
          kafkaVersion = info.version;
          benchRoutes = routes;
        }),
      );
    }
    if (ownSecond) {
      const version = opts.secondKafkaVersion ?? opts.kafkaVersion;
      progress(`starting cluster ${SECOND_CLUSTER} (${opts.secondBrokers} broker(s), Kafka ${version}) for the two-backend case`);
      starts.push(
        start({ name: SECOND_CLUSTER, brokers: opts.secondBrokers, version, heapMb: SECOND_HEAP_MB }).then(({ info, routes }) => {
          secondUp = true;
          secondBootstrap = info.bootstrapServers;
          secondVersion = info.version;
          secondRoutes = routes;
        }),
      );
    }
    const failed = (await Promise.allSettled(starts)).find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
    const replicationFactor = opts.replicationFactor ?? (benchNeeded ? Math.min(3, await brokerCount(bootstrap)) : 3);

    // What the single-cluster and the secured case share: the same cluster, records and load.
    const caseOptions = {
      bootstrap,
      runId,
      quick,
      recordSizeBytes: opts.recordSize,
      partitions: opts.partitions,
      replicationFactor,
      repeat: rounds,
      ...(opts.records !== undefined ? { records: opts.records } : {}),
      ...(opts.latencyRate !== undefined ? { latencyRate: opts.latencyRate } : {}),
      latencySeconds,
      latencyAcks: opts.latencyAcks,
      probeRate: opts.probeRate,
      deleteTopics: keepsTopics,
      log: progress,
    };
    const steady = opts.steady ? { rate: opts.steadyRate, seconds: opts.steadySeconds ?? (quick ? 5 : 10) } : null;
    let single: SingleClusterRuns | null = null;
    if (cases.single) {
      const kroxyliciousPath = opts.kroxylicious === true ? { classpath: await prepareKroxylicious(progress), brokerIds: await brokerIds(bootstrap) } : undefined;
      single = await runSingleClusterCase({
        ...caseOptions,
        cluster: ownCluster ? BENCH_CLUSTER : bootstrap,
        ...(benchRoutes !== undefined ? { haproxyRoutes: benchRoutes } : {}),
        steady,
        twoProcesses: opts.twoProcesses,
        onTurnout: (child) => {
          turnout = child;
        },
        onTurnout2: (child) => {
          turnout2 = child;
        },
        onHaproxy,
        ...(kroxyliciousPath !== undefined ? { kroxylicious: kroxyliciousPath } : {}),
        onKroxylicious: (p) => {
          kroxylicious = p;
        },
      });
    }

    let secure: SecureSummary | null = null;
    if (cases.secure) {
      progress(`secured: plaintext, TLS + SCRAM and TLS + SCRAM + ACLs, a Turnout each, in front of ${ownCluster ? BENCH_CLUSTER : bootstrap}`);
      secure = await runSecureCase({
        ...caseOptions,
        cluster: ownCluster ? BENCH_CLUSTER : bootstrap,
        kafkaVersion,
        repeat: opts.secureRepeat ?? rounds,
        onTurnouts: (children) => {
          secureTurnouts = children;
        },
      });
    }

    let twoBackends: TwoBackendSummary | null = null;
    if (cases.twoBackends) {
      const secondCluster = ownSecond ? SECOND_CLUSTER : secondBootstrap;
      progress(`two backends: ${ownCluster ? BENCH_CLUSTER : bootstrap} and ${secondCluster}`);
      twoBackends = await runTwoBackendCase({
        clusters: [
          { cluster: ownCluster ? BENCH_CLUSTER : bootstrap, bootstrap, kafkaVersion, brokers: await brokerCount(bootstrap), ...(benchRoutes !== undefined ? { haproxyRoutes: benchRoutes } : {}) },
          { cluster: secondCluster, bootstrap: secondBootstrap, kafkaVersion: secondVersion, brokers: await brokerCount(secondBootstrap), ...(secondRoutes !== undefined ? { haproxyRoutes: secondRoutes } : {}) },
        ],
        runId,
        quick,
        recordSizeBytes: opts.recordSize,
        partitions: opts.partitions,
        replicationFactor: opts.replicationFactor ?? 3,
        repeat: opts.twoBackendRepeat ?? rounds,
        ...(opts.twoBackendNodes !== undefined ? { nodes: opts.twoBackendNodes } : {}),
        ...(opts.latencyRate !== undefined ? { latencyRate: opts.latencyRate } : {}),
        latencySeconds: opts.latencySeconds ?? (quick ? 3 : 6),
        latencyAcks: opts.latencyAcks,
        deleteTopics: opts.keepCluster === true || !ownCluster || !ownSecond,
        log: progress,
        onTurnout: (child) => {
          twoBackendTurnout = child;
        },
        onHaproxy,
      });
    }

    let tracing: TracingSummary | null = null;
    if (cases.tracing) {
      progress(`tracing: off, 1% and 100% sampled, a Turnout each, in front of ${ownCluster ? BENCH_CLUSTER : bootstrap}`);
      tracing = await runTracingCase({
        ...caseOptions,
        cluster: ownCluster ? BENCH_CLUSTER : bootstrap,
        onTurnouts: (children) => {
          tracingTurnouts = children;
        },
      });
    }
    let zones: ZoneCaseSummary | null = null;
    if (cases.zones) {
      // The zone mode has a cluster of its own: the others would only idle beside it.
      await stopClusters();
      progress('zones: zone routing with follower fetching, direct (client.rack) and through one Turnout per zone');
      zones = await runZoneCase({
        quick,
        rounds,
        recordsPerZone: opts.zoneRecords ?? (quick ? 3_000 : 20_000),
        recordSizeBytes: opts.recordSize,
        partitions: opts.partitions,
        kafkaVersion: opts.kafkaVersion,
        steady,
        log: progress,
        onRig: (rig) => {
          zoneRig = rig;
        },
      });
    }
    const tracingLines = [...(tracing === null ? [] : formatTracingReport(tracing)), ...(zones === null ? [] : formatZoneCase(zones))];

    const machine = { cores: availableParallelism(), loadAverage: { start: loadAtStart, end: loadavg()[0] as number } };
    if (single === null) {
      if (secure === null && tracing === null && twoBackends === null && zones === null) throw new Error('nothing was measured');
      const ran = [secure !== null ? 'secured' : '', twoBackends !== null ? 'two-backend' : '', tracing !== null ? 'tracing' : '', zones !== null ? 'zone' : ''].filter((c) => c !== '');
      const head = formatMachine(machine, `${ran.join(' and ')} case${ran.length > 1 ? 's' : ''} only`);
      const lines = [...head, ...(secure === null ? [] : formatSecureReport(secure)), ...(twoBackends === null ? [] : formatTwoBackendReport(twoBackends)), ...tracingLines];
      process.stdout.write(`${lines.join('\n')}\n`);
      process.stdout.write(`${benchJsonLine({ ...machine, ...(secure === null ? {} : { secure }), ...(twoBackends === null ? {} : { twoBackends }), tracing, zones })}\n`);
      return;
    }
    const config: BenchConfig = {
      records: single.records,
      consumeRecords: single.consumeRecords,
      recordSizeBytes: opts.recordSize,
      repeat: rounds,
      partitions: opts.partitions,
      replicationFactor,
      acks: 'all',
      latencyAcks: opts.latencyAcks,
      latencyRate: single.latencyRate,
      latencyRecords: single.latencyRecords,
      probeRate: opts.probeRate,
      kafkaVersion,
      cluster: ownCluster ? BENCH_CLUSTER : bootstrap,
      turnout: 'child process',
      paths: single.paths,
      ...(single.proxies.haproxy?.version !== undefined ? { haproxyVersion: single.proxies.haproxy.version } : {}),
      ...(single.proxies.kroxylicious?.version !== undefined ? { kroxyliciousVersion: single.proxies.kroxylicious.version } : {}),
      ...(Object.keys(single.warmUps).length > 0 ? { warmUps: single.warmUps } : {}),
      ...(Object.keys(single.steadyWarmUps).length > 0 ? { steadyWarmUps: single.steadyWarmUps } : {}),
      ...machine,
    };
    const summary = summarizeBench(config, single.produce, single.consume, single.latency, {
      twoBackends,
      secure,
      steady: single.steady === null ? null : summarizeSteady(single.steady.rate, single.steady.seconds, single.steadyRuns),
      memory: {
        turnoutPeakRssMb: single.proxies.turnout.peakRssBytes / MB,
        ...(single.proxies.haproxy !== undefined ? { haproxyPeakRssMb: single.proxies.haproxy.peakRssBytes / MB } : {}),
        ...(single.proxies.kroxylicious !== undefined ? { kroxyliciousPeakRssMb: single.proxies.kroxylicious.peakRssBytes / MB } : {}),
      },
      ...(single.proxies.turnout2 !== undefined ? { twoProcessPeakRssMb: single.proxies.turnout2.peakRssBytes / MB } : {}),
    });
    process.stdout.write(`${[...formatBenchReport(summary), ...tracingLines].join('\n')}\n`);
    process.stdout.write(`${benchJsonLine({ ...summary, tracing, zones })}\n`);
  } finally {
    await cleanup();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

const program = new Command()
  .name('bench')
  .description('Kafka perf tools directly against a 3-broker cluster, through HAProxy (TCP mode) and through Turnout; prints the ratios, the proxies\' CPU per MB and added latency, then one JSON line')
  .option('--records <n>', 'records per throughput run, the same for every path (default: about 8 s of the warm-up rate, 20000 to 300000; --quick about 3 s, 5000 to 30000)', positiveInt('--records'))
  .option('--record-size <bytes>', 'record size in bytes', positiveInt('--record-size'), 1024)
  .option('--rounds <n>', `rounds after the warm-up, each running every path back to back, the order rotating by one each round (default ${DEFAULT_ROUNDS}, --quick 1)`, positiveInt('--rounds'))
  .addOption(new Option('--repeat <n>', 'the same as --rounds').argParser(positiveInt('--repeat')).hideHelp())
  .option('--quick', 'a small, fast smoke run: one round, small runs')
  .option('--bootstrap <servers>', `use this running cluster instead of starting "${BENCH_CLUSTER}" (no HAProxy path: it needs the brokers' HAProxy listener)`)
  .option('--kafka-version <version>', 'Kafka version of the bench cluster', DEFAULT_KAFKA_VERSION)
  .option('--partitions <n>', 'partitions of the bench topics', positiveInt('--partitions'), 6)
  .option('--replication-factor <n>', 'replication factor of the bench topics (default 3)', positiveInt('--replication-factor'))
  .option('--latency-rate <n>', 'records/s of the moderate-load latency run (default 5000, --quick 2000, or 40% of the direct produce throughput when that is less)', positiveInt('--latency-rate'))
  .option('--latency-seconds <n>', 'length of each latency run (default 10, --quick 4)', positiveInt('--latency-seconds'))
  .addOption(
    new Option('--latency-acks <acks>', 'acks of the latency runs: 1 keeps replication timing, which Turnout does not touch, from swamping a sub-millisecond difference')
      .choices(['1', 'all'])
      .default('1'),
  )
  .option('--probe-rate <n>', 'single-record produce requests per second of the latency probe', positiveInt('--probe-rate'), 200)
  .option('--steady-rate <n>', 'records/s of the steady-rate runs, which report each proxy\'s CPU as a share of a core', positiveInt('--steady-rate'), 2000)
  .option('--steady-seconds <n>', 'length of each steady-rate run (default 10, --quick 5)', positiveInt('--steady-seconds'))
  .option('--no-steady', 'skip the steady-rate runs')
  .option('--no-two-processes', 'leave out the path through Turnout as two processes (processes: 2) in the single-cluster throughput runs')
  .option('--no-haproxy', 'leave out the HAProxy path (clusters then start without the HAProxy listener)')
  .option('--kroxylicious', 'also the path through Kroxylicious (kroxylicious-runtime from Maven Central, no filters) in the single-cluster throughput and steady runs')
  .option('--keep-cluster', `leave the "${BENCH_CLUSTER}" (and "${SECOND_CLUSTER}") cluster running for the next run`)
  .option('--only-single', 'run only the single-cluster case: direct, HAProxy and Turnout (no secured, two-backend or tracing case)')
  .option('--no-two-backends', 'skip the two-backend case (one Turnout over two clusters, a domain on each)')
  .option('--only-two-backends', 'run only the two-backend case')
  .option('--second-bootstrap <servers>', `second cluster of the two-backend case: use this running one instead of starting "${SECOND_CLUSTER}" (no HAProxy path then)`)
  .option('--second-kafka-version <version>', `Kafka version of "${SECOND_CLUSTER}" (default: --kafka-version; 3.9.1 mixes versions)`)
  .option('--second-brokers <n>', `brokers of "${SECOND_CLUSTER}"`, positiveInt('--second-brokers'), 1)
  .option('--two-backend-repeat <n>', 'rounds of the two-backend case (default: --rounds)', positiveInt('--two-backend-repeat'))
  .option('--two-backend-nodes <n>', "Turnout's nodes in the two-backend case (default: the brokers of both clusters, at least 3; fewer put a broker of each cluster behind one node, whose requests are split)", positiveInt('--two-backend-nodes'))
  .option('--no-secure', 'skip the secured case (plaintext, TLS + SCRAM, and TLS + SCRAM + ACLs: one Turnout each in front of the cluster)')
  .option('--only-secure', 'run only the secured case (no direct runs, no two-backend case)')
  .option('--secure-repeat <n>', 'rounds of the secured case (default: --rounds)', positiveInt('--secure-repeat'))
  .option('--tracing', 'also run the tracing case: a Turnout with tracing off, one sampling 1% of requests and one sampling all, each exporting to a local OTLP endpoint that discards the spans')
  .option('--only-tracing', 'run only the tracing case (no direct runs, no secured or two-backend case)')
  .option('--zones', 'also run the zone mode (needs root): zone routing with follower fetching over three network-namespace zones, clients with client.rack directly against one Turnout per zone')
  .option('--only-zones', 'run only the zone mode')
  .option('--zone-records <n>', 'records each zone produces per zone-mode run (default 20000, --quick 3000)', positiveInt('--zone-records'))
  .action(main);

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
