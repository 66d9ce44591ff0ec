// The Java test programs in ./java, compiled once per source and Kafka client version against
// the client jars the devkit installs, and a process run to its end with its output kept.
// Free of the test runner, so that the benchmarks can start the same programs.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureKafka, TOOLS_KAFKA_VERSION } from '../../src/devkit/index.js';
import { javaCommand } from '../../src/devkit/kafka-cluster.js';

const JAVA_SOURCES = join(dirname(fileURLToPath(import.meta.url)), 'java');
let compiled: Promise<string> | undefined;

/**
 * Compiles ./java against the Kafka client jars once per source and Kafka version (kept in the
 * temp folder under a hash of both) and returns the class folder.
 */
export function testProgramClasses(): Promise<string> {
  compiled ??= compileTestPrograms();
  compiled.catch(() => (compiled = undefined));
  return compiled;
}

async function compileTestPrograms(): Promise<string> {
  const install = await ensureKafka(TOOLS_KAFKA_VERSION);
  const names = (await readdir(JAVA_SOURCES)).filter((n) => n.endsWith('.java')).sort();
  const hash = createHash('sha256').update(TOOLS_KAFKA_VERSION);
  for (const name of names) hash.update(`\0${name}\0`).update(await readFile(join(JAVA_SOURCES, name)));
  const dir = join(tmpdir(), `turnout-it-java-${hash.digest('hex').slice(0, 16)}`);
  const marker = join(dir, 'compiled');
  if (existsSync(marker)) return dir;
  // Compile aside and rename into place, so a concurrent run never sees half the classes.
  const staging = `${dir}.${process.pid}.${Date.now()}`;
  await mkdir(staging, { recursive: true });
  const java = javaCommand();
  const javac = java === 'java' ? 'javac' : join(dirname(java), 'javac');
  const result = await runProcess(javac, ['-Xlint:all', '-Werror', '-d', staging, '-cp', install.classpath, ...names.map((n) => join(JAVA_SOURCES, n))], { timeoutMs: 120_000 });
  if (result.code !== 0) {
    await rm(staging, { recursive: true, force: true });
    throw new Error(`javac of the test programs in ${JAVA_SOURCES} failed (${result.timedOut ? 'timed out' : `exit ${result.code}`}):\n${result.stderr.slice(-4_000)}${result.stdout.slice(-2_000)}`);
  }
  await writeFile(join(staging, 'compiled'), names.join('\n'));
  await rename(staging, dir).catch(async () => {
    // Another run got there first with the same classes.
    await rm(staging, { recursive: true, force: true });
  });
  return dir;
}

export interface ProcessResult {
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  durationMs: number;
}

export function runProcess(command: string, args: readonly string[], opts: { timeoutMs: number }): Promise<ProcessResult> {
  return new Promise((resolveRun, reject) => {
    const started = Date.now();
    const child = spawn(command, [...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`${command} could not start: ${e.message}`));
    });
    child.once('close', (code: number | null) => {
      clearTimeout(timer);
      resolveRun({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), timedOut, durationMs: Date.now() - started });
    });
  });
}

