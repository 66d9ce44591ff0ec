// The Turnout of the cutover bench: one child process (`turnout start`, as deployed) over the
// two clusters, with one domain that lives on the source and has the target as its migration
// target, another that stays on the source (read untranslated, for comparison), and an admin
// token the bench's cutover calls carry.
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { stringify } from 'yaml';
import { startTurnoutChildWith, type TurnoutChild } from '../turnout-child.js';

/** Topics, groups and transactional ids of the moved domain start with this. */
export const BENCH_DOMAIN_PREFIX = 'bench-move.';
export const BENCH_DOMAIN = 'bench-move';
/** A domain on the source that never moves: its topics are read untranslated, for comparison. */
export const STAYING_DOMAIN_PREFIX = 'bench-stay.';
const STAYING_DOMAIN = 'bench-stay';
const TOKEN_ENV = 'TURNOUT_BENCH_ADMIN_TOKEN';

export interface CutoverTurnout {
  child: TurnoutChild;
  adminUrl: string;
  /** Headers of a write to the /v1 API. */
  writeHeaders: Record<string, string>;
}

/** A domain on the source whose topics, groups and transactional ids start with `prefix`. */
function domain(name: string, prefix: string, migrationTarget: string | null): Record<string, unknown> {
  const names = [`${prefix}*`];
  return { name, owner: 'bench', topics: names, groups: names, transactionalIds: names, backend: 'source', ...(migrationTarget === null ? {} : { migrationTarget }) };
}

/** `nodeArgs`: Node options of the child (`--cpu-prof`, `--cpu-prof-dir=...`). */
export async function startCutoverTurnout(source: string, target: string, nodeArgs: readonly string[] = []): Promise<CutoverTurnout> {
  // The child inherits this process's environment, where the token is.
  process.env[TOKEN_ENV] ??= randomBytes(24).toString('hex');
  const child = await startTurnoutChildWith(async (configFile, ports) => {
    await writeFile(
      configFile,
      stringify({
        virtualCluster: { clusterId: 'tUrNoUtBeNcHcUtOvEr000' },
        listeners: [{ name: 'bench', bindHost: '127.0.0.1', advertisedHost: '127.0.0.1', bootstrapPort: ports.bootstrapPort, nodePortBase: 0 }],
        backends: [
          { name: 'source', bootstrapServers: source.split(',') },
          { name: 'target', bootstrapServers: target.split(',') },
        ],
        domains: [domain(BENCH_DOMAIN, BENCH_DOMAIN_PREFIX, 'target'), domain(STAYING_DOMAIN, STAYING_DOMAIN_PREFIX, null)],
        store: { watchFile: false },
        admin: { host: '127.0.0.1', port: ports.adminPort, auth: { tokenEnv: TOKEN_ENV, openReads: true } },
        logging: { level: 'warn' },
      }),
    );
  }, { nodeArgs });
  return {
    child,
    adminUrl: `http://127.0.0.1:${child.adminPort}`,
    writeHeaders: { 'content-type': 'application/json', authorization: `Bearer ${process.env[TOKEN_ENV]}` },
  };
}
