// Opens the policy store a configuration asks for (`store.type`). The start command calls
// this once, then `reloadOnSignal(store, log)` for SIGHUP.
//
//   const config = await loadConfigFile(file, { severalBackends: true });
//   const store = await openPolicyStore({ file, config, log });
//   store.current().resolve('topic', 'orders.created');
import type { Logger } from '../observability/logger.js';
import { ConfigError } from './config-error.js';
import type { RedisStoreConfig, TurnoutConfig } from './config.js';
import { FilePolicyStore } from './file-policy-store.js';
import { policyDocumentOf } from './policy-snapshot.js';
import type { PolicyStore } from './policy-store.js';
import { defaultRedisKeyPrefix } from './redis-key-prefix.js';

export interface OpenPolicyStoreOptions {
  /** The configuration file: watched by the file store, named in messages by both. */
  file: string;
  /** Its validated content. */
  config: TurnoutConfig;
  log: Logger;
  /** Environment to read `store.redis.passwordEnv` from. (default: process.env) */
  env?: NodeJS.ProcessEnv;
}

export async function openPolicyStore(opts: OpenPolicyStoreOptions): Promise<PolicyStore> {
  const { config } = opts;
  const redis = config.store.redis;
  if (config.store.type === 'file' || redis === undefined) {
    return FilePolicyStore.open({ file: opts.file, config, log: opts.log });
  }
  // Loaded only here: a Turnout on files never needs the Redis client.
  const { RedisPolicyStore } = await import('./redis-policy-store.js');
  return RedisPolicyStore.open({
    url: redis.url,
    password: redisPasswordOf(redis, opts.file, opts.env),
    keyPrefix: redisKeyPrefixOf(config),
    seed: policyDocumentOf(config),
    log: opts.log,
    pollIntervalMs: redis.pollIntervalMs,
    connectTimeoutMs: redis.connectTimeoutMs,
  });
}

/** The Redis password `store.redis.passwordEnv` names; throws a ConfigError when that variable is not set. */
export function redisPasswordOf(redis: RedisStoreConfig, file: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (redis.passwordEnv === undefined) return undefined;
  const password = env[redis.passwordEnv];
  if (password === undefined) {
    throw new ConfigError(file, [{ path: 'store.redis.passwordEnv', reason: `environment variable ${redis.passwordEnv} is not set` }]);
  }
  return password;
}

/** The prefix of every key the instances of a virtual cluster share in Redis. */
export function redisKeyPrefixOf(config: TurnoutConfig): string {
  return config.store.redis?.keyPrefix ?? defaultRedisKeyPrefix(config.virtualCluster.clusterId);
}
