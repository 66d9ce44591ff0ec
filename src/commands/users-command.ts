// `turnout users add NAME | remove NAME | list`: the SASL users of the credential store the
// configuration names (store.type file: the users file beside the YAML; redis: the shared
// Redis), written directly, with or without Turnout running. A running Turnout reads its
// user at every login, so a change applies at the next login or re-authentication.
//
// The password never appears on the command line (where `ps` and shell history would show
// it): it comes from stdin, an environment variable or a file. Only SCRAM credentials (salt,
// stored key, server key, iterations) are stored; PLAIN logins are checked against them.
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { CredentialStoreError, type CredentialStore, type UserCredentials } from '../auth/credential-store.js';
import { openCredentialStore, usersFileOf } from '../auth/open-credential-store.js';
import {
  DEFAULT_SCRAM_ITERATIONS,
  deriveScramCredential,
  isScramMechanismName,
  SCRAM_MECHANISM_NAMES,
  type ScramCredential,
  type ScramMechanismName,
} from '../auth/scram-credential.js';
import { createLogger } from '../observability/logger.js';
import { ConfigError, loadConfigFile, type TurnoutConfig } from '../policy/config.js';
import { redactUrl } from '../policy/redis-key-prefix.js';

export interface UsersCommandOptions {
  config: string;
  json?: boolean;
  /** Where output goes. (default: stdout) */
  out?: (text: string) => void;
  env?: NodeJS.ProcessEnv;
}

export interface UsersAddOptions extends UsersCommandOptions {
  mechanism?: string[];
  iterations?: string;
  passwordStdin?: boolean;
  passwordEnv?: string;
  passwordFile?: string;
  /** Where --password-stdin reads from. (default: process.stdin) */
  stdin?: NodeJS.ReadableStream;
}

export function registerUsersCommand(program: Command): void {
  const users = program.command('users').description('SASL users (SCRAM credentials) in the credential store the configuration names');
  const common = (cmd: Command): Command => cmd.requiredOption('-c, --config <file>', 'YAML configuration file (its store section says where users live)');
  common(
    users
      .command('add <name>')
      .description('add a user, or set a new password for one')
      .option('--mechanism <name...>', `SCRAM mechanisms to store credentials for (${SCRAM_MECHANISM_NAMES.join(', ')})`, [...SCRAM_MECHANISM_NAMES])
      .option('--iterations <n>', 'PBKDF2 iterations, 4096 to 16384', String(DEFAULT_SCRAM_ITERATIONS))
      .option('--password-stdin', 'read the password from stdin (one line)')
      .option('--password-env <name>', 'read the password from this environment variable')
      .option('--password-file <path>', 'read the password from this file (one line)'),
  ).action((name: string, opts: UsersAddOptions) => usersAdd(name, opts));
  common(users.command('remove <name>').description('remove a user; its next login or re-authentication is refused')).action(
    (name: string, opts: UsersCommandOptions) => usersRemove(name, opts),
  );
  common(users.command('list').description('every user with its mechanisms and iterations (never a key)').option('--json', 'print JSON')).action(
    (opts: UsersCommandOptions) => usersList(opts),
  );
}

export async function usersAdd(user: string, opts: UsersAddOptions): Promise<void> {
  const mechanisms = mechanismsOf(opts.mechanism ?? [...SCRAM_MECHANISM_NAMES]);
  const iterations = Number(opts.iterations ?? DEFAULT_SCRAM_ITERATIONS);
  const password = await readPassword(opts);
  const credentials: Partial<Record<ScramMechanismName, ScramCredential>> = {};
  for (const m of mechanisms) credentials[m] = await deriveScramCredential(m, password, iterations);
  await withStore(opts, async (store, where) => {
    await store.setUser(user, credentials as UserCredentials);
    write(opts, `user ${user}: ${mechanisms.join(', ')} (${iterations} iterations) stored in ${where}\n`);
  });
}

export async function usersRemove(user: string, opts: UsersCommandOptions): Promise<void> {
  await withStore(opts, async (store, where) => {
    if (!(await store.removeUser(user))) throw new Error(`no user ${JSON.stringify(user)} in ${where}`);
    write(opts, `user ${user} removed from ${where}\n`);
  });
}

export async function usersList(opts: UsersCommandOptions): Promise<void> {
  await withStore(opts, async (store, where) => {
    const users = await store.listUsers();
    if (opts.json === true) {
      write(opts, `${JSON.stringify(users, null, 2)}\n`);
      return;
    }
    const rows = users.map((u) => `${u.user}  ${u.mechanisms.map((m) => `${m.mechanism} (${m.iterations} iterations)`).join(', ')}`);
    write(opts, `${rows.length === 0 ? 'no users' : rows.join('\n')}\n\n${users.length} user${users.length === 1 ? '' : 's'} in ${where}\n`);
  });
}

function mechanismsOf(names: string[]): ScramMechanismName[] {
  const out: ScramMechanismName[] = [];
  for (const name of names) {
    if (!isScramMechanismName(name)) throw new Error(`--mechanism ${name}: must be one of ${SCRAM_MECHANISM_NAMES.join(', ')}`);
    if (!out.includes(name)) out.push(name);
  }
  return out;
}

async function readPassword(opts: UsersAddOptions): Promise<string> {
  const sources = [opts.passwordStdin === true, opts.passwordEnv !== undefined, opts.passwordFile !== undefined].filter(Boolean).length;
  if (sources !== 1) throw new Error('give the password with exactly one of --password-stdin, --password-env NAME, --password-file PATH');
  let password: string;
  if (opts.passwordEnv !== undefined) {
    const value = (opts.env ?? process.env)[opts.passwordEnv];
    if (value === undefined) throw new Error(`environment variable ${opts.passwordEnv} is not set`);
    password = value;
  } else if (opts.passwordFile !== undefined) {
    password = firstLine(await readFile(opts.passwordFile, 'utf8'));
  } else {
    password = firstLine(await readAll(opts.stdin ?? process.stdin));
  }
  if (password.length === 0) throw new Error('the password is empty');
  return password;
}

/** The text up to its first line end: what `echo secret |` and an editor's file hold. */
function firstLine(text: string): string {
  return text.split(/\r?\n/, 1)[0];
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString('utf8');
}

async function withStore(opts: UsersCommandOptions, act: (store: CredentialStore, where: string) => Promise<void>): Promise<void> {
  let config: TurnoutConfig;
  try {
    config = await loadConfigFile(opts.config, { severalBackends: true });
  } catch (err) {
    if (err instanceof ConfigError) throw new Error(`invalid configuration ${err.source}:\n${err.issues.map((i) => `  ${i.path || '(file)'}: ${i.reason}`).join('\n')}`);
    throw err;
  }
  const log = createLogger({ level: 'silent' });
  const store = await openCredentialStore({ file: opts.config, config, log, env: opts.env, follow: false });
  const where = store.kind === 'file' ? usersFileOf(opts.config, config) : `redis ${redactUrl(config.store.redis?.url ?? '')}`;
  try {
    await act(store, where);
  } catch (err) {
    if (err instanceof CredentialStoreError) throw new Error(err.message);
    throw err;
  } finally {
    await store.close();
  }
}

function write(opts: UsersCommandOptions, text: string): void {
  (opts.out ?? ((t: string) => process.stdout.write(t)))(text);
}
