import { afterEach, describe, expect, it } from 'vitest';
import { AdminServer } from '../../../src/admin/admin-server.js';
import { createLogger } from '../../../src/observability/logger.js';
import { ProxyMetrics } from '../../../src/observability/metrics.js';

let server: AdminServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(ready: () => boolean): Promise<{ base: string; metrics: ProxyMetrics }> {
  const metrics = new ProxyMetrics({ apiName: (k) => (k === 3 ? 'Metadata' : undefined) });
  server = new AdminServer({
    host: '127.0.0.1',
    port: 0,
    registry: metrics.registry,
    readiness: () => (ready() ? { ready: true, reasons: [] } : { ready: false, reasons: ['topology of backend main not known yet'] }),
    log: createLogger({ level: 'silent' }),
  });
  const port = await server.listen();
  return { base: `http://127.0.0.1:${port}`, metrics };
}

describe('admin server', () => {
  it('serves Prometheus metrics with api names as labels', async () => {
    const { base, metrics } = await start(() => true);
    metrics.requestReceived(3, 12);
    metrics.requestReceived(3, 12);
    metrics.requestReceived(77, 0);
    metrics.connectionOpened('client');
    metrics.connectionClosed('client', 'frame_too_large');
    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/plain/);
    const text = await res.text();
    expect(text).toContain('turnout_requests_total{api="Metadata",version="12"} 2');
    expect(text).toContain('turnout_requests_total{api="apiKey_77",version="0"} 1');
    expect(text).toContain('turnout_connection_closes_total{side="client",reason="frame_too_large"} 1');
    expect(text).toContain('turnout_active_connections{side="client"} 0');
  });

  it('answers /healthz always and /readyz only when ready', async () => {
    let ready = false;
    const { base } = await start(() => ready);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const notReady = await fetch(`${base}/readyz`);
    expect(notReady.status).toBe(503);
    expect(await notReady.json()).toEqual({ ready: false, reasons: ['topology of backend main not known yet'] });
    ready = true;
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
  });

  it('answers 404 for unknown paths and 405 for other methods', async () => {
    const { base } = await start(() => true);
    expect((await fetch(`${base}/nope`)).status).toBe(404);
    expect((await fetch(`${base}/metrics`, { method: 'POST' })).status).toBe(405);
  });
});
