// The partitions each transactional id added to its open transaction (AddPartitionsToTxn
// forwarded), with the binding key they were added under (producer-id-map.ts: the backend in
// its domain's cutover era), until the transaction ends (EndTxn) or the id is initialised again.
//
// A cutover can catch a transaction between its AddPartitionsToTxn, answered by the source's
// coordinator before the hold, and its Produce, held and then sent to the target. The target's
// coordinator has no such transaction: its brokers refuse the batches (TRANSACTION_ABORTABLE
// after their partition verification) and the client has to abort. Knowing where each
// partition was added lets Turnout add it to the transaction under the new key first
// (`carriedPartitions`), so that the transaction goes on there whole: nothing of it was written
// on the source, where the drain lets no transaction with records stay open.

/** Transactional ids tracked at most; the oldest are forgotten beyond (a client that vanished mid-transaction). */
const MAX_TRANSACTIONS = 10_000;

export interface TopicPartition {
  topic: string;
  partition: number;
}

export class TransactionPartitions {
  /** transactionalId → `partition:topic` → the binding key it was added under. */
  private readonly open = new Map<string, Map<string, string>>();
  /** transactionalId → the binding key its open transaction added consumer offsets under. */
  private readonly offsets = new Map<string, string>();

  /** The client added `partitions` to its transaction under `key`. */
  added(transactionalId: string, key: string, partitions: Iterable<TopicPartition>): void {
    let entry = this.open.get(transactionalId);
    if (entry === undefined) {
      if (this.open.size >= MAX_TRANSACTIONS) this.open.delete(this.open.keys().next().value as string);
      this.open.set(transactionalId, (entry = new Map()));
    }
    for (const p of partitions) entry.set(`${p.partition}:${p.topic}`, key);
  }

  /** The client adds its consumer offsets to its open transaction (AddOffsetsToTxn forwarded) under `key`. */
  offsetsAdded(transactionalId: string, key: string): void {
    if (!this.offsets.has(transactionalId) && this.offsets.size >= MAX_TRANSACTIONS) this.offsets.delete(this.offsets.keys().next().value as string);
    this.offsets.set(transactionalId, key);
  }

  /**
   * The key the open transaction added consumer offsets under, or undefined. Such a transaction
   * has its offsets pending on that key's group coordinator: it must end there (cutover-hold-filter.ts).
   */
  offsetsAddedUnder(transactionalId: string): string | undefined {
    return this.offsets.get(transactionalId);
  }

  /** The transactional ids whose open transaction added consumer offsets under a key `pick` accepts. */
  withOffsetsUnder(pick: (key: string) => boolean): string[] {
    return [...this.offsets].filter(([, key]) => pick(key)).map(([id]) => id).sort();
  }

  /** The partitions the open transaction of `transactionalId` added under a key `pick` accepts. */
  partitionsUnder(transactionalId: string, pick: (key: string) => boolean): TopicPartition[] {
    const out: TopicPartition[] = [];
    for (const [tp, key] of this.open.get(transactionalId) ?? []) {
      if (!pick(key)) continue;
      const colon = tp.indexOf(':');
      out.push({ topic: tp.slice(colon + 1), partition: Number(tp.slice(0, colon)) });
    }
    return out;
  }

  /** The transaction ended, or its id was initialised again: nothing is open. */
  ended(transactionalId: string): void {
    this.open.delete(transactionalId);
    this.offsets.delete(transactionalId);
  }

  /** True when `topic`-`partition` is in the open transaction, added under another key than `key`. */
  addedElsewhere(transactionalId: string, key: string, topic: string, partition: number): boolean {
    const k = this.open.get(transactionalId)?.get(`${partition}:${topic}`);
    return k !== undefined && k !== key;
  }
}
