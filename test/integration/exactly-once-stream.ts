// The exactly-once application of the cutover tests (./java/ExactlyOnceStream.java: a
// read_committed consumer and a transactional producer that commits the consumer's offsets in
// its transactions), run as a process whose events are kept, and the transactional producer
// that feeds its input (./java/TransactionalStream.java).
import { ensureKafka, TOOLS_KAFKA_VERSION } from '../../src/devkit/index.js';
import { javaCommand } from '../../src/devkit/kafka-cluster.js';
import { logConfigProperty } from '../../src/devkit/log-config.js';
import { LineProcess, type ProcessEnd } from './cutover-traffic/line-process.js';
import { testProgramClasses } from './java-test-programs.js';

const JVM_ARGS = ['-Xms32m', '-Xmx192m', '-XX:+UseSerialGC', '-XX:-UsePerfData', '-Djava.net.preferIPv4Stack=true'];

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
  /** Its last stderr lines (the client's warnings), for a failure message. */
  stderrTail(): string;
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
  const tail: string[] = [];
  let committed = 0;
  const proc = await LineProcess.start({
    name: 'exactly-once-stream',
    command: javaCommand(),
    args: [
      ...JVM_ARGS,
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
      tail.push(line.slice(0, 500));
      if (tail.length > 40) tail.shift();
    },
  });
  return {
    events,
    failures,
    committedRecords: () => committed,
    stderrTail: () => tail.join('\n'),
    committedTransactions: () => events.filter((e) => e.event === 'committed').length,
    stop: () => proc.stop('stdin', 60_000),
    kill: () => proc.kill(),
  };
}

export interface InputFeeder {
  /** Transactions it committed and aborted so far. */
  transactions(): { committed: number; aborted: number };
  /** Ends the transaction under way and exits; resolves with its end. */
  stop(): Promise<ProcessEnd>;
  kill(): void;
}

/**
 * The input of the application: a transactional producer (./java/TransactionalStream.java) that
 * writes `recordsPerTransaction` records over every partition each `periodMs`, and aborts every
 * `abortEvery`-th transaction (its values end in `.A`; a read_committed reader never sees them).
 */
export async function startInputFeeder(spec: { bootstrap: string; transactionalId: string; topic: string; periodMs: number; recordsPerTransaction: number; abortEvery: number }): Promise<InputFeeder> {
  const [classes, install] = await Promise.all([testProgramClasses(), ensureKafka(TOOLS_KAFKA_VERSION)]);
  const ends = { committed: 0, aborted: 0 };
  const proc = await LineProcess.start({
    name: 'input-feeder',
    command: javaCommand(),
    args: [
      ...JVM_ARGS,
      logConfigProperty(TOOLS_KAFKA_VERSION, install.toolLogConfig),
      '-cp', `${classes}:${install.classpath}`, 'TransactionalStream',
      spec.bootstrap, spec.transactionalId, spec.topic, String(spec.periodMs), String(spec.recordsPerTransaction), String(spec.abortEvery),
    ],
    onStdout: (line) => {
      const outcome = /"outcome":"(committed|aborted)"/.exec(line)?.[1] as 'committed' | 'aborted' | undefined;
      if (outcome !== undefined) ends[outcome]++;
    },
    onStderr: () => undefined,
  });
  return {
    transactions: () => ({ ...ends }),
    stop: () => proc.stop('stdin', 60_000),
    kill: () => proc.kill(),
  };
}
