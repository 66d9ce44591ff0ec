// PLAIN logins derive a key from the password (PBKDF2, thousands of iterations) on the libuv
// thread pool, which file and DNS work share. A flood of PLAIN logins must not take the pool
// or queue without end: a few derivations run at once, a bounded number wait, and the rest
// are refused at once (the client retries later).

export class PasswordCheckLimiter {
  private readonly maxRunning: number;
  private readonly maxWaiting: number;
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(opts: { maxRunning?: number; maxWaiting?: number } = {}) {
    this.maxRunning = opts.maxRunning ?? 2;
    this.maxWaiting = opts.maxWaiting ?? 1000;
  }

  /** Runs `check` when a slot is free; null, without running it, when too many already wait. */
  run<T>(check: () => Promise<T>): Promise<T> | null {
    if (this.running >= this.maxRunning && this.waiting.length >= this.maxWaiting) return null;
    return this.slot().then(async () => {
      try {
        return await check();
      } finally {
        this.release();
      }
    });
  }

  private slot(): Promise<void> {
    if (this.running < this.maxRunning) {
      this.running++;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.waiting.push(() => {
        this.running++;
        resolve();
      });
    });
  }

  private release(): void {
    this.running--;
    this.waiting.shift()?.();
  }
}
