import type { PartitionMetadata, Producer, ProducerRecord, RecordMetadata } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { orderEventStream } from '../../../src/demo/order-events.js';
import { PacedProducer, ProducerStoppedError, sendsDuring } from '../../../src/demo/paced-producer.js';

const metadata: PartitionMetadata[] = [0, 1, 2].map((partitionId) => ({ partitionId, leader: 1, replicas: [1], isr: [1], partitionErrorCode: 0, offlineReplicas: [] }));

/** A producer that acknowledges after `ackMs` with each partition's next offsets, or fails from the `failAt`th request on. */
function fakeProducer(opts: { ackMs: (request: number) => number; failAt?: number }): { producer: Producer; requests: ProducerRecord[] } {
  const requests: ProducerRecord[] = [];
  const next = new Map<number, number>();
  const send = async (record: ProducerRecord): Promise<RecordMetadata[]> => {
    const n = requests.push(record);
    await new Promise((r) => setTimeout(r, opts.ackMs(n)));
    if (opts.failAt !== undefined && n >= opts.failAt) throw new Error('KafkaJSNumberOfRetriesExceeded');
    const counts = new Map<number, number>();
    for (const m of record.messages) counts.set(m.partition as number, (counts.get(m.partition as number) ?? 0) + 1);
    return [...counts].map(([partition, k]) => {
      const base = next.get(partition) ?? 0;
      next.set(partition, base + k);
      return { topicName: record.topic, partition, errorCode: 0, baseOffset: String(base) };
    });
  };
  return { producer: { send } as unknown as Producer, requests };
}

describe('PacedProducer', () => {
  it('writes at the rate, one request at a time, and notes where each event was acknowledged', async () => {
    const { producer, requests } = fakeProducer({ ackMs: () => 2 });
    const p = new PacedProducer(producer, 'orders.events', orderEventStream(), metadata, { ratePerSecond: 1_000, tickMs: 20 });
    p.start();
    await p.waitForAcknowledged(300, undefined);
    const result = await p.stop();
    expect(result.failure).toBeNull();
    expect(result.stats.records).toBe(result.expected.length);
    expect(result.stats.recordsPerSec).toBeGreaterThan(500);
    expect(result.stats.recordsPerSec).toBeLessThan(1_500);
    expect(result.sends).toHaveLength(requests.length);
    // Every partition's offsets run from 0 without a gap, in the order the events were sent.
    const sent = requests.flatMap((r) => r.messages.map((m) => ({ partition: m.partition as number, key: String(m.key) })));
    for (const partition of [0, 1, 2]) {
      const offsets = result.expected.filter((e) => e.partition === partition).map((e) => e.offset);
      expect(offsets).toEqual([...offsets.keys()]);
      expect(result.expected.filter((e) => e.partition === partition).map((e) => e.key)).toEqual(sent.filter((s) => s.partition === partition).map((s) => s.key));
    }
  });

  it('sends what came due meanwhile after a request that was held, up to half a second of events', async () => {
    const { producer, requests } = fakeProducer({ ackMs: (n) => (n === 3 ? 300 : 2) });
    const p = new PacedProducer(producer, 'orders.events', orderEventStream(), metadata, { ratePerSecond: 1_000, tickMs: 20 });
    p.start();
    while (requests.length < 5) await new Promise((r) => setTimeout(r, 5));
    const result = await p.stop();
    expect(requests[3]?.messages.length).toBeGreaterThan(250);
    expect(requests[3]?.messages.length).toBeLessThanOrEqual(500);
    const held = result.sends[2] as { sentAtMs: number; ackedAtMs: number };
    expect(sendsDuring(result.sends, { fromMs: held.sentAtMs + 100, toMs: held.sentAtMs + 200 })).toEqual({ requests: 1, maxAckMs: held.ackedAtMs - held.sentAtMs });
  });

  it('stops at the first failed request and says why, to whoever waits for it', async () => {
    const { producer } = fakeProducer({ ackMs: () => 1, failAt: 3 });
    const p = new PacedProducer(producer, 'orders.events', orderEventStream(), metadata, { ratePerSecond: 500, tickMs: 10 });
    p.start();
    await expect(p.waitForAcknowledged(1_000_000, undefined)).rejects.toBeInstanceOf(ProducerStoppedError);
    const result = await p.stop();
    expect(result.failure).toBe('Error: KafkaJSNumberOfRetriesExceeded');
    expect(result.sends).toHaveLength(2);
  });
});

describe('sendsDuring', () => {
  it('counts the requests in flight at some point of the window and their longest wait', () => {
    const sends = [
      { sentAtMs: 0, ackedAtMs: 10, records: 5 },
      { sentAtMs: 10, ackedAtMs: 400, records: 5 },
      { sentAtMs: 400, ackedAtMs: 420, records: 5 },
      { sentAtMs: 500, ackedAtMs: 510, records: 5 },
    ];
    expect(sendsDuring(sends, { fromMs: 100, toMs: 410 })).toEqual({ requests: 2, maxAckMs: 390 });
    expect(sendsDuring(sends, { fromMs: 600, toMs: 700 })).toEqual({ requests: 0, maxAckMs: null });
  });
});
