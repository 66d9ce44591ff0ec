import { describe, expect, it } from 'vitest';
import { benchJsonLine, formatBenchReport, summarizeBench, type BenchConfig } from '../../../bench/bench-report.js';
import type { SplitConsumeResult, SplitProduceResult } from '../../../bench/split-perf.js';
import { formatFetchShares, formatTwoBackendReport, summarizeTwoBackends, type SplitConsumeRun, type SplitLatencyRun, type SplitProduceRun, type TwoBackendConfig } from '../../../bench/two-backend-report.js';

const config: TwoBackendConfig = {
  backends: [
    { backend: 'a', cluster: 'bench', kafkaVersion: '4.1.1', brokers: 3, replicationFactor: 3, topicPrefix: 'bench-a.' },
    { backend: 'b', cluster: 'bench-b', kafkaVersion: '3.9.1', brokers: 1, replicationFactor: 1, topicPrefix: 'bench-b.' },
  ],
  partitions: 6,
  records: 60_000,
  consumeRecords: 240_000,
  recordSizeBytes: 1024,
  repeat: 2,
  acks: 'all',
  latencyAcks: '1',
  latencyRate: 4_000,
  latencyRecords: 24_000,
  nodes: 4,
};

function produced(mbPerSec: number, p50Us = 20_000, p99Us = 90_000, recordsPerSec = mbPerSec * 1024, errors = 0): SplitProduceResult {
  return { clients: 1, records: 60_000, errors, requests: 1_000, elapsedMs: 6_000, recordsPerSec, mbPerSec, p50Us, p90Us: p50Us * 2, p99Us, p999Us: p99Us * 2, maxUs: p99Us * 3, avgUs: p50Us * 1.1 };
}

function consumed(mbPerSec: number): SplitConsumeResult {
  return { clients: 1, records: 240_000, bytes: 240_000 * 1024, elapsedMs: 2_000, recordsPerSec: mbPerSec * 1024, mbPerSec };
}

const produce: SplitProduceRun[] = [
  { path: 'direct', rep: 0, result: produced(20), mb: 58.59, durationMs: 3_000 },
  { path: 'turnout', rep: 0, result: produced(18), mb: 58.59, durationMs: 3_300, proxyCpuSec: 0.99 },
  { path: 'turnout', rep: 1, result: produced(19), mb: 58.59, durationMs: 3_200, proxyCpuSec: 0.64 },
  { path: 'direct', rep: 1, result: produced(20), mb: 58.59, durationMs: 3_000 },
];

const consume: SplitConsumeRun[] = [
  { path: 'direct', rep: 0, result: consumed(80), mb: 234.375, durationMs: 2_000 },
  { path: 'turnout', rep: 0, result: consumed(60), mb: 234.375, durationMs: 2_000, proxyCpuSec: 0.5 },
  { path: 'turnout', rep: 1, result: consumed(76), mb: 234.375, durationMs: 2_000, proxyCpuSec: 0.5 },
  { path: 'direct', rep: 1, result: consumed(80), mb: 234.375, durationMs: 2_000 },
];

const latency: SplitLatencyRun[] = [
  { path: 'direct', rep: 0, result: produced(4, 4_000, 10_000, 3_990) },
  { path: 'turnout', rep: 0, result: produced(4, 5_000, 12_000, 3_980) },
  { path: 'turnout', rep: 1, result: produced(4, 4_400, 11_000, 3_995) },
  { path: 'direct', rep: 1, result: produced(4, 4_000, 10_000, 3_990) },
];

describe('summarizeTwoBackends', () => {
  const s = summarizeTwoBackends(config, produce, consume, latency);

  it('compares each repetition of the split workload with its own direct run', () => {
    expect(s.produce.ratios).toEqual([0.9, 0.95]);
    expect(s.produce.ratio).toBeCloseTo(0.925, 10);
    expect(s.consume.ratios).toEqual([0.75, 0.95]);
    expect(s.consume.ratio).toBeCloseTo(0.85, 10);
    expect(s.produce.direct.mbPerSec).toBe(20);
    expect(s.produce.turnout.mbPerSec).toBe(18.5);
  });

  it('reports the producer latencies of the throughput runs in ms and Turnout CPU as a share of a core', () => {
    expect(s.produce.direct.p50Ms).toBe(20);
    expect(s.produce.turnout.p99Ms).toBe(90);
    expect(s.produce.turnout.proxyCores).toBeCloseTo(0.25, 10);
    expect(s.produce.direct.proxyCores).toBeUndefined();
    expect(s.consume.turnout.proxyCores).toBeCloseTo(0.25, 10);
  });

  it('takes latency ratios and added latency as medians of the paired runs', () => {
    expect(s.latency.p50Ratio).toBeCloseTo((1.25 + 1.1) / 2, 10);
    expect(s.latency.p99Ratio).toBeCloseTo((1.2 + 1.1) / 2, 10);
    expect(s.latency.addedP50Ms).toBeCloseTo((1 + 0.4) / 2, 10);
    expect(s.latency.addedP99Ms).toBeCloseTo((2 + 1) / 2, 10);
    expect(s.latency.direct.p99Us).toBe(10_000);
    expect(s.latency.turnout.p50Us).toBe(4_700);
  });

  it('judges the goals: produce at 0.925 and consume at 0.850 of direct (below 0.95) and added p99 of 1.5 ms are not met', () => {
    expect(s.goals).toEqual({ produceRatio: false, consumeRatio: false, addedP99: false });
    expect(s.notes).toEqual([]);
  });

  it('calls the latency goal inconclusive when the capped producer did not reach its rate', () => {
    const slow = summarizeTwoBackends(config, produce, consume, latency.map((r) => (r.path === 'turnout' ? { ...r, result: { ...r.result, recordsPerSec: 2_100 } } : r)));
    expect(slow.goals.addedP99).toBeNull();
    expect(slow.notes[0]).toMatch(/did not reach 4000 rec\/s \(turnout #1 2100, turnout #2 2100\)/);
  });

  it('calls the latency goal inconclusive when the direct p99 shows records queued', () => {
    const queued = summarizeTwoBackends(config, produce, consume, latency.map((r) => ({ ...r, result: { ...r.result, p99Us: r.path === 'direct' ? 700_000 : 650_000 } })));
    expect(queued.latency.addedP99Ms).toBe(-50);
    expect(queued.goals.addedP99).toBeNull();
    expect(queued.notes).toEqual(['direct p99 of 700.0 ms at moderate load, above 50 ms: records queued, so a 1 ms difference is within the noise']);
  });

  it('notes failed sends of the latency runs', () => {
    const failing = summarizeTwoBackends(config, produce, consume, latency.map((r) => (r.rep === 1 && r.path === 'direct' ? { ...r, result: { ...r.result, errors: 3 } } : r)));
    expect(failing.notes).toEqual(['sends failed: direct #2 3 (not counted in the latencies)']);
  });
});

describe('two-backend report', () => {
  const s = summarizeTwoBackends(config, produce, consume, latency, { turnoutPeakRssMb: 120 }, { forwarded_streamed: 291, gathered: 9 });

  it('names both clusters and prints the ratios, latency ratios and goals', () => {
    const text = formatTwoBackendReport(s).join('\n');
    expect(text).toContain("Turnout's consume Fetches: 291 (97%) forwarded_streamed, 9 (3%) gathered");
    expect(text).toContain('one Turnout of 4 nodes over bench (Kafka 4.1.1, 3 brokers, replication 3) and bench-b (Kafka 3.9.1, 1 broker, replication 1)');
    expect(text).toContain('60,000 records of 1024 B per produce run, acks=all; consume reads all 240,000 back');
    expect(text).toMatch(/produce +20\.0 MB\/s +20,480 rec\/s +18\.5 MB\/s +18,944 rec\/s +0\.925 +\(runs: 0\.900, 0\.950\)/);
    expect(text).toMatch(/consume +80\.0 MB\/s/);
    expect(text).toContain('p50/p99/p99.9 direct 4.000/10.000/20.000 ms   Turnout 4.700/11.500/23.000 ms');
    expect(text).toContain('Turnout/direct p50 1.175, p99 1.150; added p50 +0.700 ms, p99 +1.500 ms');
    expect(text).toContain('consume throughput Turnout/direct >= 0.95: NOT met (0.850)');
    expect(text).toContain('added p99 latency < 1 ms at moderate load: NOT met (+1.500 ms)');
  });

  const benchConfig: BenchConfig = {
    records: 100_000,
    consumeRecords: 200_000,
    recordSizeBytes: 1024,
    repeat: 1,
    partitions: 6,
    replicationFactor: 3,
    acks: 'all',
    latencyAcks: '1',
    latencyRate: 5_000,
    latencyRecords: 50_000,
    probeRate: 200,
    kafkaVersion: '4.1.1',
    cluster: 'bench',
    turnout: 'child process',
    paths: ['direct', 'turnout'],
    cores: 2,
    loadAverage: { start: 0.5, end: 1 },
  };

  it('follows the single-cluster section of the bench report', () => {
    const lines = formatBenchReport(summarizeBench(benchConfig, [], [], [], { twoBackends: s }));
    const single = lines.findIndex((l) => l.startsWith('  goals:'));
    const two = lines.findIndex((l) => l.startsWith('Two backends:'));
    expect(single).toBeGreaterThan(0);
    expect(two).toBeGreaterThan(single);
    expect(formatBenchReport(summarizeBench(benchConfig, [], [], [])).join('\n')).not.toContain('Two backends');
  });

  it('rides in the one JSON line under twoBackends, rounded like the rest, or null when not run', () => {
    const line = benchJsonLine(summarizeBench(benchConfig, [], [], [], { twoBackends: s }));
    expect(line).not.toContain('\n');
    const parsed = JSON.parse(line) as { bench: string; twoBackends: { produce: { ratio: number; ratios: number[] }; consume: { ratio: number }; latency: { p99Ratio: number; addedP99Ms: number }; goals: object; config: { backends: Array<{ cluster: string }> } } };
    expect(parsed.bench).toBe('turnout');
    expect(parsed.twoBackends.produce.ratio).toBe(0.925);
    expect(parsed.twoBackends.produce.ratios).toEqual([0.9, 0.95]);
    expect(parsed.twoBackends.consume.ratio).toBe(0.85);
    expect(parsed.twoBackends.latency.p99Ratio).toBe(1.15);
    expect(parsed.twoBackends.latency.addedP99Ms).toBe(1.5);
    expect(parsed.twoBackends.goals).toEqual({ produceRatio: false, consumeRatio: false, addedP99: false });
    expect(parsed.twoBackends.config.backends.map((b) => b.cluster)).toEqual(['bench', 'bench-b']);
    expect(JSON.parse(benchJsonLine(summarizeBench(benchConfig, [], [], [])))).toMatchObject({ twoBackends: null });
  });
});

describe('two backends with the HAProxy path', () => {
  const withHaproxy = summarizeTwoBackends(
    { ...config, haproxyVersion: '2.6.12' },
    [...produce, { path: 'haproxy', rep: 0, result: produced(19), mb: 58.59, durationMs: 3_100, proxyCpuSec: 0.08 }, { path: 'haproxy', rep: 1, result: produced(20), mb: 58.59, durationMs: 3_000, proxyCpuSec: 0.08 }],
    [...consume, { path: 'haproxy', rep: 0, result: consumed(78), mb: 234.375, durationMs: 2_000, proxyCpuSec: 0.2 }, { path: 'haproxy', rep: 1, result: consumed(80), mb: 234.375, durationMs: 2_000, proxyCpuSec: 0.25 }],
    [...latency, { path: 'haproxy', rep: 0, result: produced(4, 4_200, 10_500, 3_990) }, { path: 'haproxy', rep: 1, result: produced(4, 4_100, 10_400, 3_990) }],
    { turnoutPeakRssMb: 130, haproxyPeakRssMb: 16 },
  );

  it('compares Turnout with HAProxy round by round, throughput and CPU per MB', () => {
    expect(withHaproxy.produce.vsHaproxy?.haproxyToDirect.runs).toEqual([0.95, 1]);
    expect(withHaproxy.produce.vsHaproxy?.turnoutToHaproxy.runs).toEqual([18 / 19, 19 / 20]);
    const [first, second] = withHaproxy.produce.vsHaproxy?.cpuPerMbTurnoutToHaproxy.runs ?? [];
    expect(first).toBeCloseTo(0.99 / 0.08, 10);
    expect(second).toBeCloseTo(8, 10);
    expect(withHaproxy.latency.vsHaproxy?.haproxyAddedP50Ms.runs.map((r) => Math.round(r * 1000) / 1000)).toEqual([0.2, 0.1]);
    expect(withHaproxy.goals.cpuPerMbVsHaproxy).toBe(false);
  });

  it('prints HAProxy beside the other paths and its memory peak', () => {
    const text = formatTwoBackendReport(withHaproxy).join('\n');
    expect(text).toContain('through HAProxy 2.6.12 (TCP mode, a frontend per broker of both clusters) the workload is the direct one: a client per cluster');
    expect(text).toContain('HAProxy/direct');
    expect(text).toContain('peak RSS          Turnout 130 MB, HAProxy 16 MB');
    expect(text).toMatch(/HAProxy p50\/p99\/p99\.9 4\.150\/10\.450\/20\.900 ms; added to direct p50 \+0\.150 ms, p99 \+0\.450 ms/);
  });
});

describe('two-backend warm-up', () => {
  it("prints Turnout's warm-up runs until its CPU per MB settled, when it had them", () => {
    const warmed = summarizeTwoBackends({ ...config, turnoutWarmUp: { cpuMsPerMb: [7.2, 3.6, 3.4, 3.3], settled: true } }, produce, consume, latency);
    expect(formatTwoBackendReport(warmed).join('\n')).toContain("warm-up runs of that size until Turnout's CPU per MB settled: Turnout 7.2 3.6 3.4 3.3 ms/MB, settled");
    expect(formatTwoBackendReport(summarizeTwoBackends(config, produce, consume, latency)).join('\n')).not.toContain('settled');
  });
});

describe('formatFetchShares', () => {
  it('lists each path with its share, largest first, and says so when nothing was counted', () => {
    expect(formatFetchShares({ gathered: 1, forwarded_whole: 3 })).toBe('3 (75%) forwarded_whole, 1 (25%) gathered');
    expect(formatFetchShares({})).toBe('none counted');
  });
});

describe("Turnout's produce requests", () => {
  it('prints their count per MB, Turnout CPU per request and how they were answered', () => {
    // Turnout's runs: 117.18 MB, 1.63 s of CPU, over 1,000 requests.
    const s = summarizeTwoBackends(config, produce, consume, latency, undefined, {}, { paths: { in_place: 990, merged: 10 }, requests: 1_000 });
    expect(s.turnoutProduce.requestsPerMb).toBeCloseTo(1_000 / 117.18, 6);
    expect(s.turnoutProduce.cpuUsPerRequest).toBeCloseTo(1_630, 6);
    expect(formatTwoBackendReport(s).join('\n')).toContain("Turnout's produce requests: 1,000 (8.5 per MB produced, 1630 µs of Turnout CPU each): 990 (99%) in_place, 10 (1%) merged");
  });

  it('says none were counted when the runs counted none', () => {
    expect(formatTwoBackendReport(summarizeTwoBackends(config, produce, consume, latency)).join('\n')).toContain("Turnout's produce requests: none counted");
  });
});

describe('produce requests by path', () => {
  it("prints each path's requests per MB, as its producers counted them, and its proxy's CPU per request", () => {
    const s = summarizeTwoBackends(config, produce, consume, latency);
    // Every run sent 1,000 requests for 58.59 MB; Turnout's took 0.99 s and 0.64 s of CPU.
    expect(s.produceRequests.map((r) => r.path)).toEqual(['direct', 'turnout']);
    expect(s.produceRequests[1]?.perMb).toBeCloseTo(1_000 / 58.59, 6);
    expect(s.produceRequests[1]?.proxyCpuUsPerRequest).toBeCloseTo(815, 6);
    expect(s.produceRequests[0]?.proxyCpuUsPerRequest).toBeUndefined();
    expect(formatTwoBackendReport(s).join('\n')).toContain("produce requests (the producers' count): direct 17.1 per MB; Turnout 17.1 per MB, 815 µs of its CPU each");
  });
});
