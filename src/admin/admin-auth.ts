// Who may use the /v1 API of the admin endpoint (`admin.auth`):
//
//   without admin.auth   reads are open, every write is refused (403): the API is read-only
//   with admin.auth      every write needs `Authorization: Bearer <token>` (401 without it),
//                        and so does every read unless `openReads` is true
//
// /healthz, /readyz and /metrics stay open in every case: probes and scrapers carry no
// token, and they show no names of domains, principals or clients.
//
// The token comes from an environment variable (`tokenEnv`) or a file (`tokenFile`, one token
// per line: several let a new token be rolled out before the old one is removed). The file is
// read at start and again when it changes (checked at most once a second). A token shorter
// than 16 characters is refused at start. Tokens are compared in constant time.
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import type http from 'node:http';
import type { AdminAuthConfig } from '../policy/admin-auth-schema.js';

export const MIN_TOKEN_CHARS = 16;
const FILE_CHECK_INTERVAL_MS = 1_000;

export class AdminTokenError extends Error {
  readonly field: string;

  constructor(field: string, reason: string) {
    super(`admin.auth.${field}: ${reason}`);
    this.name = 'AdminTokenError';
    this.field = field;
  }
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

function tokensIn(text: string, field: string): Buffer[] {
  const tokens = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '');
  if (tokens.length === 0) throw new AdminTokenError(field, 'holds no token');
  if (tokens.some((t) => t.length < MIN_TOKEN_CHARS)) throw new AdminTokenError(field, `a token must have at least ${MIN_TOKEN_CHARS} characters`);
  return tokens.map(digest);
}

/** The tokens the API accepts. */
export class AdminTokens {
  private digests: Buffer[];
  private readonly file: string | null;
  private fileMtimeMs = 0;
  private nextFileCheck = 0;

  /** Reads the token now; throws AdminTokenError when it is missing or too short. */
  constructor(auth: AdminAuthConfig, env: NodeJS.ProcessEnv = process.env) {
    if (auth.tokenEnv !== undefined) {
      const value = env[auth.tokenEnv];
      if (value === undefined) throw new AdminTokenError('tokenEnv', `environment variable ${auth.tokenEnv} is not set`);
      this.file = null;
      this.digests = tokensIn(value, 'tokenEnv');
      return;
    }
    this.file = auth.tokenFile ?? null;
    this.digests = this.readFile();
  }

  /** Whether an Authorization header carries an accepted bearer token. */
  accepts(header: string | undefined): boolean {
    const m = header === undefined ? null : /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
    if (m === null) return false;
    this.refreshFile();
    const presented = digest(m[1]);
    let ok = false;
    // No early exit: the time taken does not tell which token came close.
    for (const d of this.digests) ok = timingSafeEqual(d, presented) || ok;
    return ok;
  }

  private readFile(): Buffer[] {
    const file = this.file as string;
    let text: string;
    try {
      this.fileMtimeMs = statSync(file).mtimeMs;
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new AdminTokenError('tokenFile', `cannot read ${file}: ${(err as Error).message}`);
    }
    return tokensIn(text, 'tokenFile');
  }

  /** Re-reads a changed token file; a file that became unreadable or empty keeps the tokens in force. */
  private refreshFile(): void {
    if (this.file === null) return;
    const now = Date.now();
    if (now < this.nextFileCheck) return;
    this.nextFileCheck = now + FILE_CHECK_INTERVAL_MS;
    try {
      if (statSync(this.file).mtimeMs === this.fileMtimeMs) return;
      this.digests = this.readFile();
    } catch {
      // Keep the tokens read before: a half-written file must not lock operators out.
    }
  }
}

export type AdminAccess = { allowed: true } | { allowed: false; status: 401 | 403; message: string };

const ALLOWED: AdminAccess = Object.freeze({ allowed: true });

/** The gate in front of the /v1 API: null tokens means admin.auth is not configured. */
export class AdminGate {
  private readonly tokens: AdminTokens | null;
  private readonly openReads: boolean;

  constructor(auth: AdminAuthConfig | undefined, env?: NodeJS.ProcessEnv) {
    this.tokens = auth === undefined ? null : new AdminTokens(auth, env);
    this.openReads = auth === undefined || auth.openReads;
  }

  check(req: http.IncomingMessage): AdminAccess {
    const read = req.method === 'GET' || req.method === 'HEAD';
    if (this.tokens === null) {
      if (read) return ALLOWED;
      return { allowed: false, status: 403, message: 'the admin API is read-only: set admin.auth (tokenEnv or tokenFile) to allow changes' };
    }
    if (read && this.openReads) return ALLOWED;
    if (this.tokens.accepts(req.headers.authorization)) return ALLOWED;
    return {
      allowed: false,
      status: 401,
      message: req.headers.authorization === undefined ? 'this request needs an admin token: Authorization: Bearer <token>' : 'the admin token is not accepted',
    };
  }
}
