// Runs SplitPerf.java (the two-backend workload: one Java client per bootstrap, records
// round-robin over several topics) and reads its one JSON line. The source is compiled once
// per bench run against the Kafka client jars of the devkit's cache.
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ensureKafka, TOOLS_KAFKA_VERSION } from '../src/devkit/index.js';
import { javaCommand } from '../src/devkit/kafka-cluster.js';
import { logConfigProperty } from '../src/devkit/log-config.js';

const run = promisify(execFile);

export interface SplitProduceResult {
  /** Producers used: one per distinct bootstrap. */
  clients: number;
  records: number;
  /** Sends that failed (not counted in the latencies). */
  errors: number;
  /** Requests of every kind the producers sent (their `request-total`): nearly all Produce. */
  requests: number;
  elapsedMs: number;
  recordsPerSec: number;
  /** MB (2^20 bytes) of record values per second, as the Kafka tools count. */
  mbPerSec: number;
  /** Send-to-acknowledgement latency of each record, µs. */
  p50Us: number;
  p90Us: number;
  p99Us: number;
  p999Us: number;
  maxUs: number;
  avgUs: number;
}

export interface SplitConsumeResult {
  clients: number;
  records: number;
  bytes: number;
  /** From every consumer having its start and end offsets to the last record read. */
  elapsedMs: number;
  recordsPerSec: number;
  mbPerSec: number;
}

/** A topic and the bootstrap to reach it by; routes with the same bootstrap share a client. */
export interface SplitRoute {
  topic: string;
  bootstrap: string;
}

export class SplitPerfError extends Error {
  constructor(reason: string, readonly output: string) {
    super(`SplitPerf: ${reason}; output ends with: ${output.trimEnd().slice(-1_500)}`);
    this.name = 'SplitPerfError';
  }
}

const PRODUCE_FIELDS = ['clients', 'records', 'errors', 'requests', 'elapsedMs', 'recordsPerSec', 'mbPerSec', 'p50Us', 'p90Us', 'p99Us', 'p999Us', 'maxUs', 'avgUs'] as const;
const CONSUME_FIELDS = ['clients', 'records', 'bytes', 'elapsedMs', 'recordsPerSec', 'mbPerSec'] as const;

/** The last line of stdout that is SplitPerf's JSON object for `mode`, every field a number. */
function resultLine(stdout: string, mode: 'produce' | 'consume', fields: readonly string[]): Record<string, number> {
  const line = stdout
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith(`{"mode":"${mode}"`))
    .at(-1);
  if (line === undefined) throw new SplitPerfError(`no ${mode} result line`, stdout);
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch (e) {
    throw new SplitPerfError(`result line is not JSON (${String(e)})`, stdout);
  }
  const obj = parsed as Record<string, unknown>;
  const out: Record<string, number> = {};
  for (const name of fields) {
    const v = obj[name];
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new SplitPerfError(`no number in field ${name}`, stdout);
    out[name] = v;
  }
  return out;
}

export function parseSplitProduce(stdout: string): SplitProduceResult {
  return resultLine(stdout, 'produce', PRODUCE_FIELDS) as unknown as SplitProduceResult;
}

export function parseSplitConsume(stdout: string): SplitConsumeResult {
  return resultLine(stdout, 'consume', CONSUME_FIELDS) as unknown as SplitConsumeResult;
}

/** `--route topic@bootstrap` for each route. */
export function routeArgs(routes: readonly SplitRoute[]): string[] {
  return routes.flatMap((r) => ['--route', `${r.topic}@${r.bootstrap}`]);
}

export interface SplitProduceOptions {
  routes: readonly SplitRoute[];
  records: number;
  recordSizeBytes: number;
  /** Records per second over all routes; -1 uncapped. */
  throughput: number;
  acks: string;
}

export interface SplitPerf {
  produce(opts: SplitProduceOptions): Promise<SplitProduceResult>;
  /** Reads every partition of the routes' topics from the start to the end offsets. */
  consume(routes: readonly SplitRoute[]): Promise<SplitConsumeResult>;
  dispose(): Promise<void>;
}

/** The SplitPerf.java source: bench/ of the repo, seen from dist/bench/ or from bench/. */
export function splitPerfSource(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  return here.endsWith(join('dist', 'bench')) ? join(here, '..', '..', 'bench', 'SplitPerf.java') : join(here, 'SplitPerf.java');
}

/** javac next to the java the devkit runs, else from PATH. */
function javacCommand(): string {
  const java = javaCommand();
  return java === 'java' ? 'javac' : join(dirname(java), 'javac');
}

/** Compiles SplitPerf.java against the client jars of `version` and returns a runner. */
export async function prepareSplitPerf(opts: { version?: string; log?: (line: string) => void } = {}): Promise<SplitPerf> {
  const version = opts.version ?? TOOLS_KAFKA_VERSION;
  const install = await ensureKafka(version, opts.log !== undefined ? { log: opts.log } : {});
  const classes = await mkdtemp(join(tmpdir(), 'turnout-bench-splitperf-'));
  const source = splitPerfSource();
  try {
    await run(javacCommand(), ['-nowarn', '-cp', install.classpath, '-d', classes, source], { timeout: 120_000 });
  } catch (e) {
    await rm(classes, { recursive: true, force: true });
    const err = e as { stderr?: string; message?: string };
    throw new Error(`compiling ${source} failed: ${err.stderr ?? err.message ?? String(e)}`);
  }
  const java = javaCommand();
  // As for Kafka's own data-moving tools: full JIT, a serial collector, a bounded heap.
  const jvm = ['-Xms64m', '-Xmx768m', '-XX:+UseSerialGC', '-XX:-UsePerfData', '-Djava.net.preferIPv4Stack=true', logConfigProperty(version, install.toolLogConfig)];
  const invoke = async (args: string[]): Promise<string> => {
    try {
      const { stdout } = await run(java, [...jvm, '-cp', `${classes}:${install.classpath}`, 'SplitPerf', ...args], { timeout: 15 * 60_000, maxBuffer: 16 * 1024 * 1024 });
      return stdout;
    } catch (e) {
      const err = e as { stdout?: string; stderr?: string; code?: number | string; signal?: string };
      throw new SplitPerfError(`SplitPerf ${args[0] ?? ''} exited with ${err.code ?? err.signal ?? 'an error'}`, `${err.stderr ?? ''}\n${err.stdout ?? ''}`);
    }
  };
  return {
    produce: async (p) =>
      parseSplitProduce(
        await invoke(['produce', ...routeArgs(p.routes), '--records', String(p.records), '--record-size', String(p.recordSizeBytes), '--throughput', String(p.throughput), '--acks', p.acks]),
      ),
    consume: async (routes) => parseSplitConsume(await invoke(['consume', ...routeArgs(routes)])),
    dispose: () => rm(classes, { recursive: true, force: true }),
  };
}
