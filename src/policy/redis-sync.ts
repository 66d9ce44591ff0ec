// Two pieces every store that watches Redis needs: a pair of connections (one for commands,
// which fail at once while Redis is unreachable instead of waiting in a queue and landing
// minutes later, and one subscriber that resubscribes after a reconnect), and a sync that
// runs one at a time, where a request during a run makes it go round once more.
import { Redis, type RedisOptions } from 'ioredis';

export interface RedisPairOptions {
  /** `redis://[user:password@]host:port[/db]` or `rediss://` for TLS. */
  url: string;
  /** Overrides a password in the URL. */
  password?: string;
  /** Time to connect and for each command, in ms. */
  connectTimeoutMs: number;
  /** Longest wait between reconnect attempts, in ms. (default: 1000) */
  maxReconnectDelayMs?: number;
}

/** Both connections start unconnected (`lazyConnect`): attach listeners, then `connect()`. */
export function redisConnectionPair(opts: RedisPairOptions): { cmd: Redis; sub: Redis } {
  const maxDelayMs = opts.maxReconnectDelayMs ?? 1_000;
  const common: RedisOptions = {
    lazyConnect: true,
    connectTimeout: opts.connectTimeoutMs,
    retryStrategy: (times) => Math.min(100 * 2 ** Math.min(times, 10), maxDelayMs),
    ...(opts.password !== undefined ? { password: opts.password } : {}),
  };
  return {
    cmd: new Redis(opts.url, { ...common, enableOfflineQueue: false, maxRetriesPerRequest: 0, commandTimeout: opts.connectTimeoutMs }),
    sub: new Redis(opts.url, { ...common, maxRetriesPerRequest: null, autoResubscribe: true }),
  };
}

/** Runs `task` at most once at a time; requests while it runs make it run once more after. */
export class CoalescedSync {
  private readonly task: () => Promise<void>;
  private readonly stopped: () => boolean;
  private running: Promise<void> | null = null;
  private again = false;

  constructor(task: () => Promise<void>, stopped: () => boolean) {
    this.task = task;
    this.stopped = stopped;
  }

  /** Starts a run unless one is going; a going one goes round again to see the latest state. */
  request(): void {
    if (this.stopped()) return;
    if (this.running !== null) {
      this.again = true;
      return;
    }
    this.running = this.loop().finally(() => {
      this.running = null;
    });
  }

  /** Resolves once a run that started after this call has finished. */
  async now(): Promise<void> {
    this.request();
    await this.running;
  }

  /** Asks the current run to go round once more (it found work left). */
  repeat(): void {
    this.again = true;
  }

  /** Resolves when no run is going. */
  async settled(): Promise<void> {
    await this.running?.catch(() => undefined);
  }

  private async loop(): Promise<void> {
    do {
      this.again = false;
      await this.task();
    } while (this.again && !this.stopped());
  }
}

/** Resolves true once `cond()` holds, false after `timeoutMs` (a store waiting for its first read from Redis). */
export async function waitUntil(cond: () => boolean, timeoutMs: number, stepMs = 20): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, stepMs));
  }
  return true;
}
