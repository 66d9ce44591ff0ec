import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/observability/logger.js';
import { InvalidAclBindingError } from '../../../src/policy/acl-binding.js';
import { AclStoreError } from '../../../src/policy/acl-binding-store.js';
import { ANY_ACL_FILTER, filterOf } from '../../../src/policy/acl-filter.js';
import { AclStateFileError, defaultAclStateFile, openFileAclStore } from '../../../src/policy/acl-file-store.js';
import type { LocalAclStore } from '../../../src/policy/acl-local-store.js';
import type { AclBindingFilter } from '../../../src/policy/acl-model.js';
import { acl } from './acl-fixtures.js';

const log = createLogger({ level: 'silent' });
const seedRead = acl('TOPIC', 'orders.', 'PREFIXED', 'User:billing', 'READ', 'ALLOW');
const seedWrite = acl('TOPIC', 'orders.', 'PREFIXED', 'User:orders', 'WRITE', 'ALLOW');
const added = acl('GROUP', 'billing', 'LITERAL', 'User:billing', 'READ', 'ALLOW');

let dir: string;
let stateFile: string;
const open: LocalAclStore[] = [];

async function openStore(seed = [seedRead, seedWrite]): Promise<LocalAclStore> {
  const store = await openFileAclStore({ seed, stateFile, log });
  open.push(store);
  return store;
}

function filter(f: Partial<AclBindingFilter>): AclBindingFilter {
  return { ...ANY_ACL_FILTER, ...f };
}

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'turnout-acl-'));
  stateFile = defaultAclStateFile(path.join(dir, 'turnout.yaml'));
});

afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
  await rm(dir, { recursive: true, force: true });
});

describe('FileAclStore', () => {
  it('puts the state file beside the configuration file', () => {
    expect(defaultAclStateFile('/etc/turnout/prod.yaml')).toBe('/etc/turnout/prod.state/acls.json');
    expect(defaultAclStateFile('/etc/turnout/prod.yaml', '/var/lib/turnout')).toBe('/var/lib/turnout/acls.json');
  });

  it('starts from the configuration\'s bindings when there is no state file, and writes none until a change', async () => {
    const store = await openStore();
    expect(store.bindings()).toEqual([seedRead, seedWrite]);
    expect(await readdir(dir)).toEqual([]);
  });

  it('keeps run-time changes across a restart: created bindings, and deleted ones of the configuration', async () => {
    const first = await openStore();
    await first.create([added, seedRead]);
    const removed = await first.delete([filterOf(seedWrite)]);
    expect(removed).toEqual([[seedWrite]]);
    expect(first.bindings()).toEqual([seedRead, added]);
    const state = JSON.parse(await readFile(stateFile, 'utf8'));
    expect(state).toMatchObject({ format: 1, added: [added], removed: [seedWrite] });
    expect(await readdir(path.dirname(stateFile))).toEqual([path.basename(stateFile)]);
    await first.close();

    const second = await openStore();
    expect(second.bindings()).toEqual([seedRead, added]);
    // Created again, a deleted configuration binding is no longer recorded as removed.
    await second.create([seedWrite]);
    expect(JSON.parse(await readFile(stateFile, 'utf8'))).toMatchObject({ added: [added], removed: [] });
  });

  it('applies a binding later added to the configuration at the next start', async () => {
    const first = await openStore();
    await first.create([added]);
    await first.close();
    const extra = acl('TRANSACTIONAL_ID', 'orders-tx-', 'PREFIXED', 'User:orders', 'WRITE', 'ALLOW');
    const second = await openStore([seedRead, seedWrite, extra]);
    expect(second.bindings()).toEqual([seedRead, seedWrite, extra, added]);
  });

  it('deletes as Kafka does: each filter matched before anything is removed, so one binding may be reported for two filters', async () => {
    const r1 = acl('TOPIC', 'foo-1', 'LITERAL', 'User:alice', 'READ', 'ALLOW');
    const r1w = acl('TOPIC', 'foo-1', 'LITERAL', 'User:alice', 'WRITE', 'ALLOW', '192.168.0.1');
    const r2 = acl('TOPIC', 'bar-1', 'LITERAL', 'User:alice', 'DESCRIBE', 'ALLOW');
    const prefixed = acl('TOPIC', 'bar-', 'PREFIXED', 'User:*', 'READ', 'ALLOW');
    const store = await openStore([]);
    await store.create([r1, r1w, r2, prefixed]);
    expect(store.list(ANY_ACL_FILTER)).toEqual([r1, r1w, r2, prefixed]);
    expect(store.list(filter({ resourceType: 'TOPIC', resourceName: 'foo-1', patternType: 'LITERAL' }))).toEqual([r1, r1w]);
    expect(store.list(filter({ resourceType: 'TOPIC', resourceName: 'bar-', patternType: 'PREFIXED' }))).toEqual([prefixed]);
    const match = filter({ resourceName: 'bar-1', patternType: 'MATCH' });
    expect(store.list(match)).toEqual([r2, prefixed]);
    const results = await store.delete([
      match,
      filterOf(r1),
      filter({ resourceType: 'TOPIC', resourceName: 'bar-1', patternType: 'LITERAL' }),
      filter({ resourceType: 'TOPIC', resourceName: 'baz', patternType: 'ANY' }),
    ]);
    expect(results).toEqual([[r2, prefixed], [r1], [r2], []]);
    expect(store.bindings()).toEqual([r1w]);
  });

  it('matches a principal filter exactly: User:* selects only wildcard bindings (testGetAclsPrincipal)', async () => {
    const specific = acl('TOPIC', 't', 'LITERAL', 'User:alice', 'WRITE', 'ALLOW');
    const store = await openStore([specific]);
    expect(store.list(filter({ principal: 'User:*' }))).toEqual([]);
    expect(store.list(filter({ principal: 'User:alice' }))).toEqual([specific]);
  });

  it('tells listeners of a change, and not of a change that changes nothing', async () => {
    const store = await openStore();
    let changes = 0;
    store.subscribe(() => changes++);
    await store.create([seedRead]);
    await store.delete([filter({ principal: 'User:nobody' })]);
    expect(changes).toBe(0);
    await store.create([added]);
    expect(changes).toBe(1);
    expect(store.health()).toMatchObject({ kind: 'file', ready: true, version: 2, bindings: 3 });
  });

  it('refuses an invalid binding before writing anything', async () => {
    const store = await openStore();
    const bad = acl('CLUSTER', 'other', 'LITERAL', 'User:a', 'ALTER', 'ALLOW');
    const err = await store.create([added, bad]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidAclBindingError);
    expect((err as InvalidAclBindingError).index).toBe(1);
    expect(store.bindings()).toEqual([seedRead, seedWrite]);
    expect(await readdir(dir)).toEqual([]);
  });

  it('changes nothing when the state file cannot be written, and says why', async () => {
    // Its folder's place is taken by a file: the folder cannot be made.
    const blocked = path.join(dir, 'blocked');
    stateFile = path.join(blocked, 'acls.json');
    const store = await openStore();
    await writeFile(blocked, '');
    const err = await store.create([added]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AclStoreError);
    expect(store.bindings()).toEqual([seedRead, seedWrite]);
    expect(store.health().lastError).toMatch(/EEXIST|ENOTDIR/);
    await rm(blocked);
    await mkdir(blocked);
    await store.create([added]);
    expect(store.health().lastError).toBeNull();
    expect(store.bindings()).toEqual([seedRead, seedWrite, added]);
  });

  it('refuses to start on a state file it cannot read, rather than drop run-time changes', async () => {
    await mkdir(path.dirname(stateFile), { recursive: true });
    await writeFile(stateFile, '{"format": 1, "added": [{"resourceType": "TOPIC"}], "removed": []}');
    await expect(openStore()).rejects.toThrow(AclStateFileError);
    await writeFile(stateFile, 'not json');
    await expect(openStore()).rejects.toThrow(/is not JSON/);
  });
});
