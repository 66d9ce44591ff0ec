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

  /** The client added `partitions` to its transaction under `key`. */
  added(transactionalId: string, key: string, partitions: Iterable<TopicPartition>): void {
    let entry = this.open.get(transactionalId);
    if (entry === undefined) {
      if (this.open.size >= MAX_TRANSACTIONS) this.open.delete(this.open.keys().next().value as string);
      this.open.set(transactionalId, (entry = new Map()));
    }
    for (const p of partitions) entry.set(`${p.partition}:${p.topic}`, key);
  }

  /** The transaction ended, or its id was initialised again: nothing is open. */
  ended(transactionalId: string): void {
    this.open.delete(transactionalId);
  }

  /** True when `topic`-`partition` is in the open transaction, added under another key than `key`. */
  addedElsewhere(transactionalId: string, key: string, topic: string, partition: number): boolean {
    const k = this.open.get(transactionalId)?.get(`${partition}:${topic}`);
    return k !== undefined && k !== key;
  }
}
