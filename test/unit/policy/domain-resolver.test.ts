import { describe, expect, it } from 'vitest';
import { DomainResolver, REFUSAL_ERRORS, type ResolvableDomain } from '../../../src/policy/domain-resolver.js';
import { parsePattern, type PatternInput } from '../../../src/policy/name-pattern.js';

function domain(
  name: string,
  topics: PatternInput[],
  groups: PatternInput[] = [],
  transactionalIds: PatternInput[] = [],
): ResolvableDomain {
  return {
    name,
    topics: topics.map(parsePattern),
    groups: groups.map(parsePattern),
    transactionalIds: transactionalIds.map(parsePattern),
  };
}

const orders = domain('orders', ['orders.*', 'checkout'], ['orders-*'], ['orders-tx-*']);
const payments = domain('payments', ['payments.*', 'orders_payments'], [{ literal: 'pay*ments' }], ['pay-??']);
const audit = domain('audit', ['*.audit.v?', 'audit'], ['audit-*-consumers']);
const legacy = domain('legacy', []);

function domainOf(r: DomainResolver, kind: 'topic' | 'group' | 'transactionalId', name: string): string {
  const res = r.resolve(kind, name);
  return res.ok ? `${res.domain.name}${res.viaDefault ? ' (default)' : ''}` : `refused ${res.errorName}`;
}

describe('domain resolver', () => {
  const r = new DomainResolver([orders, payments, audit, legacy], null);

  it('resolves topics by literal, prefix and glob', () => {
    expect(domainOf(r, 'topic', 'checkout')).toBe('orders');
    expect(domainOf(r, 'topic', 'orders.created')).toBe('orders');
    expect(domainOf(r, 'topic', 'orders.')).toBe('orders');
    expect(domainOf(r, 'topic', 'orders_payments')).toBe('payments');
    expect(domainOf(r, 'topic', 'payments.refunds')).toBe('payments');
    expect(domainOf(r, 'topic', 'x.audit.v1')).toBe('audit');
    expect(domainOf(r, 'topic', 'audit')).toBe('audit');
  });

  it('resolves groups and transactional ids by their own patterns', () => {
    expect(domainOf(r, 'group', 'orders-billing')).toBe('orders');
    expect(domainOf(r, 'group', 'pay*ments')).toBe('payments');
    expect(domainOf(r, 'group', 'payXments')).toBe('refused GROUP_AUTHORIZATION_FAILED');
    expect(domainOf(r, 'group', 'audit-eu-consumers')).toBe('audit');
    expect(domainOf(r, 'transactionalId', 'orders-tx-7')).toBe('orders');
    expect(domainOf(r, 'transactionalId', 'pay-01')).toBe('payments');
    expect(domainOf(r, 'transactionalId', 'pay-001')).toBe('refused TRANSACTIONAL_ID_AUTHORIZATION_FAILED');
    // A topic pattern says nothing about groups of the same name.
    expect(domainOf(r, 'group', 'checkout')).toBe('refused GROUP_AUTHORIZATION_FAILED');
  });

  it('refuses an unmatched name with the Kafka error for its kind and a reason', () => {
    const res = r.resolve('topic', 'inventory.items');
    expect(res).toEqual({
      ok: false,
      kind: 'topic',
      name: 'inventory.items',
      errorCode: 29,
      errorName: 'TOPIC_AUTHORIZATION_FAILED',
      reason: 'topic "inventory.items" belongs to no domain and no defaultDomain is configured',
    });
    expect(REFUSAL_ERRORS.group.code).toBe(30);
    expect(REFUSAL_ERRORS.transactionalId.code).toBe(53);
  });

  it('gives unmatched names to the default domain when there is one', () => {
    const withDefault = new DomainResolver([orders, legacy], legacy);
    expect(domainOf(withDefault, 'topic', 'inventory.items')).toBe('legacy (default)');
    expect(domainOf(withDefault, 'group', 'anything')).toBe('legacy (default)');
    expect(domainOf(withDefault, 'topic', 'orders.x')).toBe('orders');
  });

  it('answers the same object for the same name, from the cache, within its bound', () => {
    const small = new DomainResolver([orders, audit], null, { cacheSize: 2 });
    const first = small.resolve('topic', 'orders.a');
    expect(small.resolve('topic', 'orders.a')).toBe(first);
    for (let i = 0; i < 10; i++) small.resolve('topic', `x${i}.audit.v1`);
    expect(domainOf(small, 'topic', 'orders.a')).toBe('orders');
    expect(domainOf(small, 'topic', 'nothing')).toBe('refused TOPIC_AUTHORIZATION_FAILED');
  });

  it('lets patterns of one domain overlap each other', () => {
    const d = domain('d', ['a.*', 'a.b.*', 'a.b.c', 'a.?.c']);
    const res = new DomainResolver([d], null);
    for (const name of ['a.x', 'a.b.y', 'a.b.c', 'a.z.c']) expect(domainOf(res, 'topic', name)).toBe('d');
  });

  it('matches a catch-all prefix', () => {
    const all = new DomainResolver([domain('all', ['*'], ['*'])], null);
    expect(domainOf(all, 'topic', 'x')).toBe('all');
    expect(domainOf(all, 'group', '')).toBe('all');
  });

  it('resolves every name among many domains to the domain whose pattern it matches', () => {
    const many: ResolvableDomain[] = [];
    for (let i = 0; i < 200; i++) many.push(domain(`d${i}`, [`svc${i}.*`, `svc${i}-events`, `*.svc${i}.audit`]));
    const big = new DomainResolver(many, null);
    for (let i = 0; i < 1000; i++) {
      const d = i % 200;
      expect(domainOf(big, 'topic', `svc${d}.topic${i}`)).toBe(`d${d}`);
      expect(domainOf(big, 'topic', `team${i}.svc${d}.audit`)).toBe(`d${d}`);
    }
    expect(domainOf(big, 'topic', 'svc7-events')).toBe('d7');
    // svc1.* must not take svc10's names, nor svc1-events svc10-events.
    expect(domainOf(big, 'topic', 'svc10.x')).toBe('d10');
    expect(domainOf(big, 'topic', 'svc10-events')).toBe('d10');
    expect(domainOf(big, 'topic', 'svc200.x')).toMatch(/^refused /);
  });
});
