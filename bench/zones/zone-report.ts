// The zone benchmark's output: a table with one column per run, then one JSON line.
import type { LatencySummary } from './latency-histogram.js';
import type { OrderCheck } from './partition-order.js';
import type { DeliveryCheck } from './record-payload.js';
import { runFigures, type RunFigures } from './run-figures.js';
import { runRatios, type ZoneBenchConfig, type ZoneRunResult } from './traffic-report.js';
import { fetchSplit } from './turnout-zone-view.js';

function mib(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(2)} MiB`;
}

function pct(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}

function rate(bytesPerSecond: number | undefined): string {
  return bytesPerSecond === undefined ? 'n/a' : `${(bytesPerSecond / 1024).toFixed(1)} KiB/s`;
}

function deliveryText(d: DeliveryCheck): string {
  if (d.exactlyOnce) return 'exactly once';
  return `${d.missing} missing, ${d.duplicates} duplicated, ${d.unexpected} unexpected`;
}

function orderText(o: OrderCheck): string {
  if (o.inOrder) return 'in order';
  return `${o.brokenPartitions.length} partitions broken (${o.skippedOffsets} skipped, ${o.overlappingOffsets} repeated, ${o.offsetRegressions} backwards)`;
}

function latencyText(l: LatencySummary | undefined): string {
  return l === undefined ? 'n/a' : `${l.p50Ms} / ${l.p99Ms} ms`;
}

function signedMs(ms: number): string {
  return `${ms >= 0 ? '+' : ''}${ms} ms`;
}

type Row = [string, (r: ZoneRunResult, f: RunFigures) => string];

const fetchCrossLabel: Record<RunFigures['fetchCrossSource'], string> = { turnout: 'Turnout count', leaders: 'via leaders', unknown: '' };

/** A table with one column per run; latency differences are against the first run. */
export function formatZoneReport(config: ZoneBenchConfig, runs: readonly ZoneRunResult[]): string {
  const figures = new Map(runs.map((r) => [r, runFigures(r)]));
  const baseline = runs[0] !== undefined ? figures.get(runs[0])?.latency : undefined;
  const rows: Row[] = [
    ['bytes produced (payload)', (r) => mib(r.producedBytes)],
    ['bytes consumed (payload)', (r) => mib(r.consumedBytes)],
    ['delivery', (r) => deliveryText(r.delivery)],
    ['order per partition', (r) => orderText(r.order)],
    ['consumer errors (restarts)', (r) => String(r.consumerRestarts)],
    ['group rejoins, records read again', (r) => `${r.group.rejoins}, ${r.resume.redeliveredOffsets}${r.resume.misplaced.length > 0 ? ` (${r.resume.misplaced.length} resumed off the committed offset)` : ''}`],
    ['cross-zone client', (r) => mib(r.traffic.client.outBytes)],
    ['  share of client wire bytes', (r) => pct(runRatios(r).clientCrossShare)],
    ['  per payload byte', (r) => runRatios(r).clientCrossPerPayloadByte.toFixed(3)],
    ['  produce to other zones\' leaders', (_, f) => mib(f.produceToRemoteLeaderBytes)],
    ['  consumer fetches', (_, f) => (f.fetchCrossBytes === undefined ? 'n/a' : `${mib(f.fetchCrossBytes)} (${fetchCrossLabel[f.fetchCrossSource]})`)],
    ['  control and overhead', (_, f) => (f.otherCrossBytes === undefined ? 'n/a' : `${mib(f.otherCrossBytes)}, ${rate(f.otherCrossBytesPerSecond)}`)],
    ['  idle (control budget)', (_, f) => rate(f.idleCrossBytesPerSecond)],
    ['  payload crossing via leaders', (r) => mib(r.leaderPathCrossPayloadBytes)],
    ['  measured / via leaders', (r) => runRatios(r).clientCrossPerLeaderPathByte.toFixed(3)],
    ['cross-zone replication', (r) => mib(r.traffic.replication.outBytes)],
    ['  per produced byte', (r) => runRatios(r).replicationPerProducedByte.toFixed(3)],
    ['control (brokers-controller)', (r) => mib(r.traffic.controlBytes)],
    ['in-zone client (loopback)', (r) => mib(r.traffic.localBytes)],
    ['Turnout: cross-zone to/from brokers', (r) => (r.turnout === undefined ? '-' : `${mib(r.turnout.crossZone.toBrokerBytes)} / ${mib(r.turnout.crossZone.fromBrokerBytes)}`)],
    ['  kernel / Turnout cross-zone', (_, f) => (f.kernelPerTurnoutCrossByte === undefined ? '-' : f.kernelPerTurnoutCrossByte.toFixed(3))],
    ['  fetched in zone / from other zones', (_, f) => (f.fetches === undefined ? '-' : `${mib(f.fetches.inZoneRecordBytes)} / ${mib(f.fetches.crossZoneRecordBytes)}`)],
    ['  fetched from followers / leaders', (_, f) => (f.fetches === undefined ? '-' : `${mib(f.fetches.followerRecordBytes)} / ${mib(f.fetches.leaderRecordBytes)}`)],
    ['latency p50 / p99 (produce to consume)', (_, f) => latencyText(f.latency)],
    [`  against ${runs[0]?.mode ?? 'first run'}`, (_, f) => (f.latency === undefined || baseline === undefined ? 'n/a' : `${signedMs(f.latency.p50Ms - baseline.p50Ms)} / ${signedMs(f.latency.p99Ms - baseline.p99Ms)}`)],
    ['partition leaders per zone', (r) => config.zones.map((z) => r.leadersPerZone[z] ?? 0).join('/')],
    ['elapsed', (r) => `${(r.elapsedMs / 1000).toFixed(1)} s`],
  ];
  if (runs.some((r) => r.followerStop !== undefined)) rows.push(...followerStopRows());
  const header = ['', ...runs.map((r) => r.mode)];
  const body = rows.map(([label, cell]) => [label, ...runs.map((r) => cell(r, figures.get(r) as RunFigures))]);
  const widths = header.map((_, i) => Math.max(...[header, ...body].map((row) => (row[i] ?? '').length)));
  const line = (row: readonly string[]): string => row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] as number) : cell.padStart(widths[i] as number))).join('   ');
  return [
    `zones ${config.zones.join(', ')}: ${config.recordsPerZone} records of ${config.recordSize} random bytes produced in every zone` +
      `${config.ratePerZone !== undefined && config.ratePerZone > 0 ? ` at ${config.ratePerZone}/s` : ''}, ` +
      `${config.partitions} partitions, RF ${config.replicationFactor}, Kafka ${config.kafkaVersion}`,
    line(header),
    ...body.map(line),
  ].join('\n');
}

function followerStopRows(): Row[] {
  const zoneFetches = (r: ZoneRunResult, phase: 'whileDown' | 'afterCatchUp' | 'afterSettle'): string => {
    const s = r.followerStop;
    const tally = s?.[phase];
    if (s === undefined || tally === undefined) return '-';
    const f = fetchSplit(tally, s.zone);
    return `${mib(f.inZoneRecordBytes)} in zone / ${mib(f.crossZoneRecordBytes)} other`;
  };
  return [
    ['follower stop', (r) => (r.followerStop === undefined ? '-' : `broker ${r.followerStop.brokerId} (${r.followerStop.zone}) down ${(r.followerStop.downMs / 1000).toFixed(1)} s`)],
    ['  back in every ISR after restart', (r) => (r.followerStop === undefined ? '-' : `${(r.followerStop.rejoinMs / 1000).toFixed(1)} s`)],
    ['  its zone fetched while down', (r) => zoneFetches(r, 'whileDown')],
    ['  its zone fetched after catch-up', (r) => zoneFetches(r, 'afterCatchUp')],
    ['  ... from one Turnout refresh later', (r) => (r.followerStop === undefined ? '-' : `${zoneFetches(r, 'afterSettle')} (+${(r.followerStop.settleMs / 1000).toFixed(0)} s)`)],
  ];
}

/** The final JSON line: configuration, then every run with its raw bytes, ratios and figures. */
export function zoneJsonLine(config: ZoneBenchConfig, runs: readonly ZoneRunResult[]): string {
  return JSON.stringify({
    bench: 'zones',
    config,
    runs: runs.map((r) => {
      const f = runFigures(r);
      return {
        mode: r.mode,
        records: r.records,
        producedBytes: r.producedBytes,
        consumedBytes: r.consumedBytes,
        exactlyOnce: r.delivery.exactlyOnce,
        inOrder: r.order.inOrder,
        delivery: r.delivery,
        order: r.order,
        consumerRestarts: r.consumerRestarts,
        group: r.group,
        resume: r.resume,
        crossZone: {
          clientBytes: r.traffic.client.outBytes,
          replicationBytes: r.traffic.replication.outBytes,
          produceToRemoteLeaderBytes: f.produceToRemoteLeaderBytes,
          consumerFetchBytes: f.fetchCrossBytes ?? null,
          consumerFetchSource: f.fetchCrossSource,
          controlAndOverheadBytes: f.otherCrossBytes ?? null,
          controlAndOverheadBytesPerSecond: f.otherCrossBytesPerSecond ?? null,
          idleBytesPerSecond: f.idleCrossBytesPerSecond,
        },
        controlBytes: r.traffic.controlBytes,
        localBytes: r.traffic.localBytes,
        ...runRatios(r),
        latency: f.latency ?? null,
        turnout: r.turnout ?? null,
        kernelPerTurnoutCrossByte: f.kernelPerTurnoutCrossByte ?? null,
        followerStop: r.followerStop ?? null,
        leadersPerZone: r.leadersPerZone,
        leaderPathCrossPayloadBytes: r.leaderPathCrossPayloadBytes,
        leaderPath: r.leaderPath,
        perZone: r.traffic.perZone,
        elapsedMs: r.elapsedMs,
      };
    }),
  });
}
