import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { ApiLatencyHistogram } from '../../../src/observability/api-latency-histogram.js';
import { ProxyMetrics } from '../../../src/observability/metrics.js';

const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const NAMES: Record<number, string> = { 0: 'Produce', 1: 'Fetch', 18: 'ApiVersions' };
const apiName = (k: number): string => NAMES[k] ?? `apiKey_${k}`;

describe('ApiLatencyHistogram', () => {
  it('prints the same text as prom-client\'s histogram for the same observations', async () => {
    const ours = new Registry();
    const theirs = new Registry();
    const h = new ApiLatencyHistogram({ name: 'lat_seconds', help: 'latency', buckets: BUCKETS, apiName, registers: [ours] });
    const ref = new Histogram({ name: 'lat_seconds', help: 'latency', labelNames: ['api'], buckets: BUCKETS, registers: [theirs] });
    // Bounds themselves, values between, above the last bound, in mixed api order.
    const observations: Array<[number, number]> = [
      [0, 0.0005], [1, 0.0004], [0, 0.003], [18, 31], [1, 0.1], [0, 30], [99, 0.00001], [1, 1e-9], [0, 0.26],
    ];
    for (const [apiKey, s] of observations) {
      h.observe(apiKey, s);
      ref.labels(apiName(apiKey)).observe(s);
    }
    expect(await ours.metrics()).toBe(await theirs.metrics());
    // The JSON form too, but for prom-client's exemplar slot (always empty here).
    const values = async (r: Registry): Promise<unknown> =>
      (await r.getMetricsAsJSON()).map((m) => m.values.map((v) => ({ labels: v.labels, value: v.value, metricName: (v as { metricName?: string }).metricName })));
    expect(await values(ours)).toEqual(await values(theirs));
  });

  it('forgets every series on reset', async () => {
    const reg = new Registry();
    const h = new ApiLatencyHistogram({ name: 'lat_seconds', help: 'latency', buckets: [1], apiName, registers: [reg] });
    h.observe(0, 0.5);
    reg.resetMetrics();
    expect(await reg.metrics()).not.toContain('Produce');
  });
});

describe('ProxyMetrics tallies', () => {
  it('hands requests and bytes counted on the data path to the registry when it is read', async () => {
    const m = new ProxyMetrics({ apiName: (k) => NAMES[k] });
    m.requestReceived(0, 9);
    m.requestReceived(0, 9);
    m.requestReceived(1, 12);
    m.clientBytesIn(100);
    m.clientBytesOut(7);
    m.upstreamBytesIn(5);
    m.upstreamBytesOut(3);
    m.requestCompleted(0, 0.002);
    let text = await m.registry.metrics();
    expect(text).toContain('turnout_requests_total{api="Produce",version="9"} 2');
    expect(text).toContain('turnout_requests_total{api="Fetch",version="12"} 1');
    expect(text).toContain('turnout_bytes_total{side="client",direction="in"} 100');
    expect(text).toContain('turnout_bytes_total{side="client",direction="out"} 7');
    expect(text).toContain('turnout_bytes_total{side="upstream",direction="in"} 5');
    expect(text).toContain('turnout_bytes_total{side="upstream",direction="out"} 3');
    expect(text).toContain('turnout_request_duration_seconds_bucket{le="0.0025",api="Produce"} 1');
    // Counted again after a read: added to what was handed over, not counted twice.
    m.requestReceived(0, 9);
    m.clientBytesIn(1);
    text = await m.registry.metrics();
    expect(text).toContain('turnout_requests_total{api="Produce",version="9"} 3');
    expect(text).toContain('turnout_bytes_total{side="client",direction="in"} 101');
    expect(text).toContain('turnout_requests_total{api="Fetch",version="12"} 1');
  });
});
