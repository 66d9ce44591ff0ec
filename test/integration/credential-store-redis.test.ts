// The Redis credential store against a real redis-server, as Turnout instances and the
// `turnout users` command share it. The redis-server is this file's own (test-redis.ts).
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CredentialStoreError, type UserCredentials } from '../../src/auth/credential-store.js';
import { RedisCredentialStore } from '../../src/auth/redis-credential-store.js';
import { deriveScramCredential } from '../../src/auth/scram-credential.js';
import { createLogger } from '../../src/observability/logger.js';
import { freePort, hasRedis, TestRedis } from './test-redis.js';

const lines: Array<Record<string, unknown>> = [];
const log = createLogger({ level: 'info', destination: { write: (s: string) => void lines.push(JSON.parse(s)) } });

let redis: TestRedis;
let prefix: string;
let counter = 0;
const stores: RedisCredentialStore[] = [];
const onExit = (): void => redis?.killNow();

async function store(follow = true): Promise<RedisCredentialStore> {
  const s = await RedisCredentialStore.open({ url: redis.url, keyPrefix: prefix, log, connectTimeoutMs: 1_000, follow });
  stores.push(s);
  return s;
}

async function scram(mechanism: 'SCRAM-SHA-256' | 'SCRAM-SHA-512', password: string): Promise<UserCredentials> {
  return { [mechanism]: await deriveScramCredential(mechanism, password, 4096) };
}

async function waitFor(what: string, cond: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

beforeAll(async () => {
  if (!hasRedis) throw new Error('redis-server not found: install the Debian package redis-server (scripts/setup.sh)');
  redis = new TestRedis(await freePort());
  process.once('exit', onExit);
  await redis.start();
});

afterAll(async () => {
  await redis?.stop();
  process.off('exit', onExit);
});

afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
  await redis.start();
  lines.length = 0;
});

describe('redis credential store (real redis-server)', () => {
  it("refuses a user at an instance's next login once the command removed it, and takes a new password at once", async () => {
    prefix = `t${++counter}:`;
    const running = await store();
    const cli = await store(false);
    await cli.setUser('alice', await scram('SCRAM-SHA-512', 'one'));
    const first = await running.credentials('alice');
    expect(first?.['SCRAM-SHA-512']?.iterations).toBe(4096);
    await cli.setUser('alice', await scram('SCRAM-SHA-512', 'two'));
    expect((await running.credentials('alice'))?.['SCRAM-SHA-512']?.storedKey.equals(first!['SCRAM-SHA-512']!.storedKey)).toBe(false);
    expect(await cli.removeUser('alice')).toBe(true);
    expect(await running.credentials('alice')).toBeNull();
    expect(await cli.removeUser('alice')).toBe(false);
  });

  it('merges mechanisms of one user and lists users without their keys', async () => {
    prefix = `t${++counter}:`;
    const cli = await store(false);
    await cli.setUser('bob', await scram('SCRAM-SHA-256', 'pw'));
    await cli.setUser('bob', await scram('SCRAM-SHA-512', 'pw'));
    await cli.setUser('alice', await scram('SCRAM-SHA-256', 'pw'));
    expect(await cli.listUsers()).toEqual([
      { user: 'alice', mechanisms: [{ mechanism: 'SCRAM-SHA-256', iterations: 4096 }] },
      {
        user: 'bob',
        mechanisms: [
          { mechanism: 'SCRAM-SHA-256', iterations: 4096 },
          { mechanism: 'SCRAM-SHA-512', iterations: 4096 },
        ],
      },
    ]);
  });

  it('checks logins against its copy while Redis is down, refuses writes meanwhile, and follows Redis again once it is back', async () => {
    prefix = `t${++counter}:`;
    const running = await store();
    const cli = await store(false);
    await cli.setUser('alice', await scram('SCRAM-SHA-256', 'pw'));
    await waitFor('the copy to hold alice', async () => (await running.credentials('alice')) !== null);
    await redis.stop();
    expect(await running.credentials('alice')).not.toBeNull();
    expect(await running.credentials('nobody')).toBeNull();
    await expect(cli.setUser('bob', await scram('SCRAM-SHA-256', 'pw'))).rejects.toThrow();
    expect(lines.some((l) => l.msg === 'redis unreachable; SASL logins are checked against the last users read')).toBe(true);
    // A Redis without persistence comes back empty: it is the truth again once reachable.
    await redis.start();
    await waitFor('the emptied Redis to be followed', async () => (await running.credentials('alice')) === null, 15_000);
  });

  it('fails a login, rather than guessing, when Redis was never reachable', async () => {
    prefix = `t${++counter}:`;
    await redis.stop();
    const running = await store();
    await expect(running.credentials('alice')).rejects.toThrow(CredentialStoreError);
  });

  it('refuses a user whose record is not valid, and says why', async () => {
    prefix = `t${++counter}:`;
    const raw = new Redis(redis.url);
    await raw.hset(`${prefix}users`, 'mallory', '{"SCRAM-SHA-256": {"salt": "AA==", "iterations": 1}}');
    raw.disconnect();
    const running = await store();
    await expect(running.credentials('mallory')).rejects.toThrow(/mallory/);
    expect(lines.some((l) => l.msg === 'unreadable user record in Redis; that user cannot log in' && l.user === 'mallory')).toBe(true);
  });
});
