import { describe, expect, it } from 'vitest';
import { ProxyMetrics } from '../../../src/observability/metrics.js';
import { apiName } from '../../../src/routing/api-names.js';
import { turnoutTraffic } from '../../../src/demo/turnout-traffic.js';

describe('turnoutTraffic', () => {
  it("reads bytes and requests from a proxy's registry", async () => {
    const m = new ProxyMetrics({ apiName });
    m.clientBytesIn(1_000);
    m.clientBytesOut(3_000);
    m.upstreamBytesOut(990);
    m.upstreamBytesIn(2_990);
    m.requestReceived(0, 9);
    m.requestReceived(0, 11);
    m.requestReceived(1, 16);
    m.requestReceived(18, 3);
    m.answeredLocally(18);
    const t = turnoutTraffic(await m.registry.getMetricsAsJSON());
    expect(t).toEqual({
      clientInBytes: 1_000,
      clientOutBytes: 3_000,
      upstreamInBytes: 2_990,
      upstreamOutBytes: 990,
      requests: { Produce: 2, Fetch: 1, ApiVersions: 1 },
      answeredLocally: { ApiVersions: 1 },
    });
  });

  it('reads zeros from an empty registry', () => {
    expect(turnoutTraffic([])).toEqual({ clientInBytes: 0, clientOutBytes: 0, upstreamInBytes: 0, upstreamOutBytes: 0, requests: {}, answeredLocally: {} });
  });
});
