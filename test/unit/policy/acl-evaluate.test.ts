// Kafka's authorization rules, case by case. The cases follow Apache Kafka's own authorizer
// tests (StandardAuthorizerTest, AuthorizerTest and BaseAuthorizerTest): the same bindings,
// principals, hosts and expected results, so that Turnout decides as a broker would.
import { describe, expect, it } from 'vitest';
import { userPrincipal } from '../../../src/auth/principal.js';
import { ACL_OPERATIONS } from '../../../src/policy/acl-binding.js';
import { ruleResult } from '../../../src/policy/acl-evaluate.js';
import type { AclOperation, AclPermission, ResourceType } from '../../../src/policy/acl-model.js';
import { ruleOfBinding } from '../../../src/policy/acl-rules.js';
import { acl, ask, decisions, TestBindings, testAuthorizer } from './acl-fixtures.js';

const fooAcl = (op: AclOperation, permission: AclPermission) => acl('TOPIC', 'foo_', 'PREFIXED', 'User:bob', op, permission);
const barAcl = (op: AclOperation, permission: AclPermission) => acl('GROUP', 'bar', 'LITERAL', 'User:*', op, permission);

/** What one binding says about a question whose resource it covers: 'ALLOW', 'DENY' or null. */
function findResult(op: AclOperation, user: string, binding: ReturnType<typeof acl>): AclPermission | null {
  return ruleResult(ruleOfBinding(binding), { principal: `User:${user}`, host: '10.0.0.1', operation: op });
}

describe('allowEveryoneIfNoAclFound (StandardAuthorizerTest)', () => {
  const bindings = () => new TestBindings([acl('TOPIC', 'topic1', 'LITERAL', 'User:Alice', 'READ', 'ALLOW')]);

  it('allows a resource no ACL covers, and only such a resource, when set', () => {
    const a = testAuthorizer(bindings(), { superUsers: ['User:alice', 'User:chris'], allowEveryoneIfNoAclFound: true });
    expect(decisions(a, 'Bob', [['READ', 'TOPIC', 'topic1'], ['READ', 'TOPIC', 'topic2']])).toEqual(['DENIED', 'ALLOWED']);
    expect(a.authorize(ask('Bob', 'READ', 'TOPIC', 'topic2')).reason).toEqual({ kind: 'no-acl-allow-everyone' });
    expect(a.authorize(ask('Bob', 'READ', 'TOPIC', 'topic1')).reason).toEqual({ kind: 'no-matching-allow' });
  });

  it('denies both when not set', () => {
    const a = testAuthorizer(bindings(), { superUsers: ['User:alice', 'User:chris'], allowEveryoneIfNoAclFound: false });
    expect(decisions(a, 'Bob', [['READ', 'TOPIC', 'topic1'], ['READ', 'TOPIC', 'topic2']])).toEqual(['DENIED', 'DENIED']);
  });

  it('counts an ACL of any principal, host and operation as covering the resource, including prefixes and the wildcard', () => {
    const b = new TestBindings([
      acl('TOPIC', 'orders.', 'PREFIXED', 'User:svc', 'WRITE', 'ALLOW', '10.9.9.9'),
      acl('GROUP', '*', 'LITERAL', 'User:other', 'DELETE', 'DENY'),
    ]);
    const a = testAuthorizer(b, { allowEveryoneIfNoAclFound: true });
    expect(decisions(a, 'bob', [['READ', 'TOPIC', 'orders.created'], ['READ', 'TOPIC', 'payments'], ['READ', 'GROUP', 'g1'], ['READ', 'TRANSACTIONAL_ID', 't1']])).toEqual([
      'DENIED',
      'ALLOWED',
      'DENIED',
      'ALLOWED',
    ]);
  });

  it('denies by default when no ACL exists at all (testNoAclFound)', () => {
    const a = testAuthorizer(new TestBindings());
    expect(a.authorize(ask('alice', 'READ', 'TOPIC', 'foo')).allowed).toBe(false);
    const open = testAuthorizer(new TestBindings(), { allowEveryoneIfNoAclFound: true });
    expect(open.authorize(ask('alice', 'READ', 'TOPIC', 'foo')).allowed).toBe(true);
  });
});

describe('operation implication (testFindResultImplication, testAclInheritance)', () => {
  it.each(['DESCRIBE', 'READ', 'WRITE', 'DELETE', 'ALTER'] as AclOperation[])('ALLOW %s implies DESCRIBE', (op) => {
    expect(findResult('DESCRIBE', 'bob', fooAcl(op, 'ALLOW'))).toBe('ALLOW');
  });

  it('ALLOW CREATE does not imply DESCRIBE', () => {
    expect(findResult('DESCRIBE', 'bob', fooAcl('CREATE', 'ALLOW'))).toBeNull();
  });

  it.each(['READ', 'WRITE', 'DELETE', 'ALTER'] as AclOperation[])('DENY %s does not deny DESCRIBE', (op) => {
    expect(findResult('DESCRIBE', 'bob', fooAcl(op, 'DENY'))).toBeNull();
  });

  it('DENY DESCRIBE denies DESCRIBE', () => {
    expect(findResult('DESCRIBE', 'bob', fooAcl('DESCRIBE', 'DENY'))).toBe('DENY');
  });

  it.each(['DESCRIBE_CONFIGS', 'ALTER_CONFIGS'] as AclOperation[])('ALLOW %s implies DESCRIBE_CONFIGS', (op) => {
    expect(findResult('DESCRIBE_CONFIGS', 'bob', fooAcl(op, 'ALLOW'))).toBe('ALLOW');
  });

  it('DENY ALTER_CONFIGS does not deny DESCRIBE_CONFIGS, and denies ALTER_CONFIGS', () => {
    expect(findResult('DESCRIBE_CONFIGS', 'bob', fooAcl('ALTER_CONFIGS', 'DENY'))).toBeNull();
    expect(findResult('ALTER_CONFIGS', 'bob', fooAcl('ALTER_CONFIGS', 'DENY'))).toBe('DENY');
  });

  const allOps = ACL_OPERATIONS.filter((op) => op !== 'ALL');
  const implications: Array<[AclOperation, AclOperation[]]> = [
    ['ALL', allOps],
    ['READ', ['DESCRIBE']],
    ['WRITE', ['DESCRIBE']],
    ['DELETE', ['DESCRIBE']],
    ['ALTER', ['DESCRIBE']],
    ['ALTER_CONFIGS', ['DESCRIBE_CONFIGS']],
    ['DESCRIBE', []],
    ['DESCRIBE_CONFIGS', []],
    ['CREATE', []],
    ['IDEMPOTENT_WRITE', []],
  ];

  it.each(implications)('ALLOW %s on the cluster allows exactly itself and %j', (parent, implied) => {
    const a = testAuthorizer(new TestBindings([acl('CLUSTER', 'kafka-cluster', 'LITERAL', 'User:alice', parent, 'ALLOW')]));
    for (const op of allOps) {
      const expected = op === parent || implied.includes(op);
      expect(a.authorize(ask('alice', op, 'CLUSTER', 'kafka-cluster', '192.168.3.1')).allowed, `${parent} → ${op}`).toBe(expected);
    }
  });

  it.each([
    ['ALL', allOps],
    ['DESCRIBE', []],
    ['DESCRIBE_CONFIGS', []],
    ['READ', []],
  ] as Array<[AclOperation, AclOperation[]]>)('DENY %s next to ALLOW ALL denies exactly itself and %j', (parent, implied) => {
    const a = testAuthorizer(
      new TestBindings([
        acl('CLUSTER', 'kafka-cluster', 'LITERAL', 'User:alice', parent, 'DENY'),
        acl('CLUSTER', 'kafka-cluster', 'LITERAL', 'User:alice', 'ALL', 'ALLOW'),
      ]),
    );
    for (const op of allOps) {
      const denied = op === parent || implied.includes(op);
      expect(a.authorize(ask('alice', op, 'CLUSTER', 'kafka-cluster', '192.168.3.1')).allowed, `${parent} → ${op}`).toBe(!denied);
    }
  });
});

describe('principals (testFindResultPrincipalMatching, testGetAclsPrincipal)', () => {
  it('applies a binding to its own principal only', () => {
    expect(findResult('READ', 'bob', fooAcl('READ', 'ALLOW'))).toBe('ALLOW');
    expect(findResult('READ', 'alice', fooAcl('READ', 'ALLOW'))).toBeNull();
  });

  it('applies User:* to every principal', () => {
    expect(findResult('READ', 'alice', barAcl('READ', 'DENY'))).toBe('DENY');
  });

  it('compares type and name: User:bob does not match Group:bob', () => {
    const a = testAuthorizer(new TestBindings([acl('TOPIC', 't', 'LITERAL', 'User:bob', 'READ', 'ALLOW')]));
    expect(a.authorize({ principal: { type: 'Group', name: 'bob' }, host: '10.0.0.1', operation: 'READ', resourceType: 'TOPIC', resourceName: 't' }).allowed).toBe(false);
    expect(a.authorize(ask('bob', 'READ', 'TOPIC', 't')).allowed).toBe(true);
  });
});

describe('combinations (StandardAuthorizerTest)', () => {
  it('testSimpleAuthorizations', () => {
    const a = testAuthorizer(
      new TestBindings([fooAcl('READ', 'ALLOW'), fooAcl('WRITE', 'ALLOW'), barAcl('DESCRIBE_CONFIGS', 'ALLOW'), barAcl('ALTER_CONFIGS', 'ALLOW')]),
    );
    expect(decisions(a, 'bob', [['READ', 'TOPIC', 'foo_']])).toEqual(['ALLOWED']);
    expect(decisions(a, 'fred', [['ALTER_CONFIGS', 'GROUP', 'bar']])).toEqual(['ALLOWED']);
  });

  it('testDenyPrecedenceWithOperationAll', () => {
    const a = testAuthorizer(
      new TestBindings([
        acl('TOPIC', 'foo', 'LITERAL', 'User:alice', 'ALL', 'DENY'),
        acl('TOPIC', 'foo', 'PREFIXED', 'User:alice', 'READ', 'ALLOW'),
        acl('TOPIC', 'foo', 'LITERAL', 'User:*', 'ALL', 'DENY'),
        acl('TOPIC', 'foo', 'PREFIXED', 'User:*', 'DESCRIBE', 'ALLOW'),
      ]),
    );
    expect(decisions(a, 'alice', [['WRITE', 'TOPIC', 'foo'], ['READ', 'TOPIC', 'foo'], ['DESCRIBE', 'TOPIC', 'foo'], ['READ', 'TOPIC', 'foobar']])).toEqual([
      'DENIED',
      'DENIED',
      'DENIED',
      'ALLOWED',
    ]);
    expect(
      decisions(a, 'bob', [['DESCRIBE', 'TOPIC', 'foo'], ['READ', 'TOPIC', 'foo'], ['WRITE', 'TOPIC', 'foo'], ['DESCRIBE', 'TOPIC', 'foobaz'], ['READ', 'TOPIC', 'foobaz']]),
    ).toEqual(['DENIED', 'DENIED', 'DENIED', 'ALLOWED', 'DENIED']);
  });

  it('testTopicAclWithOperationAll', () => {
    const a = testAuthorizer(
      new TestBindings([
        acl('TOPIC', 'foo', 'LITERAL', 'User:*', 'ALL', 'ALLOW'),
        acl('TOPIC', 'bar', 'PREFIXED', 'User:alice', 'ALL', 'ALLOW'),
        acl('TOPIC', 'baz', 'LITERAL', 'User:bob', 'ALL', 'ALLOW'),
      ]),
    );
    expect(decisions(a, 'alice', [['WRITE', 'TOPIC', 'foo'], ['DESCRIBE_CONFIGS', 'TOPIC', 'bar'], ['DESCRIBE', 'TOPIC', 'baz']])).toEqual(['ALLOWED', 'ALLOWED', 'DENIED']);
    expect(decisions(a, 'bob', [['WRITE', 'TOPIC', 'foo'], ['READ', 'TOPIC', 'bar'], ['DESCRIBE', 'TOPIC', 'baz']])).toEqual(['ALLOWED', 'DENIED', 'ALLOWED']);
    expect(decisions(a, 'malory', [['DESCRIBE', 'TOPIC', 'foo'], ['WRITE', 'TOPIC', 'bar'], ['READ', 'TOPIC', 'baz']])).toEqual(['ALLOWED', 'DENIED', 'DENIED']);
  });

  it('testHostAddressAclValidation', () => {
    const local = '10.0.0.5';
    const a = testAuthorizer(
      new TestBindings([
        acl('TOPIC', 'foo', 'LITERAL', 'User:alice', 'READ', 'DENY', '192.168.1.1'),
        acl('TOPIC', 'foo', 'LITERAL', 'User:alice', 'READ', 'ALLOW'),
        acl('TOPIC', 'bar', 'LITERAL', 'User:bob', 'READ', 'ALLOW', '192.168.1.2'),
        acl('TOPIC', 'bar', 'LITERAL', 'User:*', 'DESCRIBE', 'ALLOW', local),
      ]),
    );
    const qs: Array<[AclOperation, ResourceType, string]> = [['READ', 'TOPIC', 'foo'], ['READ', 'TOPIC', 'bar'], ['DESCRIBE', 'TOPIC', 'bar']];
    expect(decisions(a, 'alice', qs, local)).toEqual(['ALLOWED', 'DENIED', 'ALLOWED']);
    expect(decisions(a, 'alice', qs, '192.168.1.1')).toEqual(['DENIED', 'DENIED', 'DENIED']);
    expect(decisions(a, 'alice', qs, '192.168.1.2')).toEqual(['ALLOWED', 'DENIED', 'DENIED']);
    expect(decisions(a, 'bob', qs, local)).toEqual(['DENIED', 'DENIED', 'ALLOWED']);
    expect(decisions(a, 'bob', qs, '192.168.1.1')).toEqual(['DENIED', 'DENIED', 'DENIED']);
    expect(decisions(a, 'bob', qs, '192.168.1.2')).toEqual(['DENIED', 'ALLOWED', 'ALLOWED']);
  });

  it('testAuthorizationWithManyAcls', () => {
    const a = testAuthorizer(
      new TestBindings([
        acl('TOPIC', 'green2', 'LITERAL', 'User:*', 'READ', 'ALLOW'),
        acl('TOPIC', 'green', 'PREFIXED', 'User:bob', 'READ', 'ALLOW'),
        acl('TOPIC', 'betamax4', 'LITERAL', 'User:bob', 'READ', 'ALLOW'),
        acl('TOPIC', 'betamax', 'LITERAL', 'User:bob', 'READ', 'ALLOW'),
        acl('TOPIC', 'beta', 'PREFIXED', 'User:*', 'READ', 'ALLOW'),
        acl('TOPIC', 'alpha', 'PREFIXED', 'User:*', 'READ', 'ALLOW'),
        acl('TOPIC', 'alp', 'PREFIXED', 'User:bob', 'READ', 'DENY'),
        acl('GROUP', '*', 'LITERAL', 'User:bob', 'WRITE', 'ALLOW'),
        acl('GROUP', 'wheel', 'LITERAL', 'User:*', 'WRITE', 'DENY'),
      ]),
    );
    expect(decisions(a, 'bob', [['READ', 'TOPIC', 'green1'], ['WRITE', 'GROUP', 'wheel']])).toEqual(['ALLOWED', 'DENIED']);
    expect(decisions(a, 'bob', [['READ', 'TOPIC', 'alpha'], ['WRITE', 'GROUP', 'arbitrary'], ['READ', 'TOPIC', 'ala']])).toEqual(['DENIED', 'ALLOWED', 'DENIED']);
  });

  it('testPrefixAcls', () => {
    const a = testAuthorizer(
      new TestBindings([
        acl('TOPIC', 'fooa', 'PREFIXED', 'User:alice', 'ALL', 'ALLOW'),
        acl('TOPIC', 'foobar', 'LITERAL', 'User:bob', 'ALL', 'ALLOW'),
        acl('TOPIC', 'f', 'PREFIXED', 'User:bob', 'ALL', 'ALLOW'),
      ]),
    );
    expect(decisions(a, 'bob', [['WRITE', 'TOPIC', 'foobarr'], ['READ', 'TOPIC', 'goobar'], ['READ', 'TOPIC', 'fooa']])).toEqual(['ALLOWED', 'DENIED', 'ALLOWED']);
    expect(decisions(a, 'alice', [['DESCRIBE', 'TOPIC', 'fooa'], ['WRITE', 'TOPIC', 'bar'], ['READ', 'TOPIC', 'baz']])).toEqual(['ALLOWED', 'DENIED', 'DENIED']);
  });
});

describe('AuthorizerTest cases', () => {
  const resource = 'test-topic';

  it('testTopicAcl: per-host ALLOW and DENY, DESCRIBE implied by READ and WRITE', () => {
    const [h1, h2] = ['192.168.1.1', '192.168.1.2'];
    const a = testAuthorizer(
      new TestBindings([
        acl('TOPIC', resource, 'LITERAL', 'User:alice', 'READ', 'ALLOW', h1),
        acl('TOPIC', resource, 'LITERAL', 'User:alice', 'READ', 'ALLOW', h2),
        acl('TOPIC', resource, 'LITERAL', 'User:alice', 'READ', 'DENY', h1),
        acl('TOPIC', resource, 'LITERAL', 'User:alice', 'WRITE', 'ALLOW', h1),
        acl('TOPIC', resource, 'LITERAL', 'User:alice', 'DESCRIBE', 'ALLOW'),
        acl('TOPIC', resource, 'LITERAL', 'User:rob', 'READ', 'ALLOW'),
        acl('TOPIC', resource, 'LITERAL', 'User:batman', 'WRITE', 'ALLOW'),
      ]),
    );
    const q = (user: string, op: AclOperation, host: string) => a.authorize(ask(user, op, 'TOPIC', resource, host)).allowed;
    expect(q('alice', 'READ', h2)).toBe(true);
    expect(q('alice', 'READ', h1)).toBe(false);
    expect(q('alice', 'WRITE', h1)).toBe(true);
    expect(q('alice', 'WRITE', h2)).toBe(false);
    expect(q('alice', 'DESCRIBE', h1)).toBe(true);
    expect(q('alice', 'DESCRIBE', h2)).toBe(true);
    expect(q('alice', 'ALTER', h1)).toBe(false);
    expect(q('alice', 'ALTER', h2)).toBe(false);
    expect(q('rob', 'DESCRIBE', h1)).toBe(true);
    expect(q('batman', 'DESCRIBE', h1)).toBe(true);
    expect(q('rob', 'READ', h1)).toBe(true);
    expect(q('batman', 'WRITE', h1)).toBe(true);
  });

  it('testDenyTakesPrecedence: a DENY of the principal from its host beats ALLOW ALL for everyone', () => {
    const a = testAuthorizer(
      new TestBindings([
        acl('TOPIC', resource, 'LITERAL', 'User:*', 'ALL', 'ALLOW'),
        acl('TOPIC', resource, 'LITERAL', 'User:alice', 'ALL', 'DENY', '192.168.2.1'),
      ]),
    );
    const d = a.authorize(ask('alice', 'READ', 'TOPIC', resource, '192.168.2.1'));
    expect(d.allowed).toBe(false);
    expect(d.reason).toEqual({ kind: 'acl', binding: acl('TOPIC', resource, 'LITERAL', 'User:alice', 'ALL', 'DENY', '192.168.2.1') });
  });

  it('testAllowAllAccess', () => {
    const a = testAuthorizer(new TestBindings([acl('TOPIC', resource, 'LITERAL', 'User:*', 'ALL', 'ALLOW')]));
    expect(a.authorize(ask('random', 'READ', 'TOPIC', resource, '192.0.4.4')).allowed).toBe(true);
  });

  it('testSuperUserHasAccess: super users pass a DENY ALL for everyone', () => {
    const a = testAuthorizer(new TestBindings([acl('TOPIC', resource, 'LITERAL', 'User:*', 'ALL', 'DENY')]), {
      superUsers: ['User:superuser1', 'User:superuser2'],
    });
    expect(a.authorize(ask('superuser1', 'READ', 'TOPIC', resource, '192.0.4.4'))).toEqual({ allowed: true, reason: { kind: 'super-user' } });
    expect(a.authorize(ask('superuser2', 'READ', 'TOPIC', resource, '192.0.4.4')).allowed).toBe(true);
    expect(a.authorize(ask('superuser3', 'READ', 'TOPIC', resource, '192.0.4.4')).allowed).toBe(false);
  });

  it('testWildCardAcls: `*` grants every name; a DENY on `*` beats an ALLOW on the name', () => {
    const b = new TestBindings();
    const a = testAuthorizer(b);
    const h1 = '192.168.3.1';
    expect(a.authorize(ask('alice', 'READ', 'TOPIC', resource, h1)).allowed).toBe(false);
    b.add(acl('TOPIC', '*', 'LITERAL', 'User:alice', 'READ', 'ALLOW', h1));
    expect(a.authorize(ask('alice', 'READ', 'TOPIC', resource, h1)).allowed).toBe(true);
    b.add(acl('TOPIC', resource, 'LITERAL', 'User:alice', 'WRITE', 'ALLOW', h1));
    expect(a.authorize(ask('alice', 'WRITE', 'TOPIC', resource, h1)).allowed).toBe(true);
    b.add(acl('TOPIC', '*', 'LITERAL', 'User:alice', 'WRITE', 'DENY', h1));
    expect(a.authorize(ask('alice', 'WRITE', 'TOPIC', resource, h1)).allowed).toBe(false);
  });

  it('testAuthorizeWithEmptyResourceName: only `*` covers the empty name', () => {
    const b = new TestBindings();
    const a = testAuthorizer(b);
    expect(a.authorize(ask('alice', 'READ', 'GROUP', '')).allowed).toBe(false);
    b.add(acl('GROUP', '*', 'LITERAL', 'User:alice', 'READ', 'ALLOW'));
    expect(a.authorize(ask('alice', 'READ', 'GROUP', '')).allowed).toBe(true);
  });

  it('testAccessAllowedIfAllowAclExistsOnPrefixedResource, and the literal prefix does not', () => {
    const a = testAuthorizer(new TestBindings([acl('TOPIC', 'test-', 'PREFIXED', 'User:alice', 'READ', 'ALLOW')]));
    expect(a.authorize(ask('alice', 'READ', 'TOPIC', resource)).allowed).toBe(true);
    const literal = testAuthorizer(new TestBindings([acl('TOPIC', 'test-', 'LITERAL', 'User:alice', 'READ', 'ALLOW')]));
    expect(literal.authorize(ask('alice', 'READ', 'TOPIC', resource)).allowed).toBe(false);
  });

  it('testAuthorizeWithPrefixedResource: many unrelated DENY prefixes do not shadow the ALLOW prefix', () => {
    const deny = (name: string, type: 'LITERAL' | 'PREFIXED') => acl('TOPIC', name, type, 'User:alice', 'READ', 'DENY');
    const a = testAuthorizer(
      new TestBindings([
        deny('a_other', 'LITERAL'),
        deny('a_other', 'PREFIXED'),
        deny('foo-8f4e9c2a', 'PREFIXED'),
        deny('foo-1b2c3d4e', 'PREFIXED'),
        deny('foo-5f6a7b8c-zzz', 'PREFIXED'),
        deny('fooo-9d0e1f2a', 'PREFIXED'),
        deny('fo-3b4c5d6e', 'PREFIXED'),
        deny('fop-7f8a9b0c', 'PREFIXED'),
        deny('fon-1d2e3f4a', 'PREFIXED'),
        deny('fon-', 'PREFIXED'),
        deny('z_other', 'PREFIXED'),
        deny('z_other', 'LITERAL'),
        acl('TOPIC', 'foo-', 'PREFIXED', 'User:alice', 'READ', 'ALLOW'),
      ]),
    );
    expect(a.authorize(ask('alice', 'READ', 'TOPIC', 'foo-0a1b2c3d')).allowed).toBe(true);
  });

  it('testSingleCharacterResourceAcls', () => {
    const b = new TestBindings([acl('TOPIC', 'f', 'LITERAL', 'User:alice', 'READ', 'ALLOW')]);
    const a = testAuthorizer(b);
    expect(decisions(a, 'alice', [['READ', 'TOPIC', 'f'], ['READ', 'TOPIC', 'foo']])).toEqual(['ALLOWED', 'DENIED']);
    b.add(acl('TOPIC', '_', 'PREFIXED', 'User:alice', 'READ', 'ALLOW'));
    expect(decisions(a, 'alice', [['READ', 'TOPIC', '_foo'], ['READ', 'TOPIC', '_'], ['READ', 'TOPIC', 'foo_']])).toEqual(['ALLOWED', 'ALLOWED', 'DENIED']);
  });

  it('a PREFIXED `*` is a prefix, not the wildcard', () => {
    const a = testAuthorizer(new TestBindings([acl('GROUP', '*', 'PREFIXED', 'User:alice', 'READ', 'ALLOW')]));
    expect(decisions(a, 'alice', [['READ', 'GROUP', '*g'], ['READ', 'GROUP', 'g']])).toEqual(['ALLOWED', 'DENIED']);
  });

  it('keeps resource types apart', () => {
    const a = testAuthorizer(new TestBindings([acl('GROUP', 'orders', 'LITERAL', 'User:alice', 'READ', 'ALLOW')]));
    expect(decisions(a, 'alice', [['READ', 'GROUP', 'orders'], ['READ', 'TOPIC', 'orders'], ['READ', 'TRANSACTIONAL_ID', 'orders']])).toEqual(['ALLOWED', 'DENIED', 'DENIED']);
  });
});

describe('hosts', () => {
  it('matches an IPv4 client seen through a dual-stack socket against its IPv4 address', () => {
    const a = testAuthorizer(new TestBindings([acl('TOPIC', 't', 'LITERAL', 'User:alice', 'READ', 'ALLOW', '10.1.2.3')]));
    expect(a.authorize(ask('alice', 'READ', 'TOPIC', 't', '::ffff:10.1.2.3')).allowed).toBe(true);
    expect(a.authorize(ask('alice', 'READ', 'TOPIC', 't', '::ffff:10.1.2.4')).allowed).toBe(false);
  });

  it('compares IPv6 hosts in one form, whether written short or as Java prints them', () => {
    const a = testAuthorizer(
      new TestBindings([
        acl('TOPIC', 'short', 'LITERAL', 'User:alice', 'READ', 'ALLOW', '::1'),
        acl('TOPIC', 'java', 'LITERAL', 'User:alice', 'READ', 'ALLOW', '0:0:0:0:0:0:0:1'),
      ]),
    );
    expect(decisions(a, 'alice', [['READ', 'TOPIC', 'short'], ['READ', 'TOPIC', 'java']], '::1')).toEqual(['ALLOWED', 'ALLOWED']);
    expect(decisions(a, 'alice', [['READ', 'TOPIC', 'short']], '2001:db8::1')).toEqual(['DENIED']);
  });
});

describe('authorizeAny: Kafka\'s authorizeByResourceType (BaseAuthorizerTest)', () => {
  const user1 = userPrincipal('user1');
  const user2 = userPrincipal('user2');
  const [h1, h2] = ['192.168.1.1', '192.168.1.2'];

  it('testAuthorizeByResourceTypeMultipleAddAndRemove', () => {
    const b = new TestBindings();
    const a = testAuthorizer(b);
    const allowRead = acl('TOPIC', 'sb1-x', 'LITERAL', 'User:user1', 'READ', 'ALLOW', h1);
    const denyRead = acl('TOPIC', 'sb1-x', 'LITERAL', 'User:user1', 'READ', 'DENY', h1);
    expect(a.authorizeAny(user1, h1, 'READ', 'TOPIC')).toBe(false);
    b.add(allowRead);
    expect(a.authorizeAny(user1, h1, 'READ', 'TOPIC')).toBe(true);
    b.add(denyRead);
    expect(a.authorizeAny(user1, h1, 'READ', 'TOPIC')).toBe(false);
    b.remove(denyRead);
    expect(a.authorizeAny(user1, h1, 'READ', 'TOPIC')).toBe(true);
    b.remove(allowRead);
    expect(a.authorizeAny(user1, h1, 'READ', 'TOPIC')).toBe(false);
  });

  it('testAuthorizeByResourceTypeIsolationUnrelatedDenyWontDominateAllow', () => {
    const r1 = 'sb1-a';
    const r2 = 'sb2-b';
    const a = testAuthorizer(
      new TestBindings([
        acl('TOPIC', r1, 'LITERAL', 'User:user1', 'READ', 'DENY', h1),
        acl('TOPIC', r1, 'LITERAL', 'User:user2', 'READ', 'DENY', h1),
        acl('TOPIC', r1, 'LITERAL', 'User:user1', 'WRITE', 'DENY', h2),
        acl('TOPIC', r1, 'LITERAL', 'User:user2', 'READ', 'DENY', h2),
        acl('TOPIC', r1, 'LITERAL', 'User:user1', 'READ', 'ALLOW', h2),
        acl('TOPIC', r2, 'LITERAL', 'User:user1', 'READ', 'DENY', h2),
        acl('GROUP', 's', 'PREFIXED', 'User:user1', 'READ', 'DENY', h2),
      ]),
    );
    expect(a.authorizeAny(user1, h1, 'READ', 'TOPIC')).toBe(false);
    expect(a.authorizeAny(user1, h1, 'READ', 'GROUP')).toBe(false);
    expect(a.authorizeAny(user1, h1, 'READ', 'TRANSACTIONAL_ID')).toBe(false);
    expect(a.authorizeAny(user1, h1, 'READ', 'CLUSTER')).toBe(false);
    expect(a.authorizeAny(user1, h2, 'READ', 'TOPIC')).toBe(true);
  });

  it('testAuthorizeByResourceTypeDenyTakesPrecedence', () => {
    const b = new TestBindings([acl('TOPIC', 'sb1', 'LITERAL', 'User:user1', 'WRITE', 'ALLOW', h1)]);
    const a = testAuthorizer(b);
    expect(a.authorizeAny(user1, h1, 'WRITE', 'TOPIC')).toBe(true);
    b.add(acl('TOPIC', 'sb1', 'LITERAL', 'User:user1', 'WRITE', 'DENY', h1));
    expect(a.authorizeAny(user1, h1, 'WRITE', 'TOPIC')).toBe(false);
  });

  it('testAuthorizeByResourceTypePrefixedResourceDenyDominate', () => {
    const b = new TestBindings();
    const a = testAuthorizer(b);
    const allow = (name: string) => acl('GROUP', name, 'PREFIXED', 'User:user1', 'READ', 'ALLOW', h1);
    const deny = (name: string) => acl('GROUP', name, 'PREFIXED', 'User:user1', 'READ', 'DENY', h1);
    b.add(allow('abcde'));
    expect(a.authorizeAny(user1, h1, 'READ', 'GROUP')).toBe(true);
    b.add(deny('abcd'));
    expect(a.authorizeAny(user1, h1, 'READ', 'GROUP')).toBe(false);
    b.add(allow('abc'));
    expect(a.authorizeAny(user1, h1, 'READ', 'GROUP')).toBe(true);
    b.add(deny('a'));
    expect(a.authorizeAny(user1, h1, 'READ', 'GROUP')).toBe(false);
    b.add(allow('ab'));
    expect(a.authorizeAny(user1, h1, 'READ', 'GROUP')).toBe(false);
  });

  it('testAuthorizeByResourceTypeWildcardResourceDenyDominate', () => {
    const b = new TestBindings();
    const a = testAuthorizer(b);
    const ace = (name: string, type: 'LITERAL' | 'PREFIXED', permission: AclPermission) => acl('GROUP', name, type, 'User:user1', 'WRITE', permission, h1);
    b.add(ace('hello', 'PREFIXED', 'ALLOW'));
    expect(a.authorizeAny(user1, h1, 'WRITE', 'GROUP')).toBe(true);
    b.add(ace('*', 'LITERAL', 'DENY'));
    expect(a.authorizeAny(user1, h1, 'WRITE', 'GROUP')).toBe(false);
    b.add(ace('*', 'LITERAL', 'ALLOW'));
    expect(a.authorizeAny(user1, h1, 'WRITE', 'GROUP')).toBe(false);
    b.add(ace('aloha', 'LITERAL', 'ALLOW'));
    expect(a.authorizeAny(user1, h1, 'WRITE', 'GROUP')).toBe(false);
  });

  it('testAuthorizeByResourceTypeWithAllOperationAce', () => {
    const b = new TestBindings();
    const a = testAuthorizer(b);
    expect(a.authorizeAny(user1, h1, 'READ', 'TOPIC')).toBe(false);
    b.add(acl('TOPIC', 'sb1', 'LITERAL', 'User:user1', 'WRITE', 'DENY', h1), acl('TOPIC', 'sb1', 'LITERAL', 'User:user1', 'ALL', 'ALLOW', h1));
    expect(a.authorizeAny(user1, h1, 'READ', 'TOPIC')).toBe(true);
    b.add(acl('TOPIC', 'sb1', 'LITERAL', 'User:user1', 'ALL', 'DENY', h1));
    expect(a.authorizeAny(user1, h1, 'READ', 'TOPIC')).toBe(false);
  });

  it('testAuthorizeByResourceTypeWithAllHostAce', () => {
    const b = new TestBindings();
    const a = testAuthorizer(b);
    expect(a.authorizeAny(user1, h1, 'READ', 'TOPIC')).toBe(false);
    b.add(acl('TOPIC', 'sb1', 'LITERAL', 'User:user1', 'READ', 'ALLOW', h1));
    expect(a.authorizeAny(user1, h1, 'READ', 'TOPIC')).toBe(true);
    b.add(acl('TOPIC', 'sb1', 'LITERAL', 'User:user1', 'READ', 'DENY'));
    expect(a.authorizeAny(user1, h1, 'READ', 'TOPIC')).toBe(false);
    b.add(acl('TOPIC', 'sb2', 'LITERAL', 'User:user1', 'READ', 'DENY', h1));
    expect(a.authorizeAny(user1, h1, 'READ', 'TOPIC')).toBe(false);
    expect(a.authorizeAny(user1, h2, 'READ', 'TOPIC')).toBe(false);
    b.add(acl('TOPIC', 'sb2', 'LITERAL', 'User:user1', 'READ', 'ALLOW'));
    expect(a.authorizeAny(user1, h2, 'READ', 'TOPIC')).toBe(true);
    b.add(acl('TOPIC', 'sb2', 'LITERAL', 'User:user1', 'READ', 'DENY'));
    expect(a.authorizeAny(user1, h2, 'READ', 'TOPIC')).toBe(false);
  });

  it('testAuthorizeByResourceTypeWithAllPrincipalAce', () => {
    const b = new TestBindings();
    const a = testAuthorizer(b);
    expect(a.authorizeAny(user1, h1, 'READ', 'TOPIC')).toBe(false);
    b.add(acl('TOPIC', 'sb1', 'LITERAL', 'User:user1', 'READ', 'ALLOW', h1));
    expect(a.authorizeAny(user1, h1, 'READ', 'TOPIC')).toBe(true);
    b.add(acl('TOPIC', 'sb1', 'LITERAL', 'User:*', 'READ', 'DENY', h1));
    expect(a.authorizeAny(user1, h1, 'READ', 'TOPIC')).toBe(false);
    b.add(acl('TOPIC', 'sb2', 'LITERAL', 'User:user1', 'READ', 'DENY', h1));
    expect(a.authorizeAny(user1, h1, 'READ', 'TOPIC')).toBe(false);
    expect(a.authorizeAny(user2, h1, 'READ', 'TOPIC')).toBe(false);
    b.add(acl('TOPIC', 'sb2', 'LITERAL', 'User:*', 'READ', 'ALLOW', h1));
    expect(a.authorizeAny(user2, h1, 'READ', 'TOPIC')).toBe(true);
    b.add(acl('TOPIC', 'sb2', 'LITERAL', 'User:*', 'READ', 'DENY', h1));
    expect(a.authorizeAny(user2, h1, 'READ', 'TOPIC')).toBe(false);
  });

  it('testAuthorizeByResourceTypeSuperUserHasAccess', () => {
    const denyAll = (type: ResourceType, name: string) => acl(type, name, 'LITERAL', 'User:*', 'ALL', 'DENY');
    const a = testAuthorizer(
      new TestBindings([denyAll('TOPIC', '*'), denyAll('CLUSTER', 'kafka-cluster'), denyAll('GROUP', '*'), denyAll('TRANSACTIONAL_ID', '*')]),
      { superUsers: ['User:superuser1'] },
    );
    for (const type of ['TOPIC', 'CLUSTER', 'GROUP', 'TRANSACTIONAL_ID'] as ResourceType[]) {
      expect(a.authorizeAny(userPrincipal('superuser1'), '192.0.4.4', 'READ', type)).toBe(true);
      expect(a.authorizeAny(userPrincipal('other'), '192.0.4.4', 'READ', type)).toBe(false);
    }
  });

  it('testAuthorizeByResourceTypeNoAclFoundOverride', () => {
    const a = testAuthorizer(new TestBindings(), { allowEveryoneIfNoAclFound: true });
    expect(a.authorizeAny(user1, h1, 'READ', 'TOPIC')).toBe(true);
    expect(a.authorizeAny(user1, h1, 'WRITE', 'TOPIC')).toBe(true);
  });

  it('has no DESCRIBE implication beyond what the made-up name gets', () => {
    const a = testAuthorizer(new TestBindings([acl('TOPIC', 'orders', 'PREFIXED', 'User:user1', 'READ', 'ALLOW')]));
    expect(a.authorizeAny(user1, h1, 'READ', 'TOPIC')).toBe(true);
    expect(a.authorizeAny(user1, h1, 'DESCRIBE', 'TOPIC')).toBe(false);
    const wildcard = testAuthorizer(new TestBindings([acl('TOPIC', '*', 'LITERAL', 'User:user1', 'READ', 'ALLOW')]));
    expect(wildcard.authorizeAny(user1, h1, 'DESCRIBE', 'TOPIC')).toBe(true);
  });
});
