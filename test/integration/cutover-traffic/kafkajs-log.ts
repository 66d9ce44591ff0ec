// A kafkajs client in a traffic run logs through this: its errors and warnings become the
// client's issues (with the phase they came in), everything below is dropped.
import kafkajs from 'kafkajs';
import type { TrafficContext } from './traffic-context.js';

const { logLevel } = kafkajs;

export function issuesLogCreator(ctx: TrafficContext, client: string): kafkajs.logCreator {
  return () => (entry) => {
    if (entry.level !== logLevel.ERROR && entry.level !== logLevel.WARN) return;
    const { message, ...extra } = entry.log;
    ctx.issues(client).note(entry.level === logLevel.ERROR ? 'error' : 'warning', `${entry.namespace}: ${message} ${JSON.stringify(extra)}`, ctx.phase());
  };
}

/** A kafkajs client of the run, logging at warn into its issues. */
export function trafficKafka(ctx: TrafficContext, client: string, bootstrap: string): kafkajs.Kafka {
  return new kafkajs.Kafka({ clientId: client, brokers: [bootstrap], logLevel: logLevel.WARN, logCreator: issuesLogCreator(ctx, client) });
}
