import { afterEach, describe, expect, it } from 'vitest';
import { ApiKey } from '../../../src/codec/index.js';
import { createHeartbeatRequest } from '../../../src/codec/generated/heartbeat.js';
import { createLogger } from '../../../src/observability/logger.js';
import { CutoverHoldFilter } from '../../../src/pipeline/cutover-hold-filter.js';
import { CutoverHolds } from '../../../src/pipeline/cutover-holds.js';
import { CutoverApplier } from '../../../src/policy/cutover-apply.js';
import { CutoverCoordinator } from '../../../src/policy/cutover-coordinator.js';
import { parseDomainState, serializeDomainState } from '../../../src/policy/cutover-domain-state.js';
import { LocalCutoverStore } from '../../../src/policy/cutover-local-store.js';
import { CutoverParticipant } from '../../../src/policy/cutover-participant.js';
import { CutoverPolicyView } from '../../../src/policy/cutover-policy-view.js';
import type { OffsetTransaction } from '../../../src/policy/cutover-store.js';
import { cutoverSchema } from '../../../src/policy/cutover-schema.js';
import { GroupsMover } from '../../../src/policy/groups-move.js';
import { GroupsMoveParticipant } from '../../../src/policy/groups-move-participant.js';
import { LeaderEpochMap } from '../../../src/routing/leader-epoch-map.js';
import { OffsetSegmentMap } from '../../../src/routing/offset-segments.js';
import { TransactionalGroups } from '../../../src/routing/transactional-groups.js';
import { FakePolicyStore } from '../admin/domain-fixtures.js';
import { filterRequest } from '../pipeline/filter-test-kit.js';
import { FakeCutoverBackends } from './fake-cutover-backends.js';
import { FakeGroupOffsets, offset } from './fake-group-offsets.js';

const log = createLogger({ level: 'silent' });
const settings = cutoverSchema.parse({ rateSampleMs: 0, switchPointIntervalMs: 5, phaseDeadlineMs: 2_000, drainTimeoutMs: 100, maxHoldMs: 5_000 });
const cleanups: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/**
 * One instance in front of east and west with domain `orders` on east: its transactional
 * producers were seen committing offsets for `orders-eos` (an exactly-once application);
 * `orders-app` is an ordinary group.
 */
async function instance(groups: FakeGroupOffsets, offsetTransactions: OffsetTransaction[] = []) {
  const store = await LocalCutoverStore.open({ dir: null, log });
  const inner = new FakePolicyStore();
  const view = new CutoverPolicyView({ inner, fixed: inner.current(), cutovers: store, log });
  const segments = new OffsetSegmentMap();
  const epochs = new LeaderEpochMap();
  const holds = new CutoverHolds({ maxHeldBytes: 1 << 20 });
  const groupHolds = new CutoverHolds({ maxHeldBytes: 1 << 20 });
  const seen = new TransactionalGroups();
  seen.seen('orders', 'orders-eos');
  const policy = () => view.current();
  const applier = new CutoverApplier({ store, segments, epochs, holds, groupHolds, policy, log });
  const participant = new CutoverParticipant({ store, holds, groupHolds, transactionalGroups: seen, transactionsWithOffsetsOn: (domain, backend) => (domain === 'orders' && backend === 'east' ? offsetTransactions : []), log });
  const groupsParticipant = new GroupsMoveParticipant({ store, holds: groupHolds, log });
  const backends = new FakeCutoverBackends();
  backends.addTopic('east', 'orders.created', [120n, 80n]);
  backends.addTopic('west', 'orders.created', [5n, 0n]);
  const coordinator = new CutoverCoordinator({ store, backends, groupBackends: groups, policy, epochs, settings, log, ackPollMs: 5 });
  const mover = new GroupsMover({ store, backends: groups, policy, settings, log, ackPollMs: 5 });
  const groupFollowsHold = (domain: string, group: string): boolean =>
    store.current().activeOf(domain) === undefined || seen.has(domain, group) || store.current().domains.get(domain)?.transactionalGroups.includes(group) === true;
  const filter = new CutoverHoldFilter({ holds, groupHolds, policy, topicName: () => undefined, groupFollowsHold });
  applier.start();
  participant.start();
  groupsParticipant.start();
  cleanups.push(async () => {
    await coordinator.close();
    groupsParticipant.stop();
    participant.stop();
    applier.stop();
    await store.close();
  });
  return { store, segments, groupHolds, filter, coordinator, mover, backends };
}

function heartbeat(groupId: string) {
  const req = createHeartbeatRequest();
  req.groupId = groupId;
  req.memberId = 'm-1';
  return filterRequest(ApiKey.Heartbeat, 4, req);
}

async function waitFor(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 2));
  }
}

describe('a cutover moves the groups of exactly-once applications with the transactional ids', () => {
  it('holds those groups, copies their stable offsets to the target, and coordinates them there from the switch; other groups stay', async () => {
    const groups = new FakeGroupOffsets();
    groups.set('east', 'orders-eos', 'Stable', [offset('orders.created', 0, 118n), offset('orders.created', 1, 80n)]);
    groups.set('east', 'orders-app', 'Stable', [offset('orders.created', 0, 40n)]);
    const i = await instance(groups);
    let open: () => void = () => undefined;
    groups.commitGate = new Promise((r) => (open = r));
    const started = await i.coordinator.start({ domain: 'orders' });
    await waitFor(() => groups.commits === 1);
    // The copy is under way in the hold: the exactly-once group's requests wait, the others' go on to east.
    expect(i.groupHolds.modeOf('orders')).toBe('hold');
    const held = i.filter.onRequest(heartbeat('orders-eos'));
    expect(held.kind).toBe('hold');
    expect(i.filter.onRequest(heartbeat('orders-app')).kind).toBe('forward');
    let releasedTo: string | null | undefined;
    if (held.kind === 'hold') void held.until.then(() => (releasedTo = i.segments.groupsBackendOf('orders', 'orders-eos')));
    open();
    const done = await i.coordinator.whenFinished(started.id);
    expect(done.phase).toBe('SWITCHED');
    expect(done.transactionalGroups).toEqual([{ group: 'orders-eos', from: 'east', offsets: 2 }]);
    await new Promise((r) => setImmediate(r));
    // Released with west coordinating the group (null: the domain's backend); the other group stays on east.
    expect(releasedTo).toBeNull();
    expect(i.segments.groupsBackendOf('orders', 'orders-app')).toBe('east');
    expect(i.segments.groupsBackendOf('orders')).toBe('east');
    expect(i.store.current().domains.get('orders')).toMatchObject({ backend: 'west', groupsBackend: 'east', transactionalGroups: ['orders-eos'] });
    expect(await groups.groupOffsets('west', 'orders-eos')).toEqual(await groups.groupOffsets('east', 'orders-eos'));
    expect(await groups.groupOffsets('west', 'orders-app')).toEqual([]);
    // Read once the transactions' markers were written.
    expect(groups.stableReads).toEqual(['east/orders-eos']);
    expect(i.groupHolds.modeOf('orders')).toBe('none');

    // `cutover groups` later moves the others only: what east keeps of orders-eos is older than west's.
    groups.set('west', 'orders-eos', 'Stable', [offset('orders.created', 0, 130n), offset('orders.created', 1, 90n)]);
    const moved = await i.mover.move('orders');
    expect(moved.groups).toEqual([{ group: 'orders-app', offsets: 1 }]);
    expect(await groups.groupOffsets('west', 'orders-eos')).toEqual([offset('orders.created', 0, 130n), offset('orders.created', 1, 90n)]);
  });

  it('takes the group back with the transactional ids, copied from where it went', async () => {
    const groups = new FakeGroupOffsets();
    groups.set('east', 'orders-eos', 'Stable', [offset('orders.created', 0, 118n)]);
    const i = await instance(groups);
    const there = await i.coordinator.whenFinished((await i.coordinator.start({ domain: 'orders' })).id);
    expect(there.phase).toBe('SWITCHED');
    // It went on committing on west; its old member on east has gone.
    groups.set('west', 'orders-eos', 'Stable', [offset('orders.created', 0, 125n)]);
    groups.set('east', 'orders-eos', 'Empty', [offset('orders.created', 0, 118n)]);
    const back = await i.coordinator.whenFinished((await i.coordinator.start({ domain: 'orders', to: 'east' })).id);
    expect(back.phase).toBe('SWITCHED');
    expect(back.transactionalGroups).toEqual([{ group: 'orders-eos', from: 'west', offsets: 1 }]);
    expect(await groups.groupOffsets('east', 'orders-eos')).toEqual([offset('orders.created', 0, 125n)]);
    expect(i.segments.groupsBackendOf('orders', 'orders-eos')).toBeNull();
  });

  it('aborts on the source a transaction whose offsets reached it while its records were held', async () => {
    const groups = new FakeGroupOffsets();
    groups.set('east', 'orders-eos', 'Stable', [offset('orders.created', 0, 118n)]);
    const i = await instance(groups, [{ transactionalId: 'orders-tx-9', partitions: [{ topic: 'orders.created', partition: 0 }] }]);
    const done = await i.coordinator.whenFinished((await i.coordinator.start({ domain: 'orders' })).id);
    expect(done.phase).toBe('SWITCHED');
    expect(i.backends.aborted).toEqual(['orders-tx-9']);
    expect(done.abortedTransactions).toEqual(['orders-tx-9']);
  });

  it('rolls the cutover back when the group has members on the target: it stays with its offsets where it was', async () => {
    const groups = new FakeGroupOffsets();
    groups.set('east', 'orders-eos', 'Stable', [offset('orders.created', 0, 118n)]);
    groups.set('west', 'orders-eos', 'Stable', []);
    const i = await instance(groups);
    const done = await i.coordinator.whenFinished((await i.coordinator.start({ domain: 'orders' })).id);
    expect(done.phase).toBe('ROLLED_BACK');
    expect(done.rollbackReason).toMatch(/orders-eos \(Stable\) already has members on west/);
    expect(groups.commits).toBe(0);
    expect(i.groupHolds.modeOf('orders')).toBe('none');
    expect(i.segments.groupsBackendOf('orders', 'orders-eos')).toBeNull();
  });

  it('keeps the groups that moved with the transactional ids through serialization', () => {
    const state = { backend: 'west', chains: new Map(), groupsBackend: 'east', transactionalGroups: ['orders-eos'], era: 1, groupsMove: null, formerMembers: null };
    expect(parseDomainState(JSON.parse(JSON.stringify(serializeDomainState(state))), 'test').transactionalGroups).toEqual(['orders-eos']);
    // Written before groups moved with transactions, or emptied by Redis's Lua JSON.
    expect(parseDomainState({ backend: 'west', chains: {}, groupsBackend: 'east', era: 1 }, 'test').transactionalGroups).toEqual([]);
    expect(parseDomainState({ backend: 'west', chains: {}, groupsBackend: 'east', era: 1, transactionalGroups: {} }, 'test').transactionalGroups).toEqual([]);
  });
});
