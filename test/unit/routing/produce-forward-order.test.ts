import { describe, expect, it } from 'vitest';
import { ProduceForwardOrder } from '../../../src/routing/produce-forward-order.js';

/** Runs a request's parts as produce.ts does: wait for `ready`, then for the turn, then "send". */
async function request(order: ProduceForwardOrder, name: string, sends: string[], parts: Array<Promise<void> | null>): Promise<void> {
  const turn = order.take(parts.length, parts.some((p) => p !== null));
  await Promise.all(
    parts.map(async (ready, i) => {
      if (ready !== null) await ready;
      if (turn.previous !== null) await turn.previous;
      sends.push(`${name}.${i}`);
      turn.partDone();
    }),
  );
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('the order of a connection’s produce requests', () => {
  it('sends at once, with no turn to wait for, while no earlier request waits', () => {
    const order = new ProduceForwardOrder();
    expect(order.take(2, false).previous).toBeNull();
    expect(order.take(1, false).previous).toBeNull();
  });

  it('keeps a later request behind an earlier one that waits longer before it can send', async () => {
    const order = new ProduceForwardOrder();
    const sends: string[] = [];
    const slow = deferred();
    const first = request(order, 'first', sends, [slow.promise, null]);
    // Waits for nothing, yet must not overtake: a broker would take its sequence as the producer's first.
    const second = request(order, 'second', sends, [null]);
    const quick = deferred();
    const third = request(order, 'third', sends, [quick.promise]);
    quick.resolve();
    await new Promise((r) => setTimeout(r, 10));
    // The first request's other destination had nothing to wait for; no later request overtakes it.
    expect(sends).toEqual(['first.1']);
    slow.resolve();
    await Promise.all([first, second, third]);
    expect(sends).toEqual(['first.1', 'first.0', 'second.0', 'third.0']);
    // Everything sent: the next request goes at once again.
    expect(order.take(1, false).previous).toBeNull();
  });

  it('passes the turn on when a request has no part to send, or its parts fail before sending', async () => {
    const order = new ProduceForwardOrder();
    const sends: string[] = [];
    const gate = deferred();
    const first = request(order, 'first', sends, [gate.promise]);
    const empty = order.take(0, true);
    const third = request(order, 'third', sends, [null]);
    gate.resolve();
    await Promise.all([first, third, empty.previous]);
    expect(sends).toEqual(['first.0', 'third.0']);
    expect(order.take(1, false).previous).toBeNull();
  });
});
