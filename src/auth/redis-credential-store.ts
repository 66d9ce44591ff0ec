// SASL users in Redis, shared by every Turnout instance of a virtual cluster. Keys, under the
// policy store's prefix (default `turnout:{<clusterId>}:`):
//   users           hash user → the user's stored credentials (JSON, see credential-store.ts)
//   users-changes   pub/sub channel; each change publishes the user's name
// A write is one Lua script (merge, HSET, PUBLISH), so readers see whole records.
//
// Every login reads its user with one HGET, so a user removed or whose password changed is
// refused at the next login on every instance. While Redis cannot be reached, logins are
// checked against the last copy this instance read (kept current by the channel and a full
// read at each connection), as the policy store serves its last known policy.
import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from '../observability/logger.js';
import {
  CredentialStoreError,
  checkUserName,
  parseStoredUser,
  storedUserOf,
  summaryOf,
  type CredentialStore,
  type UserCredentials,
  type UserSummary,
} from './credential-store.js';

export interface RedisCredentialStoreOptions {
  /** `redis://[user:password@]host:port[/db]` or `rediss://`. */
  url: string;
  password?: string;
  /** The policy store's prefix: instances of one virtual cluster share it. */
  keyPrefix: string;
  log: Logger;
  /** Time to connect and for each command, in ms. (default: 5000) */
  connectTimeoutMs?: number;
  /**
   * Keep a copy of every user for when Redis is unreachable, current through the change
   * channel. Turnout does; a one-off `turnout users` command does not. (default: true)
   */
  follow?: boolean;
}

// KEYS: users. ARGV: user, stored update (JSON), channel. Merges the update into the record.
const SET_USER_LUA = `
local current = redis.call('HGET', KEYS[1], ARGV[1])
local record = {}
if current then record = cjson.decode(current) end
for mechanism, credential in pairs(cjson.decode(ARGV[2])) do record[mechanism] = credential end
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(record))
redis.call('PUBLISH', ARGV[3], ARGV[1])
return 1
`;

// KEYS: users. ARGV: user, channel.
const REMOVE_USER_LUA = `
local removed = redis.call('HDEL', KEYS[1], ARGV[1])
if removed == 1 then redis.call('PUBLISH', ARGV[2], ARGV[1]) end
return removed
`;

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export class RedisCredentialStore implements CredentialStore {
  readonly kind = 'redis' as const;
  private readonly log: Logger;
  private readonly cmd: Redis;
  private readonly sub: Redis | null;
  private readonly keys: { users: string; channel: string };
  /** The last copy read; null until a full read succeeded. */
  private copy: Map<string, UserCredentials> | null = null;
  private outageLogged = false;
  private closed = false;

  /** Connects; waits up to `connectTimeoutMs` for a first full read when following, and never fails for an unreachable Redis. */
  static async open(opts: RedisCredentialStoreOptions): Promise<RedisCredentialStore> {
    const store = new RedisCredentialStore(opts);
    if (opts.follow ?? true) await store.readAll().catch(() => undefined);
    return store;
  }

  private constructor(opts: RedisCredentialStoreOptions) {
    this.log = opts.log.child({ credentialStore: 'redis' });
    this.keys = { users: `${opts.keyPrefix}users`, channel: `${opts.keyPrefix}users-changes` };
    const timeoutMs = opts.connectTimeoutMs ?? 5_000;
    const common: RedisOptions = {
      connectTimeout: timeoutMs,
      retryStrategy: (times) => Math.min(100 * 2 ** Math.min(times, 10), 1_000),
      ...(opts.password !== undefined ? { password: opts.password } : {}),
    };
    // A login must not wait in a queue for a Redis that is down: commands fail at once and
    // the copy answers.
    this.cmd = new Redis(opts.url, { ...common, enableOfflineQueue: false, maxRetriesPerRequest: 0, commandTimeout: timeoutMs });
    this.cmd.on('error', (err: Error) => this.unreachable(err.message));
    this.sub = null;
    if (opts.follow ?? true) {
      const sub = new Redis(opts.url, { ...common, maxRetriesPerRequest: null, autoResubscribe: true });
      sub.on('error', (err: Error) => this.unreachable(err.message));
      sub.on('message', (_channel: string, user: string) => {
        this.readUser(user).catch((err: unknown) => this.unreachable(messageOf(err)));
      });
      sub.subscribe(this.keys.channel).catch((err: unknown) => this.log.warn({ err: messageOf(err) }, 'redis subscribe failed'));
      this.cmd.on('ready', () => {
        this.outageLogged = false;
        // Changes published while disconnected were lost: read everything again.
        this.readAll().catch((err: unknown) => this.unreachable(messageOf(err)));
      });
      this.sub = sub;
    }
  }

  async credentials(user: string): Promise<UserCredentials | null> {
    if (this.cmd.status === 'ready') {
      try {
        return await this.readUser(user);
      } catch (err) {
        if (err instanceof CredentialStoreError) throw err;
        this.unreachable(messageOf(err));
      }
    }
    if (this.copy === null) throw new CredentialStoreError('redis', 'users cannot be read: Redis is not reachable and no copy was read yet');
    return this.copy.get(user) ?? null;
  }

  async setUser(user: string, credentials: UserCredentials): Promise<void> {
    checkUserName(user);
    await this.whenReady();
    await this.cmd.eval(SET_USER_LUA, 1, this.keys.users, user, JSON.stringify(storedUserOf(credentials)), this.keys.channel);
  }

  async removeUser(user: string): Promise<boolean> {
    await this.whenReady();
    return (await this.cmd.eval(REMOVE_USER_LUA, 1, this.keys.users, user, this.keys.channel)) === 1;
  }

  async listUsers(): Promise<UserSummary[]> {
    await this.whenReady();
    const all = await this.fetchAll();
    return [...all].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([user, c]) => summaryOf(user, c));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.cmd.disconnect();
    this.sub?.disconnect();
  }

  /** Reads one user, and keeps the copy in step. */
  private async readUser(user: string): Promise<UserCredentials | null> {
    const raw = await this.cmd.hget(this.keys.users, user);
    const credentials = raw === null ? null : this.parseRecord(user, raw);
    if (this.copy !== null) {
      if (credentials === null) this.copy.delete(user);
      else this.copy.set(user, credentials);
    }
    return credentials;
  }

  private async readAll(): Promise<void> {
    await this.whenReady();
    this.copy = await this.fetchAll();
  }

  /** Every user; an unreadable record is logged and left out. */
  private async fetchAll(): Promise<Map<string, UserCredentials>> {
    const all = await this.cmd.hgetall(this.keys.users);
    const users = new Map<string, UserCredentials>();
    for (const [user, raw] of Object.entries(all)) {
      try {
        users.set(user, this.parseRecord(user, raw));
      } catch (err) {
        this.log.error({ user, reason: messageOf(err) }, 'unreadable user record in Redis; that user cannot log in');
      }
    }
    return users;
  }

  /** Throws a CredentialStoreError for a record that is not valid. */
  private parseRecord(user: string, raw: string): UserCredentials {
    const source = `redis ${this.keys.users} ${JSON.stringify(user)}`;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (err) {
      throw new CredentialStoreError(source, `not valid JSON: ${messageOf(err)}`);
    }
    return parseStoredUser(value, source);
  }

  /** Resolves once connected; rejects with a CredentialStoreError after the connect timeout. */
  private async whenReady(): Promise<void> {
    if (this.cmd.status === 'ready') return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.cmd.off('ready', onReady);
        reject(new CredentialStoreError('redis', `not reachable at ${this.cmd.options.host ?? ''}:${this.cmd.options.port ?? ''}`));
      }, this.cmd.options.connectTimeout ?? 5_000);
      const onReady = (): void => {
        clearTimeout(timer);
        resolve();
      };
      this.cmd.once('ready', onReady);
    });
  }

  private unreachable(reason: string): void {
    if (this.closed || this.outageLogged) return;
    this.outageLogged = true;
    this.log.warn({ reason, users: this.copy?.size ?? null }, 'redis unreachable; SASL logins are checked against the last users read');
  }
}

