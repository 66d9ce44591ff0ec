import { describe, expect, it } from 'vitest';
import { userPrincipal } from '../../../src/auth/principal.js';
import { AclAuthorizer } from '../../../src/policy/acl-authorizer.js';
import type { AclOperation, ResourceType } from '../../../src/policy/acl-model.js';
import { domainGrantRules, domainGrants, type GrantingDomain } from '../../../src/policy/domain-access.js';
import { acl, ask, TestBindings } from './acl-fixtures.js';

const orders: GrantingDomain = {
  name: 'orders',
  topics: ['orders.*', 'orders-legacy', '*.orders-audit'],
  groups: ['orders-*'],
  transactionalIds: ['orders-tx-*'],
  access: { owners: ['User:orders-admin'], producers: ['User:orders-svc'], consumers: ['User:billing'] },
};
const payments: GrantingDomain = { name: 'payments', topics: ['payments.*'], groups: [], transactionalIds: [] };

function authorizerWith(domains: GrantingDomain[], bindings = new TestBindings(), allowEveryoneIfNoAclFound = false): AclAuthorizer {
  return new AclAuthorizer({
    settings: { superUsers: new Set(), allowEveryoneIfNoAclFound },
    bindings,
    domainRules: () => domainGrantRules(domains),
    cacheSize: 100,
  });
}

function allowed(a: AclAuthorizer, user: string, op: AclOperation, type: ResourceType, name: string): boolean {
  return a.authorize(ask(user, op, type, name)).allowed;
}

describe('domain access', () => {
  it('expands each role into ALLOW entries over the domain\'s patterns, as documented', () => {
    const grants = domainGrants([orders]);
    const of = (principal: string) =>
      grants
        .filter((g) => g.principal === principal)
        .map((g) => `${g.resourceType} ${g.patternKind} ${g.pattern} ${g.operation}`)
        .sort();
    expect(of('User:orders-svc')).toEqual(
      [
        'TOPIC prefix "orders.*" WRITE',
        'TOPIC prefix "orders.*" DESCRIBE',
        'TOPIC literal "orders-legacy" WRITE',
        'TOPIC literal "orders-legacy" DESCRIBE',
        'TOPIC glob "*.orders-audit" WRITE',
        'TOPIC glob "*.orders-audit" DESCRIBE',
        'TRANSACTIONAL_ID prefix "orders-tx-*" WRITE',
        'TRANSACTIONAL_ID prefix "orders-tx-*" DESCRIBE',
      ].sort(),
    );
    expect(of('User:billing').filter((g) => g.startsWith('GROUP'))).toEqual(['GROUP prefix "orders-*" DESCRIBE', 'GROUP prefix "orders-*" READ']);
    expect(of('User:orders-admin').every((g) => g.endsWith(' ALL'))).toBe(true);
    expect(of('User:orders-admin')).toHaveLength(5);
    expect(domainGrants([payments])).toEqual([]);
  });

  it('lets producers write and consumers read the domain\'s topics, and nothing else', () => {
    const a = authorizerWith([orders, payments]);
    expect(allowed(a, 'orders-svc', 'WRITE', 'TOPIC', 'orders.created')).toBe(true);
    expect(allowed(a, 'orders-svc', 'WRITE', 'TOPIC', 'orders-legacy')).toBe(true);
    expect(allowed(a, 'orders-svc', 'WRITE', 'TOPIC', 'eu.orders-audit')).toBe(true);
    expect(allowed(a, 'orders-svc', 'READ', 'TOPIC', 'orders.created')).toBe(false);
    expect(allowed(a, 'orders-svc', 'WRITE', 'TOPIC', 'payments.settled')).toBe(false);
    expect(allowed(a, 'orders-svc', 'WRITE', 'TRANSACTIONAL_ID', 'orders-tx-1')).toBe(true);
    expect(allowed(a, 'orders-svc', 'READ', 'GROUP', 'orders-billing')).toBe(false);
    expect(allowed(a, 'billing', 'READ', 'TOPIC', 'orders.created')).toBe(true);
    expect(allowed(a, 'billing', 'READ', 'GROUP', 'orders-billing')).toBe(true);
    expect(allowed(a, 'billing', 'WRITE', 'TOPIC', 'orders.created')).toBe(false);
    expect(allowed(a, 'billing', 'READ', 'GROUP', 'billing')).toBe(false);
    expect(allowed(a, 'orders-admin', 'DELETE', 'TOPIC', 'orders.created')).toBe(true);
    expect(allowed(a, 'orders-admin', 'CREATE', 'TOPIC', 'orders.new')).toBe(true);
    expect(allowed(a, 'orders-admin', 'CREATE', 'CLUSTER', 'kafka-cluster')).toBe(false);
  });

  it('reports the domain grant as the reason, and a stored DENY still wins over it', () => {
    const bindings = new TestBindings();
    const a = authorizerWith([orders], bindings);
    expect(a.authorize(ask('orders-svc', 'WRITE', 'TOPIC', 'eu.orders-audit')).reason).toEqual({
      kind: 'domain-access',
      grant: { domain: 'orders', role: 'producers', resourceType: 'TOPIC', pattern: '"*.orders-audit"', patternKind: 'glob', principal: 'User:orders-svc', operation: 'WRITE' },
    });
    const deny = acl('TOPIC', 'eu.', 'PREFIXED', 'User:orders-svc', 'WRITE', 'DENY');
    bindings.add(deny);
    expect(a.authorize(ask('orders-svc', 'WRITE', 'TOPIC', 'eu.orders-audit'))).toEqual({ allowed: false, reason: { kind: 'acl', binding: deny } });
  });

  it('counts as an ACL on the resource for allowEveryoneIfNoAclFound', () => {
    const a = authorizerWith([orders], new TestBindings(), true);
    expect(allowed(a, 'stranger', 'READ', 'TOPIC', 'orders.created')).toBe(false);
    expect(allowed(a, 'stranger', 'READ', 'TOPIC', 'eu.orders-audit')).toBe(false);
    expect(allowed(a, 'stranger', 'READ', 'TOPIC', 'payments.settled')).toBe(true);
  });

  it('lets an idempotent producer of the domain through authorizeAny(WRITE, TOPIC), glob grants included', () => {
    const globOnly: GrantingDomain = { name: 'audit', topics: ['*.audit'], groups: [], transactionalIds: [], access: { producers: ['User:auditor'], owners: [], consumers: [] } };
    const a = authorizerWith([orders, globOnly]);
    expect(a.authorizeAny(userPrincipal('orders-svc'), '10.0.0.1', 'WRITE', 'TOPIC')).toBe(true);
    expect(a.authorizeAny(userPrincipal('auditor'), '10.0.0.1', 'WRITE', 'TOPIC')).toBe(true);
    expect(a.authorizeAny(userPrincipal('billing'), '10.0.0.1', 'WRITE', 'TOPIC')).toBe(false);
    // A DENY prefix cancels the grants it dominates; the glob "*.orders-audit" has no fixed
    // start a prefix could dominate, so only a `*` DENY cancels it.
    const prefixDenied = authorizerWith([orders], new TestBindings([acl('TOPIC', 'orders', 'PREFIXED', 'User:orders-svc', 'WRITE', 'DENY')]));
    expect(prefixDenied.authorizeAny(userPrincipal('orders-svc'), '10.0.0.1', 'WRITE', 'TOPIC')).toBe(true);
    const noGlob = { ...orders, topics: ['orders.*', 'orders-legacy'] };
    const dominated = authorizerWith([noGlob], new TestBindings([acl('TOPIC', 'orders', 'PREFIXED', 'User:orders-svc', 'WRITE', 'DENY')]));
    expect(dominated.authorizeAny(userPrincipal('orders-svc'), '10.0.0.1', 'WRITE', 'TOPIC')).toBe(false);
    const wildcardDenied = authorizerWith([orders], new TestBindings([acl('TOPIC', '*', 'LITERAL', 'User:*', 'WRITE', 'DENY')]));
    expect(wildcardDenied.authorizeAny(userPrincipal('orders-svc'), '10.0.0.1', 'WRITE', 'TOPIC')).toBe(false);
  });

  it('shows the grants that cover a resource when explaining', () => {
    const a = authorizerWith([orders]);
    const e = a.explain({ principal: 'User:billing', host: null, operation: 'WRITE', resourceType: 'TOPIC', resourceName: 'orders.created' });
    expect(e.allowed).toBe(false);
    expect(e.rule).toBe('no ALLOW applies (default: deny)');
    expect(e.resourceHasAcls).toBe(true);
    const billing = e.rules.filter((r) => r.text.includes('User:billing'));
    expect(billing.map((r) => [r.text, r.applies])).toEqual([
      ['ALLOW User:billing READ on TOPIC prefix "orders.*" from * (domain orders, consumers)', null],
      ['ALLOW User:billing DESCRIBE on TOPIC prefix "orders.*" from * (domain orders, consumers)', null],
    ]);
  });
});
