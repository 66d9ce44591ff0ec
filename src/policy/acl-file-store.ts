// The ACL store of a Turnout on the file policy store: the YAML's `authorization.acls` seed
// the bindings, and what CreateAcls and DeleteAcls change at run time is kept in a state file
// beside the YAML (`authorization.stateFile`; by default `acls.json` in the instance's state folder), written
// durably (temporary file, fsync, rename) before the change applies.
//
// The state file holds the difference from the YAML at the time of the last change: the
// bindings added beyond it and the YAML bindings removed. At start the bindings in effect are
// the YAML's, minus those removed, plus those added. So a binding deleted at run time stays
// deleted although the YAML still lists it (until it is created again, or the state file is
// deleted), and a binding later added to the YAML applies at the next start. A state file
// that cannot be read or parsed stops the start: silently dropping run-time changes could
// re-grant what was revoked.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../observability/logger.js';
import { checkBinding, plainBinding } from './acl-binding.js';
import { AclBindingSet } from './acl-binding-store.js';
import { LocalAclStore } from './acl-local-store.js';
import type { AclBinding } from './acl-model.js';
import { writeFileDurably } from './durable-file.js';
import { stateDirOf } from './state-dir.js';

interface StateFile {
  format: 1;
  /** What the file is, for someone who opens it. */
  about: string;
  added: AclBinding[];
  removed: AclBinding[];
}

const ABOUT = 'ACL bindings changed at run time (CreateAcls, DeleteAcls) relative to the configuration file. Written by Turnout.';

/** Where the state file of a configuration file goes by default: `acls.json` in its state folder (state-dir.ts). */
export function defaultAclStateFile(configFile: string, stateDir?: string): string {
  return path.join(stateDirOf(configFile, stateDir) as string, 'acls.json');
}

export class AclStateFileError extends Error {
  readonly file: string;

  constructor(file: string, reason: string) {
    super(`ACL state file ${file}: ${reason}`);
    this.name = 'AclStateFileError';
    this.file = file;
  }
}

function bindingsIn(file: string, value: unknown, field: string): AclBinding[] {
  if (!Array.isArray(value)) throw new AclStateFileError(file, `"${field}" is not a list`);
  return value.map((v: unknown, i) => {
    const reason = typeof v === 'object' && v !== null ? checkBinding(v as AclBinding) : 'not an object';
    if (reason !== null) throw new AclStateFileError(file, `${field}[${i}]: ${reason}`);
    return plainBinding(v as AclBinding);
  });
}

/** The state file's change, or null when there is no file yet. */
async function readState(file: string): Promise<{ added: AclBinding[]; removed: AclBinding[] } | null> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new AclStateFileError(file, `cannot be read: ${(err as Error).message}`);
  }
  let doc: Partial<StateFile>;
  try {
    doc = JSON.parse(text) as Partial<StateFile>;
  } catch (err) {
    throw new AclStateFileError(file, `is not JSON: ${(err as Error).message}`);
  }
  if (doc.format !== 1) throw new AclStateFileError(file, `unknown format ${JSON.stringify(doc.format)}`);
  return { added: bindingsIn(file, doc.added, 'added'), removed: bindingsIn(file, doc.removed, 'removed') };
}

export interface FileAclStoreOptions {
  /** The bindings of the configuration file. */
  seed: readonly AclBinding[];
  stateFile: string;
  log: Logger;
}

export async function openFileAclStore(opts: FileAclStoreOptions): Promise<LocalAclStore> {
  const log = opts.log.child({ aclStore: 'file', stateFile: opts.stateFile });
  const seed = new AclBindingSet(opts.seed);
  const state = await readState(opts.stateFile);
  const initial = state === null ? seed : seed.without(state.removed).with(state.added);
  if (state !== null) {
    log.info({ added: state.added.length, removed: state.removed.length, bindings: initial.size }, 'ACL changes made at run time read from the state file');
  }
  const persist = async (next: AclBindingSet): Promise<void> => {
    const doc: StateFile = {
      format: 1,
      about: ABOUT,
      added: next.values().filter((b) => !seed.has(b)),
      removed: seed.values().filter((b) => !next.has(b)),
    };
    await writeFileDurably(opts.stateFile, `${JSON.stringify(doc, null, 2)}\n`);
  };
  return new LocalAclStore('file', initial, persist, log);
}
