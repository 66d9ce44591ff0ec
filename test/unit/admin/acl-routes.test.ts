import { afterEach, describe, expect, it } from 'vitest';
import type { AclListResponse } from '../../../src/admin/acl-routes.js';
import { AdminServer } from '../../../src/admin/admin-server.js';
import { aclAdd, aclExplain, aclList, aclRemove } from '../../../src/commands/acl-command.js';
import { createLogger } from '../../../src/observability/logger.js';
import { ProxyMetrics } from '../../../src/observability/metrics.js';
import type { AclExplanation } from '../../../src/policy/acl-explain.js';
import { createAuthorization, type Authorization } from '../../../src/policy/authorization.js';
import { parseConfig, type TurnoutConfigInput } from '../../../src/policy/config.js';

const TOKEN = 'acl-routes-test-token-0123';
const log = createLogger({ level: 'silent' });

const config = (authorization: TurnoutConfigInput['authorization']) =>
  parseConfig(
    {
      virtualCluster: { clusterId: 't' },
      listeners: [{ bootstrapPort: 0, nodePortBase: 0 }],
      backends: [{ name: 'main', bootstrapServers: ['localhost:9092'] }],
      domains: [{ name: 'orders', owner: 'team', topics: ['orders.*', '*.orders-audit'], groups: ['orders-*'], backend: 'main', access: { producers: ['User:orders-svc'] } }],
      authorization,
    },
    'config',
    { severalBackends: true },
  );

let server: AdminServer | undefined;
let authz: Authorization | undefined;

afterEach(async () => {
  await server?.close();
  await authz?.close();
  server = undefined;
  authz = undefined;
});

async function start(authorization: TurnoutConfigInput['authorization']): Promise<string> {
  const metrics = new ProxyMetrics({ apiName: () => undefined });
  authz = await createAuthorization(config(authorization), null, log, metrics);
  server = new AdminServer({
    host: '127.0.0.1',
    port: 0,
    registry: metrics.registry,
    readiness: () => ({ ready: true, reasons: [] }),
    log,
    acl: authz,
    auth: { tokenEnv: 'T', openReads: false },
    env: { T: TOKEN },
  });
  return `http://127.0.0.1:${await server.listen()}`;
}

async function call(base: string, method: string, p: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${base}${p}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

const readPayments = { resourceType: 'TOPIC', resourceName: 'payments.', patternType: 'PREFIXED', principal: 'User:billing', operation: 'READ' };

describe('/v1/acl', () => {
  it('adds, lists, explains and removes bindings, and shows domain grants beside them', async () => {
    const base = await start({});
    const created = await call(base, 'POST', '/v1/acl', { bindings: [readPayments] });
    expect(created.status).toBe(200);
    const full = { ...readPayments, host: '*', permission: 'ALLOW' };
    expect(created.json).toEqual({ created: [full] });

    const list = (await call(base, 'GET', '/v1/acl?resourceType=TOPIC&resourceName=payments.settled&patternType=MATCH')).json as unknown as AclListResponse;
    expect(list.bindings).toEqual([full]);
    expect(list.domainGrants).toEqual([]);
    const grants = (await call(base, 'GET', '/v1/acl?principal=User:orders-svc&resourceName=eu.orders-audit')).json as unknown as AclListResponse;
    expect(grants.bindings).toEqual([]);
    expect(grants.domainGrants.map((g) => `${g.operation} ${g.pattern}`)).toEqual(['WRITE "*.orders-audit"', 'DESCRIBE "*.orders-audit"']);

    const explained = (await call(base, 'GET', '/v1/acl/explain?principal=User:billing&operation=READ&resourceType=TOPIC&resourceName=payments.settled&host=10.1.2.3'))
      .json as unknown as AclExplanation;
    expect(explained).toMatchObject({ allowed: true, host: '10.1.2.3', rule: 'ALLOW User:billing READ on TOPIC PREFIXED "payments." from *' });

    const refused = await call(base, 'DELETE', '/v1/acl');
    expect(refused.status).toBe(400);
    const removed = await call(base, 'DELETE', '/v1/acl?resourceType=TOPIC&resourceName=payments.&patternType=PREFIXED');
    expect(removed.json).toEqual({ removed: [full] });
    expect(((await call(base, 'GET', '/v1/acl')).json as unknown as AclListResponse).bindings).toEqual([]);
  });

  it('answers bad input with 400 and the field at fault', async () => {
    const base = await start({});
    const bad = await call(base, 'POST', '/v1/acl', { bindings: [readPayments, { ...readPayments, principal: 'billing' }] });
    expect(bad).toEqual({ status: 400, json: { error: expect.stringMatching(/^bindings\[1\]\.principal: must be a principal/) } });
    expect((await call(base, 'POST', '/v1/acl', '{"bindings": 3}')).status).toBe(400);
    expect((await call(base, 'POST', '/v1/acl', 'nope')).status).toBe(400);
    expect((await call(base, 'GET', '/v1/acl?resourcetype=TOPIC')).json.error).toMatch(/unknown query parameter "resourcetype"/);
    expect((await call(base, 'GET', '/v1/acl?operation=FLY')).status).toBe(400);
    expect((await call(base, 'GET', '/v1/acl/explain?principal=User:x&operation=READ')).status).toBe(400);
    expect((await call(base, 'PUT', '/v1/acl')).status).toBe(405);
    expect((await call(base, 'POST', '/v1/acl/explain')).status).toBe(405);
  });

  it('says authorization is off, and refuses changes with 409', async () => {
    const base = await start({ enabled: false });
    expect((await call(base, 'GET', '/v1/acl')).json).toMatchObject({ enabled: false, bindings: [] });
    expect((await call(base, 'POST', '/v1/acl', { bindings: [readPayments] })).status).toBe(409);
    expect((await call(base, 'GET', '/v1/acl/explain?principal=User:x&operation=WRITE&resourceType=CLUSTER')).json).toMatchObject({
      allowed: true,
      resourceName: 'kafka-cluster',
      rule: 'authorization is off',
    });
  });

  it('adds the ACL store\'s health to /readyz', async () => {
    const base = await start({});
    const body = (await (await fetch(`${base}/readyz`)).json()) as Record<string, unknown>;
    expect(body).toMatchObject({ ready: true, aclStore: { kind: 'memory', ready: true, bindings: 0 } });
  });
});

describe('turnout acl', () => {
  function capture(): { out: (t: string) => void; text: () => string } {
    let text = '';
    return { out: (t) => void (text += t), text: () => text };
  }

  it('adds, lists, explains and removes through the admin endpoint', async () => {
    const base = await start({ superUsers: ['User:admin'] });
    const opts = { admin: base, token: TOKEN };
    const add = capture();
    await aclAdd({ ...opts, principal: 'User:billing', operation: ['read', 'DESCRIBE'], topic: 'payments.', prefixed: true, out: add.out });
    expect(add.text()).toBe(
      [
        'added 2 binding(s):',
        'PERMISSION  PRINCIPAL     OPERATION  HOST  RESOURCE  PATTERN   NAME',
        'ALLOW       User:billing  READ       *     TOPIC     PREFIXED  payments.',
        'ALLOW       User:billing  DESCRIBE   *     TOPIC     PREFIXED  payments.',
        '',
      ].join('\n'),
    );

    const explain = capture();
    await aclExplain({ ...opts, principal: 'User:billing', operation: 'WRITE', topic: 'payments.settled', out: explain.out });
    expect(explain.text()).toBe(
      [
        'DENIED: User:billing WRITE on TOPIC "payments.settled" from a host no ACL names',
        'rule: no ALLOW applies (default: deny)',
        '',
        'ACLs covering TOPIC "payments.settled" (APPLIES: what each says about this question):',
        'APPLIES  ENTRY',
        '-        ALLOW User:billing READ on TOPIC PREFIXED "payments." from *',
        '-        ALLOW User:billing DESCRIBE on TOPIC PREFIXED "payments." from *',
        '',
      ].join('\n'),
    );
    const granted = capture();
    await aclExplain({ ...opts, principal: 'User:orders-svc', operation: 'WRITE', topic: 'orders.created', host: '10.0.0.7', out: granted.out });
    expect(granted.text().split('\n').slice(0, 2)).toEqual([
      'ALLOWED: User:orders-svc WRITE on TOPIC "orders.created" from 10.0.0.7',
      'rule: ALLOW User:orders-svc WRITE on TOPIC prefix "orders.*" from * (domain orders, producers)',
    ]);

    const list = capture();
    await aclList({ ...opts, principal: 'User:orders-svc', out: list.out });
    expect(list.text()).toContain('domain grants (ALLOW from any host, from domains[].access):\nDOMAIN  ROLE       PRINCIPAL        OPERATION  RESOURCE  PATTERN\n');
    expect(list.text()).toContain('orders  producers  User:orders-svc  WRITE      TOPIC     glob "*.orders-audit"');

    const remove = capture();
    await aclRemove({ ...opts, topic: 'payments.', prefixed: true, operation: 'READ', out: remove.out });
    expect(remove.text()).toMatch(/^removed 1 binding\(s\):\n/);
    const none = capture();
    await aclRemove({ ...opts, topic: 'payments.', out: none.out });
    expect(none.text()).toBe('no binding matched\n');
    await expect(aclAdd({ ...opts, principal: 'User:x', operation: 'READ', topic: 'a', group: 'b' })).rejects.toThrow(/name one resource/);
    await expect(aclAdd({ ...opts, principal: 'User:x', operation: 'FLY', topic: 'a' })).rejects.toThrow(/unknown operation "FLY"/);
  });
});
