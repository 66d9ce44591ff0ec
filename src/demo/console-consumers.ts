// Ordinary Kafka clients outside this process read the demo topic through Turnout: kcat
// (librdkafka) and Kafka's own Java console consumer from the devkit's jars. Their output is parsed back into records for the same delivery check kafkajs gets.
import { spawn } from 'node:child_process';
import { runKafkaTool } from '../devkit/index.js';
import type { ReceivedRecord } from './delivery-check.js';

/** kcat's output format (kcat expands the escapes): partition, offset, key, value, tab-separated. */
export const KCAT_FORMAT = '%p\\t%o\\t%k\\t%s\\n';

export interface ConsoleRun {
  client: string;
  /** Set when the client is not installed (and only then); the records are then empty. */
  notInstalled?: string;
  records: ReceivedRecord[];
  durationMs: number;
  /** Exit code, and the end of stderr when the client failed. */
  exitCode: number | null;
  errorTail?: string;
}

/** Parses `partition<TAB>offset<TAB>key<TAB>value` lines (kcat with KCAT_FORMAT). */
export function parseKcatLines(text: string): ReceivedRecord[] {
  const out: ReceivedRecord[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const parts = line.split('\t');
    if (parts.length < 4) continue;
    const partition = Number(parts[0]);
    const offset = Number(parts[1]);
    if (!Number.isInteger(partition) || !Number.isInteger(offset)) continue;
    out.push({ partition, offset, key: parts[2] as string, value: parts.slice(3).join('\t') });
  }
  return out;
}

const CONSOLE_LINE = /^Partition:(\d+)\tOffset:(\d+)\t([^\t]*)\t(.*)$/;

/**
 * Parses the Java console consumer's lines with print.partition, print.offset and print.key
 * on and a tab key separator: `Partition:3<TAB>Offset:17<TAB>key<TAB>value`.
 */
export function parseConsoleConsumerLines(text: string): ReceivedRecord[] {
  const out: ReceivedRecord[] = [];
  for (const line of text.split('\n')) {
    const m = CONSOLE_LINE.exec(line);
    if (m === null) continue;
    out.push({ partition: Number(m[1]), offset: Number(m[2]), key: m[3] === 'null' ? null : (m[3] as string), value: m[4] as string });
  }
  return out;
}

function tailOf(text: string, chars = 1_500): string {
  return text.length > chars ? text.slice(-chars) : text;
}

export interface KcatRunOptions {
  /** Default 60 s. */
  timeoutMs?: number;
  /** The kcat executable. (default: kcat) */
  command?: string;
  /** librdkafka settings for a secured Turnout listener: `-X security.protocol=sasl_ssl` and the like. */
  settings?: readonly string[];
}

/**
 * Reads `count` records of `topic` from the beginning with kcat. Only a kcat that is not
 * installed is reported as such; any other failure to start it is a failed run.
 */
export async function consumeWithKcat(bootstrap: string, topic: string, count: number, opts: KcatRunOptions = {}): Promise<ConsoleRun> {
  const started = Date.now();
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const command = opts.command ?? 'kcat';
  const args = ['-b', bootstrap, ...(opts.settings ?? []), '-C', '-t', topic, '-o', 'beginning', '-e', '-q', '-c', String(count), '-f', KCAT_FORMAT];
  return new Promise((resolveRun) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (e.code === 'ENOENT') {
        resolveRun({ client: 'kcat', notInstalled: `${command} is not installed (npm run setup installs it)`, records: [], durationMs: 0, exitCode: null });
      } else {
        resolveRun({ client: 'kcat', records: [], durationMs: Date.now() - started, exitCode: null, errorTail: `${command} could not be started: ${e.message}` });
      }
    });
    child.once('close', (code: number | null) => {
      clearTimeout(timer);
      const stderr = Buffer.concat(err).toString('utf8');
      resolveRun({
        client: 'kcat',
        records: parseKcatLines(Buffer.concat(out).toString('utf8')),
        durationMs: Date.now() - started,
        exitCode: code,
        ...(code !== 0 ? { errorTail: tailOf(stderr) } : {}),
      });
    });
  });
}

export interface JavaConsoleRunOptions {
  /** Default 120 s. */
  timeoutMs?: number;
  /** A client properties file (--consumer.config): security.protocol, SASL and truststore for a secured listener. */
  consumerConfig?: string;
}

/** Reads `count` records of `topic` from the beginning with Kafka's Java console consumer. */
export async function consumeWithJavaConsole(bootstrap: string, topic: string, count: number, group: string, payloadBytes: number, opts: JavaConsoleRunOptions = {}): Promise<ConsoleRun> {
  const started = Date.now();
  const timeoutMs = opts.timeoutMs ?? 120_000;
  const args = [
    ...(opts.consumerConfig !== undefined ? ['--consumer.config', opts.consumerConfig] : []),
    '--bootstrap-server', bootstrap,
    '--topic', topic,
    '--group', group,
    '--from-beginning',
    '--max-messages', String(count),
    '--timeout-ms', '30000',
    '--property', 'print.partition=true',
    '--property', 'print.offset=true',
    '--property', 'print.key=true',
    '--property', 'key.separator=\t',
  ];
  // Room for every line: key and value, the partition and offset labels, separators.
  const maxOutputBytes = payloadBytes + 64 * count + 1024 * 1024;
  const result = await runKafkaTool('kafka-console-consumer', args, { timeoutMs, maxOutputBytes });
  return {
    client: 'Java console consumer',
    records: parseConsoleConsumerLines(result.stdout),
    durationMs: Date.now() - started,
    exitCode: result.code,
    ...(result.code !== 0 || result.timedOut ? { errorTail: tailOf(result.stderr) } : {}),
  };
}
