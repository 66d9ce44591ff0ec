import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileCredentialStore } from '../../../src/auth/file-credential-store.js';
import { PlainServerMechanism } from '../../../src/auth/plain-server.js';
import { usersAdd, usersList, usersRemove } from '../../../src/commands/users-command.js';
import { createLogger } from '../../../src/observability/logger.js';

const ROOT = path.resolve(import.meta.dirname, '../../..');
let dir: string;
let config: string;
let output: string;
const out = (t: string): void => void (output += t);

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'turnout-users-cmd-'));
  config = path.join(dir, 'edge.yaml');
  await writeFile(config, 'virtualCluster: { clusterId: c }\nlisteners: [{ bootstrapPort: 0, nodePortBase: 0 }]\nbackends: [{ name: b, bootstrapServers: ["b:9092"] }]\n');
  output = '';
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function plainLogin(user: string, password: string): Promise<string> {
  const store = await FileCredentialStore.open({ file: path.join(dir, 'edge.state', 'users.json'), log: createLogger({ level: 'silent' }), watch: false });
  try {
    return (await new PlainServerMechanism(store).start().evaluate(Buffer.from(`\u0000${user}\u0000${password}`))).kind;
  } finally {
    await store.close();
  }
}

describe('turnout users', () => {
  it('adds a user from stdin into the users file beside the YAML; a PLAIN login then works with that password', async () => {
    await usersAdd('alice', { config, passwordStdin: true, stdin: Readable.from(['alice-secret\n']), out });
    expect(output).toBe(`user alice: SCRAM-SHA-256, SCRAM-SHA-512 (8192 iterations) stored in ${path.join(dir, 'edge.state', 'users.json')}\n`);
    expect(await readFile(path.join(dir, 'edge.state', 'users.json'), 'utf8')).not.toContain('alice-secret');
    expect(await plainLogin('alice', 'alice-secret')).toBe('success');
    expect(await plainLogin('alice', 'alice-secret\n')).toBe('failure');
  });

  it('changes a password: the old one stops working', async () => {
    await usersAdd('bob', { config, passwordEnv: 'PW', env: { PW: 'first' }, out });
    await usersAdd('bob', { config, passwordEnv: 'PW', env: { PW: 'second' }, mechanism: ['SCRAM-SHA-512'], iterations: '4096', out });
    expect(await plainLogin('bob', 'first')).toBe('failure');
    expect(await plainLogin('bob', 'second')).toBe('success');
  });

  it('lists users with mechanisms and iterations, and removes them', async () => {
    const pwFile = path.join(dir, 'pw');
    await writeFile(pwFile, 's3cret\n');
    await usersAdd('carol', { config, passwordFile: pwFile, mechanism: ['SCRAM-SHA-256'], iterations: '16384', out });
    output = '';
    await usersList({ config, out });
    expect(output).toBe(`carol  SCRAM-SHA-256 (16384 iterations)\n\n1 user in ${path.join(dir, 'edge.state', 'users.json')}\n`);
    output = '';
    await usersList({ config, json: true, out });
    expect(JSON.parse(output)).toEqual([{ user: 'carol', mechanisms: [{ mechanism: 'SCRAM-SHA-256', iterations: 16384 }] }]);
    await usersRemove('carol', { config, out });
    expect(await plainLogin('carol', 's3cret')).toBe('failure');
    await expect(usersRemove('carol', { config, out })).rejects.toThrow(/no user "carol"/);
  });

  it('refuses a password given twice or not at all, bad iterations and unknown mechanisms', async () => {
    await expect(usersAdd('x', { config, out })).rejects.toThrow(/exactly one of --password-stdin/);
    await expect(usersAdd('x', { config, passwordEnv: 'A', passwordFile: 'b', out })).rejects.toThrow(/exactly one/);
    await expect(usersAdd('x', { config, passwordEnv: 'UNSET_VAR', env: {}, out })).rejects.toThrow(/UNSET_VAR is not set/);
    await expect(usersAdd('x', { config, passwordEnv: 'PW', env: { PW: 'p' }, iterations: '1000', out })).rejects.toThrow(/4096 to 16384/);
    await expect(usersAdd('x', { config, passwordEnv: 'PW', env: { PW: 'p' }, mechanism: ['SCRAM-SHA-1'], out })).rejects.toThrow(/--mechanism SCRAM-SHA-1/);
    await expect(usersAdd('x', { config, passwordStdin: true, stdin: Readable.from(['\n']), out })).rejects.toThrow(/empty/);
  });

  it('runs as the turnout command', () => {
    const run = (args: string[], input?: string) =>
      spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'users', ...args, '--config', config], { cwd: ROOT, input, encoding: 'utf8', timeout: 60_000 });
    const add = run(['add', 'dave', '--password-stdin', '--iterations', '4096'], 'pw\n');
    expect(add.stderr).toBe('');
    expect(add.status).toBe(0);
    const list = run(['list']);
    expect(list.stdout).toContain('dave  SCRAM-SHA-256 (4096 iterations), SCRAM-SHA-512 (4096 iterations)');
    const bad = run(['remove', 'nobody']);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('turnout: no user "nobody"');
  }, 120_000);
});
