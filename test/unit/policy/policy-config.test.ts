import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfigFile, parseConfig, type TurnoutConfigInput } from '../../../src/policy/config.js';
import { parsePolicyDocument } from '../../../src/policy/policy-schema.js';
import { PolicySnapshot, policyDocumentOf } from '../../../src/policy/policy-snapshot.js';

const base = {
  virtualCluster: { clusterId: 'turnout-test' },
  listeners: [{ bootstrapPort: 9192, nodePortBase: 9193 }],
};
const east = { name: 'east', bootstrapServers: ['east-1:9092'] };
const west = { name: 'west', bootstrapServers: ['west-1:9092'] };

function twoBackends(domains: unknown[], extra: Record<string, unknown> = {}): unknown {
  return { ...base, backends: [east, west], domains, ...extra };
}

function issuesOf(input: unknown, severalBackends = true): Array<{ path: string; reason: string }> {
  try {
    parseConfig(input, 'test.yaml', { severalBackends });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).issues;
  }
  throw new Error('expected a ConfigError');
}

const orders = { name: 'orders', owner: 'team-orders', topics: ['orders.*'], groups: ['orders-*'], backend: 'east' };
const payments = { name: 'payments', owner: 'team-payments', topics: ['payments.*'], backend: 'west', migrationTarget: 'east' };

describe('policy configuration', () => {
  it('accepts several backends with domains, filling in defaults', () => {
    const c = parseConfig(twoBackends([orders, payments], { defaultDomain: 'orders' }), 'test.yaml', { severalBackends: true });
    expect(c.backends[0].rackZones).toEqual({});
    expect(c.domains[0].transactionalIds).toEqual([]);
    expect(c.domains[1].migrationTarget).toBe('east');
    expect(c.defaultDomain).toBe('orders');
    expect(c.store).toEqual({ type: 'file', watchFile: true, reloadDebounceMs: 200 });
  });

  it('still refuses a second backend where the proxy parses (one backend until routing lands)', () => {
    const issues = issuesOf(twoBackends([orders, payments]), false);
    expect(issues).toEqual([{ path: 'backends', reason: 'exactly one backend is supported for now' }]);
  });

  it('re-parses its own output unchanged, as startProxy does', () => {
    const c = parseConfig(twoBackends([orders, payments]), 'x', { severalBackends: true });
    expect(parseConfig(c, 'x', { severalBackends: true })).toEqual(c);
  });

  it('keeps configurations without domains valid: one implicit domain owns every name', () => {
    const c = parseConfig({ ...base, backends: [east] });
    const s = new PolicySnapshot(policyDocumentOf(c), 1, new Map());
    expect([...s.domains.keys()]).toEqual(['default']);
    const res = s.resolve('topic', 'anything');
    expect(res.ok && res.domain.backend).toBe('east');
    expect(res.ok && res.domain.implicit).toBe(true);
  });

  it('validates rack zones and the credentials placeholder', () => {
    const c = parseConfig(
      {
        ...base,
        backends: [
          {
            ...east,
            rackZones: { 'rack-1': 'eu-west-1a', 'rack-2': 'eu-west-1b' },
            credentials: { sasl: { mechanism: 'SCRAM-SHA-512', username: 'turnout', passwordEnv: 'EAST_PASSWORD' } },
          },
        ],
      },
      'x',
    );
    expect(c.backends[0].rackZones['rack-2']).toBe('eu-west-1b');
    const bad = issuesOf({
      ...base,
      backends: [{ ...east, rackZones: { r1: '' }, credentials: { sasl: { mechanism: 'GSSAPI', username: 'u', passwordEnv: 'not-a-var', password: 'x' } } }],
    });
    expect(bad.map((i) => i.path).sort()).toEqual([
      'backends[0].credentials.sasl',
      'backends[0].credentials.sasl.mechanism',
      'backends[0].credentials.sasl.passwordEnv',
      'backends[0].rackZones.r1',
    ]);
    expect(bad.find((i) => i.path === 'backends[0].credentials.sasl')?.reason).toMatch(/password/);
  });

  it('names both domains, both patterns and a common name when topic patterns overlap', () => {
    const issues = issuesOf(twoBackends([orders, { ...payments, topics: ['payments.*', '*.created'] }]));
    expect(issues).toEqual([
      {
        path: 'domains[1].topics[1]',
        reason:
          'topic pattern "*.created" of domain "payments" overlaps topic pattern "orders.*" of domain "orders" ' +
          '(domains[0].topics[0]): both match "orders.created"',
      },
    ]);
  });

  it('checks groups and transactional ids separately from topics', () => {
    const ok = twoBackends([
      { ...orders, groups: ['shared'] },
      { ...payments, topics: ['shared'], transactionalIds: ['shared'] },
    ]);
    expect(() => parseConfig(ok, 'x', { severalBackends: true })).not.toThrow();
    const issues = issuesOf(
      twoBackends([
        { ...orders, transactionalIds: [{ prefix: 'tx-' }] },
        { ...payments, transactionalIds: ['tx-?'] },
      ]),
    );
    expect(issues).toHaveLength(1);
    expect(issues[0].path).toBe('domains[1].transactionalIds[0]');
    expect(issues[0].reason).toMatch(/transactional id pattern "tx-\?" of domain "payments" overlaps transactional id pattern \{prefix: "tx-"\} of domain "orders".*both match "tx-x"/);
  });

  it('reports every overlapping pair, literal against literal too', () => {
    const issues = issuesOf(
      twoBackends([
        { ...orders, topics: ['a', 'b.*'] },
        { ...payments, topics: ['a', 'b.c'] },
      ]),
    );
    expect(issues.map((i) => i.path)).toEqual(['domains[1].topics[0]', 'domains[1].topics[1]']);
  });

  it('refuses references to backends and domains that do not exist', () => {
    const issues = issuesOf(
      twoBackends([{ ...orders, backend: 'north' }, { ...payments, migrationTarget: 'south' }], { defaultDomain: 'nope' }),
    );
    expect(issues).toEqual([
      { path: 'domains[0].backend', reason: 'names no configured backend: "north" (configured: east, west)' },
      { path: 'domains[1].migrationTarget', reason: 'names no configured backend: "south" (configured: east, west)' },
      { path: 'defaultDomain', reason: 'names no configured domain: "nope"' },
    ]);
  });

  it('refuses a migration target equal to the backend, and duplicate names', () => {
    const issues = issuesOf({
      ...base,
      backends: [east, west, east],
      domains: [{ ...payments, migrationTarget: 'west' }, orders, { ...orders, topics: [], groups: [] }],
    });
    expect(issues.map((i) => `${i.path}: ${i.reason}`)).toEqual([
      'backends[2].name: backend name "east" is used twice',
      'domains[0].migrationTarget: must differ from the domain\'s backend ("west")',
      'domains[2].name: domain name "orders" is used twice',
    ]);
  });

  it('asks for domains when there are several backends', () => {
    expect(issuesOf({ ...base, backends: [east, west] })).toEqual([
      { path: 'domains', reason: 'with several backends, declare the domains that say which backend each name lives on' },
    ]);
  });

  it('explains pattern syntax errors where they are', () => {
    const issues = issuesOf(twoBackends([{ ...orders, topics: ['orders/created', { prefx: 'a' }, 42] }]));
    expect(issues.map((i) => i.path)).toEqual(['domains[0].topics[0]', 'domains[0].topics[1]', 'domains[0].topics[2]']);
    expect(issues[0].reason).toMatch(/letters, digits/);
    expect(issues[1].reason).toMatch(/\{prefix: \.\.\.\}/);
  });

  it('requires an owner and a backend for each domain, and no unknown fields', () => {
    const issues = issuesOf(twoBackends([{ name: 'x', topics: ['x'], backends: 'east' }]));
    expect(issues.map((i) => i.path).sort()).toEqual(['domains[0]', 'domains[0].backend', 'domains[0].owner']);
  });

  it('validates the store section', () => {
    expect(issuesOf({ ...base, backends: [east], store: { type: 'redis' } })).toEqual([
      { path: 'store.redis', reason: 'required when store.type is redis' },
    ]);
    expect(issuesOf({ ...base, backends: [east], store: { type: 'redis', redis: { url: 'localhost:6379' } } })[0].path).toBe('store.redis.url');
    const c = parseConfig({ ...base, backends: [east], store: { type: 'redis', redis: { url: 'redis://r:6379/2' } } } as TurnoutConfigInput);
    expect(c.store.redis).toEqual({ url: 'redis://r:6379/2', pollIntervalMs: 1000, connectTimeoutMs: 5000 });
  });

  it('validates a policy document read from a store with the same checks', () => {
    expect(() => parsePolicyDocument({ backends: [east], domains: [{ ...orders, backend: 'west' }] }, 'redis key p')).toThrow(
      /redis key p: domains\[0\]\.backend: names no configured backend/,
    );
    expect(() => parsePolicyDocument({ backends: [east], listeners: [] }, 'redis key p')).toThrow(/listeners/);
    expect(parsePolicyDocument({ backends: [east], domains: [orders] }, 'p').domains[0].name).toBe('orders');
  });

  it('accepts the shipped multi-backend example, which resolves as documented', async () => {
    const c = await loadConfigFile('config/multi-backend.example.yaml', { severalBackends: true });
    expect(c.backends.length).toBeGreaterThanOrEqual(2);
    const s = new PolicySnapshot(policyDocumentOf(c), 1, new Map());
    const where = (kind: 'topic' | 'group' | 'transactionalId', name: string): string => {
      const res = s.resolve(kind, name);
      return res.ok ? `${res.domain.name}@${res.domain.backend}` : res.errorName;
    };
    // As the file's header says.
    expect(where('topic', 'orders.created')).toBe('orders@east');
    expect(where('topic', 'checkout-events')).toBe('orders@east');
    expect(where('group', 'orders-billing')).toBe('orders@east');
    expect(where('transactionalId', 'orders-tx-1')).toBe('orders@east');
    expect(where('topic', 'payments.refunds')).toBe('payments@west');
    expect(where('group', 'payments-ledger')).toBe('payments@west');
    expect(where('topic', 'audit.logins')).toBe('audit@west');
    expect(where('group', 'audit-eu-consumers')).toBe('audit@west');
    expect(where('topic', 'inventory.items')).toBe('legacy@east');
    expect(s.domains.get('orders')?.migrationTarget).toBe('west');
  });
});

describe('policy snapshot', () => {
  const c = parseConfig(twoBackends([orders, payments], { defaultDomain: 'orders' }), 'x', { severalBackends: true });
  const doc = policyDocumentOf(c);

  it('applies backends moved through the store, ignoring unknown domains and backends', () => {
    const s = new PolicySnapshot(doc, 3, new Map([['orders', 'west'], ['nope', 'west'], ['payments', 'north']]));
    expect(s.domains.get('orders')).toMatchObject({ backend: 'west', configuredBackend: 'east' });
    expect(s.domains.get('payments')).toMatchObject({ backend: 'west', migrationTarget: 'east' });
    expect([...s.backendOverrides]).toEqual([['orders', 'west']]);
    const res = s.resolve('topic', 'orders.created');
    expect(res.ok && res.domain.backend).toBe('west');
  });

  it('compares policies by content', () => {
    const a = new PolicySnapshot(doc, 1, new Map());
    expect(new PolicySnapshot(structuredClone(doc), 2, new Map()).samePolicyAs(a)).toBe(true);
    expect(new PolicySnapshot(doc, 2, new Map([['orders', 'west']])).samePolicyAs(a)).toBe(false);
    expect(new PolicySnapshot(doc, 2, new Map([['orders', 'east']])).samePolicyAs(a)).toBe(true);
  });
});
