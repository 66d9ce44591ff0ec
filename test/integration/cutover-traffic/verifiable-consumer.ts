// One member of a Kafka VerifiableConsumer group (kafka-tools 4.1.1) in a traffic run, on the
// classic protocol or on KIP-848's consumer protocol, read_committed, committing after every
// poll. Its JSON events feed the group's reads and assignment changes; a failed commit is an
// error.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { kafkaToolCommand } from '../../../src/devkit/index.js';
import { javaLogLevel } from './client-issues.js';
import { startClientProcess } from './client-process.js';
import type { GroupReads } from './group-reads.js';
import type { TrafficClient, TrafficContext } from './traffic-context.js';

export type GroupProtocol = 'classic' | 'consumer';

export interface VerifiableMemberSpec {
  name: string;
  group: string;
  bootstrap: string;
  protocol: GroupProtocol;
}

interface ConsumerEvent {
  name: string;
  partitions?: Array<{ topic: string; partition: number }>;
  offsets?: Array<{ topic: string; partition: number; offset: number }>;
  success?: boolean;
  error?: string | null;
  value?: string | null;
  partition?: number;
  offset?: number;
}

function onEvent(ctx: TrafficContext, reads: GroupReads, spec: VerifiableMemberSpec, e: ConsumerEvent): void {
  const phase = ctx.phase();
  const partitions = (e.partitions ?? []).map((p) => p.partition);
  switch (e.name) {
    case 'record_data':
      if (e.partition !== undefined && e.offset !== undefined) reads.read(spec.name, { partition: e.partition, offset: e.offset, value: e.value ?? null });
      break;
    case 'partitions_assigned':
      reads.assigned(spec.name, partitions, phase);
      break;
    case 'partitions_revoked':
      reads.revoked(spec.name, partitions, phase);
      break;
    case 'offsets_committed':
      if (e.success !== true) ctx.issues(spec.name).note('error', `commit failed: ${e.error ?? 'no reason given'}`, phase);
      break;
  }
}

export async function startVerifiableMember(ctx: TrafficContext, reads: GroupReads, spec: VerifiableMemberSpec): Promise<TrafficClient> {
  const config = join(ctx.dir, `${spec.name}.properties`);
  await writeFile(config, ['isolation.level=read_committed', `client.id=${spec.name}`, 'fetch.max.wait.ms=200', ''].join('\n'));
  const cmd = await kafkaToolCommand('kafka-verifiable-consumer', [
    '--bootstrap-server', spec.bootstrap, '--topic', ctx.topic, '--group-id', spec.group, '--group-protocol', spec.protocol,
    '--reset-policy', 'earliest', '--verbose', '--consumer.config', config,
  ]);
  return startClientProcess(ctx, {
    name: spec.name,
    command: cmd.command,
    args: cmd.args,
    onLine: (line) => {
      if (line.startsWith('{')) onEvent(ctx, reads, spec, JSON.parse(line) as ConsumerEvent);
    },
    levelOf: javaLogLevel,
    stopBy: 'SIGTERM',
    stopGraceMs: 30_000,
    cleanCodes: [0, 143],
  });
}
