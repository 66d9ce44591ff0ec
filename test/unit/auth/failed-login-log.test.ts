import { describe, expect, it } from 'vitest';
import { FailedLoginLog, type FailedLogin } from '../../../src/auth/failed-login-log.js';
import { createLogger } from '../../../src/observability/logger.js';

function setup(opts: { maxTracked?: number; maxLinesPerInterval?: number } = {}) {
  const lines: Array<Record<string, unknown>> = [];
  let now = 0;
  const log = new FailedLoginLog({
    log: createLogger({ level: 'info', destination: { write: (s: string) => void lines.push(JSON.parse(s)) } }),
    intervalMs: 60_000,
    now: () => now,
    ...opts,
  });
  return { log, lines, advance: (ms: number) => (now += ms) };
}

const failure = (user: string | undefined, clientHost = '10.0.0.1'): FailedLogin => ({ user, clientHost, mechanism: 'SCRAM-SHA-512', listener: 'ext', reason: 'invalid proof' });

describe('failed login log', () => {
  it('logs the first failure of a user and address at once, and the rest of the interval in one line later', () => {
    const { log, lines, advance } = setup();
    for (let i = 0; i < 5; i++) log.record(failure('alice'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ msg: 'authentication failed', user: 'alice', clientHost: '10.0.0.1', failures: 1, level: 40 });
    advance(60_000);
    log.record(failure('alice'));
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatchObject({ user: 'alice', failures: 5, sinceMs: 60_000 });
    expect(log.failures('alice', '10.0.0.1')).toBe(6);
  });

  it('counts each (user, address) pair on its own', () => {
    const { log } = setup();
    log.record(failure('alice', '10.0.0.1'));
    log.record(failure('alice', '10.0.0.2'));
    log.record(failure(undefined, '10.0.0.1'));
    expect([log.failures('alice', '10.0.0.1'), log.failures('alice', '10.0.0.2'), log.failures(undefined, '10.0.0.1')]).toEqual([1, 1, 1]);
  });

  it('remembers a bounded number of pairs, forgetting the least recent first', () => {
    const { log } = setup({ maxTracked: 100 });
    log.record(failure('keep'));
    for (let i = 0; i < 10_000; i++) {
      log.record(failure(`random-${i}`, `198.51.100.${i % 250}`));
      if (i % 50 === 0) log.record(failure('keep'));
    }
    expect(log.trackedPairs).toBe(100);
    expect(log.failures('keep', '10.0.0.1')).toBe(201);
    expect(log.failures('random-0', '198.51.100.0')).toBe(0);
  });

  it('writes a bounded number of lines per interval and says how many it left out', () => {
    const { log, lines, advance } = setup({ maxLinesPerInterval: 10 });
    for (let i = 0; i < 10_000; i++) log.record(failure(`u${i}`));
    expect(lines).toHaveLength(10);
    advance(60_000);
    log.record(failure('late'));
    expect(lines[10]).toMatchObject({ msg: 'more failed logins than logged individually', notLogged: 9_990 });
    expect(lines[11]).toMatchObject({ user: 'late' });
  });

  it('cuts long client-chosen user names', () => {
    const { log, lines } = setup();
    log.record(failure('x'.repeat(10_000)));
    expect(String(lines[0].user)).toHaveLength(128);
  });
});
