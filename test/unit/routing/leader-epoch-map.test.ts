import { describe, expect, it } from 'vitest';
import { FENCED_LEADER_EPOCH } from '../../../src/routing/error-codes.js';
import {
  EPOCH_FENCED,
  EPOCH_OF_OTHER_BACKEND,
  LeaderEpochMap,
  NO_EPOCH,
  epochErrorCode,
} from '../../../src/routing/leader-epoch-map.js';

describe('LeaderEpochMap', () => {
  it("shows the first backend's epochs unchanged", () => {
    const m = new LeaderEpochMap();
    expect(m.observeServing('orders', 0, 'a', 5)).toBe(5);
    expect(m.toVirtual('orders', 0, 'a', 7)).toBe(7);
    expect(m.currentToReal('orders', 0, 'a', 7)).toBe(7);
    expect(m.toReal('orders', 0, 'a', 3)).toBe(3);
    expect(m.currentBackend('orders', 0)).toBe('a');
  });

  it('never goes backwards when the backend changes, whatever the new backend counts from', () => {
    const m = new LeaderEpochMap();
    expect(m.observeServing('orders', 0, 'a', 41)).toBe(41);
    // b's epochs for the partition start low: every one of them is above all of a's
    expect(m.observeServing('orders', 0, 'b', 2)).toBe(44);
    expect(m.toVirtual('orders', 0, 'b', 0)).toBe(42);
    expect(m.toVirtual('orders', 0, 'b', 3)).toBe(45);
    expect(m.generations('orders', 0)).toEqual([
      { backend: 'a', offset: 0, maxReal: 41 },
      { backend: 'b', offset: 42, maxReal: 3 },
    ]);
    // and back to a (a rollback): above b's
    expect(m.observeServing('orders', 0, 'a', 41)).toBe(87);
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
        // a's history is translated by a's latest generation: it round-trips there
        expect(m.toReal('t', 0, backend, v)).toBe(real);
        expect(seen.has(v)).toBe(false);
        seen.set(v, backend);
      }
    }
    expect(m.toReal('t', 0, 'b', m.toVirtual('t', 0, 'a', 3))).toBe(EPOCH_OF_OTHER_BACKEND);
  });

  it('fences a current leader epoch from an older generation, as a broker fences an old epoch', () => {
    const m = new LeaderEpochMap();
    const old = m.observeServing('orders', 0, 'a', 9);
    const now = m.observeServing('orders', 0, 'b', 1);
    expect(m.currentToReal('orders', 0, 'b', old)).toBe(EPOCH_FENCED);
    expect(epochErrorCode(EPOCH_FENCED)).toBe(FENCED_LEADER_EPOCH);
    expect(m.currentToReal('orders', 0, 'b', now)).toBe(1);
    // newer than Turnout has seen: passed on for the backend to judge (UNKNOWN_LEADER_EPOCH there)
    expect(m.currentToReal('orders', 0, 'b', now + 5)).toBe(6);
    // -1: no check, as in Kafka
    expect(m.currentToReal('orders', 0, 'b', -1)).toBe(NO_EPOCH);
    expect(epochErrorCode(6)).toBe(0);
  });

  it('starts a generation when a request is routed to a new backend, fencing the old epoch', () => {
    const m = new LeaderEpochMap();
    const old = m.observeServing('orders', 0, 'a', 9);
    expect(m.currentToReal('orders', 0, 'b', old)).toBe(EPOCH_FENCED);
    expect(m.currentBackend('orders', 0)).toBe('b');
    // the client refreshes metadata and learns b's epoch, above the old one
    expect(m.observeServing('orders', 0, 'b', 0)).toBe(10);
  });

  it('clamps a late epoch from a superseded generation to the top of its range', () => {
    const m = new LeaderEpochMap();
    m.observeServing('orders', 0, 'a', 9);
    m.observeServing('orders', 0, 'b', 0);
    expect(m.toVirtual('orders', 0, 'a', 8)).toBe(8);
    expect(m.toVirtual('orders', 0, 'a', 12)).toBe(9);
    expect(m.toVirtual('orders', 0, 'b', 0)).toBe(10);
  });

  it('gives no epoch for a backend that never served the partition', () => {
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

  it('translates an unknown partition as the first generation would', () => {
    const m = new LeaderEpochMap();
    expect(m.toReal('orders', 3, 'a', 12)).toBe(12);
    expect(m.currentToReal('orders', 4, 'a', 12)).toBe(12);
  });

  it('keeps a recreated topic monotonic with a new generation on the same backend', () => {
    const m = new LeaderEpochMap();
    m.observeServing('orders', 0, 'a', 30);
    m.observeServing('orders', 1, 'a', 20);
    m.beginTopicGeneration('orders', 'a');
    expect(m.observeServing('orders', 0, 'a', 0)).toBe(31);
    expect(m.observeServing('orders', 1, 'a', 0)).toBe(21);
    m.beginGeneration('orders', 0, 'a');
    expect(m.observeServing('orders', 0, 'a', 0)).toBe(32);
    m.beginGeneration('fresh', 0, 'a');
    expect(m.observeServing('fresh', 0, 'a', 4)).toBe(4);
  });

  it('keeps partitions and topics apart', () => {
    const m = new LeaderEpochMap();
    m.observeServing('orders', 0, 'a', 50);
    m.observeServing('orders', 0, 'b', 0);
    expect(m.observeServing('orders', 1, 'b', 0)).toBe(0);
    expect(m.observeServing('payments', 0, 'b', 0)).toBe(0);
  });

  it('refuses an epoch that would overflow int32', () => {
    const m = new LeaderEpochMap();
    m.observeServing('t', 0, 'a', 2147483000);
    m.observeServing('t', 0, 'b', 0);
    expect(() => m.toVirtual('t', 0, 'b', 1000)).toThrow(RangeError);
  });

  it('shares generations with another instance, never lowering an epoch that instance showed', () => {
    const one = new LeaderEpochMap();
    one.observeServing('orders', 0, 'a', 9);
    one.observeServing('orders', 0, 'b', 2);
    const two = new LeaderEpochMap();
    two.observeServing('orders', 0, 'b', 2);
    for (const e of one.entries()) expect(two.adopt(e)).toBe(true);
    expect(two.toVirtual('orders', 0, 'b', 2)).toBe(12);
    const lower = { topic: 'orders', partition: 0, generations: [{ backend: 'b', offset: 0, maxReal: 3 }] };
    expect(two.adopt(lower)).toBe(false);
    expect(() =>
      two.adopt({ topic: 'x', partition: 0, generations: [{ backend: 'a', offset: 0, maxReal: 3 }, { backend: 'b', offset: 2, maxReal: 0 }] }),
    ).toThrow(RangeError);
  });
});
