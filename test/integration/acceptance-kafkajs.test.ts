// Acceptance: a Node client (kafkajs) round trip through Turnout. An idempotent producer
// writes keyed records with binary values and headers; a consumer in a group reads every one
// intact, each key's records in order, and commits; a second consumer of the same group
// resumes exactly after the commit, so offsets were committed and fetched through Turnout.
import { randomBytes } from 'node:crypto';
import kafkajs from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProxyHandle } from '../../src/proxy.js';
import { byPartition, startTurnout } from './acceptance-helpers.js';
import { createTopic, mainCluster, uniqueGroup, waitFor } from './rig.js';

const { Kafka, logLevel } = kafkajs;
const CLUSTER_ID = 'tUrNoUtAcCePtKaFkAjS00';
let proxy: ProxyHandle;

beforeAll(async () => {
  ({ proxy } = await startTurnout(CLUSTER_ID));
});

afterAll(async () => {
  await proxy?.close();
});

interface Sent {
  key: string;
  value: Buffer;
  headers: Record<string, Buffer>;
}

interface Received extends Sent {
  partition: number;
  offset: number;
}

function record(i: number): Sent {
  // Binary values (every byte value possible) and a binary header, so any re-encoding shows.
  return {
    key: `user-${i % 11}`,
    value: Buffer.concat([Buffer.from(`#${i}:`), randomBytes(16 + (i % 200))]),
    headers: { seq: Buffer.from(String(i)), trace: randomBytes(8) },
  };
}

/** Consumes with a fresh group member until `count` records arrived, then disconnects. */
async function consumeInGroup(kafka: kafkajs.Kafka, topic: string, groupId: string, count: number): Promise<Received[]> {
  const consumer = kafka.consumer({ groupId, sessionTimeout: 30_000, heartbeatInterval: 3_000 });
  const got: Received[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: true,
      eachMessage: async ({ partition, message }) => {
        const headers: Record<string, Buffer> = {};
        for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = Buffer.from(v as Buffer);
        got.push({ partition, offset: Number(message.offset), key: String(message.key), value: Buffer.from(message.value ?? Buffer.alloc(0)), headers });
      },
    });
    await waitFor(() => got.length >= count, { timeoutMs: 90_000, what: `${count} records in group ${groupId} (got ${got.length})` });
  } finally {
    // Disconnecting commits what was consumed.
    await consumer.disconnect();
  }
  return got;
}

describe('kafkajs through Turnout', () => {
  it('an idempotent producer and a consumer group round-trip keyed binary records with headers, and commits are honoured', async () => {
    const topic = await createTopic(mainCluster(), { partitions: 3, replicationFactor: 3 });
    const groupId = uniqueGroup('kafkajs');
    const kafka = new Kafka({ clientId: 'acceptance-kafkajs', brokers: [proxy.bootstrapServers()], logLevel: logLevel.NOTHING });
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
    const admin = kafka.admin();
    await producer.connect();
    await admin.connect();
    try {
      const sent = Array.from({ length: 300 }, (_, i) => record(i));
      const send = async (from: number, to: number): Promise<void> => {
        for (let i = from; i < to; i += 20) await producer.send({ topic, acks: -1, messages: sent.slice(i, Math.min(i + 20, to)) });
      };

      await send(0, 200);
      const first = await consumeInGroup(kafka, topic, groupId, 200);

      // The group's commits, read back through Turnout, are the end of every partition.
      const ends = await admin.fetchTopicOffsets(topic);
      expect(ends.reduce((n, p) => n + Number(p.high), 0)).toBe(200);
      const committed = await waitFor(async () => {
        const [t] = await admin.fetchOffsets({ groupId, topics: [topic] });
        const byP = new Map(t.partitions.map((p) => [p.partition, p.offset]));
        return ends.every((e) => byP.get(e.partition) === e.high) ? byP : undefined;
      }, { timeoutMs: 30_000, what: 'the first member to commit the end of every partition' });
      expect(committed.size).toBe(3);

      // A second member of the group starts where the commit left off: only the new records.
      await send(200, 300);
      const second = await consumeInGroup(kafka, topic, groupId, 100);
      expect(second).toHaveLength(100);

      const all = [...first, ...second];
      // Each record exactly once, at consecutive offsets per partition.
      for (const [partition, rs] of byPartition(all.slice().sort((a, b) => a.partition - b.partition || a.offset - b.offset))) {
        expect(rs.map((r) => r.offset), `offsets of partition ${partition}`).toEqual(rs.map((_, i) => i));
      }
      // Intact: key, value bytes and headers, each key's records in the order they were sent.
      const bySeq = new Map(all.map((r) => [Number(r.headers.seq?.toString()), r]));
      expect(bySeq.size).toBe(sent.length);
      sent.forEach((s, i) => {
        const r = bySeq.get(i);
        expect(r, `record ${i}`).toBeDefined();
        expect(r!.key).toBe(s.key);
        expect(r!.value.equals(s.value), `value of record ${i}`).toBe(true);
        expect(Object.keys(r!.headers).sort()).toEqual(['seq', 'trace']);
        expect(r!.headers.trace.equals(s.headers.trace), `trace header of record ${i}`).toBe(true);
      });
      const keyOrder = (rs: Array<Sent & { partition?: number; offset?: number }>) => {
        const m = new Map<string, string[]>();
        for (const r of rs) m.set(r.key, [...(m.get(r.key) ?? []), r.headers.seq.toString()]);
        return m;
      };
      const consumedInLogOrder = all.slice().sort((a, b) => a.partition - b.partition || a.offset - b.offset);
      expect(keyOrder(consumedInLogOrder)).toEqual(keyOrder(sent));
    } finally {
      await producer.disconnect().catch(() => undefined);
      await admin.disconnect().catch(() => undefined);
    }
  });
});
