// Retries an attempt that fails for a passing reason (a broker still starting, a coordinator
// moving) with growing pauses, until a deadline. Turnout uses it for requests it sends on its
// own behalf, where failing would surface to a client as an error it did not cause.

export interface RetryUntilOptions {
  /** Give up after this long; the last error is thrown. */
  deadlineMs: number;
  /** The first pause; each next one doubles, up to maxDelayMs. */
  initialDelayMs: number;
  maxDelayMs: number;
  /** True for an error worth another attempt; any other is thrown at once. */
  retriable: (err: unknown) => boolean;
  /** Injected in tests. */
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export async function retryUntil<T>(attempt: (n: number) => Promise<T>, opts: RetryUntilOptions): Promise<T> {
  const sleep = opts.sleep ?? realSleep;
  const now = opts.now ?? Date.now;
  const giveUpAt = now() + opts.deadlineMs;
  let delay = opts.initialDelayMs;
  for (let n = 1; ; n++) {
    try {
      return await attempt(n);
    } catch (err) {
      if (!opts.retriable(err) || now() + delay > giveUpAt) throw err;
      await sleep(delay);
      delay = Math.min(opts.maxDelayMs, delay * 2);
    }
  }
}
