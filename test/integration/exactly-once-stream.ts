// The exactly-once application of the cutover tests (./java/ExactlyOnceStream.java: a
// read_committed consumer and a transactional producer that commits the consumer's offsets in
// its transactions), run as a process whose events are kept, and the input feeder beside it
// (kcat with an idempotent producer per partition, fed numbered lines at a steady pace).
import { ensureKafka, TOOLS_KAFKA_VERSION } from '../../src/devkit/index.js';
import { javaCommand } from '../../src/devkit/kafka-cluster.js';
import { logConfigProperty } from '../../src/devkit/log-config.js';
import { LineProcess, type ProcessEnd } from './cutover-traffic/line-process.js';
import { testProgramClasses } from './java-test-programs.js';

export interface StreamEvent {
  event: 'assigned' | 'revoked' | 'lost' | 'committed' | 'aborted';
  partitions?: number[];
  records?: number;
  reason?: string;
  atMs: number;
}

export interface ExactlyOnceApp {
  readonly events: readonly StreamEvent[];
  /** Input records written to the output in committed transactions so far. */
  committedRecords(): number;
  /** Transactions committed so far. */
  committedTransactions(): number;
  /** Its stderr lines that report a failure (kept short). */
  readonly failures: string[];
  /** Closes its stdin: it ends the batch under way and exits. */
  stop(): Promise<ProcessEnd>;
  kill(): void;
}

export interface ExactlyOnceAppSpec {
  bootstrap: string;
  groupId: string;
  transactionalId: string;
  input: string;
  output: string;
  /** `consumer.name=value` / `producer.name=value`. */
  properties?: readonly string[];
  log?: (line: string) => void;
}

export async function startExactlyOnceApp(spec: ExactlyOnceAppSpec): Promise<ExactlyOnceApp> {
  const [classes, install] = await Promise.all([testProgramClasses(), ensureKafka(TOOLS_KAFKA_VERSION)]);
  const events: StreamEvent[] = [];
  const failures: string[] = [];
  let committed = 0;
  const proc = await LineProcess.start({
    name: 'exactly-once-stream',
    command: javaCommand(),
    args: [
      '-Xms32m', '-Xmx192m', '-XX:+UseSerialGC', '-XX:-UsePerfData', '-Djava.net.preferIPv4Stack=true',
      logConfigProperty(TOOLS_KAFKA_VERSION, install.toolLogConfig),
      '-cp', `${classes}:${install.classpath}`, 'ExactlyOnceStream',
      spec.bootstrap, spec.groupId, spec.transactionalId, spec.input, spec.output, ...(spec.properties ?? []),
    ],
    onStdout: (line) => {
      if (!line.startsWith('{"event"')) return;
      const e = JSON.parse(line) as StreamEvent;
      events.push(e);
      if (e.event === 'committed') committed += e.records ?? 0;
      if (e.event !== 'committed' || process.env.EOS_DEBUG === '1') spec.log?.(`exactly-once app: ${line}`);
    },
    onStderr: (line) => {
      if (/ExactlyOnceStream failed|Exception|ERROR/.test(line) && failures.length < 50) failures.push(line.slice(0, 500));
    },
  });
  return {
    events,
    failures,
    committedRecords: () => committed,
    committedTransactions: () => events.filter((e) => e.event === 'committed').length,
    stop: () => proc.stop('stdin', 60_000),
    kill: () => proc.kill(),
  };
}

export interface InputFeeder {
  /** Lines handed to kcat so far. */
  written(): number;
  /** Stops feeding, lets kcat deliver what it has and exit; resolves with its end and stderr. */
  stop(): Promise<{ end: ProcessEnd; stderr: string[] }>;
  kill(): void;
}

/**
 * Feeds `in-<partition>-<n>` lines to every partition of a topic (one kcat per partition,
 * idempotent, acks=all), `perTick` to each every `tickMs`.
 */
export async function startInputFeeder(bootstrap: string, topic: string, opts: { partitions: number; tickMs: number; perTick: number }): Promise<InputFeeder> {
  const stderr: string[] = [];
  const procs = await Promise.all(
    Array.from({ length: opts.partitions }, (_, p) =>
      LineProcess.start({
        name: `input-feeder-${p}`,
        command: 'kcat',
        args: ['-P', '-b', bootstrap, '-t', topic, '-p', String(p), '-X', 'enable.idempotence=true', '-X', 'acks=all', '-X', 'linger.ms=5', '-X', 'message.timeout.ms=120000'],
        onStdout: () => undefined,
        onStderr: (line) => {
          if (stderr.length < 50) stderr.push(`partition ${p}: ${line}`);
        },
      }),
    ),
  );
  let n = 0;
  const timer = setInterval(() => {
    procs.forEach((proc, p) => {
      let text = '';
      for (let i = 0; i < opts.perTick; i++) text += `in-${p}-${n + i}\n`;
      proc.writeStdin(text);
    });
    n += opts.perTick;
  }, opts.tickMs);
  return {
    written: () => n * procs.length,
    async stop() {
      clearInterval(timer);
      const ends = await Promise.all(procs.map((p) => p.stop('stdin', 130_000)));
      return { end: ends.find((e) => e.code !== 0) ?? ends[0], stderr };
    },
    kill: () => {
      clearInterval(timer);
      for (const p of procs) p.kill();
    },
  };
}
