// The identity store in Redis, next to the policy (same key prefix, so one virtual cluster's
// keys stay in one Redis Cluster slot):
//   topic-ids           hash topic → JSON {name, virtualId, servingBackend, realIds, rev}
//   epoch-generations   hash "<topic>/<generation>" → backend ('/' is not legal in a topic name)
//   identity-rev        counter: the revision of every topic write and deletion
//   identities          pub/sub channel: JSON {origin, kind, ...} for every change
// Each write is one Lua script (check, write, publish), so it is atomic and the announcement
// order is the write order. The rules are those of identity-store.ts.
//
// Commands fail at once while Redis is unreachable (no offline queue): the caller keeps its
// own decisions and retries; `onConnected` fires when both connections are back.
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from '../observability/logger.js';
import { redisConnectionPair } from '../policy/redis-sync.js';
import type { TopicIdEntry } from './topic-id-map.js';
import type { IdentityChange, IdentityStore, StoredGeneration, StoredIdentities, StoredTopicId } from './identity-store.js';

export interface RedisIdentityStoreOptions {
  /** `redis://[user:password@]host:port[/db]` or `rediss://` for TLS. */
  url: string;
  /** Overrides a password in the URL. */
  password?: string;
  /** Prefix of every key and of the channel: the policy store's. */
  keyPrefix: string;
  log: Logger;
  /** Time to connect and for each command, in ms. (default: 5000) */
  connectTimeoutMs?: number;
}

// KEYS: topic-ids, identity-rev. ARGV: name, entry JSON, previous virtual id or '', channel, origin.
const WRITE_TOPIC_LUA = `
local raw = redis.call('HGET', KEYS[1], ARGV[1])
local p = cjson.decode(ARGV[2])
if raw then
  local s = cjson.decode(raw)
  if s.virtualId == p.virtualId then
    for b, id in pairs(p.realIds) do s.realIds[b] = id end
    if p.servingBackend ~= cjson.null then s.servingBackend = p.servingBackend end
    p = s
  else
    local b = p.servingBackend
    local storedReal = nil
    if b ~= cjson.null then storedReal = s.realIds[b] end
    local newer = storedReal ~= nil and storedReal ~= p.realIds[b]
    if not newer and ARGV[3] ~= s.virtualId then return raw end
  end
end
p.rev = redis.call('INCR', KEYS[2])
local out = cjson.encode(p)
redis.call('HSET', KEYS[1], ARGV[1], out)
redis.call('PUBLISH', ARGV[4], cjson.encode({origin = ARGV[5], kind = 'topic', entry = p}))
return out
`;

// KEYS: topic-ids, identity-rev. ARGV: name, virtual id, channel, origin.
const FORGET_TOPIC_LUA = `
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw or cjson.decode(raw).virtualId ~= ARGV[2] then return 0 end
redis.call('HDEL', KEYS[1], ARGV[1])
local rev = redis.call('INCR', KEYS[2])
redis.call('PUBLISH', ARGV[3], cjson.encode({origin = ARGV[4], kind = 'forget', name = ARGV[1], virtualId = ARGV[2], rev = rev}))
return rev
`;

// KEYS: epoch-generations. ARGV: field, backend, channel, announcement.
const CLAIM_GENERATION_LUA = `
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 1 then
  redis.call('PUBLISH', ARGV[3], ARGV[4])
  return ARGV[2]
end
return redis.call('HGET', KEYS[1], ARGV[1])
`;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A stored topic entry, checked field by field (the store is shared: never trust its shape). */
function topicOf(v: unknown): StoredTopicId | null {
  if (!isRecord(v) || typeof v.name !== 'string' || typeof v.virtualId !== 'string' || typeof v.rev !== 'number') return null;
  const serving = v.servingBackend;
  if (serving !== null && typeof serving !== 'string') return null;
  // cjson writes an empty object as {} but an emptied Lua table may come back as [].
  const reals = Array.isArray(v.realIds) && v.realIds.length === 0 ? {} : v.realIds;
  if (!isRecord(reals) || !Object.values(reals).every((r) => typeof r === 'string')) return null;
  return { name: v.name, virtualId: v.virtualId, servingBackend: serving, realIds: reals as Record<string, string>, rev: v.rev };
}

function generationOfField(field: string, backend: string): StoredGeneration | null {
  const slash = field.lastIndexOf('/');
  const generation = Number(field.slice(slash + 1));
  if (slash <= 0 || !Number.isInteger(generation) || generation < 0) return null;
  return { topic: field.slice(0, slash), generation, backend };
}

export class RedisIdentityStore implements IdentityStore {
  private readonly log: Logger;
  private readonly cmd: Redis;
  private readonly sub: Redis;
  private readonly keys: { topics: string; generations: string; rev: string; channel: string };
  /** Marks this instance's announcements, which it does not need to hear back. */
  private readonly origin = randomUUID();
  private readonly changeListeners: Array<(c: IdentityChange) => void> = [];
  private readonly connectedListeners: Array<() => void> = [];
  private closed = false;

  constructor(opts: RedisIdentityStoreOptions) {
    this.log = opts.log.child({ identityStore: 'redis' });
    const p = opts.keyPrefix;
    this.keys = { topics: `${p}topic-ids`, generations: `${p}epoch-generations`, rev: `${p}identity-rev`, channel: `${p}identities` };
    ({ cmd: this.cmd, sub: this.sub } = redisConnectionPair({ url: opts.url, password: opts.password, connectTimeoutMs: opts.connectTimeoutMs ?? 5_000 }));
    for (const conn of [this.cmd, this.sub]) {
      // Outages are reported by the callers' failed commands; an unhandled 'error' would crash.
      conn.on('error', (err: Error) => this.log.debug({ err: err.message }, 'redis connection error'));
      conn.on('ready', () => this.connectedIfBoth());
    }
    this.sub.on('message', (_channel: string, message: string) => this.onMessage(message));
  }

  /** Connects and subscribes; returns at once (a Redis down now is retried by ioredis). */
  start(): void {
    this.cmd.connect().catch(() => undefined);
    this.sub.connect().catch(() => undefined);
    this.sub.subscribe(this.keys.channel).then(
      () => this.connectedIfBoth(),
      (err: unknown) => this.log.warn({ err }, 'redis subscribe failed'),
    );
  }

  onChange(listener: (change: IdentityChange) => void): void {
    this.changeListeners.push(listener);
  }

  onConnected(listener: () => void): void {
    this.connectedListeners.push(listener);
  }

  async load(): Promise<StoredIdentities> {
    const replies = await this.cmd.multi().hgetall(this.keys.topics).hgetall(this.keys.generations).exec();
    if (replies === null) throw new Error('redis transaction aborted');
    for (const [err] of replies) if (err !== null) throw err;
    const topicsRaw = replies[0][1] as Record<string, string>;
    const gensRaw = replies[1][1] as Record<string, string>;
    const topics: StoredTopicId[] = [];
    for (const [name, raw] of Object.entries(topicsRaw)) {
      const entry = this.parse(raw, `${this.keys.topics} ${name}`);
      if (entry !== null) topics.push(entry);
    }
    const generations: StoredGeneration[] = [];
    for (const [field, backend] of Object.entries(gensRaw)) {
      const g = generationOfField(field, backend);
      if (g === null) this.log.warn({ key: this.keys.generations, field }, 'ignoring an unreadable leader epoch generation');
      else generations.push(g);
    }
    return { topics, generations };
  }

  async writeTopic(entry: TopicIdEntry, previousVirtualId: string | null): Promise<StoredTopicId> {
    const proposed = JSON.stringify({ name: entry.name, virtualId: entry.virtualId, servingBackend: entry.servingBackend, realIds: entry.realIds });
    const raw = (await this.cmd.eval(
      WRITE_TOPIC_LUA,
      2,
      this.keys.topics,
      this.keys.rev,
      entry.name,
      proposed,
      previousVirtualId ?? '',
      this.keys.channel,
      this.origin,
    )) as string;
    const stored = this.parse(raw, `${this.keys.topics} ${entry.name}`);
    if (stored === null) throw new Error(`unreadable topic id entry of ${entry.name} in redis key ${this.keys.topics}`);
    return stored;
  }

  async forgetTopic(name: string, virtualId: string): Promise<number> {
    return (await this.cmd.eval(FORGET_TOPIC_LUA, 2, this.keys.topics, this.keys.rev, name, virtualId, this.keys.channel, this.origin)) as number;
  }

  async claimGeneration(g: StoredGeneration): Promise<string> {
    const announcement = JSON.stringify({ origin: this.origin, kind: 'generation', generation: g });
    return (await this.cmd.eval(
      CLAIM_GENERATION_LUA,
      1,
      this.keys.generations,
      `${g.topic}/${g.generation}`,
      g.backend,
      this.keys.channel,
      announcement,
    )) as string;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.cmd.disconnect();
    this.sub.disconnect();
  }

  private connectedIfBoth(): void {
    if (this.closed || this.cmd.status !== 'ready' || this.sub.status !== 'ready') return;
    for (const l of this.connectedListeners) l();
  }

  private parse(raw: string, where: string): StoredTopicId | null {
    let entry: StoredTopicId | null = null;
    try {
      entry = topicOf(JSON.parse(raw));
    } catch {
      entry = null;
    }
    if (entry === null) this.log.warn({ where }, 'ignoring an unreadable topic id entry');
    return entry;
  }

  private onMessage(message: string): void {
    let m: unknown;
    try {
      m = JSON.parse(message);
    } catch {
      m = null;
    }
    if (!isRecord(m)) return;
    if (m.origin === this.origin) return;
    const change = changeOf(m);
    if (change === null) {
      this.log.warn({ channel: this.keys.channel }, 'ignoring an unreadable identity announcement');
      return;
    }
    for (const l of this.changeListeners) l(change);
  }
}

function changeOf(m: Record<string, unknown>): IdentityChange | null {
  if (m.kind === 'topic') {
    const entry = topicOf(m.entry);
    return entry === null ? null : { kind: 'topic', entry };
  }
  if (m.kind === 'forget') {
    if (typeof m.name !== 'string' || typeof m.virtualId !== 'string' || typeof m.rev !== 'number') return null;
    return { kind: 'forget', name: m.name, virtualId: m.virtualId, rev: m.rev };
  }
  if (m.kind === 'generation' && isRecord(m.generation)) {
    const g = m.generation;
    if (typeof g.topic !== 'string' || typeof g.backend !== 'string' || typeof g.generation !== 'number') return null;
    return { kind: 'generation', generation: { topic: g.topic, generation: g.generation, backend: g.backend } };
  }
  return null;
}
