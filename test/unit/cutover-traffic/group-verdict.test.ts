// How the cutover traffic harness judges a group's reads against the producers'
// acknowledgements: each kind of fault a cutover could cause shows in its own count.
import { describe, expect, it } from 'vitest';
import { AckLedger } from '../../integration/cutover-traffic/ack-ledger.js';
import { GroupReads } from '../../integration/cutover-traffic/group-reads.js';

/** Partition 0: offsets 0..4 acknowledged by producer p (seq = offset, value v<offset>). */
function ledgerOfFive(): AckLedger {
  const ledger = new AckLedger();
  for (let o = 0; o < 5; o++) ledger.ack(0, o, { producer: 'p', seq: o, value: `v${o}` });
  return ledger;
}

function group(): GroupReads {
  return new GroupReads('g', 'test', ['a', 'b']);
}

function readAll(reads: GroupReads, member: string, offsets: readonly number[], value = (o: number) => `v${o}`): void {
  for (const o of offsets) reads.read(member, { partition: 0, offset: o, value: value(o) });
}

describe('a group verdict', () => {
  it('is all zeros when every acknowledged record was read once, in order', () => {
    const reads = group();
    readAll(reads, 'a', [0, 1, 2, 3, 4]);
    expect(reads.verdict(ledgerOfFive())).toMatchObject({ expected: 5, read: 5, lost: 0, duplicated: 0, reordered: 0, mismatched: 0, abortedSeen: 0, unacknowledged: 0, rebalances: 0, commitsOff: null });
  });

  it('counts a record never read as lost, and one read twice as duplicated and out of order', () => {
    const reads = group();
    readAll(reads, 'a', [0, 1, 3, 1]);
    const v = reads.verdict(ledgerOfFive());
    expect(v.lost).toBe(2);
    expect(v.duplicated).toBe(1);
    expect(v.reordered).toBe(1);
    expect(v.samples.join('\n')).toContain('lost: partition 0 offset 2');
  });

  it('judges order per member: two members reading different partitions are not reordered', () => {
    const ledger = ledgerOfFive();
    ledger.ack(1, 0, { producer: 'p', seq: 5, value: 'w0' });
    const reads = group();
    readAll(reads, 'a', [0, 1, 2, 3, 4]);
    reads.read('b', { partition: 1, offset: 0, value: 'w0' });
    expect(reads.verdict(ledger)).toMatchObject({ lost: 0, reordered: 0, duplicated: 0 });
  });

  it('counts a value that differs from the one acknowledged at its offset (an offset translated wrongly)', () => {
    const reads = group();
    readAll(reads, 'a', [0, 1, 2, 3, 4], (o) => `v${o === 3 ? 4 : o}`);
    expect(reads.verdict(ledgerOfFive()).mismatched).toBe(1);
  });

  it('counts records of aborted transactions read, and leaves them out of what is expected', () => {
    const ledger = ledgerOfFive();
    ledger.ack(0, 5, { producer: 't', seq: 0, value: 'tx0.0.A', txn: 0 });
    ledger.ack(0, 7, { producer: 't', seq: 2, value: 'tx1.0.C', txn: 1 });
    ledger.endTransaction('t', 0, 'aborted');
    ledger.endTransaction('t', 1, 'committed');
    const reads = group();
    readAll(reads, 'a', [0, 1, 2, 3, 4]);
    reads.read('a', { partition: 0, offset: 5, value: 'tx0.0.A' });
    const v = reads.verdict(ledger);
    expect(v).toMatchObject({ expected: 6, abortedSeen: 1, lost: 1 });
    expect(ledger.abortedCount()).toBe(1);
  });

  it('counts reads at offsets no producer acknowledged (a record written around the producers)', () => {
    const reads = group();
    readAll(reads, 'a', [0, 1, 2, 3, 4, 5], (o) => (o === 5 ? 'direct' : `v${o}`));
    expect(reads.verdict(ledgerOfFive()).unacknowledged).toBe(1);
  });

  it('counts assignment changes only once the run is steady', () => {
    const reads = group();
    reads.assigned('a', [0, 1], 'starting');
    reads.assigned('b', [2], 'starting');
    expect(reads.settled(3)).toBe(true);
    reads.revoked('a', [1], 'steady');
    reads.assigned('b', [1], 'draining');
    reads.revoked('b', [1, 2], 'stopping');
    expect(reads.verdict(ledgerOfFive()).rebalances).toBe(2);
  });

  it('is not settled while a member has no assignment yet or the shares are uneven', () => {
    const reads = group();
    reads.assigned('a', [0, 1, 2], 'starting');
    expect(reads.settled(3)).toBe(false);
    reads.assigned('b', [], 'starting');
    expect(reads.settled(3)).toBe(false);
    reads.revoked('a', [2], 'starting');
    reads.assigned('b', [2], 'starting');
    expect(reads.settled(3)).toBe(true);
  });

  it('checks the committed offsets against where the group stopped reading and the partition end', () => {
    const reads = group();
    readAll(reads, 'a', [0, 1, 2, 3, 4]);
    const end = new Map([[0, 6]]);
    expect(reads.verdict(ledgerOfFive(), { committed: new Map([[0, 5]]), end }).commitsOff).toBe(0);
    expect(reads.verdict(ledgerOfFive(), { committed: new Map([[0, 6]]), end }).commitsOff).toBe(0);
    expect(reads.verdict(ledgerOfFive(), { committed: new Map([[0, 3]]), end }).commitsOff).toBe(1);
    expect(reads.verdict(ledgerOfFive(), { committed: new Map([[0, 7]]), end }).commitsOff).toBe(1);
    expect(reads.verdict(ledgerOfFive(), { committed: new Map(), end }).commitsOff).toBe(1);
    // A partition nobody wrote: nothing read, nothing committed.
    expect(reads.verdict(ledgerOfFive(), { committed: new Map([[0, 5]]), end: new Map([[0, 6], [1, 0]]) }).commitsOff).toBe(0);
  });
});

describe('the acknowledgement ledger', () => {
  it('reports two records acknowledged at one offset, and a producer acknowledged out of its order', () => {
    const ledger = ledgerOfFive();
    ledger.ack(0, 2, { producer: 'q', seq: 0, value: 'other' });
    ledger.ack(0, 2, { producer: 'p', seq: 2, value: 'v2' });
    expect(ledger.conflicts).toHaveLength(1);
    ledger.ack(0, 9, { producer: 'p', seq: 1, value: 'late' });
    expect(ledger.producerReorders()).toBe(1);
  });

  it('keeps the records of a transaction still open out of both what is expected and what is forbidden', () => {
    const ledger = new AckLedger();
    ledger.ack(0, 0, { producer: 't', seq: 0, value: 'tx0.0.C', txn: 0 });
    expect(ledger.verdict(0, 0).kind).toBe('undecided');
    expect(ledger.expectedOffsets(0)).toEqual([]);
  });
});
