// The generated codec checked against Kafka's own message classes: every case of cases.ts is
// parsed by the kafka-clients jar of the release whose spec describes its version, written
// back to the same bytes, and its field values compared with the sample. The jars are the
// devkit's (`npm run setup` fetches them); the Java side is compiled once and runs in one JVM
// for every release (CrossCheckReleases.java).
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { cachedKafka } from '../../../src/devkit/index.js';
import { javacCommand, javaCommand } from '../../../src/devkit/kafka-cluster.js';
import { RELEASES } from '../generate.js';
import { buildApis } from '../model.js';
import { loadSpecDir } from '../spec.js';
import { caseLine, crossCheckCases, fieldDifferences, type CrossCheckCase, type VersionSources } from './cases.js';

const run = promisify(execFile);
const HERE = dirname(fileURLToPath(import.meta.url));
/** The jars Kafka's message classes and their JSON converters need. */
const NEEDED_JARS = /^(kafka-clients|jackson-databind|jackson-core|jackson-annotations|slf4j-api)-\d.*\.jar$/;

export class CrossCheckSetupError extends Error {
  constructor(readonly what: string) {
    super(`${what}: run \`npm run setup\``);
    this.name = 'CrossCheckSetupError';
  }
}

export interface ReleaseCheck {
  release: string;
  cases: CrossCheckCase[];
  /** Cases Kafka's classes could not parse, or wrote back to other bytes. */
  wireFailures: string[];
  /** Fields whose value in Kafka's view differs from the sample. */
  fieldFailures: string[];
}

/** Which release's spec describes each version of each api, as the code generator decides. */
export function versionSources(specRoot: string): VersionSources {
  const apis = buildApis(RELEASES.map((label) => ({ label, specs: loadSpecDir(join(specRoot, label)) })));
  return Object.fromEntries(apis.map((a) => [a.apiKey, Object.fromEntries(a.sources)]));
}

/** The jars of one release from the devkit cache. */
function releaseJars(release: string): string[] {
  const install = cachedKafka(release);
  if (install === undefined) throw new CrossCheckSetupError(`Kafka ${release} is not in the devkit cache`);
  const jars = readdirSync(install.libsDir).filter((n) => NEEDED_JARS.test(n));
  if (!jars.some((n) => n.startsWith('kafka-clients-'))) throw new CrossCheckSetupError(`no kafka-clients jar in ${install.libsDir}`);
  return jars.map((n) => join(install.libsDir, n));
}

/** Runs every case against Kafka's classes; resolves with what each release found. */
export async function crossCheckWithKafka(sources: VersionSources): Promise<ReleaseCheck[]> {
  const byRelease = crossCheckCases(sources);
  const releases = [...byRelease.keys()].sort();
  const jars = new Map(releases.map((r) => [r, releaseJars(r)]));
  const work = await mkdtemp(join(tmpdir(), 'turnout-crosscheck-'));
  try {
    const classes = join(work, 'classes');
    // Compiled against the newest release; the few calls it makes are the same in every one.
    const newest = releases.at(-1) as string;
    const sourcesJava = ['CrossCheck.java', 'CrossCheckReleases.java'].map((f) => join(HERE, f));
    await run(javacCommand(), ['-nowarn', '-d', classes, '-cp', (jars.get(newest) as string[]).join(':'), ...sourcesJava], { timeout: 180_000 });
    const args: string[] = [classes];
    for (const release of releases) {
      const cases = join(work, `${release}.txt`);
      await writeFile(cases, `${(byRelease.get(release) as CrossCheckCase[]).map(caseLine).join('\n')}\n`);
      args.push(release, cases, join(work, `${release}.json.txt`), (jars.get(release) as string[]).join(':'));
    }
    const { stdout } = await run(javaCommand(), ['-Xmx512m', '-XX:+UseSerialGC', '-cp', classes, 'CrossCheckReleases', ...args], { timeout: 600_000, maxBuffer: 64 * 1024 * 1024 });
    const failLines = stdout.split('\n').filter((l) => l.startsWith('FAIL '));
    const out: ReleaseCheck[] = [];
    for (const release of releases) {
      const cases = byRelease.get(release) as CrossCheckCase[];
      const views = (await readFile(join(work, `${release}.json.txt`), 'utf8')).trimEnd().split('\n');
      if (views.length !== cases.length) throw new Error(`Kafka ${release}: ${views.length} views for ${cases.length} cases`);
      const fieldFailures: string[] = [];
      cases.forEach((c, i) => {
        const view = JSON.parse(views[i] as string) as Record<string, unknown> | null;
        if (view === null) return; // a wire failure, listed already
        for (const d of fieldDifferences(c, view)) fieldFailures.push(`${release} api ${c.apiKey} v${c.version} ${c.direction}: ${d}`);
      });
      const prefix = `FAIL ${release} `;
      out.push({ release, cases, wireFailures: failLines.filter((l) => l.startsWith(prefix)).map((l) => l.slice(5)), fieldFailures });
    }
    return out;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
