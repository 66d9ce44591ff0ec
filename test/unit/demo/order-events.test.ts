import { describe, expect, it } from 'vitest';
import { orderEvents } from '../../../src/demo/order-events.js';

describe('orderEvents', () => {
  it('is deterministic for a seed', () => {
    const events = orderEvents(200);
    expect(events[0]).toEqual({
      seq: 0,
      key: 'customer-0031',
      value: '{"seq":0,"orderId":"customer-0031/order-0","customer":"customer-0031","status":"created","item":"coffee beans","quantity":3,"priceCents":9813,"customerSeq":0}',
      headers: { 'event-type': 'order', source: 'turnout-demo' },
    });
    expect(events[199].value).toBe('{"seq":199,"orderId":"customer-0017/order-0","customer":"customer-0017","status":"shipped","item":"scale","quantity":1,"priceCents":7752,"customerSeq":3}');
    expect(orderEvents(200, { seed: 2 })[0]).not.toEqual(events[0]);
  });

  it('numbers events in stream order and keys them by customer', () => {
    const events = orderEvents(500, { customers: 20 });
    expect(events.map((e) => e.seq)).toEqual([...Array(500).keys()]);
    const keys = new Set(events.map((e) => e.key));
    expect(keys.size).toBeLessThanOrEqual(20);
    for (const e of events) {
      const v = JSON.parse(e.value) as { seq: number; customer: string };
      expect(v.seq).toBe(e.seq);
      expect(v.customer).toBe(e.key);
      expect(e.headers).toEqual({ 'event-type': 'order', source: 'turnout-demo' });
    }
  });

  it("follows each customer's orders through their statuses in order", () => {
    const events = orderEvents(1_000, { customers: 5 });
    const lastStep = new Map<string, number>();
    for (const e of events) {
      const v = JSON.parse(e.value) as { customerSeq: number; status: string };
      expect(v.customerSeq).toBe((lastStep.get(e.key) ?? -1) + 1);
      lastStep.set(e.key, v.customerSeq);
      expect(v.status).toBe(['created', 'paid', 'packed', 'shipped', 'delivered'][v.customerSeq % 5]);
    }
  });

  it('writes values with no tab or newline, so line-based clients print one record per line', () => {
    for (const e of orderEvents(300)) expect(e.value).not.toMatch(/[\t\n]/);
  });
});
