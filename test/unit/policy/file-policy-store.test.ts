import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger, type Logger } from '../../../src/observability/logger.js';
import { ConfigError } from '../../../src/policy/config.js';
import { FilePolicyStore } from '../../../src/policy/file-policy-store.js';
import type { PolicySnapshot } from '../../../src/policy/policy-snapshot.js';
import { PolicyChangeError, reloadOnSignal } from '../../../src/policy/policy-store.js';

function policyYaml(opts: { ordersBackend?: string; extraDomain?: string; logLevel?: string; broken?: string } = {}): string {
  return `
virtualCluster: { clusterId: test }
listeners: [{ bootstrapPort: 0, nodePortBase: 0 }]
backends:
  - { name: east, bootstrapServers: ["east:9092"] }
  - { name: west, bootstrapServers: ["west:9092"] }
domains:
  - { name: orders, owner: team-orders, topics: ["orders.*"], backend: ${opts.ordersBackend ?? 'east'} }
  - { name: payments, owner: team-payments, topics: ["payments.*"], backend: west }
${opts.extraDomain ?? ''}
${opts.broken ?? ''}
logging: { level: ${opts.logLevel ?? 'info'} }
`;
}

interface LogCapture {
  log: Logger;
  lines: Array<Record<string, unknown>>;
}

function captureLog(): LogCapture {
  const lines: Array<Record<string, unknown>> = [];
  const log = createLogger({ level: 'debug', destination: { write: (s: string) => void lines.push(JSON.parse(s)) } });
  return { log, lines };
}

async function waitFor(what: string, cond: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function backendOf(s: PolicySnapshot, topic: string): string {
  const res = s.resolve('topic', topic);
  return res.ok ? res.domain.backend : res.errorName;
}

let dir: string;
let file: string;
let store: FilePolicyStore | undefined;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'turnout-policy-'));
  file = path.join(dir, 'turnout.yaml');
  await writeFile(file, policyYaml());
});

afterEach(async () => {
  await store?.close();
  store = undefined;
  await rm(dir, { recursive: true, force: true });
});

describe('file policy store', () => {
  it('loads the file and serves its policy, ready, at version 1', async () => {
    const { log } = captureLog();
    store = await FilePolicyStore.open({ file, log, watch: false });
    expect(store.current().version).toBe(1);
    expect(backendOf(store.current(), 'orders.created')).toBe('east');
    expect(store.health()).toEqual({ kind: 'file', ready: true, lastError: null, version: 1 });
  });

  it('refuses to open an invalid file, naming the field', async () => {
    await writeFile(file, policyYaml({ ordersBackend: 'north' }));
    const err = await FilePolicyStore.open({ file, log: captureLog().log, watch: false }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).issues[0].path).toBe('domains[0].backend');
    const missing = await FilePolicyStore.open({ file: path.join(dir, 'nope.yaml'), log: captureLog().log, watch: false }).catch((e: unknown) => e);
    expect((missing as ConfigError).issues[0].reason).toMatch(/cannot read file/);
  });

  it('hot-reloads a changed file and tells subscribers', async () => {
    const { log } = captureLog();
    store = await FilePolicyStore.open({ file, log, watch: true, debounceMs: 50 });
    const seen: Array<[number, number]> = [];
    store.subscribe((next, prev) => seen.push([prev.version, next.version]));
    await writeFile(file, policyYaml({ ordersBackend: 'west' }));
    await waitFor('the reload', () => store!.current().version === 2);
    expect(backendOf(store.current(), 'orders.created')).toBe('west');
    expect(seen).toEqual([[1, 2]]);
  });

  it('keeps the previous policy when the new file fails validation, logs why, then takes the fixed file', async () => {
    const { log, lines } = captureLog();
    store = await FilePolicyStore.open({ file, log, watch: true, debounceMs: 50 });
    const overlapping = '  - { name: shop, owner: team-shop, topics: ["*.created"], backend: east }';
    await writeFile(file, policyYaml({ ordersBackend: 'west', extraDomain: overlapping }));
    await waitFor('the failure log', () => lines.some((l) => l.msg === 'policy reload failed; keeping the previous policy'));
    const failure = lines.find((l) => l.msg === 'policy reload failed; keeping the previous policy')!;
    expect(failure.level).toBe(50);
    // "*.created" overlaps both other domains; each overlap is reported.
    expect(failure.issues).toEqual([
      {
        path: 'domains[2].topics[0]',
        reason: expect.stringMatching(/domain "shop" overlaps topic pattern "orders\.\*" of domain "orders"/),
      },
      {
        path: 'domains[2].topics[0]',
        reason: expect.stringMatching(/domain "shop" overlaps topic pattern "payments\.\*" of domain "payments"/),
      },
    ]);
    expect(store.current().version).toBe(1);
    expect(backendOf(store.current(), 'orders.created')).toBe('east');
    expect(store.health()).toMatchObject({ ready: true, lastError: expect.stringMatching(/domains\[2\]\.topics\[0\]/) });

    await writeFile(file, policyYaml({ ordersBackend: 'west' }));
    await waitFor('the fixed file', () => store!.current().version === 2);
    expect(backendOf(store.current(), 'orders.created')).toBe('west');
    expect(store.health().lastError).toBeNull();
  });

  it('keeps the previous policy when the file is not YAML at all', async () => {
    store = await FilePolicyStore.open({ file, log: captureLog().log, watch: false });
    await writeFile(file, 'domains: [');
    const result = await store.reload();
    expect(result).toMatchObject({ changed: false, version: 1, error: expect.stringMatching(/not valid YAML/) });
    expect(backendOf(store.current(), 'payments.x')).toBe('west');
  });

  it('sees a file replaced by rename, as editors save', async () => {
    store = await FilePolicyStore.open({ file, log: captureLog().log, watch: true, debounceMs: 50 });
    const tmp = path.join(dir, '.turnout.yaml.swp');
    await writeFile(tmp, policyYaml({ ordersBackend: 'west' }));
    await rename(tmp, file);
    await waitFor('the reload', () => store!.current().version === 2);
    expect(backendOf(store.current(), 'orders.created')).toBe('west');
    // The watch survives the replacement: a second save is seen too.
    await writeFile(tmp, policyYaml({ ordersBackend: 'east' }));
    await rename(tmp, file);
    await waitFor('the second reload', () => store!.current().version === 3);
  });

  it('reloads on demand (the SIGHUP path) and only applies real changes', async () => {
    store = await FilePolicyStore.open({ file, log: captureLog().log, watch: false });
    await writeFile(file, policyYaml({ ordersBackend: 'west' }));
    expect(store.current().version).toBe(1);
    expect(await store.reload()).toEqual({ changed: true, version: 2, error: null });
    expect(await store.reload()).toEqual({ changed: false, version: 2, error: null });
    // A change outside the policy is not a policy change, and is logged as needing a restart.
    const { log, lines } = captureLog();
    await store.close();
    store = await FilePolicyStore.open({ file, log, watch: false });
    await writeFile(file, policyYaml({ ordersBackend: 'west', logLevel: 'debug' }));
    expect(await store.reload()).toEqual({ changed: false, version: 1, error: null });
    expect(lines.find((l) => l.msg === 'changed fields take effect at the next start')?.fields).toEqual(['logging']);
  });

  it('reloads on SIGHUP through reloadOnSignal', async () => {
    store = await FilePolicyStore.open({ file, log: captureLog().log, watch: false });
    const remove = reloadOnSignal(store, captureLog().log);
    try {
      await writeFile(file, policyYaml({ ordersBackend: 'west' }));
      process.emit('SIGHUP', 'SIGHUP');
      await waitFor('the SIGHUP reload', () => store!.current().version === 2);
    } finally {
      remove();
    }
    expect(process.listenerCount('SIGHUP')).toBe(0);
  });

  it('moves a domain in memory, validating the domain and the backend', async () => {
    store = await FilePolicyStore.open({ file, log: captureLog().log, watch: false });
    const seen: number[] = [];
    store.subscribe((next) => seen.push(next.version));
    const s = await store.setDomainBackend('orders', 'west');
    expect(s.version).toBe(2);
    expect(s.domains.get('orders')).toMatchObject({ backend: 'west', configuredBackend: 'east' });
    expect(backendOf(store.current(), 'orders.x')).toBe('west');
    expect((await store.setDomainBackend('orders', 'west')).version).toBe(2);
    expect(seen).toEqual([2]);
    await expect(store.setDomainBackend('nope', 'west')).rejects.toMatchObject({ reason: 'unknown-domain' });
    const err = await store.setDomainBackend('orders', 'north').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PolicyChangeError);
    expect((err as PolicyChangeError).message).toBe('unknown backend "north" (configured: east, west)');
  });

  it('keeps a moved backend across reloads until the file names another backend for the domain', async () => {
    const { log, lines } = captureLog();
    store = await FilePolicyStore.open({ file, log, watch: false });
    await store.setDomainBackend('orders', 'west');
    // An unrelated change to the file: the move stays.
    await writeFile(file, policyYaml({ extraDomain: '  - { name: shop, owner: team-shop, topics: ["shop.*"], backend: east }' }));
    await store.reload();
    expect(backendOf(store.current(), 'orders.x')).toBe('west');
    expect(backendOf(store.current(), 'shop.x')).toBe('east');
    // The file now says west for orders, then east again: the file is the newer intent.
    await writeFile(file, policyYaml({ ordersBackend: 'west' }));
    await store.reload();
    await writeFile(file, policyYaml({ ordersBackend: 'east' }));
    await store.reload();
    expect(backendOf(store.current(), 'orders.x')).toBe('east');
    expect(lines.find((l) => l.msg === 'backend set through the admin API dropped')).toMatchObject({
      domain: 'orders',
      why: 'the file now names another backend for the domain',
    });
  });

  it('keeps serving when a subscriber throws', async () => {
    const { log, lines } = captureLog();
    store = await FilePolicyStore.open({ file, log, watch: false });
    let after = 0;
    store.subscribe(() => {
      throw new Error('listener bug');
    });
    store.subscribe(() => after++);
    await store.setDomainBackend('payments', 'east');
    expect(after).toBe(1);
    expect(lines.some((l) => l.msg === 'policy listener failed')).toBe(true);
  });
});
