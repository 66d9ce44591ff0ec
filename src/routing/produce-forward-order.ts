// The Produce requests of one client connection leave for the brokers in the order the client
// sent them.
//
// Kafka keeps a connection's requests in order, and an idempotent producer relies on it: a
// broker takes any first sequence from a producer id it holds no state for, so a batch that
// overtakes the producer's first one is stored ahead of it, and the first one is then out of
// order. A request whose batches wait before they go (for the producer's real id to be
// obtained, or adopted from the store, or for an open transaction to be carried) must not let
// the requests behind it go first; how long each waits depends on what it waits for, so the
// sends are put back in arrival order here. A request that waits for nothing, behind none that
// waits, sends at once: the common path makes no promise.

/** A request's place in its connection's order: wait for `previous`, send, then `partDone` per part. */
export interface ForwardTurn {
  /** Settles once every earlier request of the connection has sent (or given up) all its parts; null: none is unsent. */
  readonly previous: Promise<void> | null;
  /** One of the request's parts was sent upstream, or failed before it could be. */
  partDone(): void;
}

const NO_WAIT: ForwardTurn = { previous: null, partDone: () => undefined };

export class ProduceForwardOrder {
  /** Settles when the last request that took a waiting turn has sent all its parts; null when none is unsent. */
  private tail: Promise<void> | null = null;

  /**
   * The turn of a request with `parts` destinations, taken in arrival order (before the
   * request's first await). `waits`: its parts wait for something before they are sent.
   */
  take(parts: number, waits: boolean): ForwardTurn {
    if (this.tail === null && !waits) return NO_WAIT;
    const previous = this.tail;
    let release!: () => void;
    const sent = new Promise<void>((resolve) => (release = resolve));
    this.tail = sent;
    let remaining = parts;
    const done = (): void => {
      release();
      if (this.tail === sent) this.tail = null;
    };
    if (remaining <= 0) {
      // Nothing to send: the turn passes on once the earlier ones have sent.
      if (previous === null) done();
      else void previous.then(done);
    }
    return {
      previous,
      partDone: () => {
        if (--remaining === 0) done();
      },
    };
  }
}

const orders = new WeakMap<object, ProduceForwardOrder>();

/** The order of a client connection's Produce requests (kept as long as its session is). */
export function forwardOrderOf(session: object): ProduceForwardOrder {
  let order = orders.get(session);
  if (order === undefined) orders.set(session, (order = new ProduceForwardOrder()));
  return order;
}
