import { describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { userPrincipal } from '../../../src/auth/principal.js';
import { createLogger } from '../../../src/observability/logger.js';
import { AuthzMetrics } from '../../../src/observability/authz-metrics.js';
import { AclAuthorizer } from '../../../src/policy/acl-authorizer.js';
import { DenialAudit } from '../../../src/policy/acl-audit.js';
import { acl, ask, TestBindings } from './acl-fixtures.js';

function capture() {
  const lines: Array<Record<string, unknown>> = [];
  const log = createLogger({ level: 'debug', destination: { write: (s: string) => void lines.push(JSON.parse(s)) } });
  return { log, lines };
}

const readOrders = acl('TOPIC', 'orders.', 'PREFIXED', 'User:alice', 'READ', 'ALLOW');

describe('AclAuthorizer', () => {
  it('applies a change of the bindings to the next decision, cached or not', () => {
    const bindings = new TestBindings([readOrders]);
    const a = new AclAuthorizer({ settings: { superUsers: new Set(), allowEveryoneIfNoAclFound: false }, bindings, cacheSize: 100 });
    expect(a.authorize(ask('alice', 'READ', 'TOPIC', 'orders.created')).allowed).toBe(true);
    expect(a.authorize(ask('alice', 'READ', 'TOPIC', 'orders.created')).allowed).toBe(true);
    expect(a.cachedDecisions).toBe(1);
    const deny = acl('TOPIC', 'orders.created', 'LITERAL', 'User:alice', 'READ', 'DENY');
    bindings.add(deny);
    expect(a.cachedDecisions).toBe(0);
    expect(a.authorize(ask('alice', 'READ', 'TOPIC', 'orders.created'))).toEqual({ allowed: false, reason: { kind: 'acl', binding: deny } });
    bindings.remove(deny);
    expect(a.authorize(ask('alice', 'READ', 'TOPIC', 'orders.created')).allowed).toBe(true);
  });

  it('keeps decisions apart per principal, host, operation and resource', () => {
    const bindings = new TestBindings([readOrders, acl('TOPIC', 'orders.', 'PREFIXED', 'User:alice', 'READ', 'DENY', '10.0.0.9')]);
    const a = new AclAuthorizer({ settings: { superUsers: new Set(), allowEveryoneIfNoAclFound: false }, bindings, cacheSize: 100 });
    const q = (user: string, op: 'READ' | 'WRITE', name: string, host: string) => a.authorize(ask(user, op, 'TOPIC', name, host)).allowed;
    for (let round = 0; round < 2; round++) {
      expect(q('alice', 'READ', 'orders.a', '10.0.0.1')).toBe(true);
      expect(q('alice', 'READ', 'orders.a', '10.0.0.9')).toBe(false);
      expect(q('alice', 'WRITE', 'orders.a', '10.0.0.1')).toBe(false);
      expect(q('bob', 'READ', 'orders.a', '10.0.0.1')).toBe(false);
      expect(q('alice', 'READ', 'payments.a', '10.0.0.1')).toBe(false);
    }
    expect(a.cachedDecisions).toBe(5);
  });

  it('keeps the cache within its size, and does not cache very long names', () => {
    const a = new AclAuthorizer({ settings: { superUsers: new Set(), allowEveryoneIfNoAclFound: false }, bindings: new TestBindings([readOrders]), cacheSize: 10 });
    for (let i = 0; i < 100; i++) {
      a.authorize(ask('alice', 'READ', 'TOPIC', `orders.${i}`));
      expect(a.cachedDecisions).toBeGreaterThan(0);
      expect(a.cachedDecisions).toBeLessThanOrEqual(10);
    }
    a.invalidate();
    expect(a.authorize(ask('alice', 'READ', 'GROUP', 'g'.repeat(32_000))).allowed).toBe(false);
    expect(a.cachedDecisions).toBe(0);
  });

  it('allows only super users until the bindings are loaded, then decides on them', () => {
    const bindings = new TestBindings([readOrders]);
    bindings.loaded = false;
    const a = new AclAuthorizer({ settings: { superUsers: new Set(['User:admin']), allowEveryoneIfNoAclFound: true }, bindings, cacheSize: 100 });
    expect(a.authorize(ask('alice', 'READ', 'TOPIC', 'orders.x'))).toEqual({ allowed: false, reason: { kind: 'acls-not-loaded' } });
    expect(a.authorize(ask('admin', 'READ', 'TOPIC', 'orders.x')).allowed).toBe(true);
    expect(a.authorizeAny(userPrincipal('alice'), '10.0.0.1', 'READ', 'TOPIC')).toBe(false);
    bindings.loaded = true;
    bindings.notify();
    expect(a.authorize(ask('alice', 'READ', 'TOPIC', 'orders.x')).allowed).toBe(true);
  });

  it('counts every decision by result, resource type and operation', async () => {
    const registry = new Registry();
    const a = new AclAuthorizer({
      settings: { superUsers: new Set(), allowEveryoneIfNoAclFound: false },
      bindings: new TestBindings([readOrders]),
      cacheSize: 100,
      metrics: new AuthzMetrics(registry),
    });
    a.authorize(ask('alice', 'READ', 'TOPIC', 'orders.a'));
    a.authorize(ask('alice', 'READ', 'TOPIC', 'orders.a'));
    a.authorize(ask('alice', 'WRITE', 'TOPIC', 'orders.a'));
    a.authorize(ask('alice', 'READ', 'GROUP', 'g'));
    const text = await registry.metrics();
    expect(text).toContain('turnout_authz_decisions_total{result="allow",resource_type="topic",operation="read"} 2');
    expect(text).toContain('turnout_authz_decisions_total{result="deny",resource_type="topic",operation="write"} 1');
    expect(text).toContain('turnout_authz_decisions_total{result="deny",resource_type="group",operation="read"} 1');
    // A second scrape adds only what was decided since the first.
    a.authorize(ask('alice', 'READ', 'TOPIC', 'orders.b'));
    const again = await registry.metrics();
    expect(again).toContain('turnout_authz_decisions_total{result="allow",resource_type="topic",operation="read"} 3');
    expect(again).toContain('turnout_authz_decisions_total{result="deny",resource_type="topic",operation="write"} 1');
  });

  it('logs each denial once per (principal, resource, operation) and interval, with the rule', () => {
    const { log, lines } = capture();
    let now = 1_000;
    const deny = acl('TOPIC', 'orders.secret', 'LITERAL', 'User:alice', 'READ', 'DENY');
    const a = new AclAuthorizer({
      settings: { superUsers: new Set(), allowEveryoneIfNoAclFound: false },
      bindings: new TestBindings([readOrders, deny]),
      cacheSize: 100,
      audit: new DenialAudit({ log, intervalMs: 60_000, now: () => now }),
    });
    for (let i = 0; i < 50; i++) a.authorize(ask('alice', 'READ', 'TOPIC', 'orders.secret', `10.0.0.${1 + (i % 3)}`));
    a.authorize(ask('alice', 'WRITE', 'TOPIC', 'orders.secret'));
    a.authorize(ask('alice', 'READ', 'TOPIC', 'orders.public'));
    a.authorize({ ...ask('alice', 'DESCRIBE', 'TOPIC', 'payments.x'), audit: false });
    const denials = () => lines.filter((l) => l.msg === 'authorization denied');
    expect(denials().map((l) => [l.principal, l.operation, l.resourceName, l.rule])).toEqual([
      ['User:alice', 'READ', 'orders.secret', 'DENY User:alice READ on TOPIC LITERAL "orders.secret" from *'],
      ['User:alice', 'WRITE', 'orders.secret', 'no ALLOW applies (default: deny)'],
    ]);
    now += 60_000;
    a.authorize(ask('alice', 'READ', 'TOPIC', 'orders.secret'));
    expect(denials()).toHaveLength(3);
  });

  it('remembers a bounded number of distinct denials per interval and reports the rest as a count', () => {
    const { log, lines } = capture();
    let now = 0;
    const audit = new DenialAudit({ log, intervalMs: 1_000, maxEntries: 5, now: () => now });
    const a = new AclAuthorizer({ settings: { superUsers: new Set(), allowEveryoneIfNoAclFound: false }, bindings: new TestBindings(), cacheSize: 0, audit });
    for (let i = 0; i < 1_000; i++) a.authorize(ask('mallory', 'READ', 'TOPIC', `t${i}`));
    expect(lines.filter((l) => l.msg === 'authorization denied')).toHaveLength(5);
    now = 1_000;
    a.authorize(ask('mallory', 'READ', 'TOPIC', 't0'));
    const summary = lines.find((l) => typeof l.unlogged === 'number');
    expect(summary).toMatchObject({ unlogged: 995, distinctLogged: 5 });
    expect(lines.filter((l) => l.msg === 'authorization denied')).toHaveLength(6);
  });
});
