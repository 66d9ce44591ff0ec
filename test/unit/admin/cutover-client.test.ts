import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { CutoverApi, CutoverApiMissingError, cutoverFacts } from '../../../src/admin/cutover-client.js';

let server: http.Server | undefined;
afterEach(async () => {
  await new Promise<void>((r) => (server === undefined ? r() : server.close(() => r())));
  server = undefined;
});

async function answering(status: number, body: string): Promise<string> {
  server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(body);
    });
  });
  await new Promise<void>((r) => server?.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('CutoverApi', () => {
  it.each([404, 405])('takes an unknown POST /v1/cutovers (%i) for a build without the cutover', async (status) => {
    const api = new CutoverApi(await answering(status, 'not found'), {});
    await expect(api.start({ domain: 'orders' })).rejects.toBeInstanceOf(CutoverApiMissingError);
  });

  it("reads a domain's segment chains from GET /v1/cutovers?domain=", async () => {
    const chains = { 'orders.events': [[{ backend: 'east', firstOffset: '0', shift: '0', generation: 0 }, { backend: 'west', firstOffset: '12', shift: '12', generation: 1 }], null] };
    const api = new CutoverApi(await answering(200, JSON.stringify({ cutovers: [], segments: { backend: 'west', chains, groupsBackend: null, era: 1 } })), {});
    expect(await api.domainChains('orders')).toEqual(chains);
  });

  it('answers no chains when the answer lists none', async () => {
    const api = new CutoverApi(await answering(200, JSON.stringify({ cutovers: [], segments: null })), {});
    expect(await api.domainChains('orders')).toBeNull();
  });
});

describe('cutoverFacts', () => {
  it("reads from, to, phase times, the hold, switch points and generations of Turnout's answer", () => {
    const facts = cutoverFacts({
      id: 'c1',
      phase: 'SWITCHED',
      from: 'east',
      to: 'west',
      phaseAtMs: { PLANNED: 100, PREPARED: 1_100, HOLDING: 1_110, DRAINED: 1_150, SWITCHED: 1_300, BOGUS: 7 },
      switchPoints: [{ topic: 'orders.events', partition: 2, firstOffset: '9007199254740993', sourceEnd: '9007199254740993', targetEnd: '0', shift: '9007199254740993' }, { topic: 'x' }],
      generations: { 'orders.events': 1 },
      rollbackReason: null,
    });
    expect(facts).toEqual({
      from: 'east',
      to: 'west',
      phaseAtMs: { PLANNED: 100, PREPARED: 1_100, HOLDING: 1_110, DRAINED: 1_150, SWITCHED: 1_300 },
      holdMs: 190,
      switchPoints: [{ topic: 'orders.events', partition: 2, firstOffset: 9007199254740993n, shift: 9007199254740993n }],
      generations: { 'orders.events': 1 },
      rollbackReason: null,
    });
  });

  it("prefers Turnout's own hold figure, and reads what is absent as null or empty", () => {
    expect(cutoverFacts({ id: 'c2', phase: 'ROLLED_BACK', timings: { holdMs: 42 }, rollbackReason: 'aborted' })).toEqual({
      from: null,
      to: null,
      phaseAtMs: {},
      holdMs: 42,
      switchPoints: [],
      generations: {},
      rollbackReason: 'aborted',
    });
  });
});
