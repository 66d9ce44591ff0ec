// One member of a kafkajs consumer group in a traffic run, in this process: read_committed,
// from the earliest offset, committing after each batch (kafkajs's default). Each join, each
// "rebalancing" notice and a crash are reported; a crash is an error.
import type kafkajs from 'kafkajs';
import type { GroupReads } from './group-reads.js';
import { trafficKafka } from './kafkajs-log.js';
import type { TrafficClient, TrafficContext } from './traffic-context.js';

export interface KafkajsMemberSpec {
  name: string;
  group: string;
  bootstrap: string;
}

export async function startKafkajsMember(ctx: TrafficContext, reads: GroupReads, spec: KafkajsMemberSpec): Promise<TrafficClient> {
  const consumer: kafkajs.Consumer = trafficKafka(ctx, spec.name, spec.bootstrap).consumer({
    groupId: spec.group,
    readUncommitted: false,
    maxWaitTimeInMs: 200,
    allowAutoTopicCreation: false,
  });
  consumer.on(consumer.events.GROUP_JOIN, (e) => reads.joined(spec.name, e.payload.memberAssignment[ctx.topic] ?? [], ctx.phase()));
  consumer.on(consumer.events.REBALANCING, () => reads.rebalancing(spec.name, ctx.phase()));
  consumer.on(consumer.events.CRASH, (e) => ctx.issues(spec.name).note('error', `crashed: ${String(e.payload.error)} (restart: ${String(e.payload.restart)})`, ctx.phase()));
  await consumer.connect();
  await consumer.subscribe({ topics: [ctx.topic], fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      const offset = Number(message.offset);
      reads.read(spec.name, { partition, offset, value: message.value === null ? null : message.value.toString('utf8') });
      ctx.noteCreateTime(partition, offset, Number(message.timestamp));
    },
  });
  let stopped: Promise<void> | null = null;
  return {
    name: spec.name,
    stop: () => (stopped ??= consumer.disconnect()),
    kill() {
      void (stopped ??= consumer.disconnect().catch(() => undefined));
    },
  };
}
