import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { afterEach, describe, expect, it } from 'vitest';
import { domainsList, domainsSetBackend, domainsShow, registerDomainsCommand } from '../../../src/commands/domains-command.js';
import { ADMIN_TOKEN, FakePolicyStore, startAdmin, type RunningAdmin } from './domain-fixtures.js';

let admin: RunningAdmin | undefined;
afterEach(async () => {
  await admin?.server.close();
  admin = undefined;
});

function capture(): { out: (t: string) => void; text: () => string } {
  let text = '';
  return { out: (t) => void (text += t), text: () => text };
}

describe('turnout domains', () => {
  it('lists domains as a table, marking the default domain and moved backends', async () => {
    const store = new FakePolicyStore();
    await store.setDomainBackend('payments', 'east');
    admin = await startAdmin(store);
    const c = capture();
    await domainsList({ admin: admin.base, out: c.out });
    expect(c.text()).toBe(
      [
        'DOMAIN    OWNER          BACKEND                  MIGRATION TARGET  TOPICS                 GROUPS    TRANSACTIONAL IDS',
        'orders    team-orders    east                     west              orders.*, checkout     orders-*  orders-tx-*',
        'payments  team-payments  east (configured: west)  -                 {prefix: "payments."}  -         -',
        'legacy *  platform       east                     -                 -                      -         -',
        '',
        'policy version 2',
        '* default domain: receives the names no pattern matches',
        '',
      ].join('\n'),
    );
  });

  it('shows one domain, saying what is not known yet', async () => {
    admin = await startAdmin(new FakePolicyStore(), { knownTopics: () => ['orders.a', 'checkout', 'other'] });
    const c = capture();
    await domainsShow('orders', { admin: admin.base, out: c.out });
    expect(c.text()).toContain('migration target   west\n');
    expect(c.text()).toContain('topics             checkout, orders.a\n');
    expect(c.text()).toContain('groups             (not known: this instance does not track groups yet)\n');
    expect(c.text()).toContain('policy version     1\n');
  });

  it('sets a backend and prints the move; --json prints the answer', async () => {
    const store = new FakePolicyStore();
    admin = await startAdmin(store);
    const c = capture();
    await domainsSetBackend('orders', 'west', { admin: admin.base, token: ADMIN_TOKEN, out: c.out });
    expect(c.text()).toBe('domain orders: east → west (policy version 2)\n');
    const j = capture();
    await domainsSetBackend('orders', 'west', { admin: `${admin.base}/`, token: ADMIN_TOKEN, json: true, out: j.out });
    expect(JSON.parse(j.text())).toMatchObject({ version: 2, previousBackend: 'west', domain: { backend: 'west' } });
  });

  it("reports the server's error and an unreachable endpoint", async () => {
    admin = await startAdmin(new FakePolicyStore());
    await expect(domainsSetBackend('orders', 'north', { admin: admin.base, token: ADMIN_TOKEN, out: () => {} })).rejects.toThrow(
      'PUT /v1/domains/orders: 400 unknown backend "north" (configured: east, west)',
    );
    await expect(domainsShow('nope', { admin: admin.base, out: () => {} })).rejects.toThrow('404 unknown domain "nope"');
    await expect(domainsSetBackend('orders', 'west', { admin: admin.base, env: {}, out: () => {} })).rejects.toThrow(
      'PUT /v1/domains/orders: 401 this request needs an admin token: Authorization: Bearer <token> (pass --token-file or set TURNOUT_ADMIN_TOKEN)',
    );
    await expect(domainsSetBackend('orders', 'west', { admin: admin.base, env: { TURNOUT_ADMIN_TOKEN: 'wrong-token-wrong-token' }, out: () => {} })).rejects.toThrow(
      '401 the admin token is not accepted',
    );
    await admin.server.close();
    const base = admin.base;
    admin = undefined;
    await expect(domainsList({ admin: base, out: () => {} })).rejects.toThrow(/^cannot reach the admin endpoint at http:\/\/127\.0\.0\.1:\d+: /);
  });

  it('parses list, show and set-backend with --admin, --token-file and --json after the arguments', async () => {
    admin = await startAdmin(new FakePolicyStore());
    const dir = await mkdtemp(path.join(os.tmpdir(), 'turnout-token-'));
    const tokenFile = path.join(dir, 'token');
    await writeFile(tokenFile, `${ADMIN_TOKEN}\n`);
    const lines: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string) => {
      lines.push(chunk);
      return true;
    }) as typeof process.stdout.write;
    try {
      const program = new Command().exitOverride();
      registerDomainsCommand(program);
      await program.parseAsync(['node', 'turnout', 'domains', 'set-backend', 'orders', 'west', '--admin', admin.base, '--token-file', tokenFile, '--json']);
      await program.parseAsync(['node', 'turnout', 'domains', 'list', '--admin', admin.base]);
    } finally {
      process.stdout.write = write;
      await rm(dir, { recursive: true, force: true });
    }
    expect(JSON.parse(lines[0])).toMatchObject({ previousBackend: 'east' });
    expect(lines[1]).toMatch(/^DOMAIN +OWNER/);
  });
});
