// The shared ACL store against the Redis on 127.0.0.1:6379 (TURNOUT_TEST_REDIS_URL to use
// another), each test under its own key prefix, removed afterwards.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { userPrincipal } from '../../../src/auth/principal.js';
import { createLogger } from '../../../src/observability/logger.js';
import { AclAuthorizer } from '../../../src/policy/acl-authorizer.js';
import { bindingKey } from '../../../src/policy/acl-binding.js';
import { AclStoreError } from '../../../src/policy/acl-binding-store.js';
import { filterOf } from '../../../src/policy/acl-filter.js';
import type { AclBinding } from '../../../src/policy/acl-model.js';
import { RedisAclStore } from '../../../src/policy/acl-redis-store.js';
import { acl } from './acl-fixtures.js';

const url = process.env.TURNOUT_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const log = createLogger({ level: 'silent' });
const readOrders = acl('TOPIC', 'orders.', 'PREFIXED', 'User:billing', 'READ', 'ALLOW');
const writeOrders = acl('TOPIC', 'orders.', 'PREFIXED', 'User:orders', 'WRITE', 'ALLOW');
const denyBilling = acl('TOPIC', 'orders.secret', 'LITERAL', 'User:billing', 'READ', 'DENY');

let admin: Redis;
let prefix: string;
const stores: RedisAclStore[] = [];

beforeAll(() => {
  admin = new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 1 });
});

afterAll(() => {
  admin.disconnect();
});

afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
  const keys = await admin.keys(`${prefix}*`);
  if (keys.length > 0) await admin.del(...keys);
});

async function openStore(seed: AclBinding[], opts: { url?: string; pollIntervalMs?: number; connectTimeoutMs?: number } = {}): Promise<RedisAclStore> {
  const store = await RedisAclStore.open({
    url: opts.url ?? url,
    keyPrefix: prefix,
    seed,
    log,
    pollIntervalMs: opts.pollIntervalMs ?? 1_000,
    connectTimeoutMs: opts.connectTimeoutMs ?? 5_000,
  });
  stores.push(store);
  return store;
}

async function waitFor(what: string, cond: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function authorizerOn(store: RedisAclStore): AclAuthorizer {
  return new AclAuthorizer({ settings: { superUsers: new Set(['User:admin']), allowEveryoneIfNoAclFound: false }, bindings: store, cacheSize: 100 });
}

const billingReads = (a: AclAuthorizer, topic: string) =>
  a.authorize({ principal: userPrincipal('billing'), host: '10.0.0.1', operation: 'READ', resourceType: 'TOPIC', resourceName: topic }).allowed;

describe('RedisAclStore', () => {
  it('seeds an empty Redis with the first instance\'s bindings; the next instance reads them, not its own', async () => {
    prefix = `turnout-test:{acl-${randomUUID()}}:`;
    const a = await openStore([readOrders]);
    expect(a.loaded).toBe(true);
    expect(a.bindings()).toEqual([readOrders]);
    const b = await openStore([writeOrders]);
    expect(b.bindings()).toEqual([readOrders]);
    expect(await admin.smembers(`${prefix}acl-bindings`)).toEqual([bindingKey(readOrders)]);
    expect(b.health()).toMatchObject({ kind: 'redis', ready: true, bindings: 1 });
  });

  it('brings a change made on one instance to the other, whose decisions follow on open connections', async () => {
    prefix = `turnout-test:{acl-${randomUUID()}}:`;
    const a = await openStore([readOrders]);
    const b = await openStore([]);
    const authzB = authorizerOn(b);
    expect(billingReads(authzB, 'orders.secret')).toBe(true);

    await a.create([denyBilling]);
    expect(a.bindings()).toContainEqual(denyBilling);
    await waitFor('the DENY on the other instance', () => !billingReads(authzB, 'orders.secret'));
    expect(billingReads(authzB, 'orders.public')).toBe(true);

    const removed = await b.delete([filterOf(denyBilling)]);
    expect(removed).toEqual([[denyBilling]]);
    await waitFor('the removal on the first instance', () => !a.bindings().some((x) => x.resourceName === 'orders.secret'));
    expect(billingReads(authzB, 'orders.secret')).toBe(true);
  });

  it('picks up a change whose announcement was missed, through the version poll', async () => {
    prefix = `turnout-test:{acl-${randomUUID()}}:`;
    const a = await openStore([readOrders], { pollIntervalMs: 100 });
    // Written as an instance would, but without the PUBLISH.
    await admin.multi().sadd(`${prefix}acl-bindings`, bindingKey(denyBilling)).incr(`${prefix}acl-version`).exec();
    await waitFor('the unannounced change', () => a.bindings().length === 2);
  });

  it('ignores entries of the set that are not bindings', async () => {
    prefix = `turnout-test:{acl-${randomUUID()}}:`;
    await admin.multi().sadd(`${prefix}acl-bindings`, 'garbage', bindingKey(readOrders), '["TOPIC","LITERAL","","User:a","*","READ","ALLOW"]').set(`${prefix}acl-version`, '7').exec();
    const a = await openStore([]);
    expect(a.bindings()).toEqual([readOrders]);
    expect(a.health().version).toBe(7);
  });

  it('seeds Redis again with the last bindings read when its keys are gone', async () => {
    prefix = `turnout-test:{acl-${randomUUID()}}:`;
    const a = await openStore([readOrders]);
    await a.create([denyBilling]);
    await admin.del(`${prefix}acl-bindings`, `${prefix}acl-version`);
    await a.create([writeOrders]);
    expect(new Set(await admin.smembers(`${prefix}acl-bindings`))).toEqual(new Set([readOrders, denyBilling, writeOrders].map(bindingKey)));
  });

  it('allows only super users while Redis has never been read, and refuses changes', async () => {
    prefix = `turnout-test:{acl-${randomUUID()}}:`;
    const down = await openStore([readOrders], { url: 'redis://127.0.0.1:1', connectTimeoutMs: 300 });
    expect(down.loaded).toBe(false);
    expect(down.health()).toMatchObject({ ready: false });
    const authz = authorizerOn(down);
    expect(billingReads(authz, 'orders.public')).toBe(false);
    expect(authz.authorize({ principal: userPrincipal('admin'), host: '10.0.0.1', operation: 'READ', resourceType: 'TOPIC', resourceName: 'x' }).allowed).toBe(true);
    await expect(down.create([writeOrders])).rejects.toThrow(AclStoreError);
  });
});
