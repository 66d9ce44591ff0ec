import { describe, expect, it } from 'vitest';
import { UpstreamError } from '../../../src/net/upstream-connection.js';
import { InitProducerIdError, initProducerIdRetriable } from '../../../src/routing/multi/transactions.js';
import { retryUntil } from '../../../src/routing/retry-until.js';

/** A clock that only moves when the retry loop sleeps. */
function fakeClock(): { now: () => number; sleep: (ms: number) => Promise<void>; slept: number[] } {
  let t = 0;
  const slept: number[] = [];
  return {
    now: () => t,
    sleep: (ms) => {
      slept.push(ms);
      t += ms;
      return Promise.resolve();
    },
    slept,
  };
}

describe('retryUntil', () => {
  it('tries again after a passing error, with doubling pauses, and returns the first success', async () => {
    const clock = fakeClock();
    const seen: number[] = [];
    const got = await retryUntil(
      (n) => {
        seen.push(n);
        return n < 4 ? Promise.reject(new Error('not yet')) : Promise.resolve('id');
      },
      { deadlineMs: 10_000, initialDelayMs: 50, maxDelayMs: 150, retriable: () => true, ...clock },
    );
    expect(got).toBe('id');
    expect(seen).toEqual([1, 2, 3, 4]);
    expect(clock.slept).toEqual([50, 100, 150]);
  });

  it('throws an error that is not retriable at once', async () => {
    const clock = fakeClock();
    await expect(retryUntil(() => Promise.reject(new Error('denied')), { deadlineMs: 10_000, initialDelayMs: 50, maxDelayMs: 1_000, retriable: () => false, ...clock })).rejects.toThrow('denied');
    expect(clock.slept).toEqual([]);
  });

  it('gives up with the last error once the next pause would pass the deadline', async () => {
    const clock = fakeClock();
    let attempts = 0;
    await expect(
      retryUntil(
        () => {
          attempts++;
          return Promise.reject(new Error(`attempt ${attempts}`));
        },
        { deadlineMs: 1_000, initialDelayMs: 100, maxDelayMs: 400, retriable: () => true, ...clock },
      ),
    ).rejects.toThrow('attempt 4');
    // 100 + 200 + 400 = 700 slept; another 400 would pass 1000.
    expect(clock.slept).toEqual([100, 200, 400]);
    expect(attempts).toBe(4);
  });
});

describe('initProducerIdRetriable', () => {
  it('retries a broker still fetching its producer ids, a moving coordinator, a timeout and a lost connection', () => {
    for (const code of [14, 15, 16, 7]) expect(initProducerIdRetriable(new InitProducerIdError('main', code)), `error ${code}`).toBe(true);
    expect(initProducerIdRetriable(new UpstreamError('connection_lost', 'main', 1, 'lost connection'))).toBe(true);
  });

  it('does not retry an authorization failure or an unexpected error', () => {
    expect(initProducerIdRetriable(new InitProducerIdError('main', 31))).toBe(false);
    expect(initProducerIdRetriable(new Error('bug'))).toBe(false);
  });
});
