import { describe, expect, it } from 'vitest';
import { orderEventStream, orderEvents } from '../../../src/demo/order-events.js';
import { paymentEventStream } from '../../../src/demo/payment-events.js';

function take<T>(stream: Iterator<T>, n: number): T[] {
  return Array.from({ length: n }, () => stream.next().value as T);
}

describe('event streams', () => {
  it('give the same order events as orderEvents, without end', () => {
    expect(take(orderEventStream(), 300)).toEqual(orderEvents(300));
  });

  it("give deterministic payment events keyed by account, each account's outcomes in order", () => {
    const events = take(paymentEventStream(), 600);
    expect(take(paymentEventStream(), 600)).toEqual(events);
    expect(take(paymentEventStream({ seed: 8 }), 1)).not.toEqual(events.slice(0, 1));
    const lastStep = new Map<string, number>();
    for (const [i, e] of events.entries()) {
      const v = JSON.parse(e.value) as { seq: number; account: string; accountSeq: number; outcome: string };
      expect(v.seq).toBe(i);
      expect(v.account).toBe(e.key);
      expect(v.accountSeq).toBe((lastStep.get(e.key) ?? -1) + 1);
      expect(v.outcome).toBe(['authorized', 'captured', 'settled'][v.accountSeq % 3]);
      lastStep.set(e.key, v.accountSeq);
      expect(e.headers).toEqual({ 'event-type': 'payment', source: 'turnout-demo' });
      expect(e.value).not.toMatch(/[\t\n]/);
    }
    expect(lastStep.size).toBeLessThanOrEqual(20);
  });
});
