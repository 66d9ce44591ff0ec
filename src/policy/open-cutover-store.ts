// Opens the cutover store a configuration calls for (cutover-store.ts):
//   - the Redis policy store: Redis, under the policy's key prefix, shared by the instances;
//   - else, started from a configuration file or with `store.stateDir`: `cutovers.json` in the
//     state folder (state-dir.ts);
//   - else memory: a restart forgets the segments, so a domain that was cut over must not be
//     served by such an instance (it is for tests and trials).
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from '../observability/logger.js';
import type { TurnoutConfig } from './config.js';
import { LocalCutoverStore } from './cutover-local-store.js';
import type { CutoverStore } from './cutover-store.js';
import { redisKeyPrefixOf, redisPasswordOf } from './open-policy-store.js';
import type { PolicyStore } from './policy-store.js';
import { ensureStateDir, stateDirOf } from './state-dir.js';

export interface OpenCutoverStoreOptions {
  config: TurnoutConfig;
  /** The configuration file Turnout was started from, if any. */
  configFile?: string;
  policyStore: PolicyStore | null;
  log: Logger;
  env?: NodeJS.ProcessEnv;
}

/** A name for this instance that says where it runs, unique per start. */
export function newInstanceId(): string {
  return `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
}

export async function openCutoverStore(opts: OpenCutoverStoreOptions): Promise<CutoverStore> {
  const { config } = opts;
  const redis = config.store.redis;
  const instanceId = newInstanceId();
  if (opts.policyStore?.kind === 'redis' && redis !== undefined) {
    const { RedisCutoverStore } = await import('./cutover-redis-store.js');
    return RedisCutoverStore.open({
      url: redis.url,
      password: redisPasswordOf(redis, opts.configFile ?? 'config', opts.env),
      keyPrefix: redisKeyPrefixOf(config),
      log: opts.log,
      instanceId,
      pollIntervalMs: redis.pollIntervalMs,
      leaseMs: config.cutover.leaseMs,
      connectTimeoutMs: redis.connectTimeoutMs,
    });
  }
  const dir = stateDirOf(opts.configFile, config.store.stateDir);
  if (dir !== null) await ensureStateDir(dir);
  else opts.log.warn('no state folder: cutover segments are kept in memory and a restart forgets them (start from a configuration file or set store.stateDir)');
  return LocalCutoverStore.open({ dir, log: opts.log, instanceId });
}
