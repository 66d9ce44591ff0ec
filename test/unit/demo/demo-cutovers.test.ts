import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { CutoverApi } from '../../../src/admin/cutover-client.js';
import { DemoCutoverSeries } from '../../../src/demo/demo-cutovers.js';

/** An admin endpoint that answers the cutover routes as `answer` says, and notes the POST bodies. */
async function adminEndpoint(answer: (req: { method: string; path: string; body: string }) => { status: number; body: unknown }): Promise<{ url: string; posted: unknown[]; close(): Promise<void> }> {
  const posted: unknown[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      if (req.method === 'POST' && req.url === '/v1/cutovers') posted.push(JSON.parse(body));
      const a = answer({ method: req.method ?? 'GET', path: req.url ?? '/', body });
      res.writeHead(a.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(a.body));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, posted, close: () => new Promise((r) => server.close(() => r())) };
}

let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
});

/** A cutover record as GET /v1/cutovers/{id} answers it, in `phase`. */
function record(id: string, from: string, to: string, phase: string, t0: number) {
  const phaseAtMs: Record<string, number> = { PLANNED: t0 };
  if (phase !== 'PLANNED') Object.assign(phaseAtMs, { PREPARED: t0 + 1_000, HOLDING: t0 + 1_010 });
  if (phase === 'SWITCHED') Object.assign(phaseAtMs, { DRAINED: t0 + 1_050, SWITCHED: t0 + 1_200 });
  if (phase === 'ROLLED_BACK') phaseAtMs.ROLLED_BACK = t0 + 1_100;
  return {
    cutover: {
      id,
      domain: 'orders',
      from,
      to,
      phase,
      phaseAtMs,
      timings: { holdMs: phase === 'SWITCHED' ? 190 : phase === 'ROLLED_BACK' ? 90 : null },
      switchPoints: phase === 'SWITCHED' ? [{ topic: 'orders.events', partition: 0, firstOffset: '120', sourceEnd: '120', targetEnd: '0', shift: '120' }] : null,
      generations: phase === 'SWITCHED' ? { 'orders.events': 1 } : null,
      rollbackReason: phase === 'ROLLED_BACK' ? 'a produce request to east failed during the drain' : null,
    },
  };
}

describe('DemoCutoverSeries', () => {
  it('moves the domain to the other backend and back, each cutover followed to SWITCHED with its hold and switch points', async () => {
    const t0 = Date.now();
    const started: Array<{ from: string; to: string }> = [];
    const endpoint = await adminEndpoint(({ method, path, body }) => {
      if (method === 'POST') {
        const to = (JSON.parse(body) as { to: string }).to;
        started.push({ from: to === 'west' ? 'east' : 'west', to });
        const c = started.at(-1) as { from: string; to: string };
        return { status: 202, body: record(`c${started.length}`, c.from, c.to, 'PLANNED', t0) };
      }
      const n = Number(path.slice('/v1/cutovers/c'.length));
      const c = started[n - 1] as { from: string; to: string };
      return { status: 200, body: record(`c${n}`, c.from, c.to, 'SWITCHED', t0) };
    });
    close = endpoint.close;
    const series = new DemoCutoverSeries(new CutoverApi(endpoint.url, { 'content-type': 'application/json' }), { domain: 'orders', from: 'east', to: 'west', drainTimeoutMs: 1_500 });
    expect(await series.next()).toBe(true);
    expect(await series.next()).toBe(true);
    expect(await series.next()).toBe(true);
    expect(endpoint.posted).toEqual([
      { domain: 'orders', to: 'west', drainTimeoutMs: 1_500 },
      { domain: 'orders', to: 'east', drainTimeoutMs: 1_500 },
      { domain: 'orders', to: 'west', drainTimeoutMs: 1_500 },
    ]);
    const report = series.report();
    expect(report.status).toBe('switched');
    expect(report.cutovers.map((c) => [c.number, c.from, c.to, c.phase, c.holdMs])).toEqual([
      [1, 'east', 'west', 'SWITCHED', 190],
      [2, 'west', 'east', 'SWITCHED', 190],
      [3, 'east', 'west', 'SWITCHED', 190],
    ]);
    const first = report.cutovers[0];
    expect(first?.holdWindow).toEqual({ fromMs: t0 + 1_010, toMs: t0 + 1_200 });
    expect(first?.phases.map((p) => p.phase)).toEqual(['PLANNED', 'PREPARED', 'HOLDING', 'DRAINED', 'SWITCHED']);
    expect(first?.switchPoints).toEqual([{ topic: 'orders.events', partition: 0, firstOffset: '120', shift: '120' }]);
    expect(first?.generations).toEqual({ 'orders.events': 1 });
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
  });

  it('notes once that the build has no cutover (an unknown POST answered 405) and asks no more', async () => {
    const endpoint = await adminEndpoint(() => ({ status: 405, body: 'method not allowed' }));
    close = endpoint.close;
    const series = new DemoCutoverSeries(new CutoverApi(endpoint.url, {}), { domain: 'orders', from: 'east', to: 'west' });
    expect(await series.next()).toBe(false);
    expect(series.canContinue).toBe(false);
    expect(await series.next()).toBe(false);
    expect(endpoint.posted).toHaveLength(1);
    expect(series.report()).toEqual({ domain: 'orders', status: 'unavailable', reason: 'this build of Turnout has no cutover: POST /v1/cutovers answered 405', cutovers: [] });
  });

  it('fails the series on a cutover that rolled back, with its reason, and starts no other', async () => {
    const t0 = Date.now();
    const endpoint = await adminEndpoint(({ method }) =>
      method === 'POST' ? { status: 202, body: record('c1', 'east', 'west', 'PLANNED', t0) } : { status: 200, body: record('c1', 'east', 'west', 'ROLLED_BACK', t0) },
    );
    close = endpoint.close;
    const series = new DemoCutoverSeries(new CutoverApi(endpoint.url, {}), { domain: 'orders', from: 'east', to: 'west' });
    expect(await series.next()).toBe(false);
    expect(await series.next()).toBe(false);
    const report = series.report();
    expect(report.status).toBe('failed');
    expect(report.reason).toBe('cutover 1 (east -> west) rolled back: a produce request to east failed during the drain');
    expect(report.cutovers.map((c) => [c.phase, c.holdMs, c.rollbackReason])).toEqual([['ROLLED_BACK', 90, 'a produce request to east failed during the drain']]);
    expect(endpoint.posted).toHaveLength(1);
  });

  it('fails the series on a cutover the API refuses', async () => {
    const endpoint = await adminEndpoint(() => ({ status: 409, body: { error: 'a cutover of orders is already in progress' } }));
    close = endpoint.close;
    const series = new DemoCutoverSeries(new CutoverApi(endpoint.url, {}), { domain: 'orders', from: 'east', to: 'west' });
    expect(await series.next()).toBe(false);
    expect(series.report()).toMatchObject({ status: 'failed', cutovers: [] });
    expect(series.report().reason).toContain('HTTP 409');
  });
});
