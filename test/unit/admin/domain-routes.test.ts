import { afterEach, describe, expect, it } from 'vitest';
import type { DomainInsights } from '../../../src/admin/domain-routes.js';
import { AUTH_HEADER, FakePolicyStore, startAdmin, type RunningAdmin } from './domain-fixtures.js';

let admin: RunningAdmin | undefined;
afterEach(async () => {
  await admin?.server.close();
  admin = undefined;
});

async function put(base: string, path: string, body: string): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${base}${path}`, { method: 'PUT', headers: { 'content-type': 'application/json', ...AUTH_HEADER }, body });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

describe('admin domain API', () => {
  it('lists every domain with owner, backends, migration target and patterns as written', async () => {
    admin = await startAdmin(new FakePolicyStore());
    const res = await fetch(`${admin.base}/v1/domains`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    const body = (await res.json()) as { version: number; defaultDomain: string; domains: Array<Record<string, unknown>> };
    expect(body.version).toBe(1);
    expect(body.defaultDomain).toBe('legacy');
    expect(body.domains.map((d) => d.name)).toEqual(['orders', 'payments', 'legacy']);
    expect(body.domains[0]).toEqual({
      name: 'orders',
      owner: 'team-orders',
      backend: 'east',
      configuredBackend: 'east',
      migrationTarget: 'west',
      isDefault: false,
      implicit: false,
      patterns: { topics: ['orders.*', 'checkout'], groups: ['orders-*'], transactionalIds: ['orders-tx-*'] },
    });
    expect(body.domains[1].patterns).toEqual({ topics: [{ prefix: 'payments.' }], groups: [], transactionalIds: [] });
    expect(body.domains[2].isDefault).toBe(true);
  });

  it('shows one domain; topics, groups and traffic are null until routing supplies them', async () => {
    admin = await startAdmin(new FakePolicyStore());
    const body = (await (await fetch(`${admin.base}/v1/domains/orders`)).json()) as { domain: Record<string, unknown> };
    expect(body.domain).toMatchObject({ name: 'orders', backend: 'east', topics: null, groups: null, traffic: null });
  });

  it('shows the known topics and groups that resolve to the domain, and its traffic', async () => {
    const insights: DomainInsights = {
      knownTopics: () => ['orders.created', 'payments.refunds', 'checkout', 'inventory', 'orders.audit'],
      knownGroups: async () => ['orders-billing', 'payments-ledger'],
      traffic: (d) => (d === 'orders' ? { produceBytes: 1024, fetchRequests: 3 } : undefined),
    };
    admin = await startAdmin(new FakePolicyStore(), insights);
    const orders = (await (await fetch(`${admin.base}/v1/domains/orders`)).json()) as { domain: Record<string, unknown> };
    expect(orders.domain).toMatchObject({
      topics: ['checkout', 'orders.audit', 'orders.created'],
      groups: ['orders-billing'],
      traffic: { produceBytes: 1024, fetchRequests: 3 },
    });
    // The default domain gets the names no pattern matches.
    const legacy = (await (await fetch(`${admin.base}/v1/domains/legacy`)).json()) as { domain: Record<string, unknown> };
    expect(legacy.domain).toMatchObject({ topics: ['inventory'], groups: ['payments-ledger'], traffic: null });
  });

  it('answers 404 for an unknown domain and for paths below a domain', async () => {
    admin = await startAdmin(new FakePolicyStore());
    const res = await fetch(`${admin.base}/v1/domains/nope`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: 'unknown domain "nope"' });
    expect((await fetch(`${admin.base}/v1/domains/orders/topics`)).status).toBe(404);
    expect((await put(admin.base, '/v1/domains/nope', '{"backend":"west"}')).status).toBe(404);
  });

  it('moves a domain to another backend through the store', async () => {
    const store = new FakePolicyStore();
    admin = await startAdmin(store);
    const res = await put(admin.base, '/v1/domains/orders', '{"backend":"west"}');
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ version: 2, previousBackend: 'east', domain: { name: 'orders', backend: 'west', configuredBackend: 'east' } });
    const r = store.current().resolve('topic', 'orders.created');
    expect(r.ok && r.domain.backend).toBe('west');
    const list = (await (await fetch(`${admin.base}/v1/domains`)).json()) as { version: number };
    expect(list.version).toBe(2);
  });

  it('answers 400 with a clear message for bad bodies and unknown backends', async () => {
    admin = await startAdmin(new FakePolicyStore());
    const cases: Array<[string, RegExp]> = [
      ['west', /body is not JSON: expected a JSON body \{"backend": "<backend name>"\}/],
      ['', /body is not JSON/],
      ['["west"]', /expected a JSON body/],
      ['{}', /"backend" must be a non-empty string/],
      ['{"backend": 7}', /"backend" must be a non-empty string/],
      ['{"backend": "west", "force": true}', /unknown field "force"/],
      ['{"backend": "north"}', /^unknown backend "north" \(configured: east, west\)$/],
    ];
    for (const [body, message] of cases) {
      const res = await put(admin.base, '/v1/domains/orders', body);
      expect(res.status, body).toBe(400);
      expect(res.json.error, body).toMatch(message);
    }
  });

  it('answers 503 when the store cannot be written', async () => {
    const store = new FakePolicyStore();
    store.unavailable = true;
    admin = await startAdmin(store);
    const res = await put(admin.base, '/v1/domains/orders', '{"backend":"west"}');
    expect(res.status).toBe(503);
    expect(res.json.error).toBe('redis is not reachable');
  });

  it('answers 405 with the allowed methods, and 413 for a huge body', async () => {
    admin = await startAdmin(new FakePolicyStore());
    const post = await fetch(`${admin.base}/v1/domains/orders`, { method: 'POST', body: '{}', headers: AUTH_HEADER });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD, PUT');
    const putList = await fetch(`${admin.base}/v1/domains`, { method: 'PUT', body: '{}', headers: AUTH_HEADER });
    expect(putList.status).toBe(405);
    expect(putList.headers.get('allow')).toBe('GET, HEAD');
    const huge = await put(admin.base, '/v1/domains/orders', JSON.stringify({ backend: 'x'.repeat(100_000) }));
    expect(huge.status).toBe(413);
  });

  it("adds the store's health to /readyz", async () => {
    const store = new FakePolicyStore();
    admin = await startAdmin(store);
    const ok = await fetch(`${admin.base}/readyz`);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({
      ready: true,
      reasons: [],
      policyStore: { kind: 'redis', ready: true, lastError: null, version: 1 },
    });
    store.ready = false;
    store.lastError = 'redis: connect ECONNREFUSED 127.0.0.1:6390';
    const down = await fetch(`${admin.base}/readyz`);
    expect(down.status).toBe(503);
    expect(((await down.json()) as { reasons: string[] }).reasons).toEqual([
      'policy store (redis) not ready: redis: connect ECONNREFUSED 127.0.0.1:6390',
    ]);
  });

  it('keeps the proxy reasons and the other endpoints', async () => {
    admin = await startAdmin(new FakePolicyStore(), undefined, false);
    const res = await fetch(`${admin.base}/readyz`);
    expect(res.status).toBe(503);
    expect(((await res.json()) as { reasons: string[] }).reasons).toEqual(['listeners not bound']);
    expect((await fetch(`${admin.base}/metrics`)).status).toBe(200);
    expect((await fetch(`${admin.base}/healthz`)).status).toBe(200);
    expect((await fetch(`${admin.base}/metrics`, { method: 'PUT' })).status).toBe(405);
  });
});
