// One member of a librdkafka consumer group in a traffic run: ../python/group_consumer.py on
// confluent-kafka (Debian's python3-confluent-kafka, librdkafka 2.x), read_committed,
// committing every second and on close. Its rebalance callbacks and errors come as JSON
// events; librdkafka's own log lines at warning and above are issues.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { librdkafkaLogLevel } from './client-issues.js';
import { startClientProcess } from './client-process.js';
import type { GroupReads } from './group-reads.js';
import type { TrafficClient, TrafficContext } from './traffic-context.js';

const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), '..', 'python', 'group_consumer.py');

export class NoConfluentKafkaError extends Error {
  constructor() {
    super('no python3 with confluent_kafka: install the Debian package python3-confluent-kafka (scripts/setup.sh)');
    this.name = 'NoConfluentKafkaError';
  }
}

let python: string | undefined;

/** A python3 that can import confluent_kafka (the system one, when a version manager's comes first on PATH). */
function pythonWithConfluentKafka(): string {
  python ??= ['python3', '/usr/bin/python3'].find((py) => spawnSync(py, ['-c', 'import confluent_kafka']).status === 0);
  if (python === undefined) throw new NoConfluentKafkaError();
  return python;
}

export interface LibrdkafkaMemberSpec {
  name: string;
  group: string;
  bootstrap: string;
}

interface MemberEvent {
  event: 'assigned' | 'revoked' | 'lost' | 'record' | 'error' | 'closed';
  partitions?: number[];
  partition?: number;
  offset?: number;
  timestampMs?: number;
  value?: string | null;
  error?: string;
}

function onEvent(ctx: TrafficContext, reads: GroupReads, spec: LibrdkafkaMemberSpec, e: MemberEvent): void {
  const phase = ctx.phase();
  switch (e.event) {
    case 'record':
      if (e.partition === undefined || e.offset === undefined) return;
      reads.read(spec.name, { partition: e.partition, offset: e.offset, value: e.value ?? null });
      if (e.timestampMs !== undefined && e.timestampMs > 0) ctx.noteCreateTime(e.partition, e.offset, e.timestampMs);
      break;
    case 'assigned':
      reads.assigned(spec.name, e.partitions ?? [], phase);
      break;
    case 'revoked':
    case 'lost':
      reads.revoked(spec.name, e.partitions ?? [], phase, e.event);
      break;
    case 'error':
      ctx.issues(spec.name).note('error', e.error ?? 'error without text', phase);
      break;
  }
}

export async function startLibrdkafkaMember(ctx: TrafficContext, reads: GroupReads, spec: LibrdkafkaMemberSpec): Promise<TrafficClient> {
  return startClientProcess(ctx, {
    name: spec.name,
    command: pythonWithConfluentKafka(),
    args: [SCRIPT, spec.bootstrap, spec.group, ctx.topic, spec.name],
    onLine: (line) => {
      if (line.startsWith('{')) onEvent(ctx, reads, spec, JSON.parse(line) as MemberEvent);
    },
    levelOf: librdkafkaLogLevel,
    stopBy: 'stdin',
    stopGraceMs: 30_000,
  });
}
