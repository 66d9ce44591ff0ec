import { describe, expect, it } from 'vitest';
import { ApiKey, createProduceRequest, ZERO_UUID, type ProduceRequest } from '../../../../src/codec/index.js';
import { createPartitionProduceResponse } from '../../../../src/codec/generated/produce.js';
import { recordBatch } from '../../routing/record-batches.js';
import { auditedDenials, decide, harness, learnTopicIds, type Res } from '../acl-test-kit.js';
import { allow, deny } from '../rule-authorizer.js';

const ID = { orders: 'b3JkZXJzAAAAAAAAAAAAAA', payments: 'cGF5bWVudHMAAAAAAAAAAA', users: 'dXNlcnMAAAAAAAAAAAAAAA' } as const;
type Topic = keyof typeof ID;

async function produce(version: number, layout: Array<[Topic, number[]]>, opts: { acks?: number; transactional?: boolean } = {}): Promise<ProduceRequest> {
  const req = createProduceRequest();
  req.acks = opts.acks ?? -1;
  req.timeoutMs = 30_000;
  req.transactionalId = opts.transactional ? 'txn-1' : null;
  for (const [name, partitions] of layout) {
    req.topicData.push({
      name: version >= 13 ? '' : name,
      topicId: version >= 13 ? ID[name] : ZERO_UUID,
      partitionData: await Promise.all(
        partitions.map(async (index) => ({ index, records: await recordBatch({ transactional: opts.transactional, producerId: opts.transactional ? 7n : -1n, producerEpoch: 0 }) })),
      ),
    });
  }
  return req;
}

/** The backend's answer for the given partitions: stored at offset 100 + index. */
function stored(version: number, layout: Array<[Topic, number[]]>): Res<typeof ApiKey.Produce> {
  return {
    throttleTimeMs: 0,
    responses: layout.map(([name, ps]) => ({
      name: version >= 13 ? '' : name,
      topicId: version >= 13 ? ID[name] : ZERO_UUID,
      partitionResponses: ps.map((index) => ({ ...createPartitionProduceResponse(), index, baseOffset: BigInt(100 + index) })),
    })),
  };
}

function partitions(res: Res<typeof ApiKey.Produce>, version = 9) {
  return res.responses.map((t) => [
    version >= 13 ? t.topicId : t.name,
    t.partitionResponses.map((p) => [p.index, p.errorCode, p.baseOffset, p.errorMessage]),
  ]);
}

describe('Produce authorization', () => {
  it('forwards a produce to topics the principal may write, unchanged', async () => {
    const h = harness([allow('WRITE', 'TOPIC', 'orders'), allow('WRITE', 'TOPIC', 'users')]);
    const d = decide(h, ApiKey.Produce, 9, await produce(9, [['orders', [0]], ['users', [1]]]));
    expect(d.outcome).toEqual({ kind: 'forward' });
  });

  it('stores the allowed partitions and answers the denied ones TOPIC_AUTHORIZATION_FAILED, in the client order', async () => {
    const h = harness([allow('WRITE', 'TOPIC', 'orders'), allow('WRITE', 'TOPIC', 'users')]);
    for (const v of [3, 8, 9, 12]) {
      const req = await produce(v, [['orders', [0, 1]], ['payments', [0]], ['users', [2]]]);
      const d = decide(h, ApiKey.Produce, v, req);
      expect(d.kind).toBe('deny');
      const fwd = d.forwarded(req);
      expect(fwd.topicData.map((t) => [t.name, t.partitionData.map((p) => p.index)])).toEqual([
        ['orders', [0, 1]],
        ['users', [2]],
      ]);
      expect(fwd.topicData[0].partitionData[0].records).toEqual(req.topicData[0].partitionData[0].records);
      expect(fwd.acks).toBe(-1);
      // The backend answers users before orders; the client gets its own order back.
      const merged = d.answered(stored(v, [['users', [2]], ['orders', [0, 1]]]));
      expect(partitions(merged)).toEqual([
        ['orders', [[0, 0, 100n, null], [1, 0, 101n, null]]],
        ['payments', [[0, 29, -1n, null]]],
        ['users', [[2, 0, 102n, null]]],
      ]);
    }
  });

  it('answers every partition TOPIC_AUTHORIZATION_FAILED when no topic may be written, forwarding nothing', async () => {
    const h = harness([deny('WRITE', 'TOPIC', 'orders'), allow('ALL', 'TOPIC', '*')]);
    const d = decide(h, ApiKey.Produce, 9, await produce(9, [['orders', [0, 3]]]));
    expect(d.kind).toBe('deny');
    expect(d.outcome.kind === 'deny' && d.outcome.denial.allowed).toBeNull();
    expect(partitions(d.answer())).toEqual([['orders', [[0, 29, -1n, null], [3, 29, -1n, null]]]]);
  });

  it('needs WRITE on the transactional id for transactional batches: 53 for every partition, nothing stored', async () => {
    const h = harness([allow('WRITE', 'TOPIC', '*')]);
    const req = await produce(9, [['orders', [0]], ['users', [1]]], { transactional: true });
    const d = decide(h, ApiKey.Produce, 9, req);
    expect(d.kind).toBe('answer');
    const msg = 'Transactional Id authorization failed.';
    expect(partitions(d.answer())).toEqual([
      ['orders', [[0, 53, -1n, msg]]],
      ['users', [[1, 53, -1n, msg]]],
    ]);
    expect(h.authorizer.asked.map((a) => [a.operation, a.resourceType, a.resourceName])).toEqual([['WRITE', 'TRANSACTIONAL_ID', 'txn-1']]);
  });

  it('checks the topics of a transactional produce once its transactional id may be written', async () => {
    const h = harness([allow('WRITE', 'TRANSACTIONAL_ID', 'txn-1'), allow('WRITE', 'TOPIC', 'orders')]);
    const req = await produce(9, [['orders', [0]], ['payments', [1]]], { transactional: true });
    const d = decide(h, ApiKey.Produce, 9, req);
    expect(d.forwarded(req).topicData.map((t) => t.name)).toEqual(['orders']);
    expect(partitions(d.answered(stored(9, [['orders', [0]]])))).toEqual([
      ['orders', [[0, 0, 100n, null]]],
      ['payments', [[1, 29, -1n, null]]],
    ]);
  });

  it('does not ask about the transactional id when the batches are not transactional', async () => {
    const h = harness([allow('WRITE', 'TOPIC', 'orders')]);
    const req = await produce(9, [['orders', [0]]]);
    req.transactionalId = 'txn-1';
    expect(decide(h, ApiKey.Produce, 9, req).outcome).toEqual({ kind: 'forward' });
    expect(h.authorizer.asked.map((a) => a.resourceType)).toEqual(['TOPIC']);
  });

  it('closes the connection after forwarding the allowed part of a denied acks=0 produce', async () => {
    const h = harness([allow('WRITE', 'TOPIC', 'orders')]);
    const req = await produce(9, [['orders', [0]], ['payments', [0]]], { acks: 0 });
    const d = decide(h, ApiKey.Produce, 9, req);
    expect(d.kind).toBe('deny');
    if (d.outcome.kind !== 'deny') throw new Error('unreachable');
    expect(d.outcome.denial.closeIfNoResponse?.reason).toBe('acl_denied_acks0');
    expect(d.forwarded(req).topicData.map((t) => t.name)).toEqual(['orders']);
    expect(d.forwarded(req).acks).toBe(0);
  });

  it('closes the connection for an acks=0 produce denied in full, as a broker does', async () => {
    const h = harness([]);
    const d = decide(h, ApiKey.Produce, 9, await produce(9, [['payments', [0]]], { acks: 0 }));
    expect(d.kind).toBe('close');
    const txn = decide(harness([allow('WRITE', 'TOPIC', '*')]), ApiKey.Produce, 9, await produce(9, [['orders', [0]]], { acks: 0, transactional: true }));
    expect(txn.kind).toBe('close');
  });

  it('decides v13 topics by the name their id was given in a Metadata answer; an unknown id gets UNKNOWN_TOPIC_ID', async () => {
    const h = harness([allow('WRITE', 'TOPIC', 'orders'), allow('DESCRIBE', 'TOPIC', '*')]);
    learnTopicIds(h, { orders: ID.orders, payments: ID.payments });
    const req = await produce(13, [['orders', [0]], ['payments', [1]], ['users', [2]]]);
    const d = decide(h, ApiKey.Produce, 13, req);
    expect(d.forwarded(req).topicData.map((t) => t.topicId)).toEqual([ID.orders]);
    expect(partitions(d.answered(stored(13, [['orders', [0]]])), 13)).toEqual([
      [ID.orders, [[0, 0, 100n, null]]],
      [ID.payments, [[1, 29, -1n, null]]],
      [ID.users, [[2, 100, -1n, null]]],
    ]);
  });

  it('asks the authorizer to audit the denials it enforces', async () => {
    const h = harness([deny('WRITE', 'TOPIC', 'payments'), allow('WRITE', 'TOPIC', '*')]);
    decide(h, ApiKey.Produce, 9, await produce(9, [['orders', [0]], ['payments', [0]]]));
    expect(auditedDenials(h)).toEqual(['WRITE TOPIC payments']);
  });
});
