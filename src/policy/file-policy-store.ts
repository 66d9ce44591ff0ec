// The embedded policy store: the YAML configuration file, hot-reloaded.
//
// - The file's directory is watched, not the file, so editors that save by writing a new file
//   and renaming it over the old one (vim, most IDEs) and Kubernetes ConfigMap volumes (a
//   symlink swapped in the directory) are seen too. Events are debounced and a reload whose
//   text equals the text in effect does nothing.
// - `reload()` re-reads the file on demand; the start command calls it on SIGHUP
//   (reloadOnSignal in policy-store.ts).
// - A file that fails validation (or cannot be read) keeps the policy in effect; the reason
//   is logged and shown as `lastError` in the store's health, which stays ready: the
//   instance serves correctly with the previous policy.
// - Only the policy (backends, domains, defaultDomain) is hot-reloaded. Other changed fields
//   (listeners, limits, ...) are logged as taking effect at the next start.
// - `setDomainBackend` changes the policy in memory only: it is not written back to the file
//   (which is often read-only, a ConfigMap or a file under configuration management). It lasts
//   until the file itself names another backend for that domain or removes the domain or the
//   backend, and until the process restarts. Use the Redis store for changes that persist
//   and reach every instance.
import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../observability/logger.js';
import { ConfigError } from './config-error.js';
import { loadConfigFile, parseConfigYaml, type TurnoutConfig } from './config.js';
import { PolicySnapshot, policyDocumentOf } from './policy-snapshot.js';
import {
  checkDomainBackendChange,
  logPolicyChange,
  PolicyListeners,
  type PolicyListener,
  type PolicyStore,
  type PolicyStoreHealth,
  type ReloadResult,
} from './policy-store.js';

export interface FilePolicyStoreOptions {
  /** The YAML configuration file. */
  file: string;
  log: Logger;
  /** The file's configuration when the caller has already loaded it; read from `file` otherwise. */
  config?: TurnoutConfig;
  /** Reload when the file changes. (default: the file's `store.watchFile`) */
  watch?: boolean;
  /** Quiet time after the last change event before reloading, in ms. (default: the file's `store.reloadDebounceMs`) */
  debounceMs?: number;
}

/** A backend set through the admin API, and what the file said when it was set. */
interface BackendOverride {
  backend: string;
  fileBackend: string;
}

/** Top-level fields that are not policy: a reload cannot apply them to a running instance. */
const POLICY_FIELDS = new Set(['backends', 'domains', 'defaultDomain']);

const WATCH_RETRY_MS = 1_000;

export class FilePolicyStore implements PolicyStore {
  readonly kind = 'file' as const;
  readonly file: string;

  private readonly log: Logger;
  private readonly listeners: PolicyListeners;
  private readonly debounceMs: number;
  private readonly startConfig: TurnoutConfig;
  private configInEffect: TurnoutConfig;
  private snapshot: PolicySnapshot;
  private textInEffect: string | null = null;
  private readonly overrides = new Map<string, BackendOverride>();
  private lastError: string | null = null;
  private watcher: FSWatcher | null = null;
  private debounceTimer: NodeJS.Timeout | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private reloadChain: Promise<unknown> = Promise.resolve();
  private closed = false;

  /** Reads and validates the file (a ConfigError names the bad fields) and starts watching it. */
  static async open(opts: FilePolicyStoreOptions): Promise<FilePolicyStore> {
    let text: string | null = null;
    let config = opts.config;
    if (config === undefined) {
      text = await readFile(opts.file, 'utf8').catch(() => null);
      config = text === null ? await loadConfigFile(opts.file, { severalBackends: true }) : parseConfigYaml(text, opts.file, { severalBackends: true });
    }
    const store = new FilePolicyStore(opts, config, text);
    if (opts.watch ?? config.store.watchFile) store.startWatching();
    return store;
  }

  private constructor(opts: FilePolicyStoreOptions, config: TurnoutConfig, text: string | null) {
    this.file = opts.file;
    this.log = opts.log.child({ policyStore: 'file', file: opts.file });
    this.listeners = new PolicyListeners(this.log);
    this.debounceMs = opts.debounceMs ?? config.store.reloadDebounceMs;
    this.startConfig = config;
    this.configInEffect = config;
    this.textInEffect = text;
    this.snapshot = new PolicySnapshot(policyDocumentOf(config), 1, new Map());
  }

  current(): PolicySnapshot {
    return this.snapshot;
  }

  /** The whole configuration of the file version in effect. */
  config(): TurnoutConfig {
    return this.configInEffect;
  }

  subscribe(listener: PolicyListener): () => void {
    return this.listeners.add(listener);
  }

  health(): PolicyStoreHealth {
    return { kind: 'file', ready: !this.closed, lastError: this.lastError, version: this.snapshot.version };
  }

  async setDomainBackend(domain: string, backend: string): Promise<PolicySnapshot> {
    checkDomainBackendChange(this.snapshot, domain, backend);
    const d = this.snapshot.domains.get(domain)!;
    if (d.backend === backend) return this.snapshot;
    if (backend === d.configuredBackend) this.overrides.delete(domain);
    else this.overrides.set(domain, { backend, fileBackend: d.configuredBackend });
    this.apply(this.snapshot.document, 'admin');
    return this.snapshot;
  }

  reload(): Promise<ReloadResult> {
    // One reload at a time, in the order asked: a watcher event and a SIGHUP may coincide.
    const next = this.reloadChain.then(() => this.reloadNow());
    this.reloadChain = next.catch(() => undefined);
    return next;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.stopWatching();
    this.listeners.clear();
    await this.reloadChain;
  }

  private async reloadNow(): Promise<ReloadResult> {
    if (this.closed) return this.result(false, 'store closed');
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      return this.reject(`cannot read ${this.file}: ${err instanceof Error ? err.message : String(err)}`, []);
    }
    if (text === this.textInEffect) {
      this.lastError = null;
      return this.result(false, null);
    }
    let config: TurnoutConfig;
    try {
      config = parseConfigYaml(text, this.file, { severalBackends: true });
    } catch (err) {
      if (err instanceof ConfigError) return this.reject(err.message, err.issues);
      throw err;
    }
    this.textInEffect = text;
    this.configInEffect = config;
    this.lastError = null;
    this.warnAboutRestartOnlyFields(config);
    const doc = policyDocumentOf(config);
    this.keepValidOverrides(config);
    return this.result(this.apply(doc, 'file'), null);
  }

  private reject(reason: string, issues: ConfigError['issues']): ReloadResult {
    this.lastError = reason;
    this.log.error({ issues, reason, version: this.snapshot.version }, 'policy reload failed; keeping the previous policy');
    return this.result(false, reason);
  }

  private result(changed: boolean, error: string | null): ReloadResult {
    return { changed, version: this.snapshot.version, error };
  }

  /** Drops admin-set backends the new file contradicts: the file is the newer intent. */
  private keepValidOverrides(config: TurnoutConfig): void {
    const backends = new Set(config.backends.map((b) => b.name));
    for (const [domain, o] of this.overrides) {
      const d = config.domains.find((x) => x.name === domain);
      let why: string | null = null;
      if (d === undefined) why = 'the domain is no longer in the file';
      else if (!backends.has(o.backend)) why = 'the backend is no longer in the file';
      else if (d.backend !== o.fileBackend) why = 'the file now names another backend for the domain';
      if (why === null) continue;
      this.overrides.delete(domain);
      this.log.warn({ domain, backend: o.backend, fileBackend: d?.backend, why }, 'backend set through the admin API dropped');
    }
  }

  /** Builds the next snapshot; true when it changed the policy in effect. */
  private apply(doc: PolicySnapshot['document'], cause: string): boolean {
    const wanted = new Map([...this.overrides].map(([domain, o]) => [domain, o.backend]));
    const previous = this.snapshot;
    const next = new PolicySnapshot(doc, previous.version + 1, wanted);
    if (next.samePolicyAs(previous)) return false;
    this.snapshot = next;
    logPolicyChange(this.log, next, previous, cause);
    this.listeners.notify(next, previous);
    return true;
  }

  private warnAboutRestartOnlyFields(config: TurnoutConfig): void {
    const changed = Object.keys(config).filter(
      (k) =>
        !POLICY_FIELDS.has(k) &&
        JSON.stringify(config[k as keyof TurnoutConfig]) !== JSON.stringify(this.startConfig[k as keyof TurnoutConfig]),
    );
    if (changed.length > 0) this.log.warn({ fields: changed }, 'changed fields take effect at the next start');
  }

  private startWatching(): void {
    if (this.closed) return;
    const dir = path.dirname(path.resolve(this.file));
    try {
      this.watcher = watch(dir, { persistent: false }, () => this.scheduleReload());
    } catch (err) {
      this.log.warn({ err, dir }, 'cannot watch the configuration directory; retrying (SIGHUP still reloads)');
      this.retryWatch();
      return;
    }
    this.watcher.on('error', (err) => {
      this.log.warn({ err, dir }, 'configuration directory watch failed; retrying (SIGHUP still reloads)');
      this.watcher?.close();
      this.watcher = null;
      this.retryWatch();
    });
  }

  private retryWatch(): void {
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.startWatching();
      this.scheduleReload();
    }, WATCH_RETRY_MS);
    this.retryTimer.unref();
  }

  private scheduleReload(): void {
    if (this.closed) return;
    if (this.debounceTimer !== null) clearTimeout(this.debounceTimer);
    this.debounceTimer = setTimeout(() => {
      this.debounceTimer = null;
      this.reload().catch((err: unknown) => this.log.error({ err }, 'policy reload failed'));
    }, this.debounceMs);
    this.debounceTimer.unref();
  }

  private stopWatching(): void {
    this.watcher?.close();
    this.watcher = null;
    if (this.debounceTimer !== null) clearTimeout(this.debounceTimer);
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.debounceTimer = null;
    this.retryTimer = null;
  }
}
