import { afterEach, describe, expect, it } from 'vitest';
import { AdminServer } from '../../../src/admin/admin-server.js';
import { MAX_LISTED_CONNECTIONS, zonesResponse, type ZoneClientView, type ZoneInsights, type ZonesResponse } from '../../../src/admin/zone-routes.js';
import { createLogger } from '../../../src/observability/logger.js';
import { ProxyMetrics } from '../../../src/observability/metrics.js';

function client(connId: number, zone: string | null, source: ZoneClientView['source']): ZoneClientView {
  return { connId, listener: 'default', remote: `127.0.0.1:${40000 + connId}`, clientId: `c${connId}`, zone, source, evidence: null };
}

function insights(connections: ZoneClientView[], metrics = new ProxyMetrics({ apiName: () => undefined })): ZoneInsights {
  return {
    zones: ['az-a', 'az-b'],
    listeners: [{ name: 'default', zone: 'az-a' }],
    connections: () => connections,
    traffic: () => metrics.zones.snapshot(),
  };
}

describe('zonesResponse', () => {
  it('counts connected clients per zone by source, clients without a zone last', () => {
    const r = zonesResponse(
      insights([client(3, 'az-b', 'cidr'), client(1, 'az-b', 'client-id-tag'), client(2, null, 'none'), client(4, 'az-a', 'listener'), client(5, 'az-b', 'cidr')]),
    );
    expect(r.clients.total).toBe(5);
    expect(r.clients.byZone).toEqual([
      { zone: 'az-a', total: 1, bySource: { listener: 1 } },
      { zone: 'az-b', total: 3, bySource: { 'client-id-tag': 1, cidr: 2 } },
      { zone: null, total: 1, bySource: { none: 1 } },
    ]);
    expect(Object.keys(r.clients.byZone[1].bySource)).toEqual(['client-id-tag', 'cidr']);
    expect(r.clients.connections.map((c) => c.connId)).toEqual([1, 2, 3, 4, 5]);
    expect(r.clients.connectionsTruncated).toBe(false);
    expect(r.zones).toEqual(['az-a', 'az-b']);
    expect(r.listeners).toEqual([{ name: 'default', zone: 'az-a' }]);
  });

  it('caps the listed connections but counts them all', () => {
    const many = Array.from({ length: MAX_LISTED_CONNECTIONS + 5 }, (_, i) => client(i + 1, 'az-a', 'listener'));
    const r = zonesResponse(insights(many));
    expect(r.clients.connections).toHaveLength(MAX_LISTED_CONNECTIONS);
    expect(r.clients.total).toBe(MAX_LISTED_CONNECTIONS + 5);
    expect(r.clients.byZone[0].total).toBe(MAX_LISTED_CONNECTIONS + 5);
    expect(r.clients.connectionsTruncated).toBe(true);
  });

  it('carries bytes by zone pair, the cross-zone totals and the decisions', () => {
    const metrics = new ProxyMetrics({ apiName: () => undefined });
    metrics.zones.brokerBytes('az-a', 'az-b', 'from_broker', 42);
    metrics.zones.decided('az-a', 'cidr');
    const r = zonesResponse(insights([], metrics));
    expect(r.bytes).toEqual({
      pairs: [{ clientZone: 'az-a', brokerZone: 'az-b', crossZone: true, toBrokerBytes: 0, fromBrokerBytes: 42 }],
      crossZone: { toBrokerBytes: 0, fromBrokerBytes: 42 },
    });
    expect(r.decisions).toEqual([{ zone: 'az-a', source: 'cidr', count: 1 }]);
  });
});

const TOKEN = 'zone-test-token-0123456789';

describe('GET /v1/zones', () => {
  let server: AdminServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  async function start(zones?: ZoneInsights): Promise<string> {
    const metrics = new ProxyMetrics({ apiName: () => undefined });
    server = new AdminServer({
      host: '127.0.0.1',
      port: 0,
      registry: metrics.registry,
      readiness: () => ({ ready: true, reasons: [] }),
      log: createLogger({ level: 'silent' }),
      zones,
      auth: { tokenEnv: 'ADMIN_TOKEN', openReads: false },
      env: { ADMIN_TOKEN: TOKEN },
    });
    return `http://127.0.0.1:${await server.listen()}`;
  }

  it('answers JSON from the server\'s zone insights', async () => {
    const base = await start(insights([client(9, 'az-b', 'fetch-rack')]));
    const res = await fetch(`${base}/v1/zones`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    const body = (await res.json()) as ZonesResponse;
    expect(body.clients.byZone).toEqual([{ zone: 'az-b', total: 1, bySource: { 'fetch-rack': 1 } }]);
    expect(body.bytes.crossZone).toEqual({ toBrokerBytes: 0, fromBrokerBytes: 0 });
  });

  it('refuses other methods with 405 and is absent without zone insights', async () => {
    const base = await start(insights([]));
    const res = await fetch(`${base}/v1/zones`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(405);
    expect(((await res.json()) as { error: string }).error).toMatch(/POST is not allowed/);
    await server?.close();
    const bare = await start(undefined);
    expect((await fetch(`${bare}/v1/zones`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(404);
  });
});
