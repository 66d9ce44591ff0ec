// The kafkajs producer of a traffic run, in this process: idempotent, acks=all, one request in
// flight, values kjs-0, kjs-1, ... queued at a steady rate. One send is under way at a time and
// takes everything queued since the last, all to one partition (the next in turn): kafkajs
// 2.2.4 resends a multi-partition send under new sequence numbers when one broker's part
// fails, which an idempotent broker cannot recognise, so no send spans two partitions. A
// record's latency runs from when it was queued to its acknowledgement.
import kafkajs from 'kafkajs';
import { trafficKafka } from './kafkajs-log.js';
import type { ProducerClient, TrafficContext } from './traffic-context.js';

export interface KafkajsProducerSpec {
  name: string;
  bootstrap: string;
  ratePerSec: number;
}

interface Queued {
  seq: number;
  queuedMs: number;
}

export async function startKafkajsProducer(ctx: TrafficContext, spec: KafkajsProducerSpec): Promise<ProducerClient> {
  const kafka = trafficKafka(ctx, spec.name, spec.bootstrap);
  const producer: kafkajs.Producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
    // Every send names its partition; naming a partitioner only keeps kafkajs from warning that its default changed.
    createPartitioner: kafkajs.Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  const queue: Queued[] = [];
  let seq = 0;
  let sends = 0;
  let acked = 0;
  let inFlight: Promise<void> | null = null;

  const sendQueued = async (batch: Queued[]): Promise<void> => {
    const partition = sends++ % ctx.partitions;
    try {
      const meta = await producer.send({ topic: ctx.topic, acks: -1, messages: batch.map((m) => ({ value: `kjs-${m.seq}`, partition })) });
      const ackedMs = Date.now();
      const base = Number(meta[0]?.baseOffset ?? Number.NaN);
      if (!Number.isInteger(base)) throw new Error(`no base offset in the acknowledgement: ${JSON.stringify(meta)}`);
      batch.forEach((m, i) => {
        ctx.ledger.ack(partition, base + i, { producer: spec.name, seq: m.seq, value: `kjs-${m.seq}` });
        ctx.latency.add(spec.name, m.queuedMs, ackedMs);
      });
      acked += batch.length;
    } catch (err) {
      ctx.issues(spec.name).note('error', `send of kjs-${batch[0]?.seq}..kjs-${batch[batch.length - 1]?.seq} failed: ${String(err)}`, ctx.phase());
    }
  };
  const pump = (): void => {
    if (inFlight !== null || queue.length === 0) return;
    inFlight = sendQueued(queue.splice(0)).finally(() => {
      inFlight = null;
      pump();
    });
  };
  const timer = setInterval(() => {
    queue.push({ seq: seq++, queuedMs: Date.now() });
    pump();
  }, 1000 / spec.ratePerSec);

  return {
    name: spec.name,
    acked: () => acked,
    async stop() {
      clearInterval(timer);
      while (inFlight !== null || queue.length > 0) {
        pump();
        await inFlight;
      }
      await producer.disconnect();
    },
    kill() {
      clearInterval(timer);
      queue.length = 0;
      void producer.disconnect().catch(() => undefined);
    },
  };
}
