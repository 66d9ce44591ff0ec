// The second domain's sample traffic in the demo: payment events keyed by account, without
// end, deterministic like the order events (order-events.ts) so that a run can be repeated.
import { seededRandom, type OrderEvent } from './order-events.js';

const METHODS = ['card', 'bank transfer', 'wallet'] as const;
const OUTCOMES = ['authorized', 'captured', 'settled'] as const;

/** Payment events in the shape order events have (seq, key, value, headers). */
export function* paymentEventStream(opts: { accounts?: number; seed?: number } = {}): Generator<OrderEvent, never> {
  const accounts = opts.accounts ?? 20;
  const random = seededRandom(opts.seed ?? 7);
  const perAccount = new Array<number>(accounts).fill(0);
  for (let seq = 0; ; seq++) {
    const account = Math.floor(random() * accounts);
    const step = perAccount[account]++;
    const key = `account-${String(account).padStart(3, '0')}`;
    const value = JSON.stringify({
      seq,
      paymentId: `${key}/payment-${Math.floor(step / OUTCOMES.length)}`,
      account: key,
      outcome: OUTCOMES[step % OUTCOMES.length],
      method: METHODS[Math.floor(random() * METHODS.length)],
      amountCents: 100 + Math.floor(random() * 50_000),
      accountSeq: step,
    });
    yield { seq, key, value, headers: { 'event-type': 'payment', source: 'turnout-demo' } };
  }
}
