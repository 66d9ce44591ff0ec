// The exactly-once application of the cutover tests (./java/ExactlyOnceStream.java: a
// read_committed consumer and a transactional producer that commits the consumer's offsets in
// its transactions), run as a process whose events are kept, and the input feeder beside it
// (kcat with an idempotent producer, fed a numbered line at a steady pace).
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
      else spec.log?.(`exactly-once app: ${line}`);
    },
    onStderr: (line) => {
      if (/ExactlyOnceStream failed|Exception|ERROR/.test(line) && failures.length < 50) failures.push(line.slice(0, 500));
    },
  });
  return {
    events,
    failures,
    committedRecords: () => committed,
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

/** Feeds `in-<n>` lines to a topic through kcat (idempotent, acks=all), `perTick` every `tickMs`. */
export async function startInputFeeder(bootstrap: string, topic: string, opts: { tickMs: number; perTick: number }): Promise<InputFeeder> {
  const stderr: string[] = [];
  const proc = await LineProcess.start({
    name: 'input-feeder',
    command: 'kcat',
    args: ['-P', '-b', bootstrap, '-t', topic, '-X', 'enable.idempotence=true', '-X', 'acks=all', '-X', 'linger.ms=5', '-X', 'message.timeout.ms=120000'],
    onStdout: () => undefined,
    onStderr: (line) => {
      if (stderr.length < 50) stderr.push(line);
    },
  });
  let n = 0;
  const timer = setInterval(() => {
    let text = '';
    for (let i = 0; i < opts.perTick; i++) text += `in-${n++}\n`;
    proc.writeStdin(text);
  }, opts.tickMs);
  return {
    written: () => n,
    async stop() {
      clearInterval(timer);
      const end = await proc.stop('stdin', 130_000);
      return { end, stderr };
    },
    kill: () => {
      clearInterval(timer);
      proc.kill();
    },
  };
}
