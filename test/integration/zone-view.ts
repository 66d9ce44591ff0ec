// GET /v1/zones of a running Turnout, for tests that check zones, fetches and fallbacks.
import { expect } from 'vitest';
import type { ZonesResponse } from '../../src/admin/zone-routes.js';
import type { ProxyHandle } from '../../src/proxy.js';

export async function zonesView(proxy: ProxyHandle): Promise<ZonesResponse> {
  const res = await fetch(`http://127.0.0.1:${proxy.adminPort}/v1/zones`);
  expect(res.status).toBe(200);
  return (await res.json()) as ZonesResponse;
}
