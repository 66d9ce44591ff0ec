// Opens the store that keeps virtual producers' real ids beyond this instance's memory
// (producer-binding-store.ts), when there are virtual producer ids at all (Turnout's own nodes
// over the backends; one backend presented broker per node passes producer ids through):
//   - the Redis policy store: Redis, under the policy's key prefix, shared by the instances;
//   - else, started from a configuration file or with `store.stateDir`: the journal file
//     `producers.jsonl` in the state folder (policy/state-dir.ts);
//   - else none: bindings live in memory only and a restart forgets them.
import type { Logger } from '../observability/logger.js';
import { presentationOf, type TurnoutConfig } from '../policy/config.js';
import type { PolicyStore } from '../policy/policy-store.js';
import { defaultRedisKeyPrefix } from '../policy/redis-key-prefix.js';
import { ensureStateDir, stateDirOf } from '../policy/state-dir.js';
import { FileProducerBindingStore } from './producer-binding-file-store.js';
import type { ProducerBindingStore } from './producer-binding-store.js';

export interface OpenProducerBindingStoreOptions {
  config: TurnoutConfig;
  /** The configuration file Turnout was started from, if any. */
  configFile?: string;
  policyStore: PolicyStore | null;
  /** Producers unused this long are forgotten, in ms (as Kafka's producer.id.expiration.ms). */
  idleMs: number;
  log: Logger;
  /** Environment to read `store.redis.passwordEnv` from. (default: process.env) */
  env?: NodeJS.ProcessEnv;
}

export async function openProducerBindingStore(opts: OpenProducerBindingStoreOptions): Promise<ProducerBindingStore | null> {
  const { config } = opts;
  if (presentationOf(config) !== 'turnout-nodes') return null;
  const redis = config.store.redis;
  if (opts.policyStore?.kind === 'redis' && redis !== undefined) {
    // Loaded only here: a Turnout on files never needs the Redis client.
    const { RedisProducerBindingStore } = await import('./producer-binding-redis-store.js');
    const store = new RedisProducerBindingStore({
      url: redis.url,
      password: redis.passwordEnv === undefined ? undefined : (opts.env ?? process.env)[redis.passwordEnv],
      keyPrefix: redis.keyPrefix ?? defaultRedisKeyPrefix(config.virtualCluster.clusterId),
      idleMs: opts.idleMs,
      log: opts.log,
      connectTimeoutMs: redis.connectTimeoutMs,
    });
    store.start();
    return store;
  }
  const dir = stateDirOf(opts.configFile, config.store.stateDir);
  if (dir === null) return null;
  await ensureStateDir(dir);
  return FileProducerBindingStore.open({ dir, idleMs: opts.idleMs, log: opts.log });
}
