// Kafka clients match responses to requests by order as much as by correlation id: a broker
// answers a connection's requests in the order it received them, and clients rely on it.
// Turnout may answer one request locally and forward the next to a broker, so responses can
// become ready out of order; this queue holds them and releases them strictly in order.

export interface QueuedExchange {
  /** The frame to send to the client once every earlier exchange has been sent; null until ready. */
  response: Buffer | null;
}

export class InOrderResponseQueue<T extends QueuedExchange> {
  private items: T[] = [];
  private head = 0;

  /** Exchanges waiting for a response or for an earlier one to be released. */
  get size(): number {
    return this.items.length - this.head;
  }

  /** Appends an exchange; its place in the release order is fixed now. */
  push(item: T): void {
    this.items.push(item);
  }

  /** The oldest exchange not yet released, if any. */
  peek(): T | undefined {
    return this.head < this.items.length ? this.items[this.head] : undefined;
  }

  /**
   * Removes and returns the oldest exchange if its response is ready, else undefined.
   * Callers loop on it until it returns undefined or the client socket is full.
   */
  shiftReady(): T | undefined {
    const item = this.peek();
    return item === undefined || item.response === null ? undefined : this.shift();
  }

  /**
   * Removes and returns the oldest exchange whatever its state: for one whose response went
   * out another way (streamed piece by piece).
   */
  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined as unknown as T;
    this.head++;
    if (this.head === this.items.length) {
      this.items.length = 0;
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  /** Empties the queue, returning what was in it (for failing them on close). */
  clear(): T[] {
    const rest = this.items.slice(this.head);
    this.items = [];
    this.head = 0;
    return rest;
  }
}
