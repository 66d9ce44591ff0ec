// Kroxylicious, a Kafka-aware proxy on the JVM (Netty), as the bench's peer: what a platform
// team would run instead of Turnout. Its published runtime (io.kroxylicious:kroxylicious-runtime
// on Maven Central) with no filters, one virtual cluster over the bench cluster, a port per
// broker. Maven fetches it once into the cache (`<cache>/kroxylicious/<version>/lib`); the
// launcher (kroxylicious/Launch.java) is compiled there beside it. Its CPU and memory are
// read from /proc like HAProxy's. It counts no bytes a run could be checked against (its
// metrics size only the frames it decodes), so its runs are not checked that way: its
// clients reach the brokers only through the addresses it gives them.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { cacheRoot } from '../src/devkit/devkit-paths.js';
import { acceptsOnLoopback, spawnOwned, waitUntilReady } from './owned-child.js';
import { processMeter } from './proc-stats.js';
import type { MeasuredProxy } from './proxy-run.js';
import { freePortBlock } from './turnout-child.js';

const run = promisify(execFile);

/** The newest Kroxylicious runtime Maven Central serves here. */
export const KROXYLICIOUS_VERSION = '0.12.0';

export class KroxyliciousError extends Error {
  constructor(reason: string, readonly output = '') {
    super(`kroxylicious: ${reason}${output.trim() === '' ? '' : `\n${output.trim().slice(-1_500)}`}`);
    this.name = 'KroxyliciousError';
  }
}

function pom(version: string): string {
  return [
    '<project xmlns="http://maven.apache.org/POM/4.0.0">',
    '  <modelVersion>4.0.0</modelVersion>',
    '  <groupId>turnout.bench</groupId><artifactId>kroxylicious-peer</artifactId><version>1</version>',
    '  <dependencies>',
    `    <dependency><groupId>io.kroxylicious</groupId><artifactId>kroxylicious-runtime</artifactId><version>${version}</version></dependency>`,
    '    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-simple</artifactId><version>2.0.17</version></dependency>',
    '  </dependencies>',
    '</project>',
    '',
  ].join('\n');
}

/** The launcher's source, beside this module in the checkout (bench/kroxylicious/). */
function launcherSource(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  // Compiled to dist/bench/: the source stays in bench/.
  for (const candidate of [join(here, 'kroxylicious', 'Launch.java'), join(here, '..', '..', 'bench', 'kroxylicious', 'Launch.java')]) {
    if (existsSync(candidate)) return candidate;
  }
  throw new KroxyliciousError('bench/kroxylicious/Launch.java not found');
}

/** Runs a build tool; its failure is a KroxyliciousError with `what` and the tool's output. */
async function runTool(what: string, command: string, args: string[], timeoutMs: number): Promise<void> {
  try {
    await run(command, args, { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 });
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message: string };
    throw new KroxyliciousError(`${what}: ${err.message}`, `${err.stdout ?? ''}${err.stderr ?? ''}`);
  }
}

/** Fetches the runtime (once) and compiles the launcher; returns the classpath to run it with. */
export async function prepareKroxylicious(log: (line: string) => void, version = KROXYLICIOUS_VERSION): Promise<string> {
  const home = join(cacheRoot(), 'kroxylicious', version);
  const lib = join(home, 'lib');
  const classes = join(home, 'classes');
  if (!existsSync(join(lib, `kroxylicious-runtime-${version}.jar`))) {
    log(`fetching Kroxylicious ${version} from Maven Central into ${lib}`);
    await mkdir(home, { recursive: true });
    await writeFile(join(home, 'pom.xml'), pom(version));
    await runTool(`mvn could not fetch kroxylicious-runtime ${version}`, 'mvn', ['-q', '-f', join(home, 'pom.xml'), 'dependency:copy-dependencies', `-DoutputDirectory=${lib}`], 600_000);
  }
  const classpath = `${classes}:${lib}/*`;
  await mkdir(classes, { recursive: true });
  await runTool('javac of the launcher failed', 'javac', ['-cp', `${lib}/*`, '-d', classes, launcherSource()], 120_000);
  return classpath;
}

/** Its configuration: one virtual cluster, a port per broker from `bootstrapPort + 1`, no filters. */
export function kroxyliciousConfig(bootstrapServers: string, bootstrapPort: number, brokerIds: readonly number[]): string {
  const first = Math.min(...brokerIds);
  const last = Math.max(...brokerIds);
  return [
    'virtualClusters:',
    '  - name: bench',
    '    targetCluster:',
    `      bootstrapServers: ${bootstrapServers}`,
    '    gateways:',
    '      - name: default',
    '        portIdentifiesNode:',
    `          bootstrapAddress: 127.0.0.1:${bootstrapPort}`,
    '          nodeIdRanges:',
    '            - name: brokers',
    `              start: ${first}`,
    `              end: ${last}`,
    '',
  ].join('\n');
}

export interface KroxyliciousProcess extends MeasuredProxy {
  pid: number;
  version: string;
  bootstrapServers: string;
  stop(): Promise<void>;
}

/** Starts Kroxylicious in front of `bootstrapServers` (brokers `brokerIds`); resolves once its ports accept. */
export async function startKroxylicious(
  classpath: string,
  bootstrapServers: string,
  brokerIds: readonly number[],
  opts: { heapMb?: number; readyTimeoutMs?: number; version?: string } = {},
): Promise<KroxyliciousProcess> {
  const dir = await mkdtemp(join(tmpdir(), 'turnout-bench-kroxylicious-'));
  const last = Math.max(...brokerIds);
  const bootstrapPort = await freePortBlock(last - Math.min(...brokerIds) + 2);
  const configFile = join(dir, 'kroxylicious.yaml');
  try {
    await writeFile(configFile, kroxyliciousConfig(bootstrapServers, bootstrapPort, brokerIds));
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  const heap = `-Xmx${opts.heapMb ?? 1024}m`;
  const child = spawnOwned('java', [heap, '-cp', classpath, 'Launch', configFile], { dir, graceMs: 10_000 });
  await waitUntilReady(child, () => acceptsOnLoopback(bootstrapPort), {
    timeoutMs: opts.readyTimeoutMs ?? 60_000,
    intervalMs: 200,
    fail: (reason, output) => new KroxyliciousError(`${reason} (its bootstrap port accepting)`, output),
  });
  const pid = child.pid;
  return {
    pid,
    version: opts.version ?? KROXYLICIOUS_VERSION,
    bootstrapServers: `127.0.0.1:${bootstrapPort}`,
    meter: processMeter('Kroxylicious', pid),
    stop: child.stop,
  };
}
