// Kafka's VerifiableProducer (kafka-tools 4.1.1) in a traffic run: idempotent, acks=all, five
// requests in flight, at a steady rate, values 0, 1, 2, ... as text, keys 0..99 in turn. It reports each
// acknowledgement with its partition and offset; its send time is the record's CreateTime,
// which its client stamps in send() and the timestamped consumers of the run read back.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { kafkaToolCommand } from '../../../src/devkit/index.js';
import { javaLogLevel } from './client-issues.js';
import { startClientProcess } from './client-process.js';
import type { ProducerClient, TrafficContext } from './traffic-context.js';

/** Keys 0..KEYS-1, in turn. */
const KEYS = 100;

export interface VerifiableProducerSpec {
  name: string;
  bootstrap: string;
  ratePerSec: number;
}

interface ProducerEvent {
  name: string;
  timestamp: number;
  value?: string;
  partition?: number;
  offset?: number;
  exception?: string;
  message?: string;
}

/** Sends that failed for good are errors; each acknowledgement goes to the ledger. */
function onEvent(ctx: TrafficContext, spec: VerifiableProducerSpec, e: ProducerEvent, acks: Map<string, number>): number {
  if (e.name === 'producer_send_error') {
    ctx.issues(spec.name).note('error', `send of ${e.value} failed: ${e.exception} ${e.message}`, ctx.phase());
    return 0;
  }
  if (e.name !== 'producer_send_success' || e.partition === undefined || e.offset === undefined || e.value === undefined) return 0;
  ctx.ledger.ack(e.partition, e.offset, { producer: spec.name, seq: Number(e.value), value: e.value });
  acks.set(`${e.partition}@${e.offset}`, e.timestamp);
  return 1;
}

export interface VerifiableProducerClient extends ProducerClient {
  /** Acknowledgement time of each record, by `partition@offset`, for pairing with its CreateTime. */
  readonly ackTimes: ReadonlyMap<string, number>;
}

export async function startVerifiableProducer(ctx: TrafficContext, spec: VerifiableProducerSpec): Promise<VerifiableProducerClient> {
  const config = join(ctx.dir, `${spec.name}.properties`);
  await writeFile(
    config,
    [
      'enable.idempotence=true',
      'acks=all',
      'max.in.flight.requests.per.connection=5',
      'retries=2147483647',
      'delivery.timeout.ms=120000',
      'request.timeout.ms=30000',
      'linger.ms=5',
      `client.id=${spec.name}`,
      '',
    ].join('\n'),
  );
  const cmd = await kafkaToolCommand('kafka-verifiable-producer', [
    '--bootstrap-server', spec.bootstrap, '--topic', ctx.topic, '--throughput', String(spec.ratePerSec), '--acks', '-1', '--producer.config', config,
    // Keyed records reach every partition; without keys the sticky partitioner can leave one
    // unwritten for a whole run.
    '--repeating-keys', String(KEYS),
  ]);
  const ackTimes = new Map<string, number>();
  let acked = 0;
  const client = await startClientProcess(ctx, {
    name: spec.name,
    command: cmd.command,
    args: cmd.args,
    onLine: (line) => {
      if (line.startsWith('{')) acked += onEvent(ctx, spec, JSON.parse(line) as ProducerEvent, ackTimes);
    },
    levelOf: javaLogLevel,
    // SIGTERM: it stops sending, flushes, reports the last acknowledgements and its totals.
    stopBy: 'SIGTERM',
    stopGraceMs: 60_000,
    cleanCodes: [0, 143],
  });
  return { ...client, ackTimes, acked: () => acked };
}
