// Kafka clients match responses to requests by order as much as by correlation id: a broker
// answers a connection's requests in the order it received them, and clients rely on it.
// Turnout may answer one request locally and forward the next to a broker, so responses can
// become ready out of order; this queue holds them and releases them strictly in order.
import Denque from 'denque';

export interface QueuedExchange {
  /** The frame to send to the client once every earlier exchange has been sent; null until ready. */
  response: Buffer | null;
}

export class InOrderResponseQueue<T extends QueuedExchange> {
  // A ring: a connection that empties its queue after every answer keeps its slots, instead of
  // truncating an array and growing it again on the next request.
  private items = new Denque<T>();

  /** Exchanges waiting for a response or for an earlier one to be released. */
  get size(): number {
    return this.items.length;
  }

  /** Appends an exchange; its place in the release order is fixed now. */
  push(item: T): void {
    this.items.push(item);
  }

  /** The oldest exchange not yet released, if any. */
  peek(): T | undefined {
    return this.items.peekFront();
  }

  /**
   * Removes and returns the oldest exchange if its response is ready, else undefined.
   * Callers loop on it until it returns undefined or the client socket is full.
   */
  shiftReady(): T | undefined {
    const item = this.items.peekFront();
    return item === undefined || item.response === null ? undefined : this.items.shift();
  }

  /**
   * Removes and returns the oldest exchange whatever its state: for one whose response went
   * out another way (streamed piece by piece).
   */
  shift(): T | undefined {
    return this.items.shift();
  }

  /** Empties the queue, returning what was in it (for failing them on close). */
  clear(): T[] {
    const rest = this.items.toArray();
    this.items = new Denque<T>();
    return rest;
  }
}
