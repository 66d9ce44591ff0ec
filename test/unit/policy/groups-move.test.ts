import { afterEach, describe, expect, it } from 'vitest';
import { ApiKey } from '../../../src/codec/index.js';
import { createHeartbeatRequest } from '../../../src/codec/generated/heartbeat.js';
import { createLogger } from '../../../src/observability/logger.js';
import { CutoverHoldFilter } from '../../../src/pipeline/cutover-hold-filter.js';
import { CutoverHolds } from '../../../src/pipeline/cutover-holds.js';
import { FormerMembers } from '../../../src/pipeline/former-members.js';
import { CutoverApplier } from '../../../src/policy/cutover-apply.js';
import { CutoverCoordinator, CutoverRequestError } from '../../../src/policy/cutover-coordinator.js';
import { parseDomainState, serializeDomainState } from '../../../src/policy/cutover-domain-state.js';
import { LocalCutoverStore } from '../../../src/policy/cutover-local-store.js';
import { CutoverParticipant } from '../../../src/policy/cutover-participant.js';
import { CutoverPolicyView } from '../../../src/policy/cutover-policy-view.js';
import { cutoverSchema } from '../../../src/policy/cutover-schema.js';
import { GroupsMover } from '../../../src/policy/groups-move.js';
import { GroupsMoveParticipant } from '../../../src/policy/groups-move-participant.js';
import { LeaderEpochMap } from '../../../src/routing/leader-epoch-map.js';
import { OffsetSegmentMap } from '../../../src/routing/offset-segments.js';
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

/** One instance whose domain `orders` was cut over from east to west, its groups left on east. */
async function cutOverInstance(groups: FakeGroupOffsets) {
  const store = await LocalCutoverStore.open({ dir: null, log });
  const inner = new FakePolicyStore();
  const view = new CutoverPolicyView({ inner, fixed: inner.current(), cutovers: store, log });
  const segments = new OffsetSegmentMap();
  const epochs = new LeaderEpochMap();
  const holds = new CutoverHolds({ maxHeldBytes: 1 << 20 });
  const groupHolds = new CutoverHolds({ maxHeldBytes: 1 << 20 });
  const formerMembers = new FormerMembers();
  const policy = () => view.current();
  const applier = new CutoverApplier({ store, segments, epochs, holds, groupHolds, formerMembers, policy, log });
  const participant = new CutoverParticipant({ store, holds, log });
  const groupsParticipant = new GroupsMoveParticipant({ store, holds: groupHolds, log });
  const backends = new FakeCutoverBackends();
  backends.addTopic('east', 'orders.created', [120n, 80n]);
  backends.addTopic('west', 'orders.created', [5n, 0n]);
  const coordinator = new CutoverCoordinator({ store, backends, policy, epochs, settings, log, ackPollMs: 5 });
  const mover = new GroupsMover({ store, backends: groups, policy, settings, log, ackPollMs: 5 });
  const filter = new CutoverHoldFilter({ holds, groupHolds, formerMembers, policy, topicName: () => undefined });
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
  const c = await coordinator.start({ domain: 'orders' });
  expect((await coordinator.whenFinished(c.id)).phase).toBe('SWITCHED');
  return { store, segments, groupHolds, formerMembers, filter, mover, coordinator };
}

function heartbeat(groupId: string) {
  const req = createHeartbeatRequest();
  req.groupId = groupId;
  req.memberId = 'm-1';
  return filterRequest(ApiKey.Heartbeat, 4, req);
}

describe('moving a domain groups to its backend', () => {
  it('holds the group requests while the offsets are copied, then switches the groups backend and releases them', async () => {
    const groups = new FakeGroupOffsets();
    groups.set('east', 'orders-app', 'Stable', [offset('orders.created', 0, 130n), offset('orders.created', 1, 81n)]);
    groups.set('east', 'orders-audit', 'Empty', [offset('orders.created', 0, 12n)]);
    groups.set('east', 'payments-app', 'Stable', [offset('payments.in', 0, 3n)]);
    groups.members.set('east/orders-app', ['member-1', 'member-2']);
    const i = await cutOverInstance(groups);
    expect(i.segments.groupsBackendOf('orders')).toBe('east');
    let open: () => void = () => undefined;
    groups.commitGate = new Promise((r) => (open = r));
    const moving = i.mover.move('orders');
    await waitFor(() => groups.commits === 1);
    // The copy is under way: the domain's group requests wait, another domain's do not.
    expect(i.groupHolds.modeOf('orders')).toBe('hold');
    const held = i.filter.onRequest(heartbeat('orders-app'));
    expect(held.kind).toBe('hold');
    expect(i.filter.onRequest(heartbeat('legacy-app')).kind).toBe('forward');
    expect(i.segments.groupsBackendOf('orders')).toBe('east');
    let releasedWith: string | null = null;
    if (held.kind === 'hold') void held.until.then(() => (releasedWith = i.segments.groupsBackendOf('orders')));
    open();
    const result = await moving;
    expect(result).toMatchObject({ domain: 'orders', from: 'east', to: 'west', groups: [{ group: 'orders-app', offsets: 2 }, { group: 'orders-audit', offsets: 1 }] });
    await new Promise((r) => setImmediate(r));
    // Released with the new coordinator already in effect (null: the domain's backend).
    expect(releasedWith).toBeNull();
    expect(i.segments.groupsBackendOf('orders')).toBeNull();
    expect(i.store.current().domains.get('orders')).toMatchObject({ groupsBackend: null, groupsMove: null, formerMembers: { groups: { 'orders-app': ['member-1', 'member-2'] } } });
    // The members the group had on east commit as no member until they rejoin; others as they are.
    expect(i.formerMembers.isFormer('orders', 'orders-app', 'member-2')).toBe(true);
    expect(i.formerMembers.isFormer('orders', 'orders-app', 'member-3')).toBe(false);
    expect(i.filter.wants(ApiKey.OffsetCommit)).toBe(true);
    expect(await groups.groupOffsets('west', 'orders-app')).toEqual(await groups.groupOffsets('east', 'orders-app'));
    expect(await groups.groupOffsets('west', 'payments-app')).toEqual([]);
    expect(i.groupHolds.modeOf('orders')).toBe('none');
    expect(i.filter.wants(ApiKey.Heartbeat)).toBe(false);
  });

  it('refuses when a group has members on the target: the groups stay where they were, the hold ends', async () => {
    const groups = new FakeGroupOffsets();
    groups.set('east', 'orders-app', 'Stable', [offset('orders.created', 0, 130n)]);
    groups.set('west', 'orders-app', 'Stable', []);
    const i = await cutOverInstance(groups);
    await expect(i.mover.move('orders')).rejects.toThrow(/orders-app \(Stable\) already has members on west/);
    expect(i.segments.groupsBackendOf('orders')).toBe('east');
    expect(i.store.current().domains.get('orders')?.groupsMove).toBeNull();
    expect(i.groupHolds.modeOf('orders')).toBe('none');
    expect(groups.commits).toBe(0);
  });

  it('refuses a domain whose groups are on its backend, and a cutover while its groups move', async () => {
    const groups = new FakeGroupOffsets();
    groups.set('east', 'orders-app', 'Stable', [offset('orders.created', 0, 130n)]);
    const i = await cutOverInstance(groups);
    let open: () => void = () => undefined;
    groups.commitGate = new Promise((r) => (open = r));
    const moving = i.mover.move('orders');
    await waitFor(() => groups.commits === 1);
    await expect(i.coordinator.start({ domain: 'orders', to: 'east' })).rejects.toBeInstanceOf(CutoverRequestError);
    await expect(i.mover.move('orders')).rejects.toThrow(/being moved already/);
    open();
    await moving;
    await expect(i.mover.move('orders')).rejects.toThrow(/on its backend already/);
    await expect(i.mover.move('nope')).rejects.toMatchObject({ status: 404 });
  });

  it('keeps a groups move in the domain state through serialization', () => {
    const move = { id: 'm1', phase: 'holding' as const, coordinator: 'i1', from: 'east', to: 'west', startedAtMs: 5 };
    const state = { backend: 'west', chains: new Map(), groupsBackend: 'east', transactionalGroups: [], era: 1, groupsMove: move, formerMembers: { untilMs: 9, groups: { 'orders-app': ['m-1'] } } };
    const back = parseDomainState(JSON.parse(JSON.stringify(serializeDomainState(state))), 'test');
    expect(back.groupsMove).toEqual(move);
    expect(back.formerMembers).toEqual({ untilMs: 9, groups: { 'orders-app': ['m-1'] } });
    // A state written before groups could move reads back with none.
    expect(parseDomainState({ backend: 'west', chains: {}, groupsBackend: 'east', era: 1 }, 'test').groupsMove).toBeNull();
    expect(() => parseDomainState({ backend: 'west', chains: {}, groupsBackend: 'east', era: 1, groupsMove: { ...move, phase: 'later' } }, 'test')).toThrow(/unknown phase/);
  });
});

async function waitFor(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !condition(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(condition()).toBe(true);
}
