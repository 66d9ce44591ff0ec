import { describe, expect, it } from 'vitest';
import { formatZoneCase, summarizeZones, type ZoneBenchRun } from '../../../bench/zone-case.js';
import type { BenchPath } from '../../../bench/comparison.js';
import { summarizeTraffic, type ZoneRunResult } from '../../../bench/zones/traffic-report.js';

const MB = 1024 * 1024;
const config = { zones: ['az-a', 'az-b', 'az-c'], recordsPerZone: 10_240, recordSizeBytes: 1024, partitions: 6, replicationFactor: 3, rounds: 2, kafkaVersion: '4.1.1', direct: 'clients with client.rack' };

/** A zone run that moved 30 MB in and 30 MB out over `flowMs`, its producers taking `produceMs`. */
function zoneRun(path: BenchPath, rep: number, flowMs: number, produceMs: number, proxyCpuSec?: number): ZoneBenchRun {
  const noTraffic = summarizeTraffic({ readAtMs: 0, devices: [] });
  const result: ZoneRunResult = {
    mode: path === 'direct' ? 'direct-rack' : 'turnout',
    records: 30_720,
    producedBytes: 30 * MB,
    consumedBytes: 30 * MB,
    delivery: { expected: 30_720, delivered: 30_720, missing: 0, duplicates: 0, unexpected: 0, exactlyOnce: true },
    traffic: noTraffic,
    leadersPerZone: { 'az-a': 2, 'az-b': 2, 'az-c': 2 },
    leaderPathCrossPayloadBytes: 0,
    leaderPath: { produceBytes: 0, fetchBytes: 0 },
    fetchPath: 'zone-replica',
    elapsedMs: flowMs + 1_000,
    flowMs,
    produceMs,
    idle: { traffic: noTraffic, elapsedMs: 1_000 },
    latencyMs: {},
    order: { brokenPartitions: [], overlappingOffsets: 0, skippedOffsets: 0, offsetRegressions: 0, readBreaks: 0, sequenceRegressions: 0, inOrder: true },
    consumerRestarts: 0,
    resume: { tenures: 3, redeliveredOffsets: 0, redeliveredByPartition: {}, misplaced: [] },
    group: { rejoins: 0, rebalancing: 0, commits: 3 },
    ...(proxyCpuSec !== undefined ? { proxy: { cpuSec: proxyCpuSec, peakRssBytes: 400 * MB } } : {}),
  };
  return {
    path,
    rep,
    result,
    mbPerSec: 30 / (flowMs / 1000),
    produceMbPerSec: 30 / (produceMs / 1000),
    mb: 60,
    durationMs: result.elapsedMs,
    ...(proxyCpuSec !== undefined ? { proxyCpuSec } : {}),
  };
}

describe('summarizeZones', () => {
  const runs = [zoneRun('direct', 0, 10_000, 5_000), zoneRun('turnout', 0, 12_500, 6_000, 1.2), zoneRun('turnout', 1, 10_000, 5_000, 0.9), zoneRun('direct', 1, 10_000, 5_000)];
  const steady = [zoneRun('direct', 0, 10_000, 15_000), zoneRun('turnout', 0, 10_000, 15_500, 0.45)];
  const s = summarizeZones(config, runs, { ratePerZone: 667, seconds: 15, runs: steady });

  it("compares Turnout with direct (client.rack) end to end and by the producers' clocks, per round", () => {
    expect(s.throughput.ratios.map((r) => Math.round(r * 1000) / 1000)).toEqual([0.8, 1]);
    expect(s.produceRatio.runs).toEqual([5_000 / 6_000, 1]);
    expect(s.throughput.vsHaproxy).toBeUndefined();
  });

  it("gives Turnout's CPU per MB in and out over all instances, its CPU at the steady rate and the instances' memory", () => {
    expect(s.throughput.turnout.cpuMsPerMb).toBeCloseTo((20 + 15) / 2, 10);
    expect(s.steady?.turnoutCores).toBeCloseTo(0.45 / 11, 10);
    expect(s.steady?.turnoutRecordsPerSec).toBeCloseTo(30_720 / 15.5, 6);
    expect(s.memory.turnoutPeakRssMb).toBe(400);
    expect(s.notes).toEqual([]);
  });

  it('notes a steady rate the machine did not reach', () => {
    const slow = summarizeZones(config, runs, { ratePerZone: 1_000, seconds: 15, runs: steady });
    expect(slow.notes).toEqual(['the steady rate of 3000 rec/s was not reached (direct, turnout): the machine was saturated, so the CPU share is not that of a steady rate']);
  });

  it('prints the zone mode section', () => {
    const text = formatZoneCase(s).join('\n');
    expect(text).toContain('direct: clients with client.rack; Turnout: one Turnout per zone, clients announcing nothing');
    expect(text).toMatch(/end to end +3\.0 MB\/s +3,072 rec\/s +2\.7 MB\/s +2,765 rec\/s +0\.900 +\(runs: 0\.800, 1\.000\)/);
    expect(text).toContain('peak RSS          Turnout 400 MB (the three instances together)');
    expect(text).toContain('CPU 4.1% of a core (all instances)');
  });
});
