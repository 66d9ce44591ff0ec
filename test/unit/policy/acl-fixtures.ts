// Shared helpers of the ACL tests: bindings written short, and a binding source the tests
// change by hand.
import { userPrincipal } from '../../../src/auth/principal.js';
import type { AclBindingSource } from '../../../src/policy/acl-authorizer.js';
import { AclAuthorizer } from '../../../src/policy/acl-authorizer.js';
import { bindingKey } from '../../../src/policy/acl-binding.js';
import type {
  AclBinding,
  AclOperation,
  AclPermission,
  AuthorizationRequest,
  PatternType,
  ResourceType,
} from '../../../src/policy/acl-model.js';

/** `acl('TOPIC', 'foo_', 'PREFIXED', 'User:bob', 'READ', 'ALLOW')`, host `*` unless given. */
export function acl(
  resourceType: ResourceType,
  resourceName: string,
  patternType: PatternType,
  principal: string,
  operation: AclOperation,
  permission: AclPermission,
  host = '*',
): AclBinding {
  return { resourceType, resourceName, patternType, principal, host, operation, permission };
}

export class TestBindings implements AclBindingSource {
  loaded = true;
  private readonly items = new Map<string, AclBinding>();
  private readonly listeners = new Set<() => void>();

  constructor(initial: readonly AclBinding[] = []) {
    for (const b of initial) this.items.set(bindingKey(b), b);
  }

  bindings(): readonly AclBinding[] {
    return [...this.items.values()];
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  add(...bindings: AclBinding[]): void {
    for (const b of bindings) this.items.set(bindingKey(b), b);
    this.notify();
  }

  remove(...bindings: AclBinding[]): void {
    for (const b of bindings) this.items.delete(bindingKey(b));
    this.notify();
  }

  notify(): void {
    for (const l of this.listeners) l();
  }
}

export interface TestAuthorizerOptions {
  superUsers?: string[];
  allowEveryoneIfNoAclFound?: boolean;
  cacheSize?: number;
}

export function testAuthorizer(bindings: TestBindings, opts: TestAuthorizerOptions = {}): AclAuthorizer {
  return new AclAuthorizer({
    settings: { superUsers: new Set(opts.superUsers ?? ['User:superman']), allowEveryoneIfNoAclFound: opts.allowEveryoneIfNoAclFound ?? false },
    bindings,
    cacheSize: opts.cacheSize ?? 1000,
  });
}

/** An authorization request for `User:<user>` from `host`. */
export function ask(user: string, operation: AclOperation, resourceType: ResourceType, resourceName: string, host = '10.0.0.1'): AuthorizationRequest {
  return { principal: userPrincipal(user), host, operation, resourceType, resourceName };
}

/** The decisions for several questions of one user, as 'ALLOWED' or 'DENIED'. */
export function decisions(
  authorizer: AclAuthorizer,
  user: string,
  questions: Array<[AclOperation, ResourceType, string]>,
  host = '10.0.0.1',
): string[] {
  return questions.map(([op, type, name]) => (authorizer.authorize(ask(user, op, type, name, host)).allowed ? 'ALLOWED' : 'DENIED'));
}
