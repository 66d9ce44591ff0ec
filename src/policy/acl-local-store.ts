// The ACL stores of one instance: the bindings in memory, changed one change at a time, each
// change made durable first (FileAclStore writes its state file; MemoryAclStore keeps
// nothing) and applied only once that worked, then announced to the authorizer.
import type { Logger } from '../observability/logger.js';
import { bindingText } from './acl-binding.js';
import {
  AclBindingSet,
  AclStoreError,
  BindingsInForce,
  validateBindings,
  type AclBindingStore,
  type AclStoreHealth,
} from './acl-binding-store.js';
import type { AclBinding, AclBindingFilter } from './acl-model.js';

/** Makes the next set durable; throws when it cannot. */
export type PersistBindings = (next: AclBindingSet) => Promise<void>;

/** Bindings named one by one in a change's log line, at most. */
const LOGGED_BINDINGS = 20;

export function logBindingChange(log: Logger, message: string, bindings: readonly AclBinding[], version: number): void {
  const shown = bindings.slice(0, LOGGED_BINDINGS).map(bindingText);
  log.info({ count: bindings.length, bindings: shown, version }, message);
}

export class LocalAclStore extends BindingsInForce implements AclBindingStore {
  readonly kind: 'memory' | 'file';
  readonly loaded = true;
  private readonly log: Logger;
  private readonly persist: PersistBindings;
  private version = 1;
  private lastError: string | null = null;
  private chain: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(kind: 'memory' | 'file', initial: AclBindingSet, persist: PersistBindings, log: Logger) {
    super(initial, log);
    this.kind = kind;
    this.persist = persist;
    this.log = log;
  }

  create(bindings: readonly AclBinding[]): Promise<void> {
    try {
      validateBindings(bindings);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.serially(async () => {
      const added = this.current.missing(bindings);
      if (added.length === 0) return;
      await this.apply(this.current.with(added));
      logBindingChange(this.log, 'ACL bindings created', added, this.version);
    });
  }

  delete(filters: readonly AclBindingFilter[]): Promise<AclBinding[][]> {
    return this.serially(async () => {
      const matched = this.current.matching(filters);
      const removed = new AclBindingSet(matched.flat()).values();
      if (removed.length > 0) {
        await this.apply(this.current.without(removed));
        logBindingChange(this.log, 'ACL bindings deleted', removed, this.version);
      }
      return matched;
    });
  }

  health(): AclStoreHealth {
    return { kind: this.kind, ready: !this.closed, lastError: this.lastError, version: this.version, bindings: this.current.size };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.listeners.clear();
    await this.chain.catch(() => undefined);
  }

  private async apply(next: AclBindingSet): Promise<void> {
    try {
      await this.persist(next);
    } catch (err) {
      this.lastError = err instanceof Error ? err.message : String(err);
      throw err instanceof AclStoreError ? err : new AclStoreError(this.kind, `ACL change not made: ${this.lastError}`, { cause: err });
    }
    this.lastError = null;
    this.version++;
    this.replace(next);
  }

  /** One change at a time, in the order asked, so each reads the result of the one before. */
  private serially<T>(change: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new AclStoreError(this.kind, 'the ACL store is closed'));
    const next = this.chain.then(change);
    this.chain = next.catch(() => undefined);
    return next;
  }
}

/** Bindings seeded from the configuration, changed at run time, forgotten at exit. */
export function memoryAclStore(seed: readonly AclBinding[], log: Logger): LocalAclStore {
  return new LocalAclStore('memory', new AclBindingSet(seed), async () => undefined, log.child({ aclStore: 'memory' }));
}
