import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/observability/logger.js';
import { CutoverHolds } from '../../../src/pipeline/cutover-holds.js';
import { CutoverApplier } from '../../../src/policy/cutover-apply.js';
import { CutoverCoordinator, CutoverRequestError } from '../../../src/policy/cutover-coordinator.js';
import { LocalCutoverStore } from '../../../src/policy/cutover-local-store.js';
import { CutoverParticipant } from '../../../src/policy/cutover-participant.js';
import { CutoverPolicyView } from '../../../src/policy/cutover-policy-view.js';
import { cutoverSchema } from '../../../src/policy/cutover-schema.js';
import { LeaderEpochMap } from '../../../src/routing/leader-epoch-map.js';
import { OffsetSegmentMap } from '../../../src/routing/offset-segments.js';
import { FakePolicyStore } from '../admin/domain-fixtures.js';
import { FakeCutoverBackends } from './fake-cutover-backends.js';

const log = createLogger({ level: 'silent' });
const settings = cutoverSchema.parse({ rateSampleMs: 0, switchPointIntervalMs: 5, phaseDeadlineMs: 2_000, drainTimeoutMs: 100, maxHoldMs: 5_000 });
const cleanups: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** One instance: store, policy view, holds, applier, participant and coordinator, over fake backends east and west. */
async function instance(backends = new FakeCutoverBackends()) {
  const store = await LocalCutoverStore.open({ dir: null, log });
  const inner = new FakePolicyStore();
  const view = new CutoverPolicyView({ inner, fixed: inner.current(), cutovers: store, log });
  const segments = new OffsetSegmentMap();
  const epochs = new LeaderEpochMap();
  const holds = new CutoverHolds({ maxHeldBytes: 1 << 20 });
  const modes: string[] = [];
  const setMode = holds.setMode.bind(holds);
  holds.setMode = (domain, id, mode) => {
    if (domain === 'orders' && holds.modeOf(domain) !== mode) modes.push(mode);
    setMode(domain, id, mode);
  };
  const applier = new CutoverApplier({ store, segments, epochs, holds, policy: () => view.current(), log });
  const participant = new CutoverParticipant({ store, holds, log });
  const coordinator = new CutoverCoordinator({ store, backends, policy: () => view.current(), epochs, settings, log, ackPollMs: 5 });
  applier.start();
  participant.start();
  cleanups.push(async () => {
    await coordinator.close();
    participant.stop();
    applier.stop();
    await store.close();
  });
  return { store, view, segments, epochs, holds, modes, coordinator, backends };
}

function ordersOnEast(): FakeCutoverBackends {
  const b = new FakeCutoverBackends();
  b.addTopic('east', 'orders.created', [120n, 80n]);
  b.addTopic('west', 'orders.created', [5n, 0n]);
  b.addTopic('east', 'payments.in', [9n]);
  return b;
}

describe('the cutover coordinator', () => {
  it('moves a domain through every phase to its target: chains, epochs, backend, holds released last', async () => {
    const i = await instance(ordersOnEast());
    const planned = await i.coordinator.start({ domain: 'orders' });
    expect(planned).toMatchObject({ phase: 'PLANNED', from: 'east', to: 'west' });
    const done = await i.coordinator.whenFinished(planned.id);
    expect(done.phase).toBe('SWITCHED');
    expect(Object.keys(done.phaseAtMs)).toEqual(['PLANNED', 'PREPARED', 'HOLDING', 'DRAINED', 'SWITCHED']);
    expect(done.switchPoints).toEqual([
      { topic: 'orders.created', partition: 0, firstOffset: '120', sourceEnd: '120', targetEnd: '5', shift: '115' },
      { topic: 'orders.created', partition: 1, firstOffset: '80', sourceEnd: '80', targetEnd: '0', shift: '80' },
    ]);
    expect(done.generations).toEqual({ 'orders.created': 1 });
    expect(done.preflight?.ok).toBe(true);
    expect(i.modes).toEqual(['count', 'drain', 'hold', 'none']);
    expect(i.view.current().domains.get('orders')?.backend).toBe('west');
    expect(i.segments.chainOf('orders.created', 1)?.segments.map((s) => s.backend)).toEqual(['east', 'west']);
    expect(i.segments.groupsBackendOf('orders')).toBe('east');
    expect(i.segments.eraOf('orders')).toBe(1);
    expect(i.epochs.generations('orders.created')).toEqual([
      { generation: 0, backend: 'east' },
      { generation: 1, backend: 'west' },
    ]);
    expect((await i.store.acks(planned.id, 'switched')).size).toBe(1);
  });

  it('goes back to the source with another cutover: a third segment, the era and the generation one up', async () => {
    const i = await instance(ordersOnEast());
    await i.coordinator.whenFinished((await i.coordinator.start({ domain: 'orders' })).id);
    i.backends.write('west', 'orders.created', 0, 10);
    await expect(i.coordinator.start({ domain: 'orders' })).rejects.toThrow(/already on west/);
    const back = await i.coordinator.whenFinished((await i.coordinator.start({ domain: 'orders', to: 'east' })).id);
    expect(back.rollbackReason).toBeNull();
    expect(back.phase).toBe('SWITCHED');
    // West ended at 15 (shift 115): virtual 130; east ends at 120, so the new shift is 10.
    expect(back.switchPoints?.[0]).toEqual({ topic: 'orders.created', partition: 0, firstOffset: '130', sourceEnd: '15', targetEnd: '120', shift: '10' });
    expect(back.generations).toEqual({ 'orders.created': 2 });
    expect(i.segments.chainOf('orders.created', 0)?.segments.map((s) => [s.backend, s.firstOffset, s.generation])).toEqual([
      ['east', 0n, 0],
      ['west', 120n, 1],
      ['east', 130n, 2],
    ]);
    expect(i.segments.eraOf('orders')).toBe(2);
    expect(i.view.current().domains.get('orders')?.backend).toBe('east');
  });

  it('rolls back when a partition moves on the source during the hold: a writer bypassing Turnout', async () => {
    const i = await instance(ordersOnEast());
    i.backends.beforeRead = (backend, kind) => {
      if (backend === 'east' && kind === 'log-end' && i.store.current().active()[0]?.phase === 'DRAINED') i.backends.write('east', 'orders.created', 0, 1);
    };
    const done = await i.coordinator.whenFinished((await i.coordinator.start({ domain: 'orders' })).id);
    expect(done.phase).toBe('ROLLED_BACK');
    expect(done.rollbackReason).toMatch(/orders.created-0 on east moved from \d+ to \d+ while the domain was held: something writes to it bypassing Turnout/);
    expect(i.view.current().domains.get('orders')?.backend).toBe('east');
    expect(i.segments.domain('orders')).toBeUndefined();
    expect(i.modes.at(-1)).toBe('none');
  });

  it('rolls back when a partition grew on the source during the drain, although it stopped before the switch points', async () => {
    const i = await instance(ordersOnEast());
    // A transaction open on partition 1 keeps the drain going; partition 0 has none.
    const p1 = i.backends.partition('east', 'orders.created', 1);
    p1.stable = 70n;
    i.backends.openTxns.set('east', [{ id: 'orders-tx-1', topic: 'orders.created', partition: 1 }]);
    let readsInHold = 0;
    i.backends.beforeRead = (backend, kind) => {
      if (backend !== 'east' || i.store.current().active()[0]?.phase !== 'HOLDING') return;
      // After the baseline (three reads), during the drain: five records straight to partition 0.
      if (++readsInHold === 5 && kind !== 'log-end') i.backends.write('east', 'orders.created', 0, 5);
    };
    const done = await i.coordinator.whenFinished((await i.coordinator.start({ domain: 'orders' })).id);
    expect(readsInHold).toBeGreaterThan(5);
    expect(done.phase).toBe('ROLLED_BACK');
    expect(done.rollbackReason).toBe('orders.created-0 on east grew from 120 to 125 while the domain was held: something writes to it bypassing Turnout');
    expect(done.abortedTransactions).toEqual(['orders-tx-1']);
  });

  it('waits for every instance to count before it holds: a cutover stays PREPARED while one does not confirm', async () => {
    const i = await instance(ordersOnEast());
    const live = i.store.liveInstances.bind(i.store);
    i.store.liveInstances = async () => [...(await live()), 'silent'];
    const done = await i.coordinator.whenFinished((await i.coordinator.start({ domain: 'orders' })).id);
    expect(done.phase).toBe('ROLLED_BACK');
    expect(done.rollbackReason).toBe('instance silent did not confirm prepared within 2000 ms');
    expect(done.phaseAtMs.HOLDING).toBeUndefined();
    expect(i.modes).toEqual(['count', 'none']);
  });

  it('rolls back at preflight when the target lacks a topic or partitions, and a dry run only reports it', async () => {
    const b = ordersOnEast();
    b.addTopic('east', 'orders.refunds', [1n, 1n]);
    b.addTopic('west', 'orders.refunds', [0n], { 'max.message.bytes': '1000' });
    const i = await instance(b);
    const plan = await i.coordinator.plan({ domain: 'orders' });
    expect(plan.preflight.ok).toBe(false);
    expect(plan.preflight.problems).toEqual([
      'topic orders.refunds has 1 partitions on west, fewer than its 2 on east',
      'topic orders.refunds: max.message.bytes is 1000 on west, below 1048588: records the source takes would be refused',
    ]);
    expect(i.store.current().cutovers.size).toBe(0);
    const done = await i.coordinator.whenFinished((await i.coordinator.start({ domain: 'orders' })).id);
    expect(done.phase).toBe('ROLLED_BACK');
    expect(done.rollbackReason).toMatch(/^preflight: topic orders.refunds has 1 partitions/);
    expect(done.phaseAtMs.HOLDING).toBeUndefined();
  });

  it('aborts open transactions on the source after the drain timeout, then switches after their markers', async () => {
    const b = ordersOnEast();
    const p = b.partition('east', 'orders.created', 1);
    p.stable = 70n;
    b.openTxns.set('east', [{ id: 'orders-tx-7', topic: 'orders.created', partition: 1 }]);
    const i = await instance(b);
    const done = await i.coordinator.whenFinished((await i.coordinator.start({ domain: 'orders' })).id);
    expect(done.phase).toBe('SWITCHED');
    expect(done.abortedTransactions).toEqual(['orders-tx-7']);
    expect(done.switchPoints?.[1].firstOffset).toBe('81');
  });

  it('rolls back when a produce to the source fails during the drain, whoever sees it', async () => {
    const i = await instance(ordersOnEast());
    i.backends.beforeRead = () => {
      const c = i.store.current().active()[0];
      if (c?.phase === 'HOLDING') i.holds.fail('orders', 'a produce to orders.created-0 on the source failed (error 7) during the cutover');
    };
    const done = await i.coordinator.whenFinished((await i.coordinator.start({ domain: 'orders' })).id);
    expect(done.phase).toBe('ROLLED_BACK');
    expect(done.rollbackReason).toBe('a produce to orders.created-0 on the source failed (error 7) during the cutover');
  });

  it('is aborted by the operator before the switch and refuses to abort after it', async () => {
    const i = await instance(ordersOnEast());
    let aborted: Promise<unknown> | null = null;
    i.backends.beforeRead = () => {
      const c = i.store.current().active()[0];
      if (c?.phase === 'HOLDING' && aborted === null) aborted = i.coordinator.abort(c.id);
    };
    const done = await i.coordinator.whenFinished((await i.coordinator.start({ domain: 'orders' })).id);
    await aborted;
    expect(done.phase).toBe('ROLLED_BACK');
    expect(done.rollbackReason).toBe('aborted by the operator');
    i.backends.beforeRead = () => undefined;
    const switched = await i.coordinator.whenFinished((await i.coordinator.start({ domain: 'orders' })).id);
    await expect(i.coordinator.abort(switched.id)).rejects.toBeInstanceOf(CutoverRequestError);
  });

  it('refuses a second cutover of a domain in progress and a target that is neither the migration target nor in its chains', async () => {
    const i = await instance(ordersOnEast());
    await expect(i.coordinator.start({ domain: 'payments', to: 'east' })).rejects.toThrow(/may move only to its migration target/);
    await expect(i.coordinator.start({ domain: 'nope' })).rejects.toMatchObject({ status: 404 });
    const { plannedCutover } = await import('./cutover-fixtures.js');
    await i.store.create({ ...plannedCutover('orders', 'east', 'west'), coordinator: i.store.instanceId });
    await expect(i.coordinator.start({ domain: 'orders' })).rejects.toMatchObject({ status: 409 });
  });

  it('rolls back at preflight when the target cannot be reached', async () => {
    const i = await instance(ordersOnEast());
    i.backends.unreachable.add('west');
    const done = await i.coordinator.whenFinished((await i.coordinator.start({ domain: 'orders' })).id);
    expect(done.rollbackReason).toBe('preflight: backend west cannot be reached: its brokers are not known yet');
  });

  it('lists the groups with committed offsets inside a segment before retiring it', async () => {
    const i = await instance(ordersOnEast());
    await i.coordinator.whenFinished((await i.coordinator.start({ domain: 'orders' })).id);
    // Segment 1 holds virtual offsets 120..129 of orders.created-0 (written to west).
    i.backends.write('west', 'orders.created', 0, 10);
    await i.coordinator.whenFinished((await i.coordinator.start({ domain: 'orders', to: 'east' })).id);
    i.backends.committed.push({ group: 'orders-billing', topic: 'orders.created', partition: 0, offset: 125n }, { group: 'orders-audit', topic: 'orders.created', partition: 0, offset: 300n });
    const dry = await i.coordinator.retire('orders', 1, true);
    expect(dry).toEqual({ domain: 'orders', segment: 1, groups: [{ group: 'orders-billing', topic: 'orders.created', partition: 0, offset: '125' }], retired: false });
    expect(i.segments.chainOf('orders.created', 0)?.segments).toHaveLength(3);
    await expect(i.coordinator.retire('orders', 2, false)).rejects.toMatchObject({ status: 400 });
    expect((await i.coordinator.retire('orders', 1, false)).retired).toBe(true);
    expect(i.segments.chainOf('orders.created', 0)?.segments.map((s) => s.backend)).toEqual(['east', 'east']);
  });

  it('retires segment 0 after listing the groups whose commits lie below the switch point: the partitions then start there', async () => {
    const i = await instance(ordersOnEast());
    await i.coordinator.whenFinished((await i.coordinator.start({ domain: 'orders' })).id);
    const switchAt = i.segments.chainOf('orders.created', 0)?.segments[1].firstOffset as bigint;
    expect(switchAt).toBeGreaterThan(0n);
    i.backends.committed.push(
      { group: 'orders-billing', topic: 'orders.created', partition: 0, offset: switchAt - 1n },
      { group: 'orders-audit', topic: 'orders.created', partition: 0, offset: switchAt },
    );
    const dry = await i.coordinator.retire('orders', 0, true);
    expect(dry.groups).toEqual([{ group: 'orders-billing', topic: 'orders.created', partition: 0, offset: String(switchAt - 1n) }]);
    expect(i.segments.chainOf('orders.created', 0)?.start).toBe(0n);
    expect((await i.coordinator.retire('orders', 0, false)).retired).toBe(true);
    const chain = i.segments.chainOf('orders.created', 0);
    expect(chain?.segments.map((s) => s.backend)).toEqual(['west']);
    expect(chain?.start).toBe(switchAt);
    // The one segment left takes the new records: it cannot be retired.
    await expect(i.coordinator.retire('orders', 0, false)).rejects.toMatchObject({ status: 400 });
  });
});

describe('an instance that restarts during a cutover', () => {
  it('rolls back the cutover its previous run left unfinished, never leaving it half switched', async () => {
    const store = await LocalCutoverStore.open({ dir: null, log, instanceId: 'before-restart' });
    const backends = ordersOnEast();
    const holds = new CutoverHolds({ maxHeldBytes: 1 << 20 });
    const participant = new CutoverParticipant({ store, holds, log, orphanCheckMs: 10 });
    const { plannedCutover } = await import('./cutover-fixtures.js');
    const { movedRecord } = await import('../../../src/policy/cutover-record.js');
    const r = plannedCutover('orders', 'east', 'west');
    await store.create({ ...r, coordinator: 'a-previous-process' });
    await store.move('PLANNED', movedRecord({ ...r, coordinator: 'a-previous-process' }, 'PREPARED', 2));
    participant.start();
    const deadline = Date.now() + 2_000;
    while (store.current().activeOf('orders') !== undefined && Date.now() < deadline) await new Promise((x) => setTimeout(x, 10));
    participant.stop();
    expect(store.current().cutovers.get(r.id)).toMatchObject({ phase: 'ROLLED_BACK', rollbackReason: 'the instance running the cutover (a-previous-process) is gone' });
    expect(backends.aborted).toEqual([]);
    await store.close();
  });
});
