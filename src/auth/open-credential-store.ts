// Opens the credential store a configuration asks for: with `store.type: file` the users file
// beside the YAML (`authentication.usersFile`, by default `users.json` in the instance's state folder, for
// `<name>.yaml`), with `store.type: redis` the policy store's Redis.
import { stateDirOf } from '../policy/state-dir.js';
import path from 'node:path';
import type { Logger } from '../observability/logger.js';
import type { TurnoutConfig } from '../policy/config.js';
import { redisKeyPrefixOf, redisPasswordOf } from '../policy/open-policy-store.js';
import type { CredentialStore } from './credential-store.js';
import { FileCredentialStore } from './file-credential-store.js';

export interface OpenCredentialStoreOptions {
  /** The YAML configuration file; the users file's default place and relative name follow from it. */
  file: string;
  config: TurnoutConfig;
  log: Logger;
  env?: NodeJS.ProcessEnv;
  /**
   * A running Turnout follows the store (watches the file, keeps a copy of the Redis users);
   * a one-off `turnout users` command does not. (default: true)
   */
  follow?: boolean;
}

/** Where the users file of a configuration is. */
export function usersFileOf(configFile: string, config: TurnoutConfig): string {
  const dir = path.dirname(path.resolve(configFile));
  const configured = config.authentication.usersFile;
  if (configured !== undefined) return path.resolve(dir, configured);
  return path.join(stateDirOf(configFile, config.store.stateDir) as string, 'users.json');
}

export async function openCredentialStore(opts: OpenCredentialStoreOptions): Promise<CredentialStore> {
  const { config } = opts;
  const redis = config.store.redis;
  const follow = opts.follow ?? true;
  if (config.store.type === 'file' || redis === undefined) {
    return FileCredentialStore.open({ file: usersFileOf(opts.file, config), log: opts.log, watch: follow });
  }
  const { RedisCredentialStore } = await import('./redis-credential-store.js');
  return RedisCredentialStore.open({
    url: redis.url,
    password: redisPasswordOf(redis, opts.file, opts.env),
    keyPrefix: redisKeyPrefixOf(config),
    log: opts.log,
    connectTimeoutMs: redis.connectTimeoutMs,
    follow,
  });
}
