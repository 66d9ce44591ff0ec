import { describe, expect, it } from 'vitest';
import {
  ApiKey,
  createDescribeProducersResponse,
  createDescribeTransactionsResponse,
  createInitProducerIdRequest,
  createInitProducerIdResponse,
  createListTransactionsRequest,
  createListTransactionsResponse,
  decodeRequestBody,
  decodeResponseBody,
  encodeRequestBody,
  encodeResponseBody,
  scanRecordBatches,
  type InitProducerIdRequest,
  type ProduceRequest,
} from '../../../src/codec/index.js';
import {
  INVALID_PRODUCER_EPOCH,
  INVALID_PRODUCER_ID_MAPPING,
  INVALID_TXN_STATE,
  PRODUCER_FENCED,
} from '../../../src/routing/error-codes.js';
import {
  ProducerIdMap,
  ProducerMappingError,
  randomVirtualProducerId,
} from '../../../src/routing/producer-id-map.js';
import {
  answerIdempotentInitProducerId,
  describeProducersResponseToVirtual,
  describeTransactionsResponseToVirtual,
  initProducerIdRequestToReal,
  initProducerIdResponseToVirtual,
  listTransactionsRequestToReal,
  listTransactionsResponseToVirtual,
} from '../../../src/routing/producer-id-rewrite.js';
import { fakeBackends } from './fake-producer-ids.js';
import { capturedRequest, recordBatches } from './record-batches.js';

function codeOf(f: () => unknown): number {
  try {
    f();
  } catch (err) {
    if (err instanceof ProducerMappingError) return err.errorCode;
    throw err;
  }
  return 0;
}

async function asyncCodeOf(f: () => Promise<unknown>): Promise<number> {
  try {
    await f();
  } catch (err) {
    if (err instanceof ProducerMappingError) return err.errorCode;
    throw err;
  }
  return 0;
}

describe('virtual producer ids', () => {
  it('are random, in [2^40, 2^53), and never collide with a live one', () => {
    for (let i = 0; i < 100; i++) {
      const id = randomVirtualProducerId();
      expect(id >= 1n << 40n && id < 1n << 53n).toBe(true);
    }
    const ids = [5n << 40n, 5n << 40n, 6n << 40n];
    const map = new ProducerIdMap({ obtain: fakeBackends().obtain, randomId: () => ids.shift() as bigint });
    expect(map.newIdempotent()).toEqual({ producerId: 5n << 40n, producerEpoch: 0 });
    expect(map.newIdempotent()).toEqual({ producerId: 6n << 40n, producerEpoch: 0 });
  });
});

describe('idempotent producers', () => {
  it('obtain a real id per backend on first use, once, and keep the client epoch', async () => {
    const { obtain, calls } = fakeBackends();
    const map = new ProducerIdMap({ obtain });
    const v = map.newIdempotent();
    const first = map.toReal(v.producerId, 0, 'a', false);
    const concurrent = map.toReal(v.producerId, 0, 'a', false);
    expect(first).toBeInstanceOf(Promise);
    expect(await first).toEqual({ producerId: 1000n, producerEpoch: 0 });
    expect(await concurrent).toEqual({ producerId: 1000n, producerEpoch: 0 });
    // known now: answered synchronously, with a locally bumped epoch passed on
    expect(map.toReal(v.producerId, 2, 'a', false)).toEqual({ producerId: 1000n, producerEpoch: 2 });
    expect(await map.toReal(v.producerId, 2, 'b', false)).toEqual({ producerId: 2000n, producerEpoch: 2 });
    expect(calls).toEqual(['a', 'b']);
    expect(map.toVirtual('a', 1000n, 2)).toEqual({ producerId: v.producerId, producerEpoch: 2 });
    expect(map.toVirtual('b', 2000n, 2)).toEqual({ producerId: v.producerId, producerEpoch: 2 });
    expect(map.toVirtual('a', 2000n, 2)).toBeUndefined();
  });

  it('retry obtaining after a failure', async () => {
    let fail = true;
    const map = new ProducerIdMap({
      obtain: async () => {
        if (fail) throw new Error('backend down');
        return { producerId: 77n, producerEpoch: 0 };
      },
    });
    const v = map.newIdempotent();
    await expect(map.toReal(v.producerId, 0, 'a', false)).rejects.toThrow('backend down');
    fail = false;
    expect(await map.toReal(v.producerId, 0, 'a', false)).toEqual({ producerId: 77n, producerEpoch: 0 });
  });

  it("adopt a virtual id this instance does not know (another instance's, or from before a restart)", async () => {
    const map = new ProducerIdMap({ obtain: fakeBackends().obtain });
    const foreign = 9n << 40n;
    expect(await map.toReal(foreign, 4, 'a', false)).toEqual({ producerId: 1000n, producerEpoch: 4 });
    expect(map.size).toBe(1);
  });

  it('refuse a transactional batch from an unknown or idempotent producer id', () => {
    const map = new ProducerIdMap({ obtain: fakeBackends().obtain });
    expect(codeOf(() => map.toReal(9n << 40n, 0, 'a', true))).toBe(INVALID_PRODUCER_ID_MAPPING);
    const v = map.newIdempotent();
    expect(codeOf(() => map.toReal(v.producerId, 0, 'a', true))).toBe(INVALID_PRODUCER_ID_MAPPING);
  });

  it('pass non-idempotent batches (producer id -1) through', () => {
    const map = new ProducerIdMap({ obtain: fakeBackends().obtain });
    expect(map.toReal(-1n, -1, 'a', false)).toEqual({ producerId: -1n, producerEpoch: -1 });
  });

  it('expire when idle, unless an id is being obtained', async () => {
    let now = 0;
    const map = new ProducerIdMap({ obtain: fakeBackends().obtain, nowMs: () => now });
    const idle = map.newIdempotent();
    const busy = map.newIdempotent();
    now = 10_000;
    await map.toReal(busy.producerId, 0, 'a', false);
    expect(map.expireIdle(5_000)).toBe(1);
    expect(map.size).toBe(1);
    expect(map.realIdIfBound(busy.producerId, 'a')).toBe(1000n);
    expect(map.realIdIfBound(idle.producerId, 'a')).toBeUndefined();
  });
});

describe('transactional producers', () => {
  it('get a virtual id for the real one their coordinator gives, kept across epoch bumps', async () => {
    const map = new ProducerIdMap({ obtain: fakeBackends().obtain });
    const v = await map.bindTransactional('txn-1', 'a', { producerId: 500n, producerEpoch: 3 });
    expect(v.producerId >= 1n << 40n).toBe(true);
    expect(v.producerEpoch).toBe(3);
    expect(map.toReal(v.producerId, 3, 'a', true)).toEqual({ producerId: 500n, producerEpoch: 3 });
    // KIP-360 re-initialisation: the client sends its virtual producer, the coordinator bumps the epoch
    expect(await map.initRequestToReal('txn-1', 'a', v.producerId, 3)).toEqual({ producerId: 500n, producerEpoch: 3 });
    expect(await map.bindTransactional('txn-1', 'a', { producerId: 500n, producerEpoch: 4 })).toEqual({ producerId: v.producerId, producerEpoch: 4 });
  });

  it('get a new virtual id when the coordinator issues a new producer id, and the old one is fenced', async () => {
    const map = new ProducerIdMap({ obtain: fakeBackends().obtain });
    const old = await map.bindTransactional('txn-1', 'a', { producerId: 500n, producerEpoch: 32767 });
    const next = await map.bindTransactional('txn-1', 'a', { producerId: 501n, producerEpoch: 0 });
    expect(next.producerId).not.toBe(old.producerId);
    expect(map.toVirtual('a', 500n, 0)).toBeUndefined();
    expect(await asyncCodeOf(() => map.initRequestToReal('txn-1', 'a', old.producerId, 32767))).toBe(PRODUCER_FENCED);
  });

  it('keep the virtual id, with the next epoch, when the transactional id moves to another backend', async () => {
    const map = new ProducerIdMap({ obtain: fakeBackends().obtain });
    const v = await map.bindTransactional('txn-1', 'a', { producerId: 500n, producerEpoch: 7 });
    // the new backend's coordinator has no state for it: a first initialisation there
    expect(await map.initRequestToReal('txn-1', 'b', v.producerId, 7)).toEqual({ producerId: -1n, producerEpoch: -1 });
    const moved = await map.bindTransactional('txn-1', 'b', { producerId: 40n, producerEpoch: 0 });
    expect(moved).toEqual({ producerId: v.producerId, producerEpoch: 8 });
    expect(map.toReal(v.producerId, 8, 'b', true)).toEqual({ producerId: 40n, producerEpoch: 0 });
    expect(map.toVirtual('b', 40n, 1)).toEqual({ producerId: v.producerId, producerEpoch: 9 });
    expect(codeOf(() => map.toReal(v.producerId, 7, 'b', true))).toBe(INVALID_PRODUCER_EPOCH);
  });

  it('may not write to a backend other than their coordinator', async () => {
    const map = new ProducerIdMap({ obtain: fakeBackends().obtain });
    const v = await map.bindTransactional('txn-1', 'a', { producerId: 500n, producerEpoch: 0 });
    expect(codeOf(() => map.toReal(v.producerId, 0, 'b', true))).toBe(INVALID_TXN_STATE);
  });

  it('initialise as new when this instance has no state for the transactional id', async () => {
    const map = new ProducerIdMap({ obtain: fakeBackends().obtain });
    expect(await map.initRequestToReal('txn-x', 'a', 9n << 40n, 2)).toEqual({ producerId: -1n, producerEpoch: -1 });
    expect(await map.initRequestToReal('txn-x', 'a', -1n, -1)).toEqual({ producerId: -1n, producerEpoch: -1 });
  });
});

describe('producer ids in record batches', () => {
  it('rewrite every batch of a produce request to the real producer, CRC recomputed, sequence kept', async () => {
    const map = new ProducerIdMap({ obtain: fakeBackends().obtain });
    const v = map.newIdempotent();
    const records = await recordBatches(
      { producerId: v.producerId, producerEpoch: 1, baseSequence: 10 },
      { producerId: v.producerId, producerEpoch: 1, baseSequence: 12 },
      { producerId: -1n },
    );
    const prepared = map.prepareBatches(records, 'a');
    expect(prepared).toBeInstanceOf(Promise);
    await prepared;
    expect(map.prepareBatches(records, 'a')).toBeNull();
    map.rewriteBatchesToReal(records, 'a');
    const batches = scanRecordBatches(records).batches;
    expect(batches.map((b) => [b.producerIdBigInt, b.producerEpoch, b.baseSequence])).toEqual([
      [1000n, 1, 10],
      [1000n, 1, 12],
      [-1n, -1, -1],
    ]);
    for (const b of batches) expect(b.verifyCrc()).toBe(true);
  });

  it('refuse to rewrite before the batches are prepared', async () => {
    const map = new ProducerIdMap({ obtain: fakeBackends().obtain });
    const v = map.newIdempotent();
    const records = await recordBatches({ producerId: v.producerId, producerEpoch: 0, baseSequence: 0 });
    expect(() => map.rewriteBatchesToReal(records, 'a')).toThrow(/prepare/);
  });

  it('report a transactional batch for the wrong backend synchronously', async () => {
    const map = new ProducerIdMap({ obtain: fakeBackends().obtain });
    const v = await map.bindTransactional('txn-1', 'a', { producerId: 500n, producerEpoch: 0 });
    const records = await recordBatches({ producerId: v.producerId, producerEpoch: 0, baseSequence: 0, transactional: true });
    expect(codeOf(() => map.prepareBatches(records, 'b'))).toBe(INVALID_TXN_STATE);
    expect(map.prepareBatches(records, 'a')).toBeNull();
  });

  for (const [file, clientId] of [
    ['kafka-4.1.1/0132-java-Produce-v13-request.bin', 'Java, v13'],
    ['kafka-3.9.1/0010-kcat-Produce-v7-request.bin', 'librdkafka, v7'],
  ] as const) {
    it(`rewrite the batches of a produce request captured from a real client (${clientId})`, async () => {
      const { version, body } = capturedRequest(ApiKey.Produce, file);
      const req = body as ProduceRequest;
      const records = req.topicData[0].partitionData[0].records as Buffer;
      const before = scanRecordBatches(records).batches.map((b) => [b.producerIdBigInt, b.producerEpoch, b.baseSequence]);
      // the captured producer id stands for a virtual one another instance handed out
      const map = new ProducerIdMap({ obtain: fakeBackends().obtain });
      await map.prepareBatches(records, 'b');
      map.rewriteBatchesToReal(records, 'b');
      const decoded = decodeRequestBody(ApiKey.Produce, version, encodeRequestBody(ApiKey.Produce, version, req));
      const after = scanRecordBatches(decoded.topicData[0].partitionData[0].records).batches;
      expect(after.map((b) => [b.producerIdBigInt, b.producerEpoch, b.baseSequence])).toEqual(before.map(([, e, s]) => [2000n, e, s]));
      for (const b of after) expect(b.verifyCrc()).toBe(true);
    });
  }
});

describe('producer ids in other messages', () => {
  it("answers an idempotent InitProducerId itself, as the captured Java client's request asks", () => {
    const { body } = capturedRequest(ApiKey.InitProducerId, 'kafka-4.1.1/0130-java-InitProducerId-v5-request.bin');
    expect((body as InitProducerIdRequest).transactionalId).toBeNull();
    const map = new ProducerIdMap({ obtain: fakeBackends().obtain });
    const res = answerIdempotentInitProducerId(map);
    const decoded = decodeResponseBody(ApiKey.InitProducerId, 5, encodeResponseBody(ApiKey.InitProducerId, 5, res));
    expect(decoded.errorCode).toBe(0);
    expect(decoded.producerEpoch).toBe(0);
    expect(decoded.producerId >= 1n << 40n).toBe(true);
  });

  it('maps a transactional InitProducerId both ways', async () => {
    const map = new ProducerIdMap({ obtain: fakeBackends().obtain });
    const req = createInitProducerIdRequest();
    req.transactionalId = 'txn-1';
    req.producerId = -1n;
    req.producerEpoch = -1;
    expect(await initProducerIdRequestToReal(req, 5, 'a', map)).toBe(0);
    expect(req.producerId).toBe(-1n);
    const res = createInitProducerIdResponse();
    res.producerId = 500n;
    res.producerEpoch = 0;
    await initProducerIdResponseToVirtual(res, 'txn-1', 'a', map);
    const virtualId = res.producerId;
    expect(virtualId).not.toBe(500n);

    const again = createInitProducerIdRequest();
    again.transactionalId = 'txn-1';
    again.producerId = virtualId;
    again.producerEpoch = 0;
    expect(await initProducerIdRequestToReal(again, 5, 'a', map)).toBe(0);
    expect(again).toMatchObject({ producerId: 500n, producerEpoch: 0 });

    const stale = { ...again, producerId: virtualId + 1n, producerEpoch: 0 };
    expect(await initProducerIdRequestToReal(stale, 5, 'a', map)).toBe(PRODUCER_FENCED);
    expect(await initProducerIdRequestToReal({ ...stale }, 3, 'a', map)).toBe(INVALID_PRODUCER_EPOCH);

    const failed = createInitProducerIdResponse();
    failed.errorCode = 51;
    failed.producerId = -1n;
    await initProducerIdResponseToVirtual(failed, 'txn-1', 'a', map);
    expect(failed.producerId).toBe(-1n);
  });

  it('shows mapped producers as virtual in DescribeProducers, DescribeTransactions and ListTransactions', async () => {
    const map = new ProducerIdMap({ obtain: fakeBackends().obtain });
    const idem = map.newIdempotent();
    await map.toReal(idem.producerId, 2, 'a', false);
    const txn = await map.bindTransactional('txn-1', 'a', { producerId: 500n, producerEpoch: 1 });

    const dp = createDescribeProducersResponse();
    const state = (producerId: bigint, producerEpoch: number) => ({
      producerId,
      producerEpoch,
      lastSequence: 4,
      lastTimestamp: 0n,
      coordinatorEpoch: -1,
      currentTxnStartOffset: -1n,
    });
    dp.topics = [{ name: 'orders', partitions: [{ partitionIndex: 0, errorCode: 0, errorMessage: null, activeProducers: [state(1000n, 2), state(500n, 1), state(3n, 0)] }] }];
    const decoded = decodeResponseBody(ApiKey.DescribeProducers, 0, encodeResponseBody(ApiKey.DescribeProducers, 0, dp));
    describeProducersResponseToVirtual(decoded, 'a', map);
    expect(decoded.topics[0].partitions[0].activeProducers.map((s) => [s.producerId, s.producerEpoch])).toEqual([
      [idem.producerId, 2],
      [txn.producerId, 1],
      [3n, 0], // a producer writing to the backend directly: nothing to map it to
    ]);

    const dt = createDescribeTransactionsResponse();
    dt.transactionStates = [
      { errorCode: 0, transactionalId: 'txn-1', transactionState: 'Ongoing', transactionTimeoutMs: 60000, transactionStartTimeMs: 1n, producerId: 500n, producerEpoch: 1, topics: [] },
    ];
    describeTransactionsResponseToVirtual(dt, 'a', map);
    expect(dt.transactionStates[0]).toMatchObject({ producerId: txn.producerId, producerEpoch: 1 });

    const lreq = createListTransactionsRequest();
    lreq.producerIdFilters = [txn.producerId, 3n];
    listTransactionsRequestToReal(lreq, 'a', map);
    expect(lreq.producerIdFilters).toEqual([500n, 3n]);
    const lres = createListTransactionsResponse();
    lres.transactionStates = [{ transactionalId: 'txn-1', producerId: 500n, transactionState: 'Ongoing' }];
    listTransactionsResponseToVirtual(lres, 'a', map);
    expect(lres.transactionStates[0].producerId).toBe(txn.producerId);
  });
});
