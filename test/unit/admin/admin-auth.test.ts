import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AdminTokenError } from '../../../src/admin/admin-auth.js';
import { AdminServer } from '../../../src/admin/admin-server.js';
import { createLogger } from '../../../src/observability/logger.js';
import { ProxyMetrics } from '../../../src/observability/metrics.js';
import type { AdminAuthConfig } from '../../../src/policy/admin-auth-schema.js';
import { FakePolicyStore } from './domain-fixtures.js';

const TOKEN = 'a-long-enough-admin-token';
let server: AdminServer | undefined;
let dir: string | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

function newServer(auth: AdminAuthConfig | undefined, env: NodeJS.ProcessEnv = { ADMIN_TOKEN: TOKEN }): AdminServer {
  return new AdminServer({
    host: '127.0.0.1',
    port: 0,
    registry: new ProxyMetrics({ apiName: () => undefined }).registry,
    readiness: () => ({ ready: true, reasons: [] }),
    log: createLogger({ level: 'silent' }),
    policyStore: new FakePolicyStore(),
    auth,
    env,
  });
}

async function start(auth: AdminAuthConfig | undefined, env?: NodeJS.ProcessEnv): Promise<string> {
  server = newServer(auth, env);
  return `http://127.0.0.1:${await server.listen()}`;
}

function call(base: string, method: string, p: string, token?: string): Promise<Response> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  return fetch(`${base}${p}`, { method, headers, body: method === 'PUT' ? '{"backend":"west"}' : undefined });
}

describe('admin API token', () => {
  it('without admin.auth: reads open, every write refused', async () => {
    const base = await start(undefined);
    expect((await call(base, 'GET', '/v1/domains')).status).toBe(200);
    const put = await call(base, 'PUT', '/v1/domains/orders', TOKEN);
    expect(put.status).toBe(403);
    expect(((await put.json()) as { error: string }).error).toMatch(/read-only: set admin.auth/);
  });

  it('with admin.auth: every /v1 request needs the token, /healthz, /readyz and /metrics do not', async () => {
    const base = await start({ tokenEnv: 'ADMIN_TOKEN', openReads: false });
    const anonymous = await call(base, 'GET', '/v1/domains');
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe('Bearer realm="turnout-admin"');
    expect((await call(base, 'GET', '/v1/domains', 'not-the-token-at-all')).status).toBe(401);
    expect((await call(base, 'GET', '/v1/domains', TOKEN)).status).toBe(200);
    expect((await call(base, 'PUT', '/v1/domains/orders')).status).toBe(401);
    expect((await call(base, 'PUT', '/v1/domains/orders', TOKEN)).status).toBe(200);
    expect((await fetch(`${base}/v1/domains`, { headers: { authorization: `bearer ${TOKEN}` } })).status).toBe(200);
    expect((await fetch(`${base}/v1/domains`, { headers: { authorization: `Basic ${TOKEN}` } })).status).toBe(401);
    for (const open of ['/healthz', '/readyz', '/metrics']) expect((await fetch(`${base}${open}`)).status).toBe(200);
  });

  it('with openReads: reads without the token, writes still with it', async () => {
    const base = await start({ tokenEnv: 'ADMIN_TOKEN', openReads: true });
    expect((await call(base, 'GET', '/v1/domains')).status).toBe(200);
    expect((await call(base, 'PUT', '/v1/domains/orders')).status).toBe(401);
    expect((await call(base, 'PUT', '/v1/domains/orders', TOKEN)).status).toBe(200);
  });

  it('reads every token of a token file and follows the file when it changes', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'turnout-admin-'));
    const file = path.join(dir, 'tokens');
    const second = 'the-second-token-in-the-file';
    await writeFile(file, `${TOKEN}\n\n  ${second}  \n`);
    const base = await start({ tokenFile: file, openReads: false });
    expect((await call(base, 'GET', '/v1/domains', TOKEN)).status).toBe(200);
    expect((await call(base, 'GET', '/v1/domains', second)).status).toBe(200);
    const rotated = 'a-rotated-token-0123456789';
    await writeFile(file, `${rotated}\n`);
    const deadline = Date.now() + 10_000;
    while ((await call(base, 'GET', '/v1/domains', rotated)).status !== 200) {
      if (Date.now() > deadline) throw new Error('the rotated token was never accepted');
      await new Promise((r) => setTimeout(r, 100));
    }
    expect((await call(base, 'GET', '/v1/domains', TOKEN)).status).toBe(401);
  });

  it('refuses to start without a usable token', async () => {
    expect(() => newServer({ tokenEnv: 'MISSING', openReads: false }, {})).toThrow(AdminTokenError);
    expect(() => newServer({ tokenEnv: 'SHORT', openReads: false }, { SHORT: 'short' })).toThrow(/at least 16 characters/);
    dir = await mkdtemp(path.join(os.tmpdir(), 'turnout-admin-'));
    const empty = path.join(dir, 'empty');
    await writeFile(empty, '\n\n');
    expect(() => newServer({ tokenFile: empty, openReads: false })).toThrow(/holds no token/);
    expect(() => newServer({ tokenFile: path.join(dir as string, 'absent'), openReads: false })).toThrow(/cannot read/);
  });
});
