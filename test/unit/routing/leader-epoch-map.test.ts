import { describe, expect, it } from 'vitest';
import { FENCED_LEADER_EPOCH } from '../../../src/routing/error-codes.js';
import {
  EPOCH_FENCED,
  EPOCH_OF_OTHER_BACKEND,
  GENERATION_STRIDE,
  LeaderEpochMap,
  MAX_GENERATION,
  NO_EPOCH,
  epochErrorCode,
  type GenerationClaim,
} from '../../../src/routing/leader-epoch-map.js';

const S = GENERATION_STRIDE;

/** A map whose generations begun are collected in `claims`. */
function recording(): { m: LeaderEpochMap; claims: GenerationClaim[] } {
  const m = new LeaderEpochMap();
  const claims: GenerationClaim[] = [];
  m.onGeneration((c) => claims.push(c));
  return { m, claims };
}

describe('LeaderEpochMap', () => {
  it("shows the first backend's epochs unchanged", () => {
    const m = new LeaderEpochMap();
    expect(m.observeServing('orders', 0, 'a', 5)).toBe(5);
    expect(m.toVirtual('orders', 0, 'a', 7)).toBe(7);
    expect(m.currentToReal('orders', 0, 'a', 7)).toBe(7);
    expect(m.toReal('orders', 0, 'a', 3)).toBe(3);
    expect(m.currentBackend('orders', 0)).toBe('a');
  });

  it('never goes backwards when the backend changes, whatever either backend counts to', () => {
    const m = new LeaderEpochMap();
    expect(m.observeServing('orders', 0, 'a', 41)).toBe(41);
    // b's epochs start low: all of them lie in the next generation's slice, above all of a's
    expect(m.observeServing('orders', 0, 'b', 2)).toBe(S + 2);
    expect(m.toVirtual('orders', 0, 'b', 0)).toBe(S);
    expect(m.generations('orders')).toEqual([
      { generation: 0, backend: 'a' },
      { generation: 1, backend: 'b' },
    ]);
    // and back to a (a rollback): above b's
    expect(m.observeServing('orders', 0, 'a', 41)).toBe(2 * S + 41);
    expect(m.currentGeneration('orders')).toBe(2);
  });

  it('gives two instances that see the same moves the same epochs, whatever epochs each saw before', () => {
    const one = new LeaderEpochMap();
    const two = new LeaderEpochMap();
    one.observeServing('orders', 0, 'a', 41);
    two.observeServing('orders', 0, 'a', 3); // an older metadata answer
    expect(one.observeServing('orders', 0, 'b', 2)).toBe(two.observeServing('orders', 0, 'b', 2));
    expect(one.observeServing('orders', 1, 'b', 7)).toBe(two.observeServing('orders', 1, 'b', 7));
  });

  it('translates every epoch of every generation back to the backend it came from', () => {
    const m = new LeaderEpochMap();
    m.observeServing('t', 0, 'a', 10);
    m.observeServing('t', 0, 'b', 4);
    m.observeServing('t', 0, 'a', 12);
    const seen = new Map<number, string>();
    for (const [backend, reals] of [['a', [0, 5, 10]], ['b', [0, 4]]] as const) {
      for (const real of reals) {
        const v = m.toVirtual('t', 0, backend, real);
        expect(m.toReal('t', 0, backend, v)).toBe(real);
        expect(seen.has(v)).toBe(false);
        seen.set(v, backend);
      }
    }
    expect(m.toReal('t', 0, 'b', m.toVirtual('t', 0, 'a', 3))).toBe(EPOCH_OF_OTHER_BACKEND);
    // a generation nobody told this instance of
    expect(m.toReal('t', 0, 'a', 7 * S + 1)).toBe(EPOCH_OF_OTHER_BACKEND);
  });

  it('fences a current leader epoch from an older generation, as a broker fences an old epoch', () => {
    const m = new LeaderEpochMap();
    const old = m.observeServing('orders', 0, 'a', 9);
    const now = m.observeServing('orders', 0, 'b', 1);
    expect(m.currentToReal('orders', 0, 'b', old)).toBe(EPOCH_FENCED);
    expect(epochErrorCode(EPOCH_FENCED)).toBe(FENCED_LEADER_EPOCH);
    expect(m.currentToReal('orders', 0, 'b', now)).toBe(1);
    expect(m.currentToReal('orders', 0, 'b', now + 5)).toBe(6);
    expect(m.currentToReal('orders', 0, 'b', -1)).toBe(NO_EPOCH);
    expect(epochErrorCode(6)).toBe(0);
  });

  it('passes an epoch of a generation this instance has not heard of on above every real epoch (UNKNOWN_LEADER_EPOCH at the backend)', () => {
    const m = new LeaderEpochMap();
    m.observeServing('orders', 0, 'a', 9);
    const real = m.currentToReal('orders', 0, 'a', S + 3);
    expect(real).toBeGreaterThanOrEqual(S);
    expect(real).toBe(S + 3);
  });

  it('starts a generation when a request is routed to a new backend, fencing the old epoch', () => {
    const m = new LeaderEpochMap();
    const old = m.observeServing('orders', 0, 'a', 9);
    expect(m.currentToReal('orders', 0, 'b', old)).toBe(EPOCH_FENCED);
    expect(m.currentBackend('orders', 0)).toBe('b');
    expect(m.observeServing('orders', 0, 'b', 0)).toBe(S);
  });

  it('keeps a late epoch of a superseded generation in that generation, and clamps one beyond the slice', () => {
    const m = new LeaderEpochMap();
    m.observeServing('orders', 0, 'a', 9);
    m.observeServing('orders', 0, 'b', 0);
    expect(m.toVirtual('orders', 0, 'a', 12)).toBe(12);
    expect(m.toVirtual('orders', 0, 'b', S + 5)).toBe(2 * S - 1);
  });

  it('gives no epoch for a backend that never served the topic', () => {
    const m = new LeaderEpochMap();
    m.observeServing('orders', 0, 'a', 3);
    expect(m.toVirtual('orders', 0, 'c', 3)).toBe(NO_EPOCH);
  });

  it('passes negative epochs through', () => {
    const m = new LeaderEpochMap();
    expect(m.toVirtual('orders', 0, 'a', -1)).toBe(-1);
    expect(m.observeServing('orders', 0, 'a', -1)).toBe(-1);
    expect(m.toReal('orders', 0, 'a', -1)).toBe(NO_EPOCH);
  });

  it('translates an unknown topic as the first generation would', () => {
    const m = new LeaderEpochMap();
    expect(m.toReal('orders', 3, 'a', 12)).toBe(12);
    expect(m.toReal('orders', 3, 'a', S + 12)).toBe(EPOCH_OF_OTHER_BACKEND);
    expect(m.currentToReal('orders', 4, 'a', 12)).toBe(12);
  });

  it('keeps a recreated topic monotonic with a new generation on the same backend', () => {
    const m = new LeaderEpochMap();
    m.observeServing('orders', 0, 'a', 30);
    m.observeServing('orders', 1, 'a', 20);
    m.beginTopicGeneration('orders', 'a');
    expect(m.observeServing('orders', 0, 'a', 0)).toBe(S);
    expect(m.observeServing('orders', 1, 'a', 0)).toBe(S);
    m.beginTopicGeneration('fresh', 'a');
    expect(m.observeServing('fresh', 0, 'a', 4)).toBe(4);
  });

  it('keeps topics apart', () => {
    const m = new LeaderEpochMap();
    m.observeServing('orders', 0, 'a', 50);
    m.observeServing('orders', 0, 'b', 0);
    expect(m.observeServing('payments', 0, 'b', 0)).toBe(0);
  });

  it('refuses a generation beyond the int32 epoch space', () => {
    const m = new LeaderEpochMap();
    m.adoptGeneration('t', MAX_GENERATION, 'a');
    expect(m.observeServing('t', 0, 'a', GENERATION_STRIDE - 1)).toBe(2147483647);
    expect(() => m.observeServing('t', 0, 'b', 0)).toThrow(RangeError);
    expect(() => m.adoptGeneration('t', MAX_GENERATION + 1, 'a')).toThrow(RangeError);
  });

  it('reports the generations it begins, and none it adopts', () => {
    const { m, claims } = recording();
    m.observeServing('orders', 0, 'a', 1);
    m.observeServing('orders', 1, 'a', 1);
    m.currentToReal('orders', 0, 'b', -1);
    m.adoptGeneration('orders', 2, 'a');
    // routed back to a: the generation another instance began for a is taken, not begun again
    m.currentToReal('orders', 0, 'a', -1);
    expect(m.currentGeneration('orders')).toBe(2);
    m.beginTopicGeneration('orders', 'a');
    expect(claims).toEqual([
      { topic: 'orders', generation: 0, backend: 'a' },
      { topic: 'orders', generation: 1, backend: 'b' },
      { topic: 'orders', generation: 3, backend: 'a' },
    ]);
  });

  it('takes a newer generation another instance began when it routes to that backend, instead of beginning one', () => {
    const { m, claims } = recording();
    m.observeServing('orders', 0, 'a', 4);
    m.adoptGeneration('orders', 1, 'b'); // another instance moved first
    // still routing to a (its policy has not changed yet): stays in its generation
    expect(m.observeServing('orders', 0, 'a', 4)).toBe(4);
    expect(m.currentToReal('orders', 0, 'a', S + 2)).toBeGreaterThanOrEqual(S);
    // its policy changes too: the other instance's generation, the same epochs
    expect(m.observeServing('orders', 0, 'b', 2)).toBe(S + 2);
    expect(claims).toEqual([{ topic: 'orders', generation: 0, backend: 'a' }]);
  });

  it('moves up to a newer generation of its own backend as soon as it hears of it (a recreation seen elsewhere first)', () => {
    const m = new LeaderEpochMap();
    m.observeServing('orders', 0, 'a', 4);
    expect(m.adoptGeneration('orders', 1, 'a')).toBe(true);
    expect(m.currentGeneration('orders')).toBe(1);
    expect(m.observeServing('orders', 0, 'a', 0)).toBe(S);
    expect(m.adoptGeneration('orders', 1, 'a')).toBe(false);
  });

  it('follows others through a move and back it did not take part in', () => {
    const m = new LeaderEpochMap();
    m.observeServing('orders', 0, 'a', 4);
    m.adoptGeneration('orders', 1, 'b');
    m.adoptGeneration('orders', 2, 'a');
    expect(m.observeServing('orders', 0, 'a', 4)).toBe(2 * S + 4);
  });

  it('begins a higher generation at once when the store gives its current one to another backend, so its epochs only rise', () => {
    const { m, claims } = recording();
    m.observeServing('orders', 0, 'a', 4);
    const shown = m.observeServing('orders', 0, 'b', 3); // begins 1:b
    m.adoptGeneration('orders', 1, 'c'); // another instance had 1 for c
    expect(m.currentBackend('orders')).toBe('b');
    expect(m.currentGeneration('orders')).toBe(2);
    expect(m.observeServing('orders', 0, 'b', 3)).toBeGreaterThan(shown);
    expect(claims.at(-1)).toEqual({ topic: 'orders', generation: 2, backend: 'b' });
    // an epoch it showed in the lost generation is fenced: the client refreshes and sees generation 2
    expect(m.currentToReal('orders', 0, 'b', shown)).toBe(EPOCH_FENCED);
  });

  it('shares generations with another instance, which then shows the same epochs', () => {
    const one = new LeaderEpochMap();
    one.observeServing('orders', 0, 'a', 9);
    one.observeServing('orders', 0, 'b', 2);
    const two = new LeaderEpochMap();
    for (const e of one.entries()) expect(two.adopt(e)).toBe(true);
    expect(two.observeServing('orders', 0, 'b', 2)).toBe(one.observeServing('orders', 0, 'b', 2));
    for (const e of one.entries()) expect(two.adopt(e)).toBe(false);
  });
});
