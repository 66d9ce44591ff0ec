// Where the policy lives and how changes reach the proxy. Two stores implement it:
//   FilePolicyStore   the YAML file, hot-reloaded on change and on SIGHUP (one instance)
//   RedisPolicyStore  Redis, shared by every instance, seeded from the YAML file
// (open-policy-store.ts picks one from `store.type`). Routing reads `current()` per decision
// and may `subscribe` to react to a change; the admin API calls `setDomainBackend`.
import type { Logger } from '../observability/logger.js';
import type { PolicySnapshot } from './policy-snapshot.js';

export type PolicyListener = (next: PolicySnapshot, previous: PolicySnapshot) => void;

export interface PolicyStoreHealth {
  readonly kind: 'file' | 'redis';
  /** False while the store cannot be read (Redis down); the last known policy still serves. */
  readonly ready: boolean;
  /** The last failure (unreachable store, a reload that failed validation), or null. */
  readonly lastError: string | null;
  /** Version of the policy in effect. */
  readonly version: number;
}

export interface ReloadResult {
  /** True when the reload changed the policy in effect. */
  readonly changed: boolean;
  readonly version: number;
  /** Why the reload was not applied (the previous policy stays), or null. */
  readonly error: string | null;
}

export interface PolicyStore {
  readonly kind: 'file' | 'redis';
  /** The policy in effect. Cheap: call it per decision rather than keeping a copy. */
  current(): PolicySnapshot;
  /** Called after each change, with the new and the previous snapshot. Returns an unsubscribe. */
  subscribe(listener: PolicyListener): () => void;
  /**
   * Moves a domain to another configured backend; resolves with the snapshot that has the
   * change. Rejects with a PolicyChangeError for an unknown domain or backend, or when the
   * store cannot be written.
   */
  setDomainBackend(domain: string, backend: string): Promise<PolicySnapshot>;
  /** Re-reads the source (the SIGHUP path). A source that fails validation leaves the policy as it is. */
  reload(): Promise<ReloadResult>;
  health(): PolicyStoreHealth;
  close(): Promise<void>;
}

/** `cutover`: the domain has offset segments or a cutover in progress; only a cutover moves it. */
export type PolicyChangeReason = 'unknown-domain' | 'unknown-backend' | 'store-unavailable' | 'cutover';

export class PolicyChangeError extends Error {
  readonly reason: PolicyChangeReason;
  readonly domain: string;
  readonly backend: string;

  constructor(reason: PolicyChangeReason, domain: string, backend: string, message: string) {
    super(message);
    this.name = 'PolicyChangeError';
    this.reason = reason;
    this.domain = domain;
    this.backend = backend;
  }
}

/** Throws the PolicyChangeError a store reports when a change names what the policy lacks. */
export function checkDomainBackendChange(snapshot: PolicySnapshot, domain: string, backend: string): void {
  if (!snapshot.domains.has(domain)) {
    throw new PolicyChangeError('unknown-domain', domain, backend, `unknown domain ${JSON.stringify(domain)}`);
  }
  if (!snapshot.backends.has(backend)) {
    const configured = [...snapshot.backends.keys()].join(', ');
    throw new PolicyChangeError(
      'unknown-backend',
      domain,
      backend,
      `unknown backend ${JSON.stringify(backend)} (configured: ${configured})`,
    );
  }
}

/** The subscribers of a store; one failing listener neither stops the others nor the store. */
export class PolicyListeners {
  private readonly listeners = new Set<PolicyListener>();
  private readonly log: Logger;

  constructor(log: Logger) {
    this.log = log;
  }

  add(listener: PolicyListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  notify(next: PolicySnapshot, previous: PolicySnapshot): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(next, previous);
      } catch (err) {
        this.log.error({ err, version: next.version }, 'policy listener failed');
      }
    }
  }

  clear(): void {
    this.listeners.clear();
  }
}

/** Logs what changed between two snapshots, one line per domain whose backend moved. */
export function logPolicyChange(log: Logger, next: PolicySnapshot, previous: PolicySnapshot, cause: string): void {
  for (const d of next.domains.values()) {
    const before = previous.domains.get(d.name);
    if (before !== undefined && before.backend !== d.backend) {
      log.info({ domain: d.name, from: before.backend, to: d.backend, version: next.version, cause }, 'domain backend changed');
    }
  }
  log.info({ version: next.version, previousVersion: previous.version, domains: next.domains.size, cause }, 'policy applied');
}

/**
 * Re-reads the store on a signal (SIGHUP by default), as operators expect of a daemon.
 * Returns a function that removes the handler.
 */
export function reloadOnSignal(store: PolicyStore, log: Logger, signal: NodeJS.Signals = 'SIGHUP'): () => void {
  const onSignal = (): void => {
    log.info({ signal }, 'reloading the policy');
    store.reload().catch((err: unknown) => log.error({ err, signal }, 'policy reload failed'));
  };
  process.on(signal, onSignal);
  return () => {
    process.off(signal, onSignal);
  };
}
