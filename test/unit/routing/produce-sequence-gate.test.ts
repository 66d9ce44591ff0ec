import { describe, expect, it } from 'vitest';
import { firstSequencedBatch, isNotStoredError, ProduceSequenceGate } from '../../../src/routing/produce-sequence-gate.js';
import { recordBatch } from './record-batches.js';

const UNKNOWN_TOPIC_ID = 100;
const batchOf = (baseSequence: number, producerEpoch = 0, producerId = 7n): Promise<Buffer> => recordBatch({ producerId, producerEpoch, baseSequence, records: 5 });

describe('the produce sequence gate', () => {
  it('refuses the later batches of a producer for a partition after its batch was refused here, until that batch comes back', async () => {
    const gate = new ProduceSequenceGate();
    gate.refuse('t', 0, await batchOf(0), UNKNOWN_TOPIC_ID);
    // In flight behind it: refused with the same error, not forwarded to be taken as the producer's first.
    expect(gate.check('t', 0, await batchOf(5))).toMatchObject({ errorCode: UNKNOWN_TOPIC_ID });
    expect(gate.check('t', 0, await batchOf(10))).toMatchObject({ errorCode: UNKNOWN_TOPIC_ID, errorMessage: expect.stringContaining('sequence 0') });
    // The retry of the refused batch opens the gate; the rest follow in order.
    expect(gate.check('t', 0, await batchOf(0))).toBeNull();
    expect(gate.check('t', 0, await batchOf(5))).toBeNull();
    expect(gate.size).toBe(0);
  });

  it('keeps partitions, topics and producers apart, and lets a producer on a new epoch through', async () => {
    const gate = new ProduceSequenceGate();
    gate.refuse('t', 0, await batchOf(3), UNKNOWN_TOPIC_ID);
    expect(gate.check('t', 1, await batchOf(8))).toBeNull();
    expect(gate.check('u', 0, await batchOf(8))).toBeNull();
    expect(gate.check('t', 0, await batchOf(8, 0, 9n))).toBeNull();
    expect(gate.check('t', 0, await batchOf(8))).not.toBeNull();
    // A bumped epoch starts its sequences again: nothing earlier to wait for.
    expect(gate.check('t', 0, await batchOf(0, 1))).toBeNull();
    expect(gate.check('t', 0, await batchOf(8))).toBeNull();
  });

  it('remembers the lowest refused sequence, and ignores batches without a producer', async () => {
    const gate = new ProduceSequenceGate();
    gate.refuse('t', 0, await batchOf(10), UNKNOWN_TOPIC_ID);
    gate.refuse('t', 0, await batchOf(5), UNKNOWN_TOPIC_ID);
    gate.refuse('t', 0, await batchOf(15), UNKNOWN_TOPIC_ID);
    expect(gate.check('t', 0, await batchOf(10))).not.toBeNull();
    expect(gate.check('t', 0, await batchOf(5))).toBeNull();
    gate.refuse('t', 0, await recordBatch({ records: 2 }), UNKNOWN_TOPIC_ID);
    gate.refuse('t', 0, null, UNKNOWN_TOPIC_ID);
    expect(gate.size).toBe(0);
    expect(gate.check('t', 0, await recordBatch({ records: 2 }))).toBeNull();
  });

  it('holds back later batches after a broker refused one without storing it, keyed by the ids the client sent', async () => {
    const gate = new ProduceSequenceGate();
    const sent = firstSequencedBatch(await batchOf(20, 2));
    expect(sent).toEqual({ producerId: 7, epoch: 2, sequence: 20 });
    expect(isNotStoredError(6), 'NOT_LEADER_OR_FOLLOWER').toBe(true);
    expect(isNotStoredError(7), 'REQUEST_TIMED_OUT: it may have been stored').toBe(false);
    gate.refuseBatch('t', 4, sent!, 6);
    expect(gate.check('t', 4, await batchOf(25, 2))).toMatchObject({ errorCode: 6 });
    expect(gate.check('t', 4, await batchOf(20, 2))).toBeNull();
  });
});
