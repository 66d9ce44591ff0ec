import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/observability/logger.js';
import { ConfigError, parseConfig } from '../../../src/policy/config.js';
import { FilePolicyStore } from '../../../src/policy/file-policy-store.js';
import { openPolicyStore } from '../../../src/policy/open-policy-store.js';
import type { PolicyStore } from '../../../src/policy/policy-store.js';
import { defaultRedisKeyPrefix } from '../../../src/policy/redis-key-prefix.js';
import { RedisPolicyStore } from '../../../src/policy/redis-policy-store.js';

const log = createLogger({ level: 'silent' });
const base = {
  virtualCluster: { clusterId: 'prod-eu' },
  listeners: [{ bootstrapPort: 0, nodePortBase: 0 }],
  backends: [{ name: 'main', bootstrapServers: ['main:9092'] }],
};

let store: PolicyStore | undefined;
afterEach(async () => {
  await store?.close();
  store = undefined;
});

describe('openPolicyStore', () => {
  it('opens the file store by default, from the configuration already loaded', async () => {
    store = await openPolicyStore({ file: 'turnout.yaml', config: parseConfig({ ...base, store: { watchFile: false } }), log });
    expect(store).toBeInstanceOf(FilePolicyStore);
    expect(store.current().resolve('topic', 'any').ok).toBe(true);
  });

  it('names the unset password variable of the Redis store', async () => {
    const config = parseConfig({ ...base, store: { type: 'redis', redis: { url: 'redis://127.0.0.1:1', passwordEnv: 'NO_SUCH_VAR' } } });
    const err = await openPolicyStore({ file: 't.yaml', config, log, env: {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).issues).toEqual([{ path: 'store.redis.passwordEnv', reason: 'environment variable NO_SUCH_VAR is not set' }]);
  });

  it('opens the Redis store even when Redis is unreachable: the file policy, not ready', async () => {
    const config = parseConfig({ ...base, store: { type: 'redis', redis: { url: 'redis://127.0.0.1:1', connectTimeoutMs: 200 } } });
    store = await openPolicyStore({ file: 't.yaml', config, log });
    expect(store).toBeInstanceOf(RedisPolicyStore);
    const health = store.health();
    expect(health).toMatchObject({ kind: 'redis', ready: false, version: 0 });
    expect(health.lastError).toMatch(/redis|Redis/);
    expect(store.current().domains.get('default')?.backend).toBe('main');
    await expect(store.setDomainBackend('default', 'main')).rejects.toMatchObject({ reason: 'store-unavailable' });
  });

  it('keeps the keys of one virtual cluster in one Redis Cluster slot by default', () => {
    expect(defaultRedisKeyPrefix('prod-eu')).toBe('turnout:{prod-eu}:');
  });
});
