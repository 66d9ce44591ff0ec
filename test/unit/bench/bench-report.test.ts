import { describe, expect, it } from 'vitest';
import { benchJsonLine, formatBenchReport, median, summarizeBench, type BenchConfig, type ConsumeRun, type LatencyRun, type ProduceRun } from '../../../bench/bench-report.js';
import type { ConsumerPerfResult, ProducerPerfResult } from '../../../bench/perf-output.js';
import type { ProbeLatency } from '../../../bench/produce-probe.js';

const config: BenchConfig = {
  records: 100_000,
  consumeRecords: 400_000,
  recordSizeBytes: 1024,
  repeat: 2,
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
  loadAverage: { start: 0.4, end: 0.6 },
};

function perf(mbPerSec: number, p50Ms = 5, p99Ms = 20, avgLatencyMs = 6): ProducerPerfResult {
  return { records: 100_000, recordsPerSec: mbPerSec * 1024, mbPerSec, avgLatencyMs, maxLatencyMs: 50, p50Ms, p95Ms: 15, p99Ms, p999Ms: 40 };
}

function fetched(fetchMbPerSec: number): ConsumerPerfResult {
  return { records: 100_000, mb: 97.66, mbPerSec: fetchMbPerSec / 2, recordsPerSec: 0, rebalanceMs: 3_000, fetchMs: 2_000, fetchMbPerSec, fetchRecordsPerSec: fetchMbPerSec * 1024 };
}

function probe(p50Us: number, p99Us: number): ProbeLatency {
  return { count: 1_800, errors: 0, p50Us, p90Us: p50Us * 2, p99Us, p999Us: p99Us * 2, maxUs: p99Us * 3, meanUs: p50Us * 1.2 };
}

const produce: ProduceRun[] = [
  { path: 'direct', rep: 0, result: perf(40), mb: 97.66, durationMs: 2_500 },
  { path: 'turnout', rep: 0, result: perf(38), mb: 97.66, durationMs: 2_600, proxyCpuSec: 1.3 },
  { path: 'turnout', rep: 1, result: perf(30), mb: 97.66, durationMs: 3_300, proxyCpuSec: 1.65 },
  { path: 'direct', rep: 1, result: perf(32), mb: 97.66, durationMs: 3_100 },
];

const consume: ConsumeRun[] = [
  { path: 'direct', rep: 0, result: fetched(100), mb: 97.66, durationMs: 2_000 },
  { path: 'turnout', rep: 0, result: fetched(90), mb: 97.66, durationMs: 2_000, proxyCpuSec: 1 },
  { path: 'turnout', rep: 1, result: fetched(95), mb: 97.66, durationMs: 2_000, proxyCpuSec: 1 },
  { path: 'direct', rep: 1, result: fetched(100), mb: 97.66, durationMs: 2_000 },
];

const latency: LatencyRun[] = [
  { path: 'direct', rep: 0, perf: perf(5, 3, 8, 3.5), probe: probe(1_800, 4_000) },
  { path: 'turnout', rep: 0, perf: perf(5, 3, 9, 3.9), probe: probe(2_100, 4_500) },
  { path: 'turnout', rep: 1, perf: perf(5, 3, 8, 3.8), probe: probe(2_000, 4_300) },
  { path: 'direct', rep: 1, perf: perf(5, 3, 8, 3.6), probe: probe(1_750, 3_900) },
];

describe('median', () => {
  it('takes the middle value, or the mean of the two middle ones, ignoring NaN', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([Number.NaN, 5])).toBe(5);
    expect(median([])).toBeNaN();
  });
});

describe('summarizeBench', () => {
  const s = summarizeBench(config, produce, consume, latency);

  it('compares each repetition with its own direct run', () => {
    expect(s.produce.ratios).toEqual([38 / 40, 30 / 32]);
    expect(s.produce.ratio).toBeCloseTo((38 / 40 + 30 / 32) / 2, 10);
    expect(s.consume.ratios).toEqual([0.9, 0.95]);
    expect(s.produce.direct.mbPerSec).toBe(36);
    expect(s.produce.turnout.mbPerSec).toBe(34);
  });

  it('uses fetch throughput for consume, without the group join', () => {
    expect(s.consume.direct.mbPerSec).toBe(100);
    expect(s.consume.turnout.mbPerSec).toBe(92.5);
  });

  it("reports Turnout's CPU as the share of a core while records flow", () => {
    expect(s.produce.turnout.proxyCores).toBeCloseTo(0.5, 10);
    expect(s.produce.direct.proxyCores).toBeUndefined();
    expect(s.consume.turnout.proxyCores).toBeCloseTo(0.5, 10);
  });

  it('takes added latency as the median of paired differences, in ms', () => {
    expect(s.latency.addedP99Ms).toBeCloseTo((0.5 + 0.4) / 2, 10);
    expect(s.latency.addedP50Ms).toBeCloseTo((0.3 + 0.25) / 2, 10);
    expect(s.latency.perfAddedP99Ms).toBe(0.5);
    expect(s.latency.perfAddedAvgMs).toBeCloseTo(0.3, 10);
    expect(s.latency.turnout.probeCount).toBe(3_600);
  });

  it('calls the latency goal inconclusive when the probe has too few samples or the load was not reached', () => {
    const few = summarizeBench(config, produce, consume, latency.map((r) => ({ ...r, probe: { ...r.probe, count: 40 } })));
    expect(few.goals.addedP99).toBeNull();
    expect(few.notes[0]).toMatch(/direct #1 40, turnout #1 40.*round trips, fewer than 300/);
    const saturated = summarizeBench(config, produce, consume, latency.map((r) => (r.path === 'turnout' ? { ...r, perf: { ...r.perf, recordsPerSec: 1_359 } } : r)));
    expect(saturated.goals.addedP99).toBeNull();
    expect(saturated.notes[0]).toMatch(/did not reach 5000 rec\/s \(turnout #1 1359, turnout #2 1359\)/);
    expect(formatBenchReport(saturated).join('\n')).toContain('added p99 latency < 1 ms at moderate load: inconclusive');
  });

  it('notes a busy machine', () => {
    const busy = summarizeBench({ ...config, loadAverage: { start: 9.5, end: 12 } }, produce, consume, latency);
    expect(busy.notes).toEqual(['load average 9.5 on 2 cores before the bench started: other work competed for the CPU']);
  });

  it('judges the goals: throughput at 0.95 of direct or more', () => {
    // produce 0.944 and consume 0.925 of direct: short of 0.95.
    expect(s.goals).toEqual({ produceRatio: false, consumeRatio: false, addedP99: true });
    const fast = summarizeBench(
      config,
      produce.map((r) => (r.path === 'turnout' ? { ...r, result: perf(40) } : r)),
      consume.map((r) => (r.path === 'turnout' ? { ...r, result: fetched(100) } : r)),
      latency,
    );
    expect(fast.goals).toEqual({ produceRatio: true, consumeRatio: true, addedP99: true });
    const slow = summarizeBench(config, produce.map((r) => (r.path === 'turnout' ? { ...r, result: perf(20) } : r)), consume, latency);
    expect(slow.goals.produceRatio).toBe(false);
  });
});

describe('report', () => {
  const s = summarizeBench(config, produce, consume, latency);

  it('prints the ratios, the added latency and the goals', () => {
    const text = formatBenchReport(s).join('\n');
    expect(text).toContain('records of 1024 B, 100,000 per produce run, 400,000 per consume run, acks=all');
    expect(text).toMatch(/produce \(perf\) +36\.0 MB\/s +36,864 rec\/s +34\.0 MB\/s +34,816 rec\/s +0\.944/);
    expect(text).toMatch(/consume \(fetch\) +100\.0 MB\/s/);
    expect(text).toContain('added by Turnout to direct: p50 +0.275 ms, p99 +0.450 ms');
    expect(text).toContain('added p99 latency < 1 ms at moderate load: met (+0.450 ms)');
    expect(text).not.toContain('note:');
    expect(text).not.toContain('until CPU per MB settled');
  });

  it('lists the warm-up runs of the proxies that warmed up until settled', () => {
    const warmed = summarizeBench({ ...config, warmUps: { turnout: { cpuMsPerMb: [4.44, 3.1, 3, 2.9], settled: true } } }, produce, consume, latency);
    expect(formatBenchReport(warmed).join('\n')).toContain('warm-up runs of the produce size until CPU per MB settled: Turnout 4.4 3.1 3.0 2.9 ms/MB, settled');
  });

  it('lists the warm-up runs at the steady rate apart from those of the produce size', () => {
    const warmed = summarizeBench(
      { ...config, steadyWarmUps: { turnout: { cpuMsPerMb: [30.1, 22, 19.5, 18.8, 18.2], settled: true }, kroxylicious: { cpuMsPerMb: [40, 17, 16, 15.5], settled: true } } },
      produce,
      consume,
      latency,
    );
    const text = formatBenchReport(warmed).join('\n');
    expect(text).toContain('warm-up runs at the steady rate until CPU per MB settled: Turnout 30.1 22.0 19.5 18.8 18.2 ms/MB, settled; Kroxylicious 40.0 17.0 16.0 15.5 ms/MB, settled');
    expect(text).not.toContain('of the produce size');
  });

  it('ends with one JSON line holding every number', () => {
    const line = benchJsonLine(s);
    expect(line).not.toContain('\n');
    const parsed = JSON.parse(line) as { bench: string; produce: { ratio: number }; latency: { addedP99Ms: number }; goals: object };
    expect(parsed.bench).toBe('turnout');
    expect(parsed.produce.ratio).toBe(0.944);
    expect(parsed.latency.addedP99Ms).toBe(0.45);
    expect(parsed.goals).toEqual({ produceRatio: false, consumeRatio: false, addedP99: true });
    expect(JSON.parse(benchJsonLine(summarizeBench(config, produce, consume, [])))).toMatchObject({ latency: { addedP99Ms: null }, goals: { addedP99: null } });
  });
});

describe('with the HAProxy path', () => {
  const three: BenchConfig = { ...config, repeat: 2, paths: ['direct', 'haproxy', 'turnout'], haproxyVersion: '2.6.12' };
  const haproxyProduce: ProduceRun[] = [
    { path: 'haproxy', rep: 0, result: perf(39), mb: 97.66, durationMs: 2_500, proxyCpuSec: 0.1 },
    { path: 'haproxy', rep: 1, result: perf(31), mb: 97.66, durationMs: 3_200, proxyCpuSec: 0.15 },
  ];
  const haproxyConsume: ConsumeRun[] = [
    { path: 'haproxy', rep: 0, result: fetched(100), mb: 97.66, durationMs: 2_000, proxyCpuSec: 0.1 },
    { path: 'haproxy', rep: 1, result: fetched(95), mb: 97.66, durationMs: 2_000, proxyCpuSec: 0.25 },
  ];
  const haproxyLatency: LatencyRun[] = [
    { path: 'haproxy', rep: 0, perf: perf(5, 3, 8, 3.6), probe: probe(1_900, 4_100) },
    { path: 'haproxy', rep: 1, perf: perf(5, 3, 8, 3.7), probe: probe(1_850, 4_000) },
  ];
  const s = summarizeBench(three, [...produce, ...haproxyProduce], [...consume, ...haproxyConsume], [...latency, ...haproxyLatency], {
    memory: { turnoutPeakRssMb: 121, haproxyPeakRssMb: 15 },
  });

  it('compares each round three ways, and Turnout CPU per MB with HAProxy', () => {
    expect(s.produce.ratios).toEqual([38 / 40, 30 / 32]);
    expect(s.produce.vsHaproxy?.haproxyToDirect.runs).toEqual([39 / 40, 31 / 32]);
    expect(s.produce.vsHaproxy?.turnoutToHaproxy.runs).toEqual([38 / 39, 30 / 31]);
    expect(s.produce.vsHaproxy?.cpuPerMbTurnoutToHaproxy.runs.map((r) => Math.round(r * 1000) / 1000)).toEqual([13, 11]);
    expect(s.consume.vsHaproxy?.cpuPerMbTurnoutToHaproxy.runs.map((r) => Math.round(r * 1000) / 1000)).toEqual([10, 4]);
    expect(s.produce.vsHaproxy?.haproxy.proxyCores).toBeCloseTo((0.04 + 0.046875) / 2, 10);
  });

  it('takes what HAProxy adds to direct and what Turnout adds to HAProxy per round', () => {
    expect(s.latency.vsHaproxy?.haproxyAddedP50Ms.runs.map((r) => Math.round(r * 1000) / 1000)).toEqual([0.1, 0.1]);
    expect(s.latency.vsHaproxy?.turnoutOverHaproxyP99Ms.runs.map((r) => Math.round(r * 1000) / 1000)).toEqual([0.4, 0.3]);
  });

  it('judges Turnout CPU per MB against 1.5 times HAProxy', () => {
    expect(s.goals.cpuPerMbVsHaproxy).toBe(false);
    expect(summarizeBench(config, produce, consume, latency).goals).not.toHaveProperty('cpuPerMbVsHaproxy');
  });

  it('prints the paths side by side with the ratios between them and the memory peaks', () => {
    const text = formatBenchReport(s).join('\n');
    expect(text).toContain('first round: direct, HAProxy, Turnout; the order rotating by one each round');
    expect(text).toContain('Turnout/direct  HAProxy/direct  Turnout/HAProxy');
    expect(text).toMatch(/produce \(perf\) +36\.0 MB\/s +36,864 rec\/s +35\.0 MB\/s +35,840 rec\/s +34\.0 MB\/s +34,816 rec\/s +0\.944 +0\.972 +0\.971/);
    expect(text).toMatch(/CPU 4%, 1\.28 ms\/MB +CPU 50%, 15\.10 ms\/MB +CPU per MB Turnout\/HAProxy 12\.00/);
    expect(text).toContain('peak RSS          Turnout 121 MB, HAProxy 15 MB');
    expect(text).toContain('added by HAProxy to direct: p50 +0.100 ms');
    expect(text).toContain('CPU per MB Turnout/HAProxy <= 1.5: NOT met (produce 12.00, consume 7.00)');
  });

  it('carries every ratio and CPU figure in the JSON line', () => {
    const parsed = JSON.parse(benchJsonLine(s)) as {
      produce: { vsHaproxy: { haproxyToDirect: { value: number; runs: number[] }; cpuPerMbTurnoutToHaproxy: { value: number }; haproxy: { cpuMsPerMb: number } }; turnout: { cpuMsPerMb: number } };
      memory: object;
      goals: object;
    };
    expect(parsed.produce.vsHaproxy.haproxyToDirect.runs).toEqual([0.975, 0.969]);
    expect(parsed.produce.vsHaproxy.cpuPerMbTurnoutToHaproxy.value).toBe(12);
    expect(parsed.produce.vsHaproxy.haproxy.cpuMsPerMb).toBe(1.28);
    expect(parsed.produce.turnout.cpuMsPerMb).toBe(15.103);
    expect(parsed.memory).toEqual({ turnoutPeakRssMb: 121, haproxyPeakRssMb: 15 });
    expect(parsed.goals).toEqual({ produceRatio: false, consumeRatio: false, addedP99: true, cpuPerMbVsHaproxy: false });
  });
});
