// `npm run bench:memory`: what Turnout's memory does at the sizes a platform team runs it
// at: 10,000 partitions, 1,000 client connections, and slow consumers that ask for far more
// than they read. One broker (started here with the devkit, or given with --bootstrap), one
// Turnout child in front of it; its resident set is sampled from /proc while each step runs
// and its heap read from its /metrics after. The last line is one JSON object.
import { Command } from 'commander';
import { startCluster, stopCluster, DEFAULT_KAFKA_VERSION } from '../../src/devkit/index.js';
import { positiveInt } from '../cli-options.js';
import { createTopics, deleteTopics } from '../bench-admin.js';
import { producePerf } from '../perf-tools.js';
import { startTurnoutChild, type TurnoutChild } from '../turnout-child.js';
import { leadersOf, WireClient } from '../../test/integration/wire-client.js';
import { openManyConnections } from './many-connections.js';
import { makeTopics, runManyPartitions } from './many-partitions.js';
import { heapOf, measureStep, residentBytes, type StepMemory } from './memory-sampler.js';
import { stallConsumers } from './slow-consumers.js';

const CLUSTER = 'bench-mem';
const MiB = 1024 * 1024;

interface Options {
  partitions: number;
  connections: number;
  slowConsumers: number;
  slowRequests: number;
  stallSeconds: number;
  bootstrap?: string;
  keepCluster?: boolean;
  /** Turnout at glibc's allocator defaults instead of the settings bin/turnout starts it with. */
  glibcDefaults?: boolean;
}

function progress(line: string): void {
  process.stderr.write(`[memory-bench] ${line}\n`);
}

const mib = (bytes: number): string => `${(bytes / MiB).toFixed(1)} MiB`;

function stepLine(name: string, m: StepMemory, extra: string): string {
  return `${name.padEnd(24)} rss ${mib(m.rssBeforeBytes)} -> peak ${mib(m.rssPeakBytes)} -> ${mib(m.rssAfterBytes)} after; heap ${mib(m.heapAfter.heapUsedBytes)}, buffers ${mib(m.heapAfter.externalBytes)}; ${extra}`;
}

async function main(opts: Options): Promise<void> {
  const runId = Date.now().toString(36);
  const topicsPerThousand = Math.max(1, Math.round(opts.partitions / 1_000));
  const partitionsPerTopic = Math.ceil(opts.partitions / topicsPerThousand);
  const manyTopics = Array.from({ length: topicsPerThousand }, (_, i) => `mem-${runId}-p${i}`);
  const slowTopic = `mem-${runId}-slow`;
  const SLOW_PARTITIONS = 10;
  let owned = false;
  let turnout: TurnoutChild | undefined;
  let bootstrap = opts.bootstrap;
  try {
    if (bootstrap === undefined) {
      progress(`starting cluster ${CLUSTER} (1 broker, Kafka ${DEFAULT_KAFKA_VERSION})`);
      bootstrap = (await startCluster({ name: CLUSTER, brokers: 1, heapMb: 1536, log: progress })).bootstrapServers;
      owned = true;
    }
    turnout = await startTurnoutChild([{ name: 'main', bootstrapServers: bootstrap.split(',') }], opts.glibcDefaults === true ? { env: { GLIBC_TUNABLES: '' } } : {});
    const host = '127.0.0.1';
    const port = Number(turnout.bootstrapServers.split(':')[1]);
    const idle = { rssBytes: residentBytes(turnout.pid), heap: await heapOf(turnout.adminPort) };
    progress(`Turnout pid ${turnout.pid}: idle rss ${mib(idle.rssBytes)}, heap ${mib(idle.heap.heapUsedBytes)}`);

    const plan = { directBootstrap: bootstrap, turnoutHost: host, turnoutBootstrapPort: port, topics: manyTopics, partitionsPerTopic, recordsPerPartition: 2, log: progress };
    await makeTopics(plan);
    const partitions = await measureStep(turnout.pid, turnout.adminPort, () => runManyPartitions(plan));

    const connections = await measureStep(turnout.pid, turnout.adminPort, () => openManyConnections({ turnoutHost: host, turnoutBootstrapPort: port, topic: manyTopics[0] as string, connections: opts.connections, concurrency: 50, log: progress }));
    const connectionsOpenRss = residentBytes(turnout.pid);
    connections.result.close();
    await new Promise((r) => setTimeout(r, 3_000));
    const connectionsClosedRss = residentBytes(turnout.pid);

    await createTopics(bootstrap, [{ topic: slowTopic, numPartitions: SLOW_PARTITIONS, replicationFactor: 1 }]);
    const fill = await producePerf({ topic: slowTopic, records: 60_000, recordSizeBytes: 1024, throughput: -1, bootstrap, clientId: 'bench-memory-fill', acks: '1', log: () => undefined });
    progress(`${slowTopic}: ${fill.records} records of 1 KiB written directly`);
    const probe = new WireClient(host, port);
    const view = await leadersOf(probe, [slowTopic]).finally(() => probe.close());
    const leader = view.nodes.get(view.leaders.get(`${slowTopic}:0`) as number);
    if (leader === undefined) throw new Error(`no leader node for ${slowTopic}:0`);
    const slowPlan = { host, nodePort: leader.port, topic: slowTopic, partitions: SLOW_PARTITIONS, clients: opts.slowConsumers, requestsEach: opts.slowRequests, partitionMaxBytes: MiB, stallMs: opts.stallSeconds * 1_000, log: progress };
    const slow = await measureStep(turnout.pid, turnout.adminPort, async () => {
      const stalled = await stallConsumers(slowPlan);
      try {
        await new Promise((r) => setTimeout(r, slowPlan.stallMs));
        const stalledRss = residentBytes(turnout!.pid);
        const drained = await stalled.drain(120_000);
        return { askedBytes: stalled.askedBytes, stalledRss, ...drained };
      } finally {
        stalled.close();
      }
    });

    const perConnection = (connectionsOpenRss - connections.memory.rssBeforeBytes) / (2 * opts.connections);
    const lines = [
      `Turnout memory (1 broker, Kafka behind one Turnout; idle rss ${mib(idle.rssBytes)}, heap ${mib(idle.heap.heapUsedBytes)})`,
      stepLine(`${partitions.result.partitions} partitions`, partitions.memory, `Metadata ${partitions.result.metadataFrameBytes} bytes, ${partitions.result.recordsProduced} records produced and ${partitions.result.recordsConsumed} read back`),
      stepLine(`${opts.connections} clients`, connections.memory, `${2 * opts.connections} client connections open (bootstrap + node each): rss ${mib(connectionsOpenRss)}, ${(perConnection / 1024).toFixed(1)} KiB each; ${mib(connectionsClosedRss)} once closed`),
      stepLine(`${opts.slowConsumers} slow consumers`, slow.memory, `asked ${mib(slow.result.askedBytes)} while not reading (rss ${mib(slow.result.stalledRss)} stalled); once reading, ${slow.result.answers} answers, ${mib(slow.result.receivedBytes)} received`),
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    const json = {
      bench: 'memory',
      idle_rss_bytes: idle.rssBytes,
      partitions: partitions.result.partitions,
      partitions_rss_peak_bytes: partitions.memory.rssPeakBytes,
      partitions_heap_after_bytes: partitions.memory.heapAfter.heapUsedBytes,
      connections: 2 * opts.connections,
      connections_rss_open_bytes: connectionsOpenRss,
      connections_rss_per_connection_bytes: Math.round(perConnection),
      connections_rss_closed_bytes: connectionsClosedRss,
      slow_consumers: opts.slowConsumers,
      slow_asked_bytes: slow.result.askedBytes,
      slow_rss_stalled_bytes: slow.result.stalledRss,
      slow_rss_peak_bytes: slow.memory.rssPeakBytes,
      slow_answers: slow.result.answers,
      slow_received_bytes: slow.result.receivedBytes,
    };
    process.stdout.write(`${JSON.stringify(json)}\n`);
  } finally {
    await turnout?.stop().catch(() => undefined);
    if (owned && opts.keepCluster !== true) await stopCluster(CLUSTER, { log: progress }).catch((e: unknown) => progress(`could not stop ${CLUSTER}: ${String(e)}`));
    else if (bootstrap !== undefined) await deleteTopics(bootstrap, [...manyTopics, slowTopic]).catch(() => undefined);
  }
}

const program = new Command('bench:memory')
  .description("Turnout's memory at 10,000 partitions, 1,000 client connections and slow consumers")
  .option('--partitions <n>', 'partitions over topics of about 1,000 each', positiveInt('--partitions'), 10_000)
  .option('--connections <n>', 'clients held open at once (each with a bootstrap and a node connection)', positiveInt('--connections'), 1_000)
  .option('--slow-consumers <n>', 'clients that send large Fetch requests and stop reading', positiveInt('--slow-consumers'), 50)
  .option('--slow-requests <n>', 'Fetch requests each slow consumer sends', positiveInt('--slow-requests'), 4)
  .option('--stall-seconds <n>', 'how long the slow consumers stop reading', positiveInt('--stall-seconds'), 10)
  .option('--bootstrap <servers>', 'a running cluster instead of starting one')
  .option('--keep-cluster', 'leave the cluster running for the next run')
  .option('--glibc-defaults', "run Turnout at glibc's allocator defaults, without the settings bin/turnout starts it with")
  .action(async (opts: Options) => main(opts));

program.parseAsync().catch((err: unknown) => {
  process.stderr.write(`[memory-bench] failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
