// Class data sharing for Kafka CLI tools: the first successful run of a tool dumps the
// classes it loaded into an archive (-XX:ArchiveClassesAtExit); later runs map it and start
// with about half the CPU, which matters when tests run hundreds of tools on two cores.
// Archives are keyed by the java binary and only put in place after a check run maps them:
// a damaged archive can crash a JVM, so one never appears under its final name.
import { spawnSync } from 'node:child_process';
import { randomBytes, createHash } from 'node:crypto';
import { existsSync, realpathSync, statSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { delimiter, join } from 'node:path';

export interface ArchivePlan {
  /** JVM options to add. */
  jvmArgs: string[];
  /** Call once the JVM exited; keeps a freshly dumped archive when the run succeeded. */
  finish(code: number | null): Promise<void>;
}

const NO_ARCHIVE: ArchivePlan = { jvmArgs: [], finish: async () => undefined };
// Archive mismatches are expected (another JDK, changed jars) and must never reach stdout.
const QUIET = ['-Xlog:cds=off', '-Xlog:cds+dynamic=off'];

/** The real path of a java command (absolute, or looked up on PATH); undefined if absent. */
export function resolveJava(java: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (java.includes('/')) return existsSync(java) ? realpathSync(java) : undefined;
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, java);
    if (dir !== '' && existsSync(candidate)) return realpathSync(candidate);
  }
  return undefined;
}

/** A short key that changes whenever the java binary does. */
export function javaKey(java: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const real = resolveJava(java, env);
  if (real === undefined) return undefined;
  const st = statSync(real);
  return createHash('sha256').update(`${real}\0${st.size}\0${st.mtimeMs}`).digest('hex').slice(0, 12);
}

export interface ArchiveRequest {
  java: string;
  /** The Kafka install folder; archives live in `<home>/cds/<java key>/`. */
  home: string;
  classpath: string;
  mainClass: string;
  /** Dump an archive when there is none (only for runs whose exit we wait for). */
  create: boolean;
  env?: NodeJS.ProcessEnv;
}

export async function toolArchive(req: ArchiveRequest): Promise<ArchivePlan> {
  const env = req.env ?? process.env;
  if (env.TURNOUT_KAFKA_CDS === '0') return NO_ARCHIVE;
  const key = javaKey(req.java, env);
  if (key === undefined) return NO_ARCHIVE;
  const dir = join(req.home, 'cds', key);
  const archive = join(dir, `${req.mainClass}.jsa`);
  if (existsSync(archive)) return { jvmArgs: [...QUIET, `-XX:SharedArchiveFile=${archive}`], finish: async () => undefined };
  if (!req.create) return NO_ARCHIVE;
  await mkdir(dir, { recursive: true });
  const tmp = `${archive}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
  return {
    jvmArgs: [...QUIET, `-XX:ArchiveClassesAtExit=${tmp}`],
    finish: async (code) => {
      try {
        if (code !== 0 || !existsSync(tmp) || existsSync(archive)) return;
        const check = spawnSync(req.java, ['-Xshare:on', ...QUIET, `-XX:SharedArchiveFile=${tmp}`, '-cp', req.classpath, '-version'], {
          stdio: 'ignore',
          timeout: 30_000,
          env,
        });
        if (check.status === 0) await rename(tmp, archive);
      } finally {
        await rm(tmp, { force: true });
      }
    },
  };
}
