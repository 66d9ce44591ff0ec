import { describe, expect, it } from 'vitest';
import { TransactionPartitions } from '../../../src/routing/transaction-partitions.js';

describe('TransactionPartitions', () => {
  it('names a partition added under another key until the transaction ends', () => {
    const t = new TransactionPartitions();
    t.added('tx', 'legacy', [{ topic: 'a', partition: 0 }, { topic: 'a', partition: 1 }]);
    expect(t.addedElsewhere('tx', 'main#1', 'a', 0)).toBe(true);
    expect(t.addedElsewhere('tx', 'legacy', 'a', 0)).toBe(false);
    // Never added: nothing to carry (a transaction begun on the new backend adds its own).
    expect(t.addedElsewhere('tx', 'main#1', 'a', 2)).toBe(false);
    expect(t.addedElsewhere('other', 'main#1', 'a', 0)).toBe(false);
    t.added('tx', 'main#1', [{ topic: 'a', partition: 0 }]);
    expect(t.addedElsewhere('tx', 'main#1', 'a', 0)).toBe(false);
    expect(t.addedElsewhere('tx', 'main#1', 'a', 1)).toBe(true);
    t.ended('tx');
    expect(t.addedElsewhere('tx', 'main#1', 'a', 1)).toBe(false);
  });
});
