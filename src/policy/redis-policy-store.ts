// The shared policy store: the policy and the domains' current backends in Redis, so that
// every Turnout instance of a virtual cluster applies the same policy.
//
// Keys, under `keyPrefix` (default `turnout:{<clusterId>}:`, one hash slot):
//   policy           JSON {format: 1, policy: <backends, domains, defaultDomain>, index}; `index`
//                    (domain → configured backend, backend names) lets the scripts check a change
//   domain-backends  hash domain → backend, for domains moved away from their configured backend
//   version          integer, incremented by every change
//   changes          pub/sub channel; every change publishes the new version
// Every write is one Lua script (validate, write, INCR version, PUBLISH), so it is atomic and
// a reader that sees a version sees the state it stands for; reads are one MULTI.
//
// Each instance subscribes to the channel (a change reaches it in milliseconds) and polls the
// version every `pollIntervalMs` as a safety net for a missed message.
//
// Seeding: when Redis has no policy (first start, or a Redis restarted without persistence),
// the instance writes the policy it has: the YAML file's on first start, else the last one it
// knew, with its domain backends and a version above any it has seen. The first writer wins;
// the others read what it wrote. Later edits to the file's policy do not reach Redis
// (`replacePolicy` does); a file that differs from Redis is logged at start.
//
// Redis unreachable: the instance keeps the last policy it knew, reports not ready with the
// reason, logs once per outage, and keeps reconnecting (ioredis, backoff up to 1 s); when the
// connection is back it re-reads the policy (messages published meanwhile were lost).
// A change asked for while Redis is unreachable fails at once (store-unavailable).
import { Redis, ReplyError, type RedisOptions } from 'ioredis';
import { redactUrl } from './redis-key-prefix.js';
import type { Logger } from '../observability/logger.js';
import { ConfigError } from './config-error.js';
import { parsePolicyDocument, type PolicyDocument } from './policy-schema.js';
import { PolicySnapshot } from './policy-snapshot.js';
import {
  checkDomainBackendChange,
  logPolicyChange,
  PolicyChangeError,
  PolicyListeners,
  type PolicyListener,
  type PolicyStore,
  type PolicyStoreHealth,
  type ReloadResult,
} from './policy-store.js';

export interface RedisPolicyStoreOptions {
  /** `redis://[user:password@]host:port[/db]` or `rediss://` for TLS. */
  url: string;
  /** Overrides a password in the URL. */
  password?: string;
  /** Prefix of every key and of the channel; instances of one virtual cluster share it. */
  keyPrefix: string;
  /** The policy to seed an empty Redis with, and to serve until Redis is first read. */
  seed: PolicyDocument;
  log: Logger;
  /** Period of the version check that backs up pub/sub, in ms. (default: 1000) */
  pollIntervalMs?: number;
  /** Time to connect and for each command, in ms; also how long `open` waits for Redis. (default: 5000) */
  connectTimeoutMs?: number;
  /** Longest wait between reconnect attempts, in ms. (default: 1000) */
  maxReconnectDelayMs?: number;
}

interface StoredPolicy {
  format: 1;
  policy: PolicyDocument;
  index: { domains: Record<string, string>; backends: Record<string, true> };
}

// KEYS: policy, version, domain-backends. ARGV: domain, backend, channel.
const SET_BACKEND_LUA = `
local raw = redis.call('GET', KEYS[1])
if not raw then return redis.error_reply('NOPOLICY no policy in Redis') end
local index = cjson.decode(raw).index
local configured = index.domains[ARGV[1]]
if not configured then return redis.error_reply('UNKNOWNDOMAIN ' .. ARGV[1]) end
if not index.backends[ARGV[2]] then return redis.error_reply('UNKNOWNBACKEND ' .. ARGV[2]) end
local current = redis.call('HGET', KEYS[3], ARGV[1])
if not current then current = configured end
if current == ARGV[2] then return tonumber(redis.call('GET', KEYS[2]) or '0') end
if ARGV[2] == configured then redis.call('HDEL', KEYS[3], ARGV[1]) else redis.call('HSET', KEYS[3], ARGV[1], ARGV[2]) end
local v = redis.call('INCR', KEYS[2])
redis.call('PUBLISH', ARGV[3], v)
return v
`;

// KEYS: policy, version, domain-backends. ARGV: stored policy, channel, lowest version,
// then domain, backend pairs. Writes only into a Redis without a policy; returns 0 otherwise.
const SEED_LUA = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('DEL', KEYS[3])
for i = 4, #ARGV, 2 do redis.call('HSET', KEYS[3], ARGV[i], ARGV[i + 1]) end
local v = redis.call('INCR', KEYS[2])
local lowest = tonumber(ARGV[3])
if v < lowest then
  redis.call('SET', KEYS[2], lowest)
  v = lowest
end
redis.call('PUBLISH', ARGV[2], v)
return v
`;

// KEYS: policy, version, domain-backends. ARGV: stored policy, channel. Replaces the policy;
// keeps a domain's moved backend only while the new policy still has the domain and the
// backend and configures the domain on the same backend as before.
const REPLACE_LUA = `
local old = redis.call('GET', KEYS[1])
local oldDomains = {}
if old then oldDomains = cjson.decode(old).index.domains end
local index = cjson.decode(ARGV[1]).index
redis.call('SET', KEYS[1], ARGV[1])
local state = redis.call('HGETALL', KEYS[3])
for i = 1, #state, 2 do
  local d, b = state[i], state[i + 1]
  local configured = index.domains[d]
  if not configured or not index.backends[b] or configured == b or oldDomains[d] ~= configured then
    redis.call('HDEL', KEYS[3], d)
  end
end
local v = redis.call('INCR', KEYS[2])
redis.call('PUBLISH', ARGV[2], v)
return v
`;

function storedPolicyOf(doc: PolicyDocument): string {
  const snapshot = new PolicySnapshot(doc, 0, new Map());
  const domains: Record<string, string> = {};
  for (const d of snapshot.domains.values()) domains[d.name] = d.configuredBackend;
  const backends: Record<string, true> = {};
  for (const b of snapshot.backends.keys()) backends[b] = true;
  const stored: StoredPolicy = { format: 1, policy: doc, index: { domains, backends } };
  return JSON.stringify(stored);
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export class RedisPolicyStore implements PolicyStore {
  readonly kind = 'redis' as const;

  private readonly log: Logger;
  private readonly listeners: PolicyListeners;
  private readonly cmd: Redis;
  private readonly sub: Redis;
  private readonly keys: { policy: string; version: string; state: string; channel: string };
  private readonly seedText: string;
  private snapshot: PolicySnapshot;
  /** True once the policy was read from Redis at least once. */
  private readFromRedis = false;
  /** The last read or write against Redis worked. */
  private lastOpOk = false;
  private lastError: string | null = 'not connected to Redis yet';
  private outageLogged = false;
  private syncing: Promise<void> | null = null;
  private syncAgain = false;
  private readonly pollTimer: NodeJS.Timeout;
  private closed = false;

  /**
   * Connects and reads (or seeds) the policy. Never fails because Redis is unreachable: the
   * store then serves the seed policy, reports not ready, and keeps trying.
   */
  static async open(opts: RedisPolicyStoreOptions): Promise<RedisPolicyStore> {
    const store = new RedisPolicyStore(opts);
    const waitMs = opts.connectTimeoutMs ?? 5_000;
    const ready = await store.whenSynced(waitMs);
    if (!ready) {
      store.log.warn({ waitMs, reason: store.lastError }, 'redis not reachable at start; serving the policy of the configuration file until it is');
    }
    return store;
  }

  private constructor(opts: RedisPolicyStoreOptions) {
    this.log = opts.log.child({ policyStore: 'redis' });
    this.listeners = new PolicyListeners(this.log);
    const p = opts.keyPrefix;
    this.keys = { policy: `${p}policy`, version: `${p}version`, state: `${p}domain-backends`, channel: `${p}changes` };
    this.seedText = JSON.stringify(opts.seed);
    this.snapshot = new PolicySnapshot(opts.seed, 0, new Map());

    const connectTimeoutMs = opts.connectTimeoutMs ?? 5_000;
    const maxDelayMs = opts.maxReconnectDelayMs ?? 1_000;
    const common: RedisOptions = {
      lazyConnect: true,
      connectTimeout: connectTimeoutMs,
      retryStrategy: (times) => Math.min(100 * 2 ** Math.min(times, 10), maxDelayMs),
      ...(opts.password !== undefined ? { password: opts.password } : {}),
    };
    // Commands fail at once while disconnected: a policy change must not wait in a queue
    // and land minutes later, and the poll just tries again.
    this.cmd = new Redis(opts.url, { ...common, enableOfflineQueue: false, maxRetriesPerRequest: 0, commandTimeout: connectTimeoutMs });
    this.sub = new Redis(opts.url, { ...common, maxRetriesPerRequest: null, autoResubscribe: true });

    this.cmd.on('ready', () => {
      this.log.info({ url: redactUrl(opts.url) }, 'redis connected');
      this.outageLogged = false;
      this.requestSync();
    });
    this.sub.on('ready', () => this.requestSync());
    for (const conn of [this.cmd, this.sub]) {
      conn.on('error', (err: Error) => this.onConnectionError(err));
      conn.on('close', () => this.onConnectionClosed());
    }
    this.sub.on('message', (_channel: string, message: string) => {
      if (Number(message) !== this.snapshot.version) this.requestSync();
    });

    this.cmd.connect().catch(() => undefined);
    this.sub.connect().catch(() => undefined);
    this.sub.subscribe(this.keys.channel).catch((err: unknown) => this.log.warn({ err }, 'redis subscribe failed'));

    this.pollTimer = setInterval(() => this.poll(), opts.pollIntervalMs ?? 1_000);
    this.pollTimer.unref();
  }

  current(): PolicySnapshot {
    return this.snapshot;
  }

  subscribe(listener: PolicyListener): () => void {
    return this.listeners.add(listener);
  }

  health(): PolicyStoreHealth {
    const connected = this.cmd.status === 'ready' && this.sub.status === 'ready';
    const ready = !this.closed && connected && this.lastOpOk && this.readFromRedis;
    let lastError = this.lastError;
    if (!ready && lastError === null) lastError = connected ? 'policy not read from Redis yet' : 'not connected to Redis';
    return { kind: 'redis', ready, lastError, version: this.snapshot.version };
  }

  async setDomainBackend(domain: string, backend: string): Promise<PolicySnapshot> {
    checkDomainBackendChange(this.snapshot, domain, backend);
    this.requireConnection(domain, backend);
    try {
      await this.cmd.eval(SET_BACKEND_LUA, 3, this.keys.policy, this.keys.version, this.keys.state, domain, backend, this.keys.channel);
    } catch (err) {
      throw this.changeError(err, domain, backend);
    }
    await this.syncNow();
    return this.snapshot;
  }

  /**
   * Replaces the shared policy (backends, domains, defaultDomain) for every instance, keeping
   * moved domain backends the new policy does not contradict. Throws a ConfigError for an
   * invalid document.
   */
  async replacePolicy(doc: PolicyDocument): Promise<PolicySnapshot> {
    const valid = parsePolicyDocument(doc, 'policy');
    this.requireConnection('', '');
    try {
      await this.cmd.eval(REPLACE_LUA, 3, this.keys.policy, this.keys.version, this.keys.state, storedPolicyOf(valid), this.keys.channel);
    } catch (err) {
      throw this.changeError(err, '', '');
    }
    await this.syncNow();
    return this.snapshot;
  }

  async reload(): Promise<ReloadResult> {
    const before = this.snapshot;
    await this.syncNow();
    const error = this.lastOpOk ? null : (this.lastError ?? 'redis not reachable');
    return { changed: this.snapshot !== before && !this.snapshot.samePolicyAs(before), version: this.snapshot.version, error };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.pollTimer);
    this.listeners.clear();
    this.cmd.disconnect();
    this.sub.disconnect();
    await this.syncing?.catch(() => undefined);
  }

  /** Resolves true once the policy is read from Redis, false after `timeoutMs`. */
  private whenSynced(timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      const deadline = Date.now() + timeoutMs;
      const check = (): void => {
        if (this.readFromRedis) resolve(true);
        else if (Date.now() >= deadline || this.closed) resolve(false);
        else setTimeout(check, 20);
      };
      check();
    });
  }

  private requireConnection(domain: string, backend: string): void {
    if (this.cmd.status !== 'ready') {
      throw new PolicyChangeError('store-unavailable', domain, backend, `redis is not reachable (${this.lastError ?? this.cmd.status}); the policy cannot be changed until it is`);
    }
  }

  private changeError(err: unknown, domain: string, backend: string): Error {
    const message = messageOf(err);
    if (err instanceof ReplyError) {
      if (message.startsWith('UNKNOWNDOMAIN')) return new PolicyChangeError('unknown-domain', domain, backend, `unknown domain ${JSON.stringify(domain)}`);
      if (message.startsWith('UNKNOWNBACKEND')) return new PolicyChangeError('unknown-backend', domain, backend, `unknown backend ${JSON.stringify(backend)}`);
      if (message.startsWith('NOPOLICY')) this.requestSync();
    }
    return new PolicyChangeError('store-unavailable', domain, backend, `redis: ${message}`);
  }

  private onConnectionError(err: Error): void {
    this.lastError = `redis: ${err.message}`;
    if (this.closed) return;
    if (!this.outageLogged) {
      this.outageLogged = true;
      this.log.warn({ err: err.message, version: this.snapshot.version }, 'redis unreachable; serving the last known policy and reconnecting');
    } else if (this.log.isLevelEnabled('debug')) {
      this.log.debug({ err: err.message }, 'redis still unreachable');
    }
  }

  private onConnectionClosed(): void {
    if (this.closed) return;
    this.lastOpOk = false;
    this.lastError ??= 'redis connection closed';
    if (!this.outageLogged) {
      this.outageLogged = true;
      this.log.warn({ version: this.snapshot.version }, 'redis connection lost; serving the last known policy and reconnecting');
    }
  }

  private poll(): void {
    if (this.closed || this.cmd.status !== 'ready') return;
    if (!this.lastOpOk) {
      this.requestSync();
      return;
    }
    this.cmd.get(this.keys.version).then(
      (v) => {
        if (v === null || Number(v) !== this.snapshot.version) this.requestSync();
      },
      (err: unknown) => this.readFailed(err),
    );
  }

  /** Starts a sync unless one runs; a running one goes round again to see the latest state. */
  private requestSync(): void {
    if (this.closed) return;
    if (this.syncing !== null) {
      this.syncAgain = true;
      return;
    }
    this.syncing = this.syncLoop().finally(() => {
      this.syncing = null;
    });
  }

  /** A sync that starts after this call, finished. */
  private async syncNow(): Promise<void> {
    if (this.syncing !== null) {
      this.syncAgain = true;
      await this.syncing;
      // The running loop picked up syncAgain before it ended.
      return;
    }
    this.requestSync();
    await this.syncing;
  }

  private async syncLoop(): Promise<void> {
    do {
      this.syncAgain = false;
      await this.syncOnce();
    } while (this.syncAgain && !this.closed);
  }

  private async syncOnce(): Promise<void> {
    if (this.closed || this.cmd.status !== 'ready') return;
    let version: string | null;
    let raw: string | null;
    let state: Record<string, string>;
    try {
      const replies = await this.cmd.multi().get(this.keys.version).get(this.keys.policy).hgetall(this.keys.state).exec();
      if (replies === null) throw new Error('transaction aborted');
      for (const [err] of replies) if (err !== null) throw err;
      version = replies[0][1] as string | null;
      raw = replies[1][1] as string | null;
      state = replies[2][1] as Record<string, string>;
    } catch (err) {
      this.readFailed(err);
      return;
    }
    if (raw === null) {
      if (await this.seed()) this.syncAgain = true;
      return;
    }
    let doc: PolicyDocument;
    try {
      const stored = JSON.parse(raw) as Partial<StoredPolicy>;
      doc = parsePolicyDocument(stored.policy, `redis key ${this.keys.policy}`);
    } catch (err) {
      const reason = err instanceof ConfigError ? err.message : `unreadable policy in redis key ${this.keys.policy}: ${messageOf(err)}`;
      this.lastOpOk = false;
      // The poll re-reads it every interval; say so once per distinct problem.
      if (this.lastError !== reason) {
        this.log.error({ reason, version: this.snapshot.version }, 'policy in Redis is invalid; keeping the last known policy');
      }
      this.lastError = reason;
      return;
    }
    if (!this.readFromRedis && JSON.stringify(doc) !== this.seedText) {
      this.log.info({ key: this.keys.policy }, 'the policy in Redis differs from the configuration file; Redis wins (the file only seeds an empty Redis)');
    }
    this.readFromRedis = true;
    this.lastOpOk = true;
    this.lastError = null;
    this.apply(doc, Number(version ?? 0), new Map(Object.entries(state)));
  }

  private apply(doc: PolicyDocument, version: number, state: Map<string, string>): void {
    const previous = this.snapshot;
    const next = new PolicySnapshot(doc, version, state);
    if (version === previous.version && next.samePolicyAs(previous)) return;
    for (const [domain, backend] of state) {
      if (next.backendOverrides.get(domain) !== backend && next.domains.get(domain)?.configuredBackend !== backend) {
        this.log.warn({ domain, backend }, 'ignoring a domain backend in Redis that names an unknown domain or backend');
      }
    }
    if (version < previous.version) {
      this.log.warn({ version, previousVersion: previous.version }, 'policy version in Redis went backwards (Redis replaced?); applying it');
    }
    const changed = !next.samePolicyAs(previous);
    this.snapshot = next;
    if (changed) {
      logPolicyChange(this.log, next, previous, 'redis');
      this.listeners.notify(next, previous);
    }
  }

  /** Writes the policy this instance has into a Redis that has none; false when Redis failed. */
  private async seed(): Promise<boolean> {
    const s = this.snapshot;
    const pairs: string[] = [];
    for (const [domain, backend] of s.backendOverrides) pairs.push(domain, backend);
    try {
      const v = (await this.cmd.eval(
        SEED_LUA,
        3,
        this.keys.policy,
        this.keys.version,
        this.keys.state,
        storedPolicyOf(s.document),
        this.keys.channel,
        s.version + 1,
        ...pairs,
      )) as number;
      if (v > 0) {
        this.log.info(
          { version: v, from: this.readFromRedis ? 'last known policy' : 'configuration file' },
          'redis had no policy; seeded it',
        );
      }
      return true;
    } catch (err) {
      this.readFailed(err);
      return false;
    }
  }

  private readFailed(err: unknown): void {
    this.lastOpOk = false;
    this.lastError = `redis: ${messageOf(err)}`;
    if (!this.outageLogged) {
      this.outageLogged = true;
      this.log.warn({ err: messageOf(err), version: this.snapshot.version }, 'cannot read the policy from Redis; serving the last known policy');
    }
  }
}
