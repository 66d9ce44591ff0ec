import { describe, expect, it } from 'vitest';
import { ProxyMetrics } from '../../../src/observability/metrics.js';
import { apiName } from '../../../src/routing/api-names.js';
import { turnoutSecurityCounts, turnoutTraffic } from '../../../src/demo/turnout-traffic.js';

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

describe('turnoutSecurityCounts', () => {
  it("reads logins, ACL decisions and Turnout's refused logins from a proxy's registry", async () => {
    const m = new ProxyMetrics({ apiName });
    m.authentications.authentication('SCRAM-SHA-512', 'success');
    m.authentications.authentication('SCRAM-SHA-512', 'success');
    m.authentications.authentication('SCRAM-SHA-512', 'failure');
    m.authz.decision(true, 'TOPIC', 'WRITE');
    m.authz.decision(true, 'GROUP', 'READ');
    m.authz.decision(false, 'TOPIC', 'READ');
    m.backendAuthFailure('demo', 'sasl');
    expect(turnoutSecurityCounts(await m.registry.getMetricsAsJSON())).toEqual({
      authentications: { 'SCRAM-SHA-512 success': 2, 'SCRAM-SHA-512 failure': 1 },
      authzDecisions: { allow: 2, deny: 1 },
      backendAuthFailures: 1,
    });
  });
});
