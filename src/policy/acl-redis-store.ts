// The shared ACL store: bindings in Redis, next to the policy (same key prefix, so one
// virtual cluster's keys stay in one Redis Cluster slot), so a change made through any
// instance applies on every instance within a second.
//
// Keys, under the policy store's `keyPrefix`:
//   acl-bindings   set of bindings, each as its canonical key (acl-binding.ts)
//   acl-version    integer, incremented by every change
//   acl-changes    pub/sub channel; every change publishes the new version
// Every write is one Lua script (check, write, INCR version, PUBLISH); reads are one MULTI.
// Each instance subscribes to the channel (a change reaches it in milliseconds) and polls the
// version every `pollIntervalMs` as a safety net for a missed message.
//
// Seeding: while Redis has no `acl-version` (first start, or a Redis restarted without
// persistence), the instance writes the bindings it has: the configuration's on first start,
// else the last ones it read. The first writer wins; the others read what it wrote. Later
// edits of the configuration's bindings do not reach Redis.
//
// Until the bindings have been read from Redis once, the store is not `loaded` and the
// authorizer allows only super users (Kafka's brokers refuse requests before their ACLs are
// loaded): serving the configuration's bindings instead could re-grant what was revoked at
// run time. Once loaded, an unreachable Redis keeps the last bindings read in force, the
// store reports not ready, and changes fail at once.
import { ReplyError, type Redis } from 'ioredis';
import type { Logger } from '../observability/logger.js';
import { bindingKey, bindingOfKey } from './acl-binding.js';
import {
  AclBindingSet,
  AclStoreError,
  BindingsInForce,
  validateBindings,
  type AclBindingStore,
  type AclStoreHealth,
} from './acl-binding-store.js';
import { logBindingChange } from './acl-local-store.js';
import type { AclBinding, AclBindingFilter } from './acl-model.js';
import { CoalescedSync, redisConnectionPair, waitUntil } from './redis-sync.js';

export interface RedisAclStoreOptions {
  /** `redis://[user:password@]host:port[/db]` or `rediss://` for TLS. */
  url: string;
  /** Overrides a password in the URL. */
  password?: string;
  /** Prefix of every key and of the channel: the policy store's. */
  keyPrefix: string;
  /** The configuration's bindings: what an empty Redis is seeded with. */
  seed: readonly AclBinding[];
  log: Logger;
  /** Period of the version check that backs up pub/sub, in ms. (default: 1000) */
  pollIntervalMs?: number;
  /** Time to connect and for each command, in ms; also how long `open` waits for the first read. (default: 5000) */
  connectTimeoutMs?: number;
}

// KEYS: bindings, version. ARGV: channel, version to start at, binding keys...
const SEED_LUA = `
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
for i = 3, #ARGV do redis.call('SADD', KEYS[1], ARGV[i]) end
redis.call('SET', KEYS[2], ARGV[2])
redis.call('PUBLISH', ARGV[1], ARGV[2])
return tonumber(ARGV[2])
`;

// KEYS: bindings, version. ARGV: channel, SADD or SREM, binding keys...
const CHANGE_LUA = `
if redis.call('EXISTS', KEYS[2]) == 0 then return redis.error_reply('NOACLS no ACL bindings in Redis yet') end
local changed = 0
for i = 3, #ARGV do changed = changed + redis.call(ARGV[2], KEYS[1], ARGV[i]) end
if changed == 0 then return tonumber(redis.call('GET', KEYS[2])) end
local v = redis.call('INCR', KEYS[2])
redis.call('PUBLISH', ARGV[1], v)
return v
`;

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export class RedisAclStore extends BindingsInForce implements AclBindingStore {
  readonly kind = 'redis' as const;
  private readonly log: Logger;
  private readonly cmd: Redis;
  private readonly sub: Redis;
  private readonly keys: { bindings: string; version: string; channel: string };
  private readonly sync: CoalescedSync;
  private version = 0;
  private loadedOnce = false;
  private lastOpOk = false;
  private lastError: string | null = 'not connected to Redis yet';
  private outageLogged = false;
  private badEntriesLogged = false;
  private readonly pollTimer: NodeJS.Timeout;
  private closed = false;

  /** Connects and reads (or seeds) the bindings, waiting up to `connectTimeoutMs`; never fails because Redis is unreachable. */
  static async open(opts: RedisAclStoreOptions): Promise<RedisAclStore> {
    const store = new RedisAclStore(opts);
    const waitMs = opts.connectTimeoutMs ?? 5_000;
    if (!(await waitUntil(() => store.loadedOnce, waitMs))) {
      store.log.warn({ waitMs, reason: store.lastError }, 'ACL bindings not read from Redis at start; only super users are allowed until they are');
    }
    return store;
  }

  private constructor(opts: RedisAclStoreOptions) {
    const log = opts.log.child({ aclStore: 'redis' });
    super(new AclBindingSet(opts.seed), log);
    this.log = log;
    const p = opts.keyPrefix;
    this.keys = { bindings: `${p}acl-bindings`, version: `${p}acl-version`, channel: `${p}acl-changes` };
    this.sync = new CoalescedSync(() => this.syncOnce(), () => this.closed);
    ({ cmd: this.cmd, sub: this.sub } = redisConnectionPair({ url: opts.url, password: opts.password, connectTimeoutMs: opts.connectTimeoutMs ?? 5_000 }));
    this.cmd.on('ready', () => {
      this.outageLogged = false;
      this.sync.request();
    });
    this.sub.on('ready', () => this.sync.request());
    for (const conn of [this.cmd, this.sub]) {
      conn.on('error', (err: Error) => this.failed(err));
      conn.on('close', () => {
        if (!this.closed) this.lastOpOk = false;
      });
    }
    this.sub.on('message', (_channel: string, message: string) => {
      if (Number(message) !== this.version) this.sync.request();
    });
    this.cmd.connect().catch(() => undefined);
    this.sub.connect().catch(() => undefined);
    this.sub.subscribe(this.keys.channel).catch((err: unknown) => this.log.warn({ err: messageOf(err) }, 'redis subscribe failed'));
    this.pollTimer = setInterval(() => this.poll(), opts.pollIntervalMs ?? 1_000);
    this.pollTimer.unref();
  }

  get loaded(): boolean {
    return this.loadedOnce;
  }

  async create(bindings: readonly AclBinding[]): Promise<void> {
    validateBindings(bindings);
    const added = new AclBindingSet(bindings).values();
    if (added.length === 0) return;
    await this.change('SADD', added);
    logBindingChange(this.log, 'ACL bindings created', added, this.version);
  }

  async delete(filters: readonly AclBindingFilter[]): Promise<AclBinding[][]> {
    this.requireConnection();
    // Match against what Redis holds now, not what this instance last heard.
    await this.sync.now();
    const matched = this.current.matching(filters);
    const removed = new AclBindingSet(matched.flat()).values();
    if (removed.length > 0) {
      await this.change('SREM', removed);
      logBindingChange(this.log, 'ACL bindings deleted', removed, this.version);
    }
    return matched;
  }

  health(): AclStoreHealth {
    const connected = this.cmd.status === 'ready' && this.sub.status === 'ready';
    const ready = !this.closed && connected && this.lastOpOk && this.loadedOnce;
    let lastError = this.lastError;
    if (!ready && lastError === null) lastError = connected ? 'ACL bindings not read from Redis yet' : 'not connected to Redis';
    return { kind: 'redis', ready, lastError, version: this.version, bindings: this.current.size };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.pollTimer);
    this.listeners.clear();
    this.cmd.disconnect();
    this.sub.disconnect();
    await this.sync.settled();
  }

  /** Adds or removes bindings in Redis, seeding first if Redis has none; resolves once this instance applies it. */
  private async change(op: 'SADD' | 'SREM', bindings: readonly AclBinding[]): Promise<void> {
    this.requireConnection();
    const members = bindings.map(bindingKey);
    const run = (): Promise<unknown> => this.cmd.eval(CHANGE_LUA, 2, this.keys.bindings, this.keys.version, this.keys.channel, op, ...members);
    try {
      try {
        await run();
      } catch (err) {
        if (!(err instanceof ReplyError) || !messageOf(err).startsWith('NOACLS')) throw err;
        await this.seed();
        await run();
      }
    } catch (err) {
      throw new AclStoreError('redis', `redis: ${messageOf(err)}; the ACL change was not made`, { cause: err });
    }
    await this.sync.now();
  }

  private requireConnection(): void {
    if (this.closed) throw new AclStoreError('redis', 'the ACL store is closed');
    if (this.cmd.status !== 'ready') {
      throw new AclStoreError('redis', `redis is not reachable (${this.lastError ?? this.cmd.status}); ACLs cannot be changed until it is`);
    }
  }

  private poll(): void {
    if (this.closed || this.cmd.status !== 'ready') return;
    if (!this.lastOpOk) {
      this.sync.request();
      return;
    }
    this.cmd.get(this.keys.version).then(
      (v) => {
        if (v === null || Number(v) !== this.version) this.sync.request();
      },
      (err: unknown) => this.failed(err),
    );
  }

  private async syncOnce(): Promise<void> {
    if (this.closed || this.cmd.status !== 'ready') return;
    let version: string | null;
    let members: string[];
    try {
      const replies = await this.cmd.multi().get(this.keys.version).smembers(this.keys.bindings).exec();
      if (replies === null) throw new Error('transaction aborted');
      for (const [err] of replies) if (err !== null) throw err;
      version = replies[0][1] as string | null;
      members = replies[1][1] as string[];
    } catch (err) {
      this.failed(err);
      return;
    }
    if (version === null) {
      if (await this.seed()) this.sync.repeat();
      return;
    }
    this.lastOpOk = true;
    this.lastError = null;
    this.apply(Number(version), members);
  }

  private apply(version: number, members: readonly string[]): void {
    const bindings: AclBinding[] = [];
    let bad = 0;
    for (const m of members) {
      const b = bindingOfKey(m);
      if (b === null) bad++;
      else bindings.push(b);
    }
    if (bad > 0 && !this.badEntriesLogged) {
      this.badEntriesLogged = true;
      this.log.error({ key: this.keys.bindings, ignored: bad }, 'entries of the ACL set in Redis are not bindings; ignoring them');
    }
    const firstLoad = !this.loadedOnce;
    if (!firstLoad && version === this.version) return;
    this.loadedOnce = true;
    this.version = version;
    if (firstLoad) this.log.info({ version, bindings: bindings.length }, 'ACL bindings read from Redis');
    this.replace(new AclBindingSet(bindings.sort((a, b) => (bindingKey(a) < bindingKey(b) ? -1 : 1))));
  }

  /** Writes this instance's bindings into a Redis that has none; false when Redis failed. */
  private async seed(): Promise<boolean> {
    try {
      const v = (await this.cmd.eval(
        SEED_LUA,
        2,
        this.keys.bindings,
        this.keys.version,
        this.keys.channel,
        this.version + 1,
        ...this.current.values().map(bindingKey),
      )) as number;
      if (v > 0) {
        this.log.info({ version: v, bindings: this.current.size, from: this.loadedOnce ? 'last bindings read' : 'configuration' }, 'redis had no ACL bindings; seeded them');
      }
      return true;
    } catch (err) {
      this.failed(err);
      return false;
    }
  }

  private failed(err: unknown): void {
    this.lastOpOk = false;
    this.lastError = `redis: ${messageOf(err)}`;
    if (this.closed || this.outageLogged) return;
    this.outageLogged = true;
    this.log.warn({ err: messageOf(err), version: this.version }, 'cannot read the ACL bindings from Redis; the last ones read stay in force');
  }
}
