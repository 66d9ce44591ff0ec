// The cutover store shared by the instances of a virtual cluster, in Redis next to the policy
// (same key prefix, so one virtual cluster's keys stay in one Redis Cluster slot):
//   cutover-domains       hash domain → its state (chains, groups backend, era, backend) as JSON
//   cutovers              hash id → cutover record as JSON
//   cutover-active        hash domain → the id of its cutover in progress
//   cutover-version       integer, incremented by every change
//   cutover-changes       pub/sub channel; every change publishes the new version
//   cutover-acks:<id>     hash `step/instance` → an instance's confirmation, expiring after a day
//   instances             hash instance → the end of its lease (Redis clock, ms)
//   epoch-generations     the shared leader epoch generations (identity-redis-store.ts): the
//                         switch claims its new generations there in the same write
// Every write is one Lua script that checks what it expects (no cutover in progress for the
// domain; the record still in the phase the writer read; the generations free), writes,
// INCRs the version and PUBLISHes it. Reads are one MULTI. Each instance subscribes to the
// channel and polls the version every `pollIntervalMs` as a safety net.
//
// Seeding: a Redis that has no cutover state while this instance holds one (Redis restarted
// without persistence) gets this instance's back, the first writer winning: forgetting the
// segments would route cut-over domains by their configured backends and split their logs.
//
// Liveness. Each instance renews its lease (`leaseMs`) every poll. A coordinator waits for the
// confirmations of every instance whose lease is running. An instance that cannot renew its
// lease for half of it stops trusting its copy of the state (`known()` false, and every domain
// that could be cut over is held) well before the others stop counting it: an instance cut
// off from Redis never routes a domain by a state others have moved past; once its lease has
// lapsed, renewing it is not enough: it trusts its copy again only after reading the state (or
// finding its version unchanged), in the same turn as it tells its listeners. An instance renews
// its lease before it first reads the state, so one that starts during a cutover is either
// counted by the coordinator's next check or reads a phase that holds the domain.
import { randomUUID } from 'node:crypto';
import { ReplyError, type Redis } from 'ioredis';
import type { Logger } from '../observability/logger.js';
import { isFinished, type CutoverPhase } from './cutover-phase.js';
import { parseCutoverRecord, type CutoverRecord } from './cutover-record.js';
import { parseDomainState, serializeDomainState, type DomainCutoverState } from './cutover-domain-state.js';
import { CutoverState, FINISHED_RECORDS_KEPT } from './cutover-state.js';
import {
  CutoverConflictError,
  CutoverListeners,
  CutoverStoreError,
  type AckReport,
  type OffsetTransaction,
  type AckStep,
  type CutoverStateListener,
  type CutoverStore,
  type CutoverStoreHealth,
} from './cutover-store.js';
import { CoalescedSync, redisConnectionPair, waitUntil } from './redis-sync.js';

export interface RedisCutoverStoreOptions {
  url: string;
  password?: string;
  /** The policy store's key prefix. */
  keyPrefix: string;
  log: Logger;
  /** (default: a random id) */
  instanceId?: string;
  /** Period of the version check and of the lease renewal, in ms. (default: 1000) */
  pollIntervalMs?: number;
  /** How long an instance counts as alive after renewing its lease, in ms. (default: 10000) */
  leaseMs?: number;
  /** Time to connect and for each command, in ms. (default: 5000) */
  connectTimeoutMs?: number;
  /** Monotonic clock in ms. (default: performance.now) */
  nowMs?: () => number;
}

const ACKS_TTL_MS = 24 * 60 * 60 * 1000;
/** An instance whose lease ended this long ago is forgotten. */
const FORGET_INSTANCE_MS = 60 * 60 * 1000;

// KEYS: cutovers, active, version. ARGV: id, domain, record, channel.
const CREATE_LUA = `
local a = redis.call('HGET', KEYS[2], ARGV[2])
if a then return redis.error_reply('ACTIVE ' .. a) end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
redis.call('HSET', KEYS[2], ARGV[2], ARGV[1])
local v = redis.call('INCR', KEYS[3])
redis.call('PUBLISH', ARGV[4], v)
return v
`;

// KEYS: cutovers, active, version, domains, generations. ARGV: id, domain, expected phase,
// record, finished (1/0), channel, domain state or '', generation backend, generation fields...
const MOVE_LUA = `
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw then return redis.error_reply('UNKNOWN ' .. ARGV[1]) end
local phase = cjson.decode(raw).phase
if phase ~= ARGV[3] then return redis.error_reply('PHASE ' .. tostring(phase)) end
for i = 9, #ARGV do
  local holder = redis.call('HGET', KEYS[5], ARGV[i])
  if holder and holder ~= ARGV[8] then return redis.error_reply('GENERATION ' .. ARGV[i] .. ' ' .. holder) end
end
for i = 9, #ARGV do redis.call('HSETNX', KEYS[5], ARGV[i], ARGV[8]) end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[4])
if ARGV[5] == '1' and redis.call('HGET', KEYS[2], ARGV[2]) == ARGV[1] then redis.call('HDEL', KEYS[2], ARGV[2]) end
if ARGV[7] ~= '' then redis.call('HSET', KEYS[4], ARGV[2], ARGV[7]) end
local v = redis.call('INCR', KEYS[3])
redis.call('PUBLISH', ARGV[6], v)
return v
`;

// KEYS: domains, active, version. ARGV: domain, state, expected version, channel.
const SET_DOMAIN_LUA = `
local a = redis.call('HGET', KEYS[2], ARGV[1])
if a then return redis.error_reply('ACTIVE ' .. a) end
local v = tonumber(redis.call('GET', KEYS[3]) or '0')
if v ~= tonumber(ARGV[3]) then return redis.error_reply('VERSION ' .. v) end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
v = redis.call('INCR', KEYS[3])
redis.call('PUBLISH', ARGV[4], v)
return v
`;

// KEYS: version, domains, cutovers, active. ARGV: channel, version, domain count, (domain,
// state)..., (id, record, domain when in progress else '')... Writes a whole state into a Redis
// that has none; the first writer wins.
const SEED_LUA = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local n = tonumber(ARGV[3])
local i = 4
for _ = 1, n do
  redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1])
  i = i + 2
end
while i <= #ARGV do
  redis.call('HSET', KEYS[3], ARGV[i], ARGV[i + 1])
  if ARGV[i + 2] ~= '' then redis.call('HSET', KEYS[4], ARGV[i + 2], ARGV[i]) end
  i = i + 3
end
redis.call('SET', KEYS[1], ARGV[2])
redis.call('PUBLISH', ARGV[1], ARGV[2])
return tonumber(ARGV[2])
`;

// KEYS: instances. ARGV: instance, lease ms, forget after ms. Returns Redis's time.
const RENEW_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('HSET', KEYS[1], ARGV[1], now + tonumber(ARGV[2]))
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  if tonumber(all[i + 1]) < now - tonumber(ARGV[3]) then redis.call('HDEL', KEYS[1], all[i]) end
end
return now
`;

// KEYS: instances. Returns the instances whose lease is running.
const LIVE_LUA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local all = redis.call('HGETALL', KEYS[1])
local live = {}
for i = 1, #all, 2 do
  if tonumber(all[i + 1]) > now then table.insert(live, all[i]) end
end
return live
`;

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export class RedisCutoverStore implements CutoverStore {
  readonly kind = 'redis' as const;
  readonly instanceId: string;
  private readonly log: Logger;
  private readonly cmd: Redis;
  private readonly sub: Redis;
  private readonly keys: { domains: string; cutovers: string; active: string; version: string; channel: string; instances: string; generations: string; acksPrefix: string };
  private readonly listeners: CutoverListeners;
  private readonly sync: CoalescedSync;
  private readonly leaseMs: number;
  private readonly nowMs: () => number;
  private state = CutoverState.empty();
  private loadedOnce = false;
  /** The state in Redis could not be read whole: entries that do not parse. */
  private unreadable = false;
  /** Monotonic time the last successful lease renewal was sent at. */
  private leaseRenewedAt: number | null = null;
  /**
   * Renewals of a lapsed lease so far, and how many of them a read of the state sent after them
   * has covered. Others may move past the state while this instance is not counted, so a
   * renewal alone does not restore trust: the state is known only once a read has covered it.
   */
  private lapses = 0;
  private lapsesRead = 0;
  private wasKnown = false;
  private lastOpOk = false;
  private lastError: string | null = 'not connected to Redis yet';
  private outageLogged = false;
  private readonly pollTimer: NodeJS.Timeout;
  private closed = false;

  /** Connects, renews the lease and reads the state, waiting up to `connectTimeoutMs`; never fails because Redis is unreachable. */
  static async open(opts: RedisCutoverStoreOptions): Promise<RedisCutoverStore> {
    const store = new RedisCutoverStore(opts);
    const waitMs = opts.connectTimeoutMs ?? 5_000;
    if (!(await waitUntil(() => store.known() || store.closed, waitMs))) store.log.warn({ waitMs, reason: store.lastError }, 'cutover state not read from Redis at start; domains that may be cut over are held until it is');
    return store;
  }

  private constructor(opts: RedisCutoverStoreOptions) {
    this.instanceId = opts.instanceId ?? randomUUID();
    this.log = opts.log.child({ cutoverStore: 'redis', instance: this.instanceId });
    this.listeners = new CutoverListeners(this.log);
    this.leaseMs = opts.leaseMs ?? 10_000;
    this.nowMs = opts.nowMs ?? (() => performance.now());
    const p = opts.keyPrefix;
    this.keys = {
      domains: `${p}cutover-domains`,
      cutovers: `${p}cutovers`,
      active: `${p}cutover-active`,
      version: `${p}cutover-version`,
      channel: `${p}cutover-changes`,
      instances: `${p}instances`,
      generations: `${p}epoch-generations`,
      acksPrefix: `${p}cutover-acks:`,
    };
    this.sync = new CoalescedSync(() => this.syncOnce(), () => this.closed);
    ({ cmd: this.cmd, sub: this.sub } = redisConnectionPair({ url: opts.url, password: opts.password, connectTimeoutMs: opts.connectTimeoutMs ?? 5_000 }));
    this.cmd.on('ready', () => {
      this.outageLogged = false;
      this.poll();
    });
    this.sub.on('ready', () => this.sync.request());
    for (const conn of [this.cmd, this.sub]) {
      conn.on('error', (err: Error) => this.failed(err));
      conn.on('close', () => {
        if (!this.closed) this.lastOpOk = false;
      });
    }
    this.sub.on('message', (_channel: string, message: string) => {
      if (Number(message) !== this.state.version) this.sync.request();
    });
    this.cmd.connect().catch(() => undefined);
    this.sub.connect().catch(() => undefined);
    this.sub.subscribe(this.keys.channel).catch((err: unknown) => this.log.warn({ err: messageOf(err) }, 'redis subscribe failed'));
    this.pollTimer = setInterval(() => this.poll(), opts.pollIntervalMs ?? 1_000);
    this.pollTimer.unref();
  }

  current(): CutoverState {
    return this.state;
  }

  known(): boolean {
    return this.loadedOnce && !this.unreadable && this.lapsesRead === this.lapses && this.leaseRunning();
  }

  subscribe(listener: CutoverStateListener): () => void {
    return this.listeners.add(listener);
  }

  async create(record: CutoverRecord): Promise<void> {
    await this.write('record a cutover', () =>
      this.cmd.eval(CREATE_LUA, 3, this.keys.cutovers, this.keys.active, this.keys.version, record.id, record.domain, JSON.stringify(record), this.keys.channel),
    );
  }

  async move(expected: CutoverPhase, next: CutoverRecord, domainState?: DomainCutoverState): Promise<void> {
    const generationFields = domainState === undefined ? [] : Object.entries(next.generations ?? {}).map(([topic, g]) => `${topic}/${g}`);
    await this.write(`move cutover ${next.id} to ${next.phase}`, () =>
      this.cmd.eval(
        MOVE_LUA,
        5,
        this.keys.cutovers,
        this.keys.active,
        this.keys.version,
        this.keys.domains,
        this.keys.generations,
        next.id,
        next.domain,
        expected,
        JSON.stringify(next),
        isFinished(next.phase) ? '1' : '0',
        this.keys.channel,
        domainState === undefined ? '' : JSON.stringify(serializeDomainState(domainState)),
        next.to,
        ...generationFields,
      ),
    );
    if (isFinished(next.phase)) this.trimFinished().catch((err: unknown) => this.log.debug({ err: messageOf(err) }, 'cannot trim finished cutover records'));
  }

  async setDomainState(domain: string, state: DomainCutoverState, expectedVersion: number): Promise<void> {
    await this.write(`change the state of domain ${domain}`, () =>
      this.cmd.eval(SET_DOMAIN_LUA, 3, this.keys.domains, this.keys.active, this.keys.version, domain, JSON.stringify(serializeDomainState(state)), String(expectedVersion), this.keys.channel),
    );
  }

  async ack(cutoverId: string, step: AckStep, report: AckReport): Promise<void> {
    const key = `${this.keys.acksPrefix}${cutoverId}`;
    await this.run('confirm a cutover step', () => this.cmd.multi().hset(key, `${step}/${this.instanceId}`, JSON.stringify(report)).pexpire(key, ACKS_TTL_MS).exec());
  }

  async acks(cutoverId: string, step: AckStep): Promise<Map<string, AckReport>> {
    const all = await this.run('read cutover confirmations', () => this.cmd.hgetall(`${this.keys.acksPrefix}${cutoverId}`));
    const out = new Map<string, AckReport>();
    for (const [field, raw] of Object.entries(all)) {
      const slash = field.indexOf('/');
      if (field.slice(0, slash) !== step) continue;
      try {
        const r = JSON.parse(raw) as Partial<AckReport>;
        const report: AckReport = { ok: r.ok === true, reason: typeof r.reason === 'string' ? r.reason : null, atMs: typeof r.atMs === 'number' ? r.atMs : 0 };
        if (Array.isArray(r.transactionalGroups)) report.transactionalGroups = r.transactionalGroups.filter((g): g is string => typeof g === 'string');
        if (Array.isArray(r.offsetTransactions)) report.offsetTransactions = r.offsetTransactions.filter(isOffsetTransaction);
        out.set(field.slice(slash + 1), report);
      } catch {
        this.log.warn({ cutoverId, field }, 'ignoring an unreadable cutover confirmation');
      }
    }
    return out;
  }

  async liveInstances(): Promise<string[]> {
    return (await this.run('list live instances', () => this.cmd.eval(LIVE_LUA, 1, this.keys.instances))) as string[];
  }

  async refresh(): Promise<void> {
    await this.sync.now();
  }

  health(): CutoverStoreHealth {
    const connected = this.cmd.status === 'ready' && this.sub.status === 'ready';
    const ready = !this.closed && connected && this.lastOpOk && this.loadedOnce;
    let lastError = this.lastError;
    if (!ready && lastError === null) lastError = connected ? 'cutover state not read from Redis yet' : 'not connected to Redis';
    if (this.unreadable) lastError = 'the cutover state in Redis cannot be read whole';
    return { kind: 'redis', ready, known: this.known(), lastError, version: this.state.version };
  }

  /** Ends this instance's lease (so no coordinator waits for it) and disconnects. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.pollTimer);
    this.listeners.clear();
    if (this.cmd.status === 'ready') await this.cmd.hdel(this.keys.instances, this.instanceId).catch(() => undefined);
    this.cmd.disconnect();
    this.sub.disconnect();
    await this.sync.settled();
  }

  private leaseRunning(): boolean {
    // Half the lease: this instance stops trusting its state well before others stop waiting for it.
    return this.leaseRenewedAt !== null && this.nowMs() - this.leaseRenewedAt < this.leaseMs / 2;
  }

  /** Renews the lease, then reads the state when its version moved; tells listeners when `known()` changes. */
  private poll(): void {
    if (this.closed) return;
    this.checkKnown();
    if (this.cmd.status !== 'ready') return;
    const sentAt = this.nowMs();
    this.cmd.eval(RENEW_LUA, 1, this.keys.instances, this.instanceId, String(this.leaseMs), String(FORGET_INSTANCE_MS)).then(
      () => {
        if (this.leaseRenewedAt !== null && !this.leaseRunning()) this.lapses++;
        this.leaseRenewedAt = sentAt;
        const lapsesAtRead = this.lapses;
        if (!this.lastOpOk || !this.loadedOnce) {
          this.sync.request();
          return;
        }
        this.cmd.get(this.keys.version).then(
          (v) => {
            if (Number(v ?? 0) !== this.state.version) {
              this.sync.request();
            } else {
              this.coveredLapses(lapsesAtRead);
              this.checkKnown();
            }
          },
          (err: unknown) => this.failed(err),
        );
      },
      (err: unknown) => this.failed(err),
    );
  }

  private async syncOnce(): Promise<void> {
    if (this.closed || this.cmd.status !== 'ready' || this.leaseRenewedAt === null) return;
    const lapsesAtRead = this.lapses;
    let version: string | null;
    let domainsRaw: Record<string, string>;
    let cutoversRaw: Record<string, string>;
    try {
      const replies = await this.cmd.multi().get(this.keys.version).hgetall(this.keys.domains).hgetall(this.keys.cutovers).exec();
      if (replies === null) throw new Error('transaction aborted');
      for (const [err] of replies) if (err !== null) throw err;
      version = replies[0][1] as string | null;
      domainsRaw = replies[1][1] as Record<string, string>;
      cutoversRaw = replies[2][1] as Record<string, string>;
    } catch (err) {
      this.failed(err);
      return;
    }
    this.lastOpOk = true;
    this.lastError = null;
    if (version === null && this.loadedOnce && this.state.version > 0) {
      if (await this.seed()) this.sync.repeat();
      return;
    }
    const v = Number(version ?? 0);
    if (this.loadedOnce && v === this.state.version) {
      this.coveredLapses(lapsesAtRead);
      this.checkKnown();
      return;
    }
    let unreadable = false;
    const domains = new Map<string, DomainCutoverState>();
    for (const [name, raw] of Object.entries(domainsRaw)) {
      try {
        domains.set(name, parseDomainState(JSON.parse(raw), `redis ${this.keys.domains} ${name}`));
      } catch (err) {
        unreadable = true;
        this.log.error({ domain: name, err: messageOf(err) }, 'unreadable domain cutover state in Redis; domains that may be cut over are held');
      }
    }
    const cutovers = new Map<string, CutoverRecord>();
    for (const [id, raw] of Object.entries(cutoversRaw)) {
      try {
        cutovers.set(id, parseCutoverRecord(JSON.parse(raw), `redis ${this.keys.cutovers} ${id}`));
      } catch (err) {
        unreadable = true;
        this.log.error({ cutoverId: id, err: messageOf(err) }, 'unreadable cutover record in Redis; domains that may be cut over are held');
      }
    }
    const previous = this.state;
    this.state = new CutoverState(v, domains, cutovers);
    this.unreadable = unreadable;
    this.coveredLapses(lapsesAtRead);
    if (!this.loadedOnce) this.log.info({ version: v, domains: domains.size, active: this.state.active().length }, 'cutover state read from Redis');
    this.loadedOnce = true;
    this.wasKnown = this.known();
    this.listeners.notify(this.state, previous);
  }

  /** Writes this instance's state into a Redis that has none; false when Redis failed. */
  private async seed(): Promise<boolean> {
    const s = this.state;
    const args: string[] = [this.keys.channel, String(s.version + 1), String(s.domains.size)];
    for (const [name, d] of s.domains) args.push(name, JSON.stringify(serializeDomainState(d)));
    for (const c of s.cutovers.values()) args.push(c.id, JSON.stringify(c), isFinished(c.phase) ? '' : c.domain);
    try {
      const v = (await this.cmd.eval(SEED_LUA, 4, this.keys.version, this.keys.domains, this.keys.cutovers, this.keys.active, ...args)) as number;
      if (v > 0) this.log.warn({ version: v, domains: s.domains.size }, 'redis had no cutover state; wrote back the one this instance holds');
      return true;
    } catch (err) {
      this.failed(err);
      return false;
    }
  }

  /** A read sent when `lapses` was `lapsesAtRead` came back: the state is current as of those lapses. */
  private coveredLapses(lapsesAtRead: number): void {
    this.lapsesRead = Math.max(this.lapsesRead, lapsesAtRead);
  }

  /** Tells listeners when the state becomes known or stops being known (lease lost). */
  private checkKnown(): void {
    const known = this.known();
    if (known === this.wasKnown) return;
    this.wasKnown = known;
    if (!known) this.log.warn({ leaseMs: this.leaseMs }, 'cut off from the cutover state in Redis; domains that may be cut over are held until it is read again');
    else this.log.info({ version: this.state.version }, 'cutover state known again');
    this.listeners.notify(this.state, this.state);
  }

  private async write(operation: string, command: () => Promise<unknown>): Promise<void> {
    try {
      await this.run(operation, command);
    } catch (err) {
      const cause = err instanceof CutoverStoreError ? err.cause : err;
      if (cause instanceof ReplyError) {
        const m = messageOf(cause);
        if (m.startsWith('ACTIVE')) throw new CutoverConflictError('active', `${operation}: cutover ${m.slice(7)} is in progress for the domain`);
        if (m.startsWith('PHASE')) throw new CutoverConflictError('phase', `${operation}: the cutover is ${m.slice(6)} now`);
        if (m.startsWith('UNKNOWN')) throw new CutoverConflictError('unknown-cutover', `${operation}: no such cutover`);
        if (m.startsWith('GENERATION')) throw new CutoverConflictError('generation', `${operation}: leader epoch generation already taken (${m.slice(11)})`);
        if (m.startsWith('VERSION')) throw new CutoverConflictError('version', `${operation}: the cutover state changed (version ${m.slice(8)})`);
      }
      throw err;
    }
    await this.sync.now();
  }

  private async run<T>(operation: string, command: () => Promise<T>): Promise<T> {
    if (this.closed) throw new CutoverStoreError('redis', `${operation}: the cutover store is closed`);
    if (this.cmd.status !== 'ready') throw new CutoverStoreError('redis', `${operation}: redis is not reachable (${this.lastError ?? this.cmd.status})`);
    try {
      return await command();
    } catch (err) {
      throw new CutoverStoreError('redis', `${operation}: ${messageOf(err)}`, { cause: err });
    }
  }

  private async trimFinished(): Promise<void> {
    const finished = this.state.list().filter((c) => isFinished(c.phase));
    const old = finished.slice(FINISHED_RECORDS_KEPT).map((c) => c.id);
    if (old.length > 0) await this.cmd.hdel(this.keys.cutovers, ...old);
  }

  private failed(err: unknown): void {
    this.lastOpOk = false;
    this.lastError = `redis: ${messageOf(err)}`;
    this.checkKnown();
    if (this.closed || this.outageLogged) return;
    this.outageLogged = true;
    this.log.warn({ err: messageOf(err), version: this.state.version }, 'cannot reach the cutover state in Redis; holding domains in a cutover until it is read again');
  }
}

/** An offset transaction of a confirmation, as JSON gives it back (Lua may turn an emptied list into {}). */
function isOffsetTransaction(v: unknown): v is OffsetTransaction {
  if (typeof v !== 'object' || v === null) return false;
  const t = v as { transactionalId?: unknown; partitions?: unknown };
  if (typeof t.transactionalId !== 'string') return false;
  if (!Array.isArray(t.partitions)) t.partitions = [];
  return (t.partitions as unknown[]).every((p) => typeof p === 'object' && p !== null && typeof (p as { topic?: unknown }).topic === 'string' && Number.isInteger((p as { partition?: unknown }).partition));
}
