// The bench's zone mode: zone routing with follower fetching, on the zone benchmark's rig
// (bench/zones: three zones made of network namespaces, one broker per zone, a producer and a
// consumer in every zone). Direct, the clients announce their zone (client.rack, KIP-392) so
// that consumers fetch from the replica in their zone; through Turnout, one Turnout per zone
// does that for clients that announce nothing. The workload runs uncapped for throughput and
// Turnout's CPU per MB (all three instances together), then capped at the steady rate for
// Turnout's CPU as a share of a core, each in rounds that run both paths back to back, the
// order alternating. HAProxy has no part here: a TCP proxy cannot keep a fetch in its zone.
import { compareThroughput, MB, median, MIN_RATE_SHARE, ofPath, perRound, proxyCores, withProxyCpu, type BenchPath, type PathNumbers, type PerRound, type ThroughputComparison } from './comparison.js';
import { f, k, tableHeader, throughputRows } from './report-format.js';
import type { SteadyOptions } from './single-cluster-case.js';
import type { ZoneRunResult } from './zones/traffic-report.js';
import { closeZoneRig, openZoneRig, runZoneMode, type ZoneRig } from './zones/zone-bench.js';
import { directRackMode, turnoutMode, type ZoneMode } from './zones/zone-modes.js';

export interface ZoneCaseOptions {
  quick: boolean;
  rounds: number;
  recordsPerZone: number;
  recordSizeBytes: number;
  partitions: number;
  kafkaVersion: string;
  /** The steady rate over all zones; null: no steady runs. */
  steady: SteadyOptions | null;
  log: (line: string) => void;
  /** Told about the rig once it is up (and undefined once it is down), so that an interrupt can take it down. */
  onRig: (rig: ZoneRig | undefined) => void;
}

/** One uncapped or steady run of the zone workload on one path. */
export interface ZoneBenchRun {
  path: BenchPath;
  rep: number;
  result: ZoneRunResult;
  /** Records end to end (produced, then consumed), MB (2^20 bytes) a second. */
  mbPerSec: number;
  /** Produced by the slowest producer's own clock, MB a second. */
  produceMbPerSec: number;
  /** What the proxy moved: every record once in and once out, MB. */
  mb: number;
  durationMs: number;
  proxyCpuSec?: number;
}

export interface ZoneCaseSummary {
  config: { zones: string[]; recordsPerZone: number; recordSizeBytes: number; partitions: number; replicationFactor: number; rounds: number; kafkaVersion: string; direct: string };
  /** End to end (every record produced and consumed) MB/s, Turnout/direct per round. */
  throughput: ThroughputComparison;
  /** Produce MB/s by the producers' own clocks, Turnout/direct per round. */
  produceRatio: PerRound;
  /** The steady rate: what each path reached and Turnout's CPU as a share of a core (all instances). */
  steady: { ratePerZone: number; seconds: number; directRecordsPerSec: number; turnoutRecordsPerSec: number; turnoutCores?: number } | null;
  memory: { turnoutPeakRssMb: number };
  notes: string[];
}

const ZONE_PATHS: ReadonlyArray<readonly [BenchPath, ZoneMode]> = [
  ['direct', directRackMode],
  ['turnout', turnoutMode],
];
const REPLICATION_FACTOR = 3;

function toBenchRun(path: BenchPath, rep: number, result: ZoneRunResult): ZoneBenchRun {
  const flowMs = result.flowMs ?? result.elapsedMs;
  const produceMs = result.produceMs ?? flowMs;
  return {
    path,
    rep,
    result,
    mbPerSec: result.producedBytes / MB / (flowMs / 1000),
    produceMbPerSec: result.producedBytes / MB / (produceMs / 1000),
    mb: (result.producedBytes + result.consumedBytes) / MB,
    durationMs: result.elapsedMs,
    ...(result.proxy !== undefined ? { proxyCpuSec: result.proxy.cpuSec } : {}),
  };
}

export async function runZoneCase(opts: ZoneCaseOptions): Promise<ZoneCaseSummary> {
  const log = (line: string): void => opts.log(`zones: ${line}`);
  if (process.getuid?.() !== 0) throw new Error('the zone mode needs root (ip netns): run as root or leave out --zones');
  const rig = await openZoneRig({ prefix: 'tzb', clusterName: 'bench-zones', kafkaVersion: opts.kafkaVersion, log });
  opts.onRig(rig);
  try {
    const zones = rig.layout.zones.map((z) => z.zone);
    const run = async (runs: ZoneBenchRun[], spec: { recordsPerZone: number; ratePerZone: number }, what: string): Promise<void> => {
      for (let rep = 0; rep < opts.rounds; rep++) {
        for (const [path, mode] of rep % 2 === 0 ? ZONE_PATHS : [...ZONE_PATHS].reverse()) {
          const result = await runZoneMode(rig, mode, { ...spec, recordSize: opts.recordSizeBytes, partitions: opts.partitions, replicationFactor: REPLICATION_FACTOR, idleWindowMs: 1_000 }, log);
          const d = result.delivery;
          if (d.missing > 0 || d.unexpected > 0) throw new Error(`zones: ${what} ${mode.name} #${rep + 1}: ${d.missing} of ${d.expected} records missing, ${d.unexpected} unexpected`);
          const r = toBenchRun(path, rep, result);
          runs.push(r);
          const cpu = r.proxyCpuSec !== undefined ? `, Turnout CPU ${r.proxyCpuSec.toFixed(2)} s, ${((r.proxyCpuSec * 1000) / r.mb).toFixed(2)} ms/MB, ${((r.proxyCpuSec / (r.durationMs / 1000)) * 100).toFixed(1)}% of a core` : '';
          log(`${what} ${mode.name.padEnd(11)} #${rep + 1}: ${r.mbPerSec.toFixed(2)} MB/s end to end, produce ${r.produceMbPerSec.toFixed(2)} MB/s${cpu}`);
        }
      }
    };
    const uncapped: ZoneBenchRun[] = [];
    log(`uncapped: ${opts.recordsPerZone} records of ${opts.recordSizeBytes} B per zone, ${opts.rounds} round(s)`);
    await run(uncapped, { recordsPerZone: opts.recordsPerZone, ratePerZone: 0 }, 'uncapped');
    const steadyRuns: ZoneBenchRun[] = [];
    const ratePerZone = opts.steady === null ? 0 : Math.max(1, Math.round(opts.steady.rate / zones.length));
    if (opts.steady !== null) {
      log(`steady: ${ratePerZone} records/s per zone (${ratePerZone * zones.length} in all) for ${opts.steady.seconds} s`);
      await run(steadyRuns, { recordsPerZone: ratePerZone * opts.steady.seconds, ratePerZone }, 'steady');
    }
    return summarizeZones(
      { zones, recordsPerZone: opts.recordsPerZone, recordSizeBytes: opts.recordSizeBytes, partitions: opts.partitions, replicationFactor: REPLICATION_FACTOR, rounds: opts.rounds, kafkaVersion: opts.kafkaVersion, direct: directRackMode.summary },
      uncapped,
      opts.steady === null ? null : { ratePerZone, seconds: opts.steady.seconds, runs: steadyRuns },
    );
  } finally {
    await closeZoneRig(rig).catch((e: unknown) => log(`could not take the zone rig down: ${String(e)}`));
    opts.onRig(undefined);
  }
}

export function summarizeZones(config: ZoneCaseSummary['config'], runs: readonly ZoneBenchRun[], steady: { ratePerZone: number; seconds: number; runs: readonly ZoneBenchRun[] } | null): ZoneCaseSummary {
  const numbers = (of: ZoneBenchRun[]): PathNumbers => withProxyCpu({ mbPerSec: median(of.map((r) => r.mbPerSec)), recordsPerSec: median(of.map((r) => r.result.records / ((r.result.flowMs ?? r.result.elapsedMs) / 1000))) }, of);
  const peaks = [...runs, ...(steady?.runs ?? [])].flatMap((r) => (r.result.proxy !== undefined ? [r.result.proxy.peakRssBytes / MB] : []));
  const notes: string[] = [];
  const duplicated = runs.filter((r) => r.result.delivery.duplicates > 0);
  if (duplicated.length > 0) notes.push(`records read twice (a consumer rejoined): ${duplicated.map((r) => `${r.path} #${r.rep + 1} ${r.result.delivery.duplicates}`).join(', ')}`);
  const steadyRate = (path: BenchPath): number => median(ofPath(steady?.runs ?? [], path).map((r) => r.result.records / ((r.result.produceMs ?? r.durationMs) / 1000)));
  let steadySummary: ZoneCaseSummary['steady'] = null;
  if (steady !== null) {
    const cores = proxyCores(ofPath(steady.runs, 'turnout'));
    const reached = { direct: steadyRate('direct'), turnout: steadyRate('turnout') };
    steadySummary = { ratePerZone: steady.ratePerZone, seconds: steady.seconds, directRecordsPerSec: reached.direct, turnoutRecordsPerSec: reached.turnout, ...(cores !== undefined ? { turnoutCores: cores } : {}) };
    const target = steady.ratePerZone * config.zones.length;
    const short = (['direct', 'turnout'] as const).filter((p) => !(reached[p] >= MIN_RATE_SHARE * target));
    if (short.length > 0) notes.push(`the steady rate of ${target} rec/s was not reached (${short.join(', ')}): the machine was saturated, so the CPU share is not that of a steady rate`);
  }
  return {
    config,
    throughput: compareThroughput(runs, numbers, (r) => r.mbPerSec),
    produceRatio: perRound(runs, 'turnout', 'direct', (a, b) => a.produceMbPerSec / b.produceMbPerSec),
    steady: steadySummary,
    memory: { turnoutPeakRssMb: peaks.length === 0 ? Number.NaN : Math.max(...peaks) },
    notes,
  };
}

/** The zone mode's section of the report. */
export function formatZoneCase(s: ZoneCaseSummary): string[] {
  const c = s.config;
  const out = [
    '',
    `Zone routing with follower fetching: ${c.zones.length} zones (network namespaces), one broker each (Kafka ${c.kafkaVersion}), a producer and a consumer per zone, replication ${c.replicationFactor}`,
    `  direct: ${c.direct}; Turnout: one Turnout per zone, clients announcing nothing`,
    `  ${k(c.recordsPerZone)} records of ${c.recordSizeBytes} B per zone, uncapped; ${c.rounds} round(s), the order alternating; throughput end to end (produced, then consumed), Turnout's CPU over all instances`,
    '',
    tableHeader(s.throughput),
    ...throughputRows('end to end', s.throughput, false),
    `  produce (producers' own clocks) Turnout/direct ${f(s.produceRatio.value, 3)} (runs: ${s.produceRatio.runs.map((r) => r.toFixed(3)).join(', ')})`,
    `  peak RSS          Turnout ${f(s.memory.turnoutPeakRssMb, 0)} MB (the three instances together)`,
  ];
  const st = s.steady;
  if (st !== null) {
    out.push(
      `  steady rate: ${k(st.ratePerZone)} records/s per zone for ${st.seconds} s: direct ${k(st.directRecordsPerSec)} rec/s, Turnout ${k(st.turnoutRecordsPerSec)} rec/s, CPU ${f((st.turnoutCores ?? Number.NaN) * 100, 1)}% of a core (all instances)`,
    );
  }
  for (const note of s.notes) out.push(`  note: ${note}`);
  return out;
}
