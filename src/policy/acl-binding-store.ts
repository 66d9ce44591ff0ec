// Where the ACL bindings live while Turnout runs, behind the AclStore interface the ACL apis
// and the admin API use, plus what the authorizer needs to read them (AclBindingSource).
// Three stores implement it:
//   MemoryAclStore  the configuration's bindings plus run-time changes, in memory only
//   FileAclStore    the same, with run-time changes kept in a state file (acl-file-store.ts)
//   RedisAclStore   bindings shared by every instance through Redis (acl-redis-store.ts)
// This module also holds the set of bindings with Kafka's create and delete semantics, which
// every store applies the same way.
import type { Logger } from '../observability/logger.js';
import type { AclBinding, AclBindingFilter, AclStore } from './acl-model.js';
import type { AclBindingSource } from './acl-authorizer.js';
import { bindingKey, checkBinding, InvalidAclBindingError, plainBinding } from './acl-binding.js';
import { filterMatches } from './acl-filter.js';

export interface AclStoreHealth {
  readonly kind: AclBindingStore['kind'];
  /** False while the store cannot be read or written (Redis down); the last bindings read still apply. */
  readonly ready: boolean;
  readonly lastError: string | null;
  /** Grows with every change of the bindings. */
  readonly version: number;
  readonly bindings: number;
}

export interface AclBindingStore extends AclStore, AclBindingSource {
  readonly kind: 'memory' | 'file' | 'redis';
  health(): AclStoreHealth;
  close(): Promise<void>;
}

/** A change that could not be made durable or shared; nothing was changed. */
export class AclStoreError extends Error {
  readonly store: AclBindingStore['kind'];

  constructor(store: AclBindingStore['kind'], message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AclStoreError';
    this.store = store;
  }
}

/** Throws InvalidAclBindingError for the first binding a broker would refuse. */
export function validateBindings(bindings: readonly AclBinding[]): void {
  bindings.forEach((b, i) => {
    const reason = checkBinding(b);
    if (reason !== null) throw new InvalidAclBindingError(b, i, reason);
  });
}

/** Distinct bindings in the order they were added. Immutable: changes make a new set. */
export class AclBindingSet {
  private readonly byKey: ReadonlyMap<string, AclBinding>;

  constructor(bindings: Iterable<AclBinding> = []) {
    const map = new Map<string, AclBinding>();
    for (const b of bindings) {
      const plain = plainBinding(b);
      const key = bindingKey(plain);
      if (!map.has(key)) map.set(key, plain);
    }
    this.byKey = map;
  }

  get size(): number {
    return this.byKey.size;
  }

  values(): AclBinding[] {
    return [...this.byKey.values()];
  }

  has(b: AclBinding): boolean {
    return this.byKey.has(bindingKey(b));
  }

  list(filter: AclBindingFilter): AclBinding[] {
    return this.values().filter((b) => filterMatches(filter, b));
  }

  /** The bindings not in the set yet, each once. */
  missing(bindings: readonly AclBinding[]): AclBinding[] {
    return new AclBindingSet(bindings).values().filter((b) => !this.has(b));
  }

  /**
   * Per filter, every binding it matches before anything is removed: as Kafka's authorizer
   * deletes, a binding matched by two filters is reported for both.
   */
  matching(filters: readonly AclBindingFilter[]): AclBinding[][] {
    return filters.map((f) => this.list(f));
  }

  with(bindings: readonly AclBinding[]): AclBindingSet {
    return new AclBindingSet([...this.byKey.values(), ...bindings]);
  }

  without(bindings: readonly AclBinding[]): AclBindingSet {
    const gone = new Set(bindings.map(bindingKey));
    return new AclBindingSet([...this.byKey.values()].filter((b) => !gone.has(bindingKey(b))));
  }
}

/** Listeners of a store's changes; one that throws does not stop the others. */
export class AclChangeListeners {
  private readonly listeners = new Set<() => void>();
  private readonly onError: (err: unknown) => void;

  constructor(onError: (err: unknown) => void) {
    this.onError = onError;
  }

  add(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  notify(): void {
    for (const l of [...this.listeners]) {
      try {
        l();
      } catch (err) {
        this.onError(err);
      }
    }
  }

  clear(): void {
    this.listeners.clear();
  }
}

/** What every store shares: the bindings in force, read by the authorizer, and who to tell when they change. */
export abstract class BindingsInForce {
  protected current: AclBindingSet;
  protected readonly listeners: AclChangeListeners;

  constructor(initial: AclBindingSet, log: Logger) {
    this.current = initial;
    this.listeners = new AclChangeListeners((err) => log.error({ err }, 'ACL change listener failed'));
  }

  bindings(): readonly AclBinding[] {
    return this.current.values();
  }

  subscribe(listener: () => void): () => void {
    return this.listeners.add(listener);
  }

  list(filter: AclBindingFilter): readonly AclBinding[] {
    return this.current.list(filter);
  }

  /** Puts a new set in force and tells the listeners. */
  protected replace(next: AclBindingSet): void {
    this.current = next;
    this.listeners.notify();
  }
}
