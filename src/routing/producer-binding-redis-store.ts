// The producer binding store shared by the instances of a virtual cluster, in Redis next to
// the policy (same key prefix, so one virtual cluster's keys stay in one Redis Cluster slot):
//   producer:<virtualId>       JSON {virtualId, transactionalId, epoch, bindings, usedMs, sequenceBases}
//   producer-txn:<transactionalId>   the virtual id the transactional id has now
// Both expire `idleMs` after the last write or touch, as Kafka expires idle producer ids, so
// Redis holds only the producers in use. Each write is one Lua script: an idempotent
// producer's binding is claimed (the first instance to store one for a backend wins and the
// others use it), a transactional producer is replaced whole, an idle one is removed only if
// no instance has used it since.
//
// A write is durable as far as Redis is: run it with appendonly (appendfsync everysec or
// always) for producer ids to survive a Redis restart. Commands fail at once while Redis is
// unreachable (no offline queue): the caller holds the batch and retries, then answers a
// retriable error.
import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from '../observability/logger.js';
import {
  bindingFromJson,
  producerFromJson,
  producerToJson,
  ProducerStoreError,
  type ProducerBindingStore,
  type ProducerKey,
  type StoredBinding,
  type StoredProducer,
} from './producer-binding-store.js';

export interface RedisProducerBindingStoreOptions {
  /** `redis://[user:password@]host:port[/db]` or `rediss://` for TLS. */
  url: string;
  /** Overrides a password in the URL. */
  password?: string;
  /** Prefix of every key: the policy store's. */
  keyPrefix: string;
  /** Producers unused this long expire, in ms. */
  idleMs: number;
  log: Logger;
  /** Time to connect and for each command, in ms. (default: 5000) */
  connectTimeoutMs?: number;
}

// KEYS: producer. ARGV: virtual id, backend, binding JSON, usedMs, ttlMs.
const CLAIM_BINDING_LUA = `
local raw = redis.call('GET', KEYS[1])
local p
if raw then p = cjson.decode(raw) else p = {virtualId = ARGV[1], transactionalId = cjson.null, epoch = 0, bindings = {}, usedMs = 0} end
if type(p.bindings) ~= 'table' or p.bindings[1] ~= nil then p.bindings = {} end
local standing = p.bindings[ARGV[2]]
if standing then return cjson.encode(standing) end
p.bindings[ARGV[2]] = cjson.decode(ARGV[3])
if tonumber(ARGV[4]) > p.usedMs then p.usedMs = tonumber(ARGV[4]) end
redis.call('SET', KEYS[1], cjson.encode(p), 'PX', ARGV[5])
return ARGV[3]
`;

// KEYS: producer, producer-txn, replaced producer (or the producer again). ARGV: producer JSON, virtual id, ttlMs.
const PUT_TRANSACTIONAL_LUA = `
if KEYS[3] ~= KEYS[1] then redis.call('DEL', KEYS[3]) end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
return 1
`;

// KEYS: producer. ARGV: binding key, partition, base, usedMs, ttlMs. Bases of other keys are dropped.
const CLAIM_SEQUENCE_BASE_LUA = `
local raw = redis.call('GET', KEYS[1])
if not raw then return ARGV[3] end
local p = cjson.decode(raw)
local all = p.sequenceBases
if type(all) ~= 'table' then all = {} end
local bases = all[ARGV[1]]
if type(bases) ~= 'table' then bases = {} end
local standing = bases[ARGV[2]]
if standing then return tostring(standing) end
bases[ARGV[2]] = tonumber(ARGV[3])
p.sequenceBases = {[ARGV[1]] = bases}
if tonumber(ARGV[4]) > p.usedMs then p.usedMs = tonumber(ARGV[4]) end
redis.call('SET', KEYS[1], cjson.encode(p), 'PX', ARGV[5])
return ARGV[3]
`;

// KEYS: producer, producer-txn (or the producer again). ARGV: usedMs, ttlMs.
const TOUCH_LUA = `
local raw = redis.call('GET', KEYS[1])
if not raw then return 0 end
local p = cjson.decode(raw)
if tonumber(ARGV[1]) <= p.usedMs then return 0 end
p.usedMs = tonumber(ARGV[1])
redis.call('SET', KEYS[1], cjson.encode(p), 'PX', ARGV[2])
if KEYS[2] ~= KEYS[1] then redis.call('PEXPIRE', KEYS[2], ARGV[2]) end
return 1
`;

// KEYS: producer, producer-txn (or the producer again). ARGV: idle before (ms), virtual id.
const FORGET_IDLE_LUA = `
local raw = redis.call('GET', KEYS[1])
if not raw then return 0 end
if cjson.decode(raw).usedMs >= tonumber(ARGV[1]) then return 0 end
redis.call('DEL', KEYS[1])
if KEYS[2] ~= KEYS[1] and redis.call('GET', KEYS[2]) == ARGV[2] then redis.call('DEL', KEYS[2]) end
return 1
`;

export class RedisProducerBindingStore implements ProducerBindingStore {
  readonly kind = 'redis';
  private readonly log: Logger;
  private readonly cmd: Redis;
  private readonly prefix: string;
  private readonly idleMs: number;
  private closed = false;

  constructor(opts: RedisProducerBindingStoreOptions) {
    this.log = opts.log.child({ producerStore: 'redis' });
    this.prefix = opts.keyPrefix;
    this.idleMs = opts.idleMs;
    const timeoutMs = opts.connectTimeoutMs ?? 5_000;
    const options: RedisOptions = {
      lazyConnect: true,
      connectTimeout: timeoutMs,
      commandTimeout: timeoutMs,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: (times) => Math.min(100 * 2 ** Math.min(times, 10), 1_000),
      ...(opts.password !== undefined ? { password: opts.password } : {}),
    };
    this.cmd = new Redis(opts.url, options);
    // Outages are reported by the callers' failed commands; an unhandled 'error' would crash.
    this.cmd.on('error', (err: Error) => this.log.debug({ err: err.message }, 'redis connection error'));
  }

  /** Connects; returns at once (a Redis down now is retried by ioredis). */
  start(): void {
    this.cmd.connect().catch(() => undefined);
  }

  async find(virtualId: bigint): Promise<StoredProducer | null> {
    const key = this.producerKey(virtualId);
    const raw = await this.run('read a producer', () => this.cmd.get(key));
    return raw === null ? null : this.parse(raw, key);
  }

  async findTransactional(transactionalId: string): Promise<StoredProducer | null> {
    const key = this.transactionalKey(transactionalId);
    const virtualId = await this.run('read a transactional id', () => this.cmd.get(key));
    if (virtualId === null || !/^\d+$/.test(virtualId)) return null;
    const p = await this.find(BigInt(virtualId));
    return p?.transactionalId === transactionalId ? p : null;
  }

  async claimBinding(virtualId: bigint, backend: string, binding: StoredBinding, usedMs: number): Promise<StoredBinding> {
    const key = this.producerKey(virtualId);
    const proposed = JSON.stringify({ realId: binding.realId.toString(), epochDelta: binding.epochDelta });
    const raw = (await this.run('store a producer binding', () =>
      this.cmd.eval(CLAIM_BINDING_LUA, 1, key, virtualId.toString(), backend, proposed, String(usedMs), String(this.idleMs)),
    )) as string;
    let standing: StoredBinding | null = null;
    try {
      standing = bindingFromJson(JSON.parse(raw));
    } catch {
      standing = null;
    }
    if (standing === null) throw new ProducerStoreError(this.kind, 'store a producer binding', new Error(`unreadable binding of ${backend} in ${key}`));
    return standing;
  }

  async putTransactional(producer: StoredProducer, replacedVirtualId: bigint | null): Promise<void> {
    if (producer.transactionalId === null) throw new Error(`producer ${producer.virtualId} has no transactional id`);
    const key = this.producerKey(producer.virtualId);
    const replaced = replacedVirtualId === null ? key : this.producerKey(replacedVirtualId);
    const json = JSON.stringify(producerToJson(producer));
    await this.run('store a transactional producer', () =>
      this.cmd.eval(PUT_TRANSACTIONAL_LUA, 3, key, this.transactionalKey(producer.transactionalId as string), replaced, json, producer.virtualId.toString(), String(this.idleMs)),
    );
  }

  async claimSequenceBase(virtualId: bigint, key: string, partition: string, base: number, usedMs: number): Promise<number> {
    const producerKey = this.producerKey(virtualId);
    const raw = (await this.run('store a sequence base', () =>
      this.cmd.eval(CLAIM_SEQUENCE_BASE_LUA, 1, producerKey, key, partition, String(base), String(usedMs), String(this.idleMs)),
    )) as string;
    const standing = Number(raw);
    if (!Number.isInteger(standing) || standing < 0) {
      throw new ProducerStoreError(this.kind, 'store a sequence base', new Error(`unreadable base of ${partition} under ${key} in ${producerKey}`));
    }
    return standing;
  }

  async touch(producers: readonly ProducerKey[], usedMs: number): Promise<void> {
    if (producers.length === 0) return;
    await this.pipelined('touch producers', producers, (pipe, key, txnKey) => pipe.eval(TOUCH_LUA, 2, key, txnKey, String(usedMs), String(this.idleMs)));
  }

  async forgetIdle(producers: readonly ProducerKey[], idleBeforeMs: number): Promise<void> {
    if (producers.length === 0) return;
    await this.pipelined('forget idle producers', producers, (pipe, key, txnKey, p) =>
      pipe.eval(FORGET_IDLE_LUA, 2, key, txnKey, String(idleBeforeMs), p.virtualId.toString()),
    );
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.cmd.disconnect();
  }

  private producerKey(virtualId: bigint): string {
    return `${this.prefix}producer:${virtualId}`;
  }

  private transactionalKey(transactionalId: string): string {
    return `${this.prefix}producer-txn:${transactionalId}`;
  }

  private async pipelined(
    operation: string,
    producers: readonly ProducerKey[],
    add: (pipe: ReturnType<Redis['pipeline']>, key: string, txnKey: string, p: ProducerKey) => void,
  ): Promise<void> {
    const pipe = this.cmd.pipeline();
    for (const p of producers) {
      const key = this.producerKey(p.virtualId);
      add(pipe, key, p.transactionalId === null ? key : this.transactionalKey(p.transactionalId), p);
    }
    const replies = await this.run(operation, () => pipe.exec());
    for (const [err] of replies ?? []) if (err !== null) throw new ProducerStoreError(this.kind, operation, err);
  }

  private async run<T>(operation: string, command: () => Promise<T>): Promise<T> {
    if (this.closed) throw new ProducerStoreError(this.kind, operation, new Error('the store is closed'));
    try {
      return await command();
    } catch (err) {
      throw new ProducerStoreError(this.kind, operation, err);
    }
  }

  private parse(raw: string, key: string): StoredProducer | null {
    let p: StoredProducer | null = null;
    try {
      p = producerFromJson(JSON.parse(raw));
    } catch {
      p = null;
    }
    if (p === null) this.log.warn({ key }, 'ignoring an unreadable stored producer');
    return p;
  }
}
