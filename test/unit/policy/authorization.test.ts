import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { userPrincipal } from '../../../src/auth/principal.js';
import { createLogger } from '../../../src/observability/logger.js';
import { ProxyMetrics } from '../../../src/observability/metrics.js';
import { parseConfig } from '../../../src/policy/config.js';
import { createAuthorization, type Authorization } from '../../../src/policy/authorization.js';
import { FilePolicyStore } from '../../../src/policy/file-policy-store.js';
import { acl } from './acl-fixtures.js';

const log = createLogger({ level: 'silent' });

function yaml(consumers: string): string {
  return `
virtualCluster: { clusterId: test }
listeners: [{ bootstrapPort: 0, nodePortBase: 0 }]
backends: [{ name: main, bootstrapServers: ["localhost:9092"] }]
domains:
  - name: orders
    owner: team-orders
    topics: ["orders.*"]
    backend: main
    access: { consumers: [${consumers}] }
authorization:
  superUsers: ["User:admin"]
  acls:
    - { resourceType: TOPIC, resourceName: payments., patternType: PREFIXED, principal: "User:billing", operation: READ }
`;
}

let dir: string;
let file: string;
const closing: Array<{ close(): Promise<void> }> = [];

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'turnout-authz-'));
  file = path.join(dir, 'turnout.yaml');
});

afterEach(async () => {
  for (const c of closing.splice(0).reverse()) await c.close();
  await rm(dir, { recursive: true, force: true });
});

const reads = (authz: Authorization, user: string, topic: string) =>
  authz.authorizer.authorize({ principal: userPrincipal(user), host: '10.0.0.1', operation: 'READ', resourceType: 'TOPIC', resourceName: topic }).allowed;

describe('createAuthorization', () => {
  it('on the file policy store: seeds from the YAML, keeps changes in a state file beside it, and follows domain access on reload', async () => {
    await writeFile(file, yaml('"User:billing"'));
    const store = await FilePolicyStore.open({ file, log, watch: false });
    closing.push(store);
    const authz = await createAuthorization(store.config(), store, log, new ProxyMetrics({ apiName: () => undefined }));
    closing.push(authz);
    expect(authz.authorizer.enabled).toBe(true);
    expect(authz.store?.kind).toBe('file');
    expect(reads(authz, 'billing', 'payments.settled')).toBe(true);
    expect(reads(authz, 'billing', 'orders.created')).toBe(true);
    expect(reads(authz, 'admin', 'anything')).toBe(true);
    expect(reads(authz, 'stranger', 'orders.created')).toBe(false);

    await authz.store?.create([acl('TOPIC', 'orders.', 'PREFIXED', 'User:stranger', 'READ', 'ALLOW')]);
    expect(reads(authz, 'stranger', 'orders.created')).toBe(true);
    expect(await readdir(dir)).toEqual(['turnout.state', 'turnout.yaml']);
    expect(await readdir(path.join(dir, 'turnout.state'))).toEqual(['acls.json']);

    await writeFile(file, yaml(''));
    expect((await store.reload()).changed).toBe(true);
    expect(reads(authz, 'billing', 'orders.created')).toBe(false);
    expect(authz.domainGrants()).toEqual([]);
  });

  it('explains a decision with the rule that made it', async () => {
    await writeFile(file, yaml('"User:billing"'));
    const store = await FilePolicyStore.open({ file, log, watch: false });
    closing.push(store);
    const authz = await createAuthorization(store.config(), store, log, new ProxyMetrics({ apiName: () => undefined }));
    closing.push(authz);
    const e = authz.explain({ principal: 'User:billing', host: '10.0.0.1', operation: 'WRITE', resourceType: 'TOPIC', resourceName: 'payments.settled' });
    expect(e).toMatchObject({ allowed: false, rule: 'no ALLOW applies (default: deny)', resourceHasAcls: true });
    expect(e.rules).toEqual([
      {
        source: { kind: 'acl', binding: acl('TOPIC', 'payments.', 'PREFIXED', 'User:billing', 'READ', 'ALLOW') },
        text: 'ALLOW User:billing READ on TOPIC PREFIXED "payments." from *',
        applies: null,
      },
    ]);
    const allowed = authz.explain({ principal: 'User:billing', host: null, operation: 'DESCRIBE', resourceType: 'TOPIC', resourceName: 'payments.settled' });
    expect(allowed).toMatchObject({ allowed: true, rule: 'ALLOW User:billing READ on TOPIC PREFIXED "payments." from *' });
  });

  it('without an authorization section: everything allowed, no store', async () => {
    const config = parseConfig(
      { virtualCluster: { clusterId: 't' }, listeners: [{ bootstrapPort: 0, nodePortBase: 0 }], backends: [{ name: 'main', bootstrapServers: ['localhost:9092'] }] },
      'config',
      { severalBackends: true },
    );
    const authz = await createAuthorization(config, null, log, new ProxyMetrics({ apiName: () => undefined }));
    expect(authz.authorizer.enabled).toBe(false);
    expect(authz.store).toBeNull();
    expect(reads(authz, 'anyone', 'anything')).toBe(true);
    expect(authz.explain({ principal: 'User:x', host: null, operation: 'WRITE', resourceType: 'TOPIC', resourceName: 't' })).toMatchObject({
      allowed: true,
      reason: { kind: 'authorization-off' },
    });
  });

  it('without a configuration file: the bindings live in memory', async () => {
    const config = parseConfig(
      {
        virtualCluster: { clusterId: 't' },
        listeners: [{ bootstrapPort: 0, nodePortBase: 0 }],
        backends: [{ name: 'main', bootstrapServers: ['localhost:9092'] }],
        authorization: { allowEveryoneIfNoAclFound: true },
      },
      'config',
      { severalBackends: true },
    );
    const authz = await createAuthorization(config, null, log, new ProxyMetrics({ apiName: () => undefined }));
    closing.push(authz);
    expect(authz.store?.kind).toBe('memory');
    expect(reads(authz, 'anyone', 'anything')).toBe(true);
    await authz.store?.create([acl('TOPIC', 'anything', 'LITERAL', 'User:someone', 'READ', 'ALLOW')]);
    expect(reads(authz, 'anyone', 'anything')).toBe(false);
  });
});
