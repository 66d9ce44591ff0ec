// The demo's sample traffic: order events keyed by customer, so that each customer's events
// land on one partition and their order there is the order they were produced in. The events
// are deterministic (a seeded generator), so a run can be repeated and compared; a stream of
// them has no end, for producers that run until they are stopped.

export interface OrderEvent {
  /** Position in the produced stream, from 0. */
  seq: number;
  key: string;
  value: string;
  headers: Record<string, string>;
}

const ITEMS = ['coffee beans', 'tea', 'mug', 'grinder', 'kettle', 'filter papers', 'scale', 'french press'] as const;
const STATUSES = ['created', 'paid', 'packed', 'shipped', 'delivered'] as const;

/** A small, fast, seeded generator (mulberry32): the same seed gives the same events. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface OrderEventOptions {
  /** Number of distinct customers (keys); default 50. */
  customers?: number;
  /** Default 1. */
  seed?: number;
}

/** Order events without end; each customer's events follow its orders through their statuses. */
export function* orderEventStream(opts: OrderEventOptions = {}): Generator<OrderEvent, never> {
  const customers = opts.customers ?? 50;
  const random = seededRandom(opts.seed ?? 1);
  const perCustomer = new Array<number>(customers).fill(0);
  for (let seq = 0; ; seq++) {
    const customer = Math.floor(random() * customers);
    const step = perCustomer[customer]++;
    const orderNo = Math.floor(step / STATUSES.length);
    const key = `customer-${String(customer).padStart(4, '0')}`;
    const value = JSON.stringify({
      seq,
      orderId: `${key}/order-${orderNo}`,
      customer: key,
      status: STATUSES[step % STATUSES.length],
      item: ITEMS[Math.floor(random() * ITEMS.length)],
      quantity: 1 + Math.floor(random() * 4),
      priceCents: 199 + Math.floor(random() * 9_800),
      customerSeq: step,
    });
    yield { seq, key, value, headers: { 'event-type': 'order', source: 'turnout-demo' } };
  }
}

/** The first `count` events of `orderEventStream`. */
export function orderEvents(count: number, opts: OrderEventOptions = {}): OrderEvent[] {
  const events: OrderEvent[] = [];
  const stream = orderEventStream(opts);
  for (let i = 0; i < count; i++) events.push(stream.next().value);
  return events;
}
