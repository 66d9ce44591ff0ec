import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CredentialStoreError } from '../../../src/auth/credential-store.js';
import { FileCredentialStore } from '../../../src/auth/file-credential-store.js';
import { usersFileOf } from '../../../src/auth/open-credential-store.js';
import { deriveScramCredential } from '../../../src/auth/scram-credential.js';
import { createLogger, type Logger } from '../../../src/observability/logger.js';
import { parseConfig } from '../../../src/policy/config.js';

let dir: string;
let file: string;
const lines: Array<Record<string, unknown>> = [];
const log: Logger = createLogger({ level: 'info', destination: { write: (s: string) => void lines.push(JSON.parse(s)) } });
const open: FileCredentialStore[] = [];

async function openStore(watch = false): Promise<FileCredentialStore> {
  const store = await FileCredentialStore.open({ file, log, watch, debounceMs: 10 });
  open.push(store);
  return store;
}

async function scram512(password: string) {
  return { 'SCRAM-SHA-512': await deriveScramCredential('SCRAM-SHA-512', password, 4096) };
}

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'turnout-users-'));
  file = path.join(dir, 'turnout.users.json');
  lines.length = 0;
});

afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
  await rm(dir, { recursive: true, force: true });
});

describe('file credential store', () => {
  it('starts with no users when the file does not exist yet', async () => {
    const store = await openStore();
    expect(await store.credentials('alice')).toBeNull();
    expect(await store.listUsers()).toEqual([]);
  });

  it('writes users to a file only its owner can read, with keys and salts but never the password', async () => {
    const store = await openStore();
    await store.setUser('alice', await scram512('alice-secret'));
    const text = await readFile(file, 'utf8');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(text).not.toContain('alice-secret');
    const doc = JSON.parse(text) as { format: number; users: Record<string, Record<string, Record<string, unknown>>> };
    expect(doc.format).toBe(1);
    expect(Object.keys(doc.users.alice['SCRAM-SHA-512']).sort()).toEqual(['iterations', 'salt', 'serverKey', 'storedKey']);
    expect(await readdir(dir)).toEqual(['turnout.users.json']);
  });

  it('keeps the other mechanism of a user when one is set again', async () => {
    const store = await openStore();
    await store.setUser('alice', { 'SCRAM-SHA-256': await deriveScramCredential('SCRAM-SHA-256', 'pw', 4096) });
    await store.setUser('alice', await scram512('pw2'));
    expect(await store.listUsers()).toEqual([
      {
        user: 'alice',
        mechanisms: [
          { mechanism: 'SCRAM-SHA-256', iterations: 4096 },
          { mechanism: 'SCRAM-SHA-512', iterations: 4096 },
        ],
      },
    ]);
  });

  it("lets a running instance see another process's change at its very next login, without waiting for the watcher", async () => {
    const running = await openStore();
    const cli = await openStore();
    expect(await running.credentials('alice')).toBeNull();
    await cli.setUser('alice', await scram512('one'));
    const first = await running.credentials('alice');
    expect(first?.['SCRAM-SHA-512']).toBeDefined();
    await cli.setUser('alice', await scram512('two'));
    const second = await running.credentials('alice');
    expect(second?.['SCRAM-SHA-512']?.storedKey.equals(first!['SCRAM-SHA-512']!.storedKey)).toBe(false);
    await cli.removeUser('alice');
    expect(await running.credentials('alice')).toBeNull();
  });

  it('says whether a removed user existed', async () => {
    const store = await openStore();
    await store.setUser('alice', await scram512('pw'));
    expect(await store.removeUser('alice')).toBe(true);
    expect(await store.removeUser('alice')).toBe(false);
  });

  it('keeps the users it has when the file is edited into something invalid, and says so once', async () => {
    const store = await openStore();
    await store.setUser('alice', await scram512('pw'));
    await writeFile(file, '{"format": 1, "users": {"alice": {"SCRAM-SHA-512": {"salt": "x"}}}}');
    expect(await store.credentials('alice')).not.toBeNull();
    expect(await store.credentials('alice')).not.toBeNull();
    const errors = lines.filter((l) => l.msg === 'users file not valid; keeping the users last read');
    expect(errors).toHaveLength(1);
    expect(String(errors[0].reason)).toContain('user "alice"');
  });

  it('refuses to open, and to overwrite, an invalid file', async () => {
    await writeFile(file, 'not json');
    await expect(FileCredentialStore.open({ file, log, watch: false })).rejects.toThrow(CredentialStoreError);
    await writeFile(file, '{"format": 1, "users": {}}');
    const store = await openStore();
    await writeFile(file, '{"format": 2}');
    await expect(store.setUser('bob', await scram512('pw'))).rejects.toThrow(/expected \{"format": 1/);
    expect(await readFile(file, 'utf8')).toBe('{"format": 2}');
  });

  it('refuses user names that are not printable ASCII', async () => {
    const store = await openStore();
    await expect(store.setUser('al\nice', await scram512('pw'))).rejects.toThrow(/printable ASCII/);
    await expect(store.setUser('ä', await scram512('pw'))).rejects.toThrow(/printable ASCII/);
  });

  it('loses no change when two writers add users at the same time', async () => {
    const a = await openStore();
    const b = await openStore();
    const creds = await scram512('pw');
    await Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 === 0 ? a : b).setUser(`user-${i}`, creds)));
    expect((await a.listUsers()).map((u) => u.user)).toEqual(Array.from({ length: 8 }, (_, i) => `user-${i}`));
  });

  it('reloads on its own when watching, and logs the reload', async () => {
    const store = await openStore(true);
    const cli = await openStore();
    await cli.setUser('alice', await scram512('pw'));
    const deadline = Date.now() + 5_000;
    while (!lines.some((l) => l.msg === 'SASL users reloaded' && l.users === 1)) {
      if (Date.now() > deadline) throw new Error('no reload logged');
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(await store.credentials('alice')).not.toBeNull();
  });
});

describe('users file location', () => {
  const config = (authentication: Record<string, unknown> = {}) =>
    parseConfig({ virtualCluster: { clusterId: 'c' }, listeners: [{ bootstrapPort: 0, nodePortBase: 0 }], backends: [{ name: 'b', bootstrapServers: ['b:9092'] }], authentication });

  it('sits beside the YAML, named after it, unless configured', () => {
    expect(usersFileOf('/etc/turnout/prod.yaml', config())).toBe('/etc/turnout/prod.state/users.json');
    expect(usersFileOf('/etc/turnout/prod.yaml', config({ usersFile: 'secrets/users.json' }))).toBe('/etc/turnout/secrets/users.json');
    expect(usersFileOf('/etc/turnout/prod.yaml', config({ usersFile: '/var/lib/turnout/users.json' }))).toBe('/var/lib/turnout/users.json');
  });
});
