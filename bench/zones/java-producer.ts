// The zone workload's producer program (java/ZoneProducer.java): compiled once per source and
// Kafka client version against the client jars the devkit installs, and started inside a zone.
// The producer is the Java client because it keeps idempotence through a leader move: kafkajs
// 2.2.4, with sends to several brokers and several sends in flight, sends a batch again under a
// new sequence number when another broker's part of the same send failed, and the broker
// cannot tell the copy from new records (test/unit/bench/zones/kafkajs-idempotence.test.ts).
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ensureKafka, inNetns, TOOLS_KAFKA_VERSION, type Command } from '../../src/devkit/index.js';
import { javaCommand } from '../../src/devkit/kafka-cluster.js';

const MAIN_CLASS = 'ZoneProducer';
/** Records sent together: a few per partition in each request, at any rate. */
const DEFAULT_BURST = 64;

/** The source folder, also from dist/ (sources are not copied there). */
function sourceFile(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const beside = join(here, 'java', `${MAIN_CLASS}.java`);
  if (existsSync(beside)) return beside;
  return join(here, '..', '..', '..', 'bench', 'zones', 'java', `${MAIN_CLASS}.java`);
}

export interface ZoneProducerArgs {
  bootstrap: string;
  topic: string;
  producer: number;
  records: number;
  recordSize: number;
  partitions: number;
  /** Records a second; 0 for as fast as it can. */
  rate: number;
  /** Records sent together (default 64). */
  burst?: number;
}

let compiled: Promise<{ classes: string; classpath: string }> | undefined;

/** The class folder and the client classpath; compiled on first use, cached in the temp folder. */
function producerClasses(): Promise<{ classes: string; classpath: string }> {
  compiled ??= compile();
  compiled.catch(() => (compiled = undefined));
  return compiled;
}

async function compile(): Promise<{ classes: string; classpath: string }> {
  const install = await ensureKafka(TOOLS_KAFKA_VERSION);
  const source = sourceFile();
  const hash = createHash('sha256').update(TOOLS_KAFKA_VERSION).update('\0').update(await readFile(source)).digest('hex').slice(0, 16);
  const classes = join(tmpdir(), `turnout-zone-producer-${hash}`);
  if (existsSync(join(classes, `${MAIN_CLASS}.class`))) return { classes, classpath: install.classpath };
  // Compiled aside and renamed into place, so a concurrent run never sees a half-written class.
  const staging = `${classes}.${process.pid}.${Date.now()}`;
  await mkdir(staging, { recursive: true });
  const java = javaCommand();
  const javac = java === 'java' ? 'javac' : join(dirname(java), 'javac');
  const failure = await runToEnd(javac, ['-Xlint:all', '-Werror', '-d', staging, '-cp', install.classpath, source]);
  if (failure !== null) {
    await rm(staging, { recursive: true, force: true });
    throw new Error(`javac ${source} failed: ${failure}`);
  }
  await writeFile(join(staging, 'source'), source);
  await rename(staging, classes).catch(() => rm(staging, { recursive: true, force: true }));
  return { classes, classpath: install.classpath };
}

/** Runs a command to its end: null when it exits 0, else why not (with its output's tail). */
function runToEnd(command: string, args: readonly string[]): Promise<string | null> {
  return new Promise((resolveRun) => {
    const child = spawn(command, [...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const keep = (b: Buffer): void => {
      output = (output + b.toString('utf8')).slice(-4_000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.once('error', (e) => resolveRun(`could not start: ${e.message}`));
    child.once('close', (code: number | null) => resolveRun(code === 0 ? null : `exit ${code}\n${output}`));
  });
}

/** The command that runs the producer inside `netns`; compiles it first if needed. */
export async function zoneProducerCommand(netns: string, a: ZoneProducerArgs): Promise<Command> {
  const { classes, classpath } = await producerClasses();
  return inNetns(netns, javaCommand(), [
    // A small client JVM: three of them share the machine with three brokers.
    '-Xms32m',
    '-Xmx192m',
    '-XX:+UseSerialGC',
    // The quick compiler only: the optimising one's compile threads would compete with the
    // brokers on a small machine, and a paced producer needs no peak speed.
    '-XX:TieredStopAtLevel=1',
    '-XX:-UsePerfData',
    '-Djava.net.preferIPv4Stack=true',
    '-cp',
    `${classes}:${classpath}`,
    MAIN_CLASS,
    a.bootstrap,
    a.topic,
    String(a.producer),
    String(a.records),
    String(a.recordSize),
    String(a.partitions),
    String(a.rate),
    String(a.burst ?? DEFAULT_BURST),
  ]);
}
