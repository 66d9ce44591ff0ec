// SASL users in a JSON file beside the YAML configuration (one Turnout instance):
//   {"format": 1, "users": {"alice": {"SCRAM-SHA-512": {...}}}}
// `turnout users` writes it (under a lock file, durably: temp file, fsync, rename); Turnout
// only reads it. Every login checks the file's identity (inode, size, time) and re-reads it
// when it changed, so a removed user or a new password is refused at the very next login;
// the directory is also watched, to report a file that stopped being valid. A file that
// fails validation after start keeps the users last read, as the policy file does.
import { watch, type FSWatcher } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { withLock } from '../devkit/file-lock.js';
import type { Logger } from '../observability/logger.js';
import { writeFileDurably } from '../policy/durable-file.js';
import {
  CredentialStoreError,
  checkUserName,
  mergeCredentials,
  parseStoredUser,
  storedUserOf,
  summaryOf,
  type CredentialStore,
  type StoredUser,
  type UserCredentials,
  type UserSummary,
} from './credential-store.js';

const FORMAT = 1;
const LOCK_TIMEOUT_MS = 10_000;

export interface FileCredentialStoreOptions {
  file: string;
  log: Logger;
  /** Watch the directory and re-read on change. (default: true) */
  watch?: boolean;
  /** Quiet time after a change event before re-reading, in ms. (default: 200) */
  debounceMs?: number;
}

interface UsersFile {
  format: typeof FORMAT;
  users: Record<string, StoredUser>;
}

/** The file's identity: when it changes, the content may have. */
function versionOf(s: { ino: number; size: number; mtimeMs: number }): string {
  return `${s.ino}:${s.size}:${s.mtimeMs}`;
}

function isMissing(err: unknown): boolean {
  return (err as NodeJS.ErrnoException).code === 'ENOENT';
}

/** Parses the whole file; throws a CredentialStoreError naming the bad entry. */
function parseUsersFile(text: string, file: string): Map<string, UserCredentials> {
  let doc: Partial<UsersFile>;
  try {
    doc = JSON.parse(text) as Partial<UsersFile>;
  } catch (err) {
    throw new CredentialStoreError(file, `not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (doc === null || typeof doc !== 'object' || doc.format !== FORMAT || typeof doc.users !== 'object' || doc.users === null) {
    throw new CredentialStoreError(file, `expected {"format": ${FORMAT}, "users": {...}}`);
  }
  const users = new Map<string, UserCredentials>();
  for (const [user, stored] of Object.entries(doc.users)) users.set(user, parseStoredUser(stored, `${file}: user ${JSON.stringify(user)}`));
  return users;
}

export class FileCredentialStore implements CredentialStore {
  readonly kind = 'file' as const;
  readonly file: string;
  private readonly log: Logger;
  private readonly debounceMs: number;
  private users = new Map<string, UserCredentials>();
  private version: string | null = null;
  private lastError: string | null = null;
  private watcher: FSWatcher | null = null;
  private debounceTimer: NodeJS.Timeout | null = null;
  private closed = false;

  /** Reads the file (a missing file is no users; an invalid one throws a CredentialStoreError). */
  static async open(opts: FileCredentialStoreOptions): Promise<FileCredentialStore> {
    const store = new FileCredentialStore(opts);
    await store.refresh(true);
    if (opts.watch ?? true) store.startWatching();
    return store;
  }

  private constructor(opts: FileCredentialStoreOptions) {
    this.file = path.resolve(opts.file);
    this.log = opts.log.child({ credentialStore: 'file', file: this.file });
    this.debounceMs = opts.debounceMs ?? 200;
  }

  async credentials(user: string): Promise<UserCredentials | null> {
    await this.refresh(false);
    return this.users.get(user) ?? null;
  }

  async setUser(user: string, credentials: UserCredentials): Promise<void> {
    checkUserName(user);
    await this.rewrite((users) => users.set(user, mergeCredentials(users.get(user) ?? null, credentials)));
  }

  async removeUser(user: string): Promise<boolean> {
    let removed = false;
    await this.rewrite((users) => {
      removed = users.delete(user);
    });
    return removed;
  }

  async listUsers(): Promise<UserSummary[]> {
    await this.refresh(true);
    return [...this.users].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([user, c]) => summaryOf(user, c));
  }

  async close(): Promise<void> {
    this.closed = true;
    this.watcher?.close();
    this.watcher = null;
    if (this.debounceTimer !== null) clearTimeout(this.debounceTimer);
  }

  /**
   * Re-reads the file when its identity changed. `strict`: an invalid file throws; otherwise
   * the users last read stay and the problem is logged once.
   */
  private async refresh(strict: boolean): Promise<void> {
    let version: string;
    try {
      version = versionOf(await stat(this.file));
    } catch (err) {
      if (!isMissing(err)) return this.readFailed(strict, `cannot read: ${err instanceof Error ? err.message : String(err)}`);
      version = 'missing';
    }
    if (version === this.version) return;
    let users: Map<string, UserCredentials>;
    try {
      users = version === 'missing' ? new Map() : parseUsersFile(await readFile(this.file, 'utf8'), this.file);
    } catch (err) {
      if (isMissing(err)) return; // replaced between stat and read: the next login reads it
      return this.readFailed(strict, err instanceof Error ? err.message : String(err));
    }
    const first = this.version === null;
    this.users = users;
    this.version = version;
    this.lastError = null;
    if (!first) this.log.info({ users: users.size }, 'SASL users reloaded');
  }

  private readFailed(strict: boolean, reason: string): void {
    if (strict) throw new CredentialStoreError(this.file, reason);
    if (reason !== this.lastError) this.log.error({ reason, users: this.users.size }, 'users file not valid; keeping the users last read');
    this.lastError = reason;
  }

  /** Read-modify-write under the lock, so two `turnout users` runs never lose each other's change. */
  private async rewrite(change: (users: Map<string, UserCredentials>) => void): Promise<void> {
    await withLock(
      `${this.file}.lock`,
      async () => {
        let users: Map<string, UserCredentials>;
        try {
          users = parseUsersFile(await readFile(this.file, 'utf8'), this.file);
        } catch (err) {
          if (!isMissing(err)) throw err;
          users = new Map();
        }
        change(users);
        const doc: UsersFile = { format: FORMAT, users: Object.fromEntries([...users].map(([u, c]) => [u, storedUserOf(c)])) };
        await writeFileDurably(this.file, `${JSON.stringify(doc, null, 2)}\n`);
      },
      { timeoutMs: LOCK_TIMEOUT_MS },
    );
    await this.refresh(true);
  }

  private startWatching(): void {
    try {
      this.watcher = watch(path.dirname(this.file), { persistent: false }, (_event, name) => {
        if (name !== null && name !== path.basename(this.file)) return;
        if (this.debounceTimer !== null) clearTimeout(this.debounceTimer);
        this.debounceTimer = setTimeout(() => {
          this.debounceTimer = null;
          if (!this.closed) this.refresh(false).catch((err: unknown) => this.log.error({ err }, 'users file reload failed'));
        }, this.debounceMs);
        this.debounceTimer.unref();
      });
      this.watcher.on('error', (err) => this.log.warn({ err }, 'users file watch failed; logins still re-read a changed file'));
    } catch (err) {
      this.log.warn({ err }, 'cannot watch the users file directory; logins still re-read a changed file');
    }
  }
}
