// Kafka's perf tools as the bench runs them: kafka-producer-perf-test and
// kafka-consumer-perf-test from the devkit's jars, in a JVM locale the parsers expect, with a
// client properties file (--producer.config, --consumer.config) for a secured listener, and
// their results parsed (perf-output.ts). A tool that fails is an error naming its output.
import { runKafkaTool, type KafkaToolResult } from '../src/devkit/index.js';
import { parseConsumerPerf, parseProducerPerf, type ConsumerPerfResult, type ProducerPerfResult } from './perf-output.js';

/** The tools print numbers with the JVM's locale; pin one the parsers expect. */
const TOOL_JVM = ['-Duser.language=en', '-Duser.country=US'];
const TOOL_TIMEOUT_MS = 15 * 60_000;

export class ToolFailed extends Error {
  constructor(tool: string, result: KafkaToolResult) {
    super(`${tool} ${result.timedOut ? 'timed out' : `exited with ${result.code ?? result.signal}`}: ${result.stderr.trimEnd().slice(-1_500)}\n${result.stdout.trimEnd().slice(-600)}`);
    this.name = 'ToolFailed';
  }
}

async function tool(name: string, args: string[], log: (line: string) => void): Promise<KafkaToolResult> {
  const result = await runKafkaTool(name, args, { timeoutMs: TOOL_TIMEOUT_MS, jvmOptions: TOOL_JVM, log });
  if (result.code !== 0) throw new ToolFailed(name, result);
  return result;
}

export interface ProducePerfOptions {
  topic: string;
  records: number;
  recordSizeBytes: number;
  /** Records per second; -1 uncapped. */
  throughput: number;
  bootstrap: string;
  clientId: string;
  /** (default: all) */
  acks?: string;
  /** Client properties file (--producer.config): security.protocol, SASL, truststore. */
  clientConfig?: string;
  /** The producer's batch.size (default: the client's, 16 KiB): with it, how large its requests get. */
  batchBytes?: number;
  log: (line: string) => void;
}

export function producerArgs(o: Omit<ProducePerfOptions, 'log'>): string[] {
  return [
    '--topic', o.topic,
    '--num-records', String(o.records),
    '--record-size', String(o.recordSizeBytes),
    '--throughput', String(o.throughput),
    ...(o.clientConfig !== undefined ? ['--producer.config', o.clientConfig] : []),
    '--producer-props', `bootstrap.servers=${o.bootstrap}`, `acks=${o.acks ?? 'all'}`, `client.id=${o.clientId}`,
    ...(o.batchBytes !== undefined ? [`batch.size=${o.batchBytes}`] : []),
  ];
}

export async function producePerf(o: ProducePerfOptions): Promise<ProducerPerfResult> {
  return parseProducerPerf((await tool('kafka-producer-perf-test', producerArgs(o), o.log)).stdout);
}

export interface ConsumePerfOptions {
  topic: string;
  /** Records to read: the tool stops once it has them (or after 60 s without a record). */
  records: number;
  group: string;
  bootstrap: string;
  /** Client properties file (--consumer.config). */
  clientConfig?: string;
  log: (line: string) => void;
}

export function consumerArgs(o: Omit<ConsumePerfOptions, 'log'>): string[] {
  return [
    '--bootstrap-server', o.bootstrap,
    '--topic', o.topic,
    '--messages', String(o.records),
    '--group', o.group,
    '--timeout', '60000',
    ...(o.clientConfig !== undefined ? ['--consumer.config', o.clientConfig] : []),
  ];
}

export async function consumePerf(o: ConsumePerfOptions): Promise<ConsumerPerfResult> {
  return parseConsumerPerf((await tool('kafka-consumer-perf-test', consumerArgs(o), o.log)).stdout);
}
