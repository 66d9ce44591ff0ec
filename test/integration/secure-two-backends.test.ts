// One Turnout over two backends, one secured and one not: the orders domain on the rig's main
// cluster (plaintext), the payments domain on the secure cluster (Turnout logs in over
// SASL_SSL with SCRAM-SHA-512). Clients see one virtual cluster over both. When the secured
// backend starts refusing Turnout's password, its clients get retriable errors: a new Java
// producer is told LEADER_NOT_AVAILABLE and gives up at its max.block.ms with nothing stored;
// a producer that was running (its connections' sessions end within seconds on the rig, and
// their renewal is refused) sees its records in flight fail with retriable errors, and goes
// on once the password is right again. /readyz and the metric say why, and the other
// backend's clients are not affected.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TurnoutConfigInput } from '../../src/policy/config.js';
import type { ProxyHandle } from '../../src/proxy.js';
import { startTurnout, verifiableProducerEvents, type LogLine } from './acceptance-helpers.js';
import { consumeLines, createTopic, kafkaTool, kcat, mainCluster, produceLines, startTool, uniqueGroup, uniqueTopic, waitFor } from './rig.js';
import { backendAuthFailures, numberedLines, readyz, saslSslBackend, scratchDir, secureCluster, writePassword, type SecureCluster } from './secure-rig.js';

const CLUSTER_ID = 'tUrNoUtSeCuReTwObAcKeN';
/** Topics and groups of the orders domain, on the plaintext main cluster. */
const ORDERS = 'sto-';
/** Topics and groups of the payments domain, on the secured cluster. */
const PAYMENTS = 'stp-';

let secure: SecureCluster;
let scratch: { dir: string; cleanup: () => Promise<void> };
let passwordFile: string;
let proxy: ProxyHandle;
let logs: LogLine[];

function domain(name: string, prefix: string, backend: string): NonNullable<TurnoutConfigInput['domains']>[number] {
  return { name, owner: `team-${name}`, topics: [`${prefix}*`], groups: [`${prefix}*`], transactionalIds: [`${prefix}*`], backend };
}

beforeAll(async () => {
  secure = await secureCluster();
  scratch = await scratchDir('secure-two-backends');
  passwordFile = join(scratch.dir, 'password');
  await writePassword(passwordFile, secure.security.users.turnout.password);
  ({ proxy, logs } = await startTurnout(CLUSTER_ID, {
    listeners: [{ bindHost: '127.0.0.1', advertisedHost: '127.0.0.1', bootstrapPort: 0, nodePortBase: 0, nodes: 3 }],
    backends: [
      { name: 'plain', bootstrapServers: mainCluster().bootstrapServers.split(',') },
      saslSslBackend(secure, 'secured', passwordFile),
    ],
    domains: [domain('orders', ORDERS, 'plain'), domain('payments', PAYMENTS, 'secured')],
  }));
}, 300_000);

afterAll(async () => {
  await proxy?.close();
  await scratch?.cleanup();
});

async function kcatProduce(topic: string, values: readonly string[], extra: readonly string[] = []): Promise<{ code: number | null; stderr: string; timedOut: boolean }> {
  return kcat(['-b', proxy.bootstrapServers(), '-t', topic, '-P', ...extra], { input: `${values.join('\n')}\n`, timeoutMs: 90_000 });
}

async function kcatConsume(topic: string): Promise<string[]> {
  const r = await kcat(['-b', proxy.bootstrapServers(), '-t', topic, '-C', '-e', '-o', 'beginning', '-q'], { timeoutMs: 60_000 });
  expect(r.code, r.stderr).toBe(0);
  return r.stdout.split('\n').filter((l) => l !== '');
}

describe('Turnout over a secured and a plaintext backend', () => {
  it('serves kcat and the Java producer, consumer and groups on both backends through one virtual cluster', async () => {
    const orders = await createTopic(mainCluster(), { name: uniqueTopic(ORDERS), partitions: 3 });
    const payments = await createTopic(secure.cluster, { name: uniqueTopic(PAYMENTS), partitions: 2 });
    for (const topic of [orders, payments]) {
      const fromKcat = numberedLines(`${topic}-kcat`, 20);
      const produced = await kcatProduce(topic, fromKcat);
      expect(produced.code, produced.stderr).toBe(0);
      const fromJava = numberedLines(`${topic}-java`, 20);
      await produceLines(proxy.bootstrapServers(), topic, fromJava);
      const all = [...fromKcat, ...fromJava].sort();
      // A group of the topic's domain, coordinated on the topic's backend.
      const group = uniqueGroup(topic.startsWith(PAYMENTS) ? PAYMENTS : ORDERS);
      expect((await consumeLines(proxy.bootstrapServers(), topic, { count: all.length, group })).sort()).toEqual(all);
      expect((await kcatConsume(topic)).sort()).toEqual(all);
    }
    // The secured backend stored its records itself (read over its own listener).
    expect(await consumeLines(secure.cluster, payments, { count: 40 })).toHaveLength(40);
    expect(await backendAuthFailures(proxy, 'secured')).toBe(0);
  });

  it('gives clients of a backend that refuses Turnout\'s password retriable errors while the other backend goes on, and recovers once the password is right', async () => {
    const orders = await createTopic(mainCluster(), { name: uniqueTopic(ORDERS), partitions: 1 });
    const payments = await createTopic(secure.cluster, { name: uniqueTopic(PAYMENTS), partitions: 1 });
    const running = await createTopic(secure.cluster, { name: uniqueTopic(PAYMENTS), partitions: 1 });
    const total = 600;
    const producer = await startTool('kafka-verifiable-producer', [
      '--bootstrap-server', proxy.bootstrapServers(), '--topic', running, '--throughput', '20', '--max-messages', String(total), '--acks', '-1',
    ]);
    const events = verifiableProducerEvents(producer);
    await events.progress('a producer logged in before the password changes', 20);
    await writePassword(passwordFile, 'no-longer-the-password');
    try {
      // New clients' connections to the secured brokers log in and are refused.
      const java = await kafkaTool(
        'kafka-console-producer',
        ['--bootstrap-server', proxy.bootstrapServers(), '--topic', payments, '--producer-property', 'max.block.ms=10000', '--producer-property', 'delivery.timeout.ms=15000'],
        { input: 'refused-1\n', timeoutMs: 90_000 },
      );
      expect(java.timedOut).toBe(false);
      expect(java.stderr).toMatch(/LEADER_NOT_AVAILABLE/);
      expect(java.stderr).toMatch(/TimeoutException/);
      const kcatRefused = await kcatProduce(payments, ['refused-2'], ['-X', 'message.timeout.ms=10000']);
      expect(kcatRefused.timedOut).toBe(false);
      expect(kcatRefused.code).not.toBe(0);


      // The plaintext backend's clients carry on meanwhile.
      const fine = await kcatProduce(orders, ['fine-1', 'fine-2']);
      expect(fine.code, fine.stderr).toBe(0);
      expect((await kcatConsume(orders)).sort()).toEqual(['fine-1', 'fine-2']);

      const report = await readyz(proxy);
      expect(report.status).toBe(503);
      expect(report.reasons.join('\n')).toMatch(/^backend secured refuses Turnout's credentials/m);
      expect(await backendAuthFailures(proxy, 'secured')).toBeGreaterThan(0);
      expect(logs.some((l) => l.msg.startsWith("backend refuses Turnout's credentials") && l.backend === 'secured')).toBe(true);
    } finally {
      await writePassword(passwordFile, secure.security.users.turnout.password);
    }
    // Nothing of the refused records reached the backend.
    const direct = await kcat(['-b', secure.cluster.bootstrapServers, '-t', payments, '-C', '-e', '-o', 'beginning', '-q'], { timeoutMs: 60_000 });
    expect(direct.stdout.trim()).toBe('');

    // With the password right again, the next connections log in, and the running producer's
    // retries go through: every record acknowledged, none lost.
    await waitFor(async () => (await kcatProduce(payments, ['after-fix'], ['-X', 'message.timeout.ms=10000'])).code === 0, {
      timeoutMs: 60_000,
      what: 'a produce to the secured backend to succeed again',
    });
    expect(await kcatConsume(payments)).toContain('after-fix');
    await waitFor(async () => (await readyz(proxy)).status === 200, { timeoutMs: 30_000, what: '/readyz to be 200 again' });
    await waitFor(() => events.acked() + events.errors.length >= total, { timeoutMs: 120_000, what: 'the running producer to send all its records' });
    expect(await events.finish()).toBe(true);
    // The verifiable producer sends each record once (no retries of its own): those in flight
    // when the backend refused Turnout failed, each with an error a client retries.
    for (const e of events.errors) expect(e.exception).toMatch(/NotLeaderOrFollowerException|LeaderNotAvailableException|TimeoutException/);
    // Every acknowledged record, and no other, is on the backend.
    const stored = await consumeLines(secure.cluster, running, { count: total, timeoutMs: 15_000 });
    expect(stored).toHaveLength(events.successes.length);
  }, 300_000);
});
