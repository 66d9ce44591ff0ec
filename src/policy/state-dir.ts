// Where one Turnout instance keeps what it learns while running (producer id mappings in
// producers.jsonl, ACL changes in acls.json, SCRAM users in users.json): a folder of state files, `store.stateDir`, by default
// beside the configuration file and named after it (`turnout.yaml` -> `turnout.state/`), so
// that two configurations in one folder never share state.
import { mkdir } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';

/**
 * The state folder of an instance: `stateDir` (relative to the configuration file's folder,
 * or to the working directory without one), else the folder named after the configuration
 * file. Null when there is neither: nothing is kept across a restart.
 */
export function stateDirOf(configFile: string | undefined, stateDir: string | undefined): string | null {
  if (stateDir !== undefined) return resolve(configFile === undefined ? process.cwd() : dirname(configFile), stateDir);
  if (configFile === undefined) return null;
  const file = resolve(configFile);
  return join(dirname(file), `${basename(file, extname(file))}.state`);
}

/** Creates the state folder (and its parents) if missing, readable by the owner only. */
export async function ensureStateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
}
