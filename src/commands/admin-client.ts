// How the CLI talks to a running Turnout's admin endpoint: the endpoint's URL (--admin), the
// bearer token its /v1 API asks for (--token-file FILE, else the TURNOUT_ADMIN_TOKEN
// environment variable; none for an API without admin.auth), and one JSON call.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';

export const DEFAULT_ADMIN = 'http://127.0.0.1:9190';
export const ADMIN_TOKEN_ENV = 'TURNOUT_ADMIN_TOKEN';

export interface AdminClientOptions {
  /** Base URL of the admin endpoint. */
  admin: string;
  /** A file whose first non-empty line is the token. */
  tokenFile?: string;
  /** The token itself (tests); else tokenFile, else the environment. */
  token?: string;
  /** Environment to read TURNOUT_ADMIN_TOKEN from. (default: process.env) */
  env?: NodeJS.ProcessEnv;
}

/** Adds --admin and --token-file to a subcommand. */
export function adminOptions(cmd: Command): Command {
  return cmd
    .option('--admin <url>', 'admin endpoint of the Turnout instance', DEFAULT_ADMIN)
    .option('--token-file <file>', `file holding the admin token (default: the ${ADMIN_TOKEN_ENV} environment variable)`);
}

export function adminToken(opts: AdminClientOptions): string | undefined {
  if (opts.token !== undefined) return opts.token;
  if (opts.tokenFile !== undefined) {
    let text: string;
    try {
      text = readFileSync(opts.tokenFile, 'utf8');
    } catch (err) {
      throw new Error(`cannot read the admin token file ${opts.tokenFile}: ${(err as Error).message}`);
    }
    const token = text.split(/\r?\n/).map((l) => l.trim()).find((l) => l !== '');
    if (token === undefined) throw new Error(`the admin token file ${opts.tokenFile} is empty`);
    return token;
  }
  const env = (opts.env ?? process.env)[ADMIN_TOKEN_ENV];
  return env === undefined || env === '' ? undefined : env.trim();
}

/** One request; resolves with the JSON answer, rejects with the server's error or why it could not be reached. */
export async function adminCall<T>(opts: AdminClientOptions, method: string, path: string, body?: unknown): Promise<T> {
  const url = new URL(path, opts.admin.endsWith('/') ? opts.admin : `${opts.admin}/`).toString();
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  const token = adminToken(opts);
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (err) {
    const cause = err instanceof Error && err.cause instanceof Error ? err.cause.message : String(err);
    throw new Error(`cannot reach the admin endpoint at ${opts.admin}: ${cause}`);
  }
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (!res.ok) {
    const message = (parsed as { error?: unknown } | undefined)?.error;
    const hint = res.status === 401 && token === undefined ? ` (pass --token-file or set ${ADMIN_TOKEN_ENV})` : '';
    throw new Error(`${method} ${path}: ${res.status} ${typeof message === 'string' ? message : text.trim() || res.statusText}${hint}`);
  }
  if (parsed === undefined) throw new Error(`${method} ${path}: the answer is not JSON`);
  return parsed as T;
}

/** Where command output goes: `out` when given (tests), else stdout. */
export function writeOut(opts: { out?: (text: string) => void }, text: string): void {
  (opts.out ?? ((t: string) => process.stdout.write(t)))(text);
}
