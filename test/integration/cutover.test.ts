// Cutovers of a domain from legacy (Kafka 3.9.1) to main (4.1.1) through one Turnout on the
// file store, with an idempotent Java producer running through it: the phases, where records
// land on each side of the switch point, a dry run, an abort, a rollback when someone writes to
// legacy directly during the hold, the retirement of segment 0 (legacy no longer read), and an
// instance killed mid-cutover. What each cluster holds is read directly from it (consuming
// across a switch point through Turnout needs the Fetch translation of the segments).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { cutoverPlan, cutoverRetire } from '../../src/commands/cutover-command.js';
import type { ProxyHandle } from '../../src/proxy.js';
import { ADMIN_WRITE_HEADERS } from './admin-token.js';
import { javaClientLogOptions, readTopic } from './acceptance-helpers.js';
import {
  AdminApi,
  cutoverConfig,
  endsOf,
  expectEachAcknowledgedOnce,
  finishProducer,
  openTransaction,
  paymentsTopicOnBoth,
  recordsOn,
  startIdempotentProducer,
  testPrefix,
  writeFixedPortConfig,
} from './cutover-helpers.js';
import { consumeLines, createTopic, kafkaToolOk, mainCluster, produceLines, startTool, useCluster, waitFor, type ClusterInfo } from './rig.js';
import { TurnoutProcess } from './turnout-process.js';
import { startFromConfigFile } from './two-domain-turnout.js';

let main: ClusterInfo;
let legacy: ClusterInfo;
let dir: string;

beforeAll(async () => {
  main = mainCluster();
  legacy = await useCluster('legacy');
  dir = await mkdtemp(join(tmpdir(), 'turnout-cutover-it-'));
}, 300_000);

afterAll(async () => {
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

async function turnout(prefix: string, cutover: Record<string, number> = {}): Promise<{ proxy: ProxyHandle; api: AdminApi }> {
  const proxy = await startFromConfigFile(cutoverConfig(main, legacy, prefix, cutover), { logLevel: 'warn', waitForReadyMs: 60_000 });
  return { proxy, api: new AdminApi(proxy.adminPort) };
}

describe('a cutover of a domain from legacy (3.9.1) to main (4.1.1)', () => {
  it('reaches SWITCHED while an idempotent producer runs: records below the switch point stay on legacy, the rest land on main, each once', { timeout: 180_000 }, async () => {
    const prefix = testPrefix('sw');
    const topic = await paymentsTopicOnBoth(main, legacy, prefix);
    const { proxy, api } = await turnout(prefix);
    const producer = await startIdempotentProducer(dir, proxy.bootstrapServers(), topic);
    await producer.progress('records acknowledged before the cutover', 300, 60_000);

    const started = await api.start('payments');
    expect(started).toMatchObject({ domain: 'payments', from: 'legacy', to: 'main', phase: 'PLANNED' });
    const done = await api.finished(started.id);
    expect(done.rollbackReason).toBeNull();
    expect(done.phase).toBe('SWITCHED');
    expect(Object.keys(done.phaseAtMs)).toEqual(['PLANNED', 'PREPARED', 'HOLDING', 'DRAINED', 'SWITCHED']);
    expect(done.timings.holdMs).toBeGreaterThanOrEqual(0);
    expect(done.switchPoints).toHaveLength(3);
    console.log(JSON.stringify({ test: 'switch under an idempotent producer', timings: done.timings, expectedHoldMs: done.preflight?.expectedHoldMs, produceRecordsPerSecond: done.preflight?.produceRecordsPerSecond }));
    const acknowledgedAtSwitch = producer.acked();
    await producer.progress('records acknowledged after the cutover', acknowledgedAtSwitch + 300, 60_000);
    const acked = await finishProducer(producer);

    const onLegacy = await recordsOn(legacy, topic);
    const onMain = await recordsOn(main, topic);
    const legacyEnds = endsOf(onLegacy);
    for (const p of done.switchPoints ?? []) {
      // Nothing of the domain on legacy at or above its switch point: it ends exactly there.
      expect(legacyEnds.get(p.partition) ?? 0, `legacy ${topic}-${p.partition} ends at its switch point`).toBe(Number(p.sourceEnd));
      expect(p.firstOffset).toBe(p.sourceEnd);
      expect(BigInt(p.shift)).toBe(BigInt(p.firstOffset) - BigInt(p.targetEnd));
    }
    expect(onMain.length, 'records produced after the switch are on main').toBeGreaterThan(0);
    expectEachAcknowledgedOnce(acked, [...onLegacy, ...onMain]);
    // Per partition, every record on main came after every record on legacy (the producer's values rise).
    for (let p = 0; p < 3; p++) {
      const lastOnLegacy = Math.max(-1, ...onLegacy.filter((r) => r.partition === p).map((r) => Number(r.value)));
      const firstOnMain = Math.min(Number.MAX_SAFE_INTEGER, ...onMain.filter((r) => r.partition === p).map((r) => Number(r.value)));
      expect(firstOnMain, `partition ${p}: main continues after legacy`).toBeGreaterThan(lastOnLegacy);
    }

    // The domain now lives on main, with segment chains; only another cutover moves it.
    const list = await api.list('payments');
    expect(list.segments?.backend).toBe('main');
    expect(list.segments?.era).toBe(1);
    expect(list.segments?.chains[topic]?.[0]?.map((s) => s.backend)).toEqual(['legacy', 'main']);
    const setBackend = await fetch(`http://127.0.0.1:${proxy.adminPort}/v1/domains/payments`, { method: 'PUT', headers: ADMIN_WRITE_HEADERS, body: JSON.stringify({ backend: 'legacy' }) });
    expect(setBackend.status).toBe(409);
    const metrics = await (await fetch(`http://127.0.0.1:${proxy.adminPort}/metrics`)).text();
    expect(metrics).toMatch(/turnout_cutovers_total\{outcome="switched"\} 1/);
    expect(metrics).toMatch(/turnout_cutover_hold_duration_seconds_count\{domain="payments"\} 1/);
  });

  it('is planned by a dry run that records nothing, and reports what the target lacks', { timeout: 120_000 }, async () => {
    const prefix = testPrefix('dr');
    const topic = await paymentsTopicOnBoth(main, legacy, prefix);
    const onlyOnLegacy = await createTopic(legacy, { name: `${prefix}p-only-legacy`, partitions: 2, replicationFactor: 3 });
    const { proxy, api } = await turnout(prefix);
    const plan = await api.plan('payments');
    expect(plan).toMatchObject({ domain: 'payments', from: 'legacy', to: 'main' });
    expect(plan.preflight.ok).toBe(false);
    expect(plan.preflight.problems).toEqual([`topic ${onlyOnLegacy} does not exist on main`]);
    expect(plan.preflight.topics.map((t) => [t.topic, t.sourcePartitions, t.targetPartitions])).toEqual([
      [onlyOnLegacy, 2, -1],
      [topic, 3, 3],
    ]);
    expect(plan.preflight.expectedHoldMs).toBeGreaterThan(0);
    await createTopic(main, { name: onlyOnLegacy, partitions: 2, replicationFactor: 3 });
    let printed = '';
    await cutoverPlan('payments', { admin: `http://127.0.0.1:${proxy.adminPort}`, token: ADMIN_WRITE_HEADERS.authorization.slice('Bearer '.length), out: (t) => (printed += t) });
    expect(printed).toContain('cutover plan of payments: legacy → main');
    expect(printed).toContain('preflight: ok');
    expect(printed).toMatch(/expected hold: \d+ ms/);
    expect((await api.list('payments')).cutovers).toEqual([]);
  });

  it('is aborted by the operator while it drains an open transaction: traffic stays on legacy, nothing lost', { timeout: 180_000 }, async () => {
    const prefix = testPrefix('ab');
    const topic = await paymentsTopicOnBoth(main, legacy, prefix);
    const { proxy, api } = await turnout(prefix, { drainTimeoutMs: 12_000, maxHoldMs: 14_000 });
    // A transaction left open on legacy keeps the drain waiting.
    const txn = await openTransaction(legacy, topic);
    onTestFinished(() => txn.close());
    const producer = await startIdempotentProducer(dir, proxy.bootstrapServers(), topic);
    await producer.progress('records acknowledged before the cutover', 200, 60_000);
    const started = await api.start('payments');
    await api.inPhase(started.id, 'HOLDING');
    const aborted = await api.call<{ cutover: { phase: string; rollbackReason: string } }>('POST', `/v1/cutovers/${started.id}/abort`);
    expect(aborted.status).toBe(200);
    expect(aborted.body.cutover).toMatchObject({ phase: 'ROLLED_BACK', rollbackReason: 'aborted by the operator' });
    const after = producer.acked();
    await producer.progress('records acknowledged after the abort', after + 200, 60_000);
    const acked = await finishProducer(producer);
    expect(await recordsOn(main, topic), 'nothing on main').toEqual([]);
    expectEachAcknowledgedOnce(acked, await recordsOn(legacy, topic));
    expect((await api.list('payments')).segments).toBeNull();
    const again = await api.call<{ cutover: { phase: string } }>('POST', `/v1/cutovers/${started.id}/abort`);
    expect(again.body.cutover.phase).toBe('ROLLED_BACK');
  });

  it('aborts on legacy a transaction that does not end within drainTimeoutMs, then switches', { timeout: 180_000 }, async () => {
    const prefix = testPrefix('tx');
    const topic = await paymentsTopicOnBoth(main, legacy, prefix);
    const { proxy, api } = await turnout(prefix, { drainTimeoutMs: 1_500 });
    const txn = await openTransaction(legacy, topic);
    onTestFinished(() => txn.close());
    const producer = await startIdempotentProducer(dir, proxy.bootstrapServers(), topic);
    await producer.progress('records acknowledged before the cutover', 200, 60_000);
    const done = await api.finished((await api.start('payments')).id);
    expect(done.rollbackReason).toBeNull();
    expect(done.phase).toBe('SWITCHED');
    expect(done.abortedTransactions).toEqual([`${topic}-open-txn`]);
    expect(done.timings.phases.HOLDING).toBeGreaterThanOrEqual(1_500);
    const after = producer.acked();
    await producer.progress('records acknowledged after the switch', after + 200, 60_000);
    const acked = await finishProducer(producer);
    const onLegacy = await recordsOn(legacy, topic);
    // The aborted transaction's marker is the last thing on legacy below the switch point.
    for (const p of done.switchPoints ?? []) expect(endsOf(onLegacy).get(p.partition) ?? 0).toBeLessThanOrEqual(Number(p.sourceEnd));
    expectEachAcknowledgedOnce(acked, [...onLegacy, ...(await recordsOn(main, topic))]);
  });

  it('rolls back when the requests it holds pass cutover.maxHeldBytes, and lets them go on to legacy', { timeout: 180_000 }, async () => {
    const prefix = testPrefix('cap');
    const topic = await paymentsTopicOnBoth(main, legacy, prefix);
    const { proxy, api } = await turnout(prefix, { drainTimeoutMs: 12_000, maxHoldMs: 14_000, maxHeldBytes: 4_096 });
    // A transaction left open on legacy keeps the hold going while the producer's requests pile up.
    const txn = await openTransaction(legacy, topic);
    onTestFinished(() => txn.close());
    const producer = await startIdempotentProducer(dir, proxy.bootstrapServers(), topic);
    // Large records besides: a client keeps at most 5 requests in flight per connection, so
    // only large requests can pile up past the cap.
    const large = await startTool(
      'kafka-producer-perf-test',
      ['--topic', topic, '--num-records', '1000000', '--throughput', '50', '--record-size', '4000', '--producer-props', `bootstrap.servers=${proxy.bootstrapServers()}`, 'acks=all', 'linger.ms=0'],
      await javaClientLogOptions(),
    );
    onTestFinished(() => void large.stop());
    await producer.progress('records acknowledged before the cutover', 200, 60_000);
    const done = await api.finished((await api.start('payments')).id);
    await large.stop();
    expect(done.phase).toBe('ROLLED_BACK');
    expect(done.rollbackReason).toMatch(/^held requests reached \d+ bytes, over cutover.maxHeldBytes \(4096\)$/);
    const after = producer.acked();
    await producer.progress('records acknowledged after the rollback', after + 200, 60_000);
    const acked = await finishProducer(producer);
    expect(await recordsOn(main, topic), 'nothing on main').toEqual([]);
    expectEachAcknowledgedOnce(acked, await recordsOn(legacy, topic));
  });

  it('retires segment 0 after the switch: the log starts at the switch point, a consumer from the beginning reads exactly what main took, and legacy is never read', { timeout: 240_000 }, async () => {
    const prefix = testPrefix('rt');
    const topic = await paymentsTopicOnBoth(main, legacy, prefix);
    const keyed = (label: string, count: number): string[] => Array.from({ length: count }, (_, i) => `k${i}:${label}-${i}`);
    // Records main held before the cutover: in main's own log below the switch point, never part of the virtual log.
    await produceLines(main, topic, keyed('main-before', 12), { keySeparator: ':' });
    const { proxy, api } = await turnout(prefix);
    const turnoutBootstrap = proxy.bootstrapServers();
    await produceLines(turnoutBootstrap, topic, keyed('legacy', 30), { keySeparator: ':' });
    // A group whose committed offsets (0 on every partition) lie inside segment 0.
    const behind = `${prefix}p-behind`;
    await kafkaToolOk('kafka-consumer-groups', ['--bootstrap-server', turnoutBootstrap, '--group', behind, '--topic', topic, '--reset-offsets', '--to-earliest', '--execute']);

    const done = await api.finished((await api.start('payments')).id);
    expect(done.phase, `${done.rollbackReason}`).toBe('SWITCHED');
    const switchAt = new Map((done.switchPoints ?? []).map((p) => [p.partition, Number(p.firstOffset)]));
    expect(switchAt.size).toBe(3);
    const onMain = keyed('main', 24);
    await produceLines(turnoutBootstrap, topic, onMain, { keySeparator: ':' });

    const admin = `http://127.0.0.1:${proxy.adminPort}`;
    const token = ADMIN_WRITE_HEADERS.authorization.slice('Bearer '.length);
    let printed = '';
    await cutoverRetire('payments', { admin, token, segment: '0', dryRun: true, out: (t) => (printed += t) });
    const partitionsWithRecords = [...switchAt].filter(([, first]) => first > 0).map(([p]) => p);
    expect(partitionsWithRecords.length, 'legacy holds records of some partition').toBeGreaterThan(0);
    expect(printed).toContain('they will fetch below the log start and reset by their auto.offset.reset');
    for (const p of partitionsWithRecords) expect(printed).toMatch(new RegExp(`${behind}\\s+${topic}\\s+${p}\\s+0\\b`));
    expect(printed).toContain('segment 0 of payments not retired (dry run)');
    printed = '';
    await cutoverRetire('payments', { admin, token, segment: '0', out: (t) => (printed += t) });
    expect(printed).toContain('segment 0 of payments retired');
    expect((await api.list('payments')).segments?.chains[topic]?.map((c) => c?.map((s) => [s.backend, Number(s.firstOffset)]))).toEqual(
      [0, 1, 2].map((p) => [['main', switchAt.get(p)]]),
    );

    // Earliest is the switch point (Java's ListOffsets), latest past main's records.
    const offsets = async (bootstrap: string, time: number): Promise<Map<number, number>> => {
      const out = await kafkaToolOk('kafka-get-offsets', ['--bootstrap-server', bootstrap, '--topic', topic, '--time', String(time)]);
      return new Map(out.split('\n').filter((l) => l.startsWith(`${topic}:`)).map((l) => [Number(l.split(':')[1]), Number(l.split(':')[2])]));
    };
    expect(await offsets(turnoutBootstrap, -2)).toEqual(switchAt);
    const mainRecords = await recordsOn(main, topic);
    const mainAfter = mainRecords.filter((r) => String(r.value).startsWith('main-') && !String(r.value).startsWith('main-before'));
    const latest = new Map([0, 1, 2].map((p) => [p, (switchAt.get(p) as number) + mainAfter.filter((r) => r.partition === p).length]));
    expect(await offsets(turnoutBootstrap, -1)).toEqual(latest);

    // From the beginning through Turnout (kcat): exactly main's records of the domain, at their virtual offsets from the switch point on.
    const read = await readTopic(turnoutBootstrap, topic);
    expect(read.map((r) => r.value).sort()).toEqual(onMain.map((l) => l.slice(l.indexOf(':') + 1)).sort());
    for (const r of read) expect(r.offset, `${topic}-${r.partition} offset ${r.offset}`).toBeGreaterThanOrEqual(switchAt.get(r.partition) as number);
    const mainByPartition = new Map([0, 1, 2].map((p) => [p, mainAfter.filter((r) => r.partition === p).map((r) => r.value)]));
    for (const p of [0, 1, 2]) expect(read.filter((r) => r.partition === p).map((r) => r.value), `partition ${p} in main's order`).toEqual(mainByPartition.get(p));

    // The group committed inside the retired segment: its fetch there is out of range, and the Java consumer resets to the start.
    const resumed = await consumeLines(turnoutBootstrap, topic, { count: onMain.length, fromBeginning: false, group: behind, props: { 'auto.offset.reset': 'earliest' }, timeoutMs: 60_000 });
    expect([...resumed].sort()).toEqual(onMain.map((l) => l.slice(l.indexOf(':') + 1)).sort());

    // A deletion below the start through Turnout answers the start and touches nothing on legacy, whose records are all still there, unread.
    const file = join(dir, `${prefix}delete.json`);
    await writeFile(file, JSON.stringify({ version: 1, partitions: [0, 1, 2].map((partition) => ({ topic, partition, offset: 0 })) }));
    const deleted = await kafkaToolOk('kafka-delete-records', ['--bootstrap-server', turnoutBootstrap, '--offset-json-file', file]);
    for (const p of [0, 1, 2]) expect(deleted).toContain(`partition: ${topic}-${p}\tlow_watermark: ${switchAt.get(p)}`);
    expect(await offsets(legacy.bootstrapServers, -2)).toEqual(new Map([[0, 0], [1, 0], [2, 0]]));
    expect(await offsets(legacy.bootstrapServers, -1)).toEqual(switchAt);
  });

  it('rolls back when someone writes to legacy directly during the hold', { timeout: 180_000 }, async () => {
    const prefix = testPrefix('dw');
    const topic = await paymentsTopicOnBoth(main, legacy, prefix);
    const { proxy, api } = await turnout(prefix);
    const producer = await startIdempotentProducer(dir, proxy.bootstrapServers(), topic, 100);
    await producer.progress('records acknowledged through Turnout', 100, 60_000);
    // A producer bypassing Turnout, straight to legacy.
    const direct = await startTool(
      'kafka-producer-perf-test',
      ['--topic', topic, '--num-records', '1000000', '--throughput', '400', '--record-size', '50', '--producer-props', `bootstrap.servers=${legacy.bootstrapServers}`, 'acks=1', 'linger.ms=0'],
      await javaClientLogOptions(),
    );
    onTestFinished(() => void direct.stop());
    // kafka-producer-perf-test counts a record as sent in its completion callback, so a
    // progress line with a count above zero means legacy acknowledged records Turnout never
    // saw. (Reading the topic back to find them races a writer that never lets kcat reach
    // the end.)
    await direct.waitForLine((line) => Number(/^(\d+) records sent/.exec(line)?.[1] ?? 0) > 0, 60_000);
    const done = await api.finished((await api.start('payments')).id);
    await direct.stop();
    expect(done.phase).toBe('ROLLED_BACK');
    expect(done.rollbackReason).toMatch(/bypassing Turnout|above the high watermark/);
    expect(done.phaseAtMs.HOLDING).toBeDefined();
    const after = producer.acked();
    await producer.progress('records acknowledged after the rollback', after + 100, 60_000);
    const acked = await finishProducer(producer);
    expect(await recordsOn(main, topic), 'nothing on main').toEqual([]);
    expectEachAcknowledgedOnce(acked, await recordsOn(legacy, topic));
    expect((await api.list('payments')).segments).toBeNull();
  });
});

describe('an instance killed (SIGKILL) during a cutover', () => {
  it('rolls back a cutover it was draining when it restarts, and keeps a switch it had written', { timeout: 240_000 }, async () => {
    const prefix = testPrefix('kl');
    const topic = await paymentsTopicOnBoth(main, legacy, prefix);
    const file = join(dir, `${prefix}turnout.yaml`);
    const ports = await writeFixedPortConfig(file, { ...cutoverConfig(main, legacy, prefix, { drainTimeoutMs: 12_000, maxHoldMs: 14_000 }), store: { watchFile: false } });
    const turnoutProcess = new TurnoutProcess(file, ports.admin);
    await turnoutProcess.start();
    const api = new AdminApi(ports.admin);
    const txn = await openTransaction(legacy, topic);
    onTestFinished(() => txn.close());
    const producer = await startIdempotentProducer(dir, ports.bootstrap, topic);
    await producer.progress('records acknowledged before the cutover', 200, 60_000);

    const draining = await api.start('payments');
    await api.inPhase(draining.id, 'HOLDING');
    await turnoutProcess.kill();
    await turnoutProcess.start();
    const rolledBack = await waitFor(async () => {
      const c = await api.get(draining.id);
      return c.phase === 'ROLLED_BACK' ? c : undefined;
    }, { timeoutMs: 30_000, what: 'the interrupted cutover to be rolled back' });
    expect(rolledBack.rollbackReason).toMatch(/^the instance running the cutover \(.+\) is gone$/);
    expect((await api.list('payments')).segments).toBeNull();
    let acked = producer.acked();
    await producer.progress('records acknowledged after the restart', acked + 200, 60_000);
    expect(await recordsOn(main, topic), 'nothing on main after the rollback').toEqual([]);

    // Once the transaction has ended, the cutover switches; a crash right after keeps it.
    await txn.close();
    const switched = await api.finished((await api.start('payments')).id);
    expect(switched.rollbackReason).toBeNull();
    await turnoutProcess.kill();
    await turnoutProcess.start();
    const list = await api.list('payments');
    expect(list.segments?.backend).toBe('main');
    expect(list.cutovers[0]).toMatchObject({ id: switched.id, phase: 'SWITCHED' });
    acked = producer.acked();
    await producer.progress('records acknowledged after the second restart', acked + 200, 60_000);
    const values = await finishProducer(producer);
    const onLegacy = await recordsOn(legacy, topic);
    const onMain = await recordsOn(main, topic);
    for (const p of switched.switchPoints ?? []) expect(endsOf(onLegacy).get(p.partition) ?? 0, `legacy ${topic}-${p.partition} ends at its switch point`).toBe(Number(p.sourceEnd));
    expect(onMain.length).toBeGreaterThan(0);
    expectEachAcknowledgedOnce(values, [...onLegacy, ...onMain]);
  });
});
