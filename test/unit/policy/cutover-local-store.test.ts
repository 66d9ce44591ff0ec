import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/observability/logger.js';
import { retiredSegmentState, switchedDomainState } from '../../../src/policy/cutover-domain-state.js';
import { CUTOVERS_FILE, LocalCutoverStore } from '../../../src/policy/cutover-local-store.js';
import { movedRecord } from '../../../src/policy/cutover-record.js';
import { CutoverConflictError } from '../../../src/policy/cutover-store.js';
import { CutoverStateError } from '../../../src/policy/cutover-record.js';
import { plannedCutover, point } from './cutover-fixtures.js';

const log = createLogger({ level: 'silent' });
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'turnout-cutover-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the cutover state file', () => {
  it('holds every change before it is announced, and gives it back after a restart', async () => {
    const store = await LocalCutoverStore.open({ dir, log });
    const seen: number[] = [];
    store.subscribe((next) => seen.push(next.version));
    const planned = plannedCutover();
    await store.create(planned);
    const prepared = movedRecord(planned, 'PREPARED', 1_100);
    await store.move('PLANNED', prepared);
    const holding = movedRecord(prepared, 'HOLDING', 1_200);
    await store.move('PREPARED', holding);
    const drained = movedRecord(holding, 'DRAINED', 1_300);
    await store.move('HOLDING', drained);
    const state = switchedDomainState({ previous: undefined, from: 'legacy', to: 'main', baseGenerations: { t: 0 }, generations: { t: 1 }, points: [point('t', 0, 10n, 3n)] });
    await store.move('DRAINED', movedRecord(drained, 'SWITCHED', 1_400), state);
    expect(seen).toEqual([1, 2, 3, 4, 5]);
    await store.close();

    const text = await readFile(join(dir, CUTOVERS_FILE), 'utf8');
    expect(JSON.parse(text).version).toBe(5);
    const again = await LocalCutoverStore.open({ dir, log });
    expect(again.current().version).toBe(5);
    expect(again.current().cutovers.get(planned.id)?.phase).toBe('SWITCHED');
    expect(again.current().activeOf('orders')).toBeUndefined();
    expect(again.current().domains.get('orders')?.chains.get('t')?.[0]?.last).toEqual({ backend: 'main', firstOffset: 10n, shift: 7n, generation: 1 });
    await again.close();
  });

  it('refuses a second cutover of a domain in progress, and a move from a phase the cutover has left', async () => {
    const store = await LocalCutoverStore.open({ dir, log });
    const planned = plannedCutover();
    await store.create(planned);
    await expect(store.create(plannedCutover())).rejects.toThrow(CutoverConflictError);
    await store.move('PLANNED', movedRecord(planned, 'ROLLED_BACK', 1_100, { rollbackReason: 'aborted' }));
    await expect(store.move('PLANNED', movedRecord(planned, 'PREPARED', 1_200))).rejects.toMatchObject({ reason: 'phase' });
    expect(store.current().cutovers.get(planned.id)?.phase).toBe('ROLLED_BACK');
    await store.create(plannedCutover());
    await store.close();
  });

  it('changes a domain state only at the version it was read at and with no cutover in progress', async () => {
    const store = await LocalCutoverStore.open({ dir, log });
    const state = switchedDomainState({ previous: undefined, from: 'legacy', to: 'main', baseGenerations: {}, generations: { t: 1 }, points: [point('t', 0, 10n, 3n)] });
    await store.setDomainState('orders', state, 0);
    await expect(store.setDomainState('orders', state, 0)).rejects.toMatchObject({ reason: 'version' });
    await store.create(plannedCutover());
    await expect(store.setDomainState('orders', state, store.current().version)).rejects.toMatchObject({ reason: 'active' });
    await store.close();
  });

  it('gives back after a restart a chain whose first segment was retired', async () => {
    const store = await LocalCutoverStore.open({ dir, log });
    const state = switchedDomainState({ previous: undefined, from: 'legacy', to: 'main', baseGenerations: {}, generations: { t: 1 }, points: [point('t', 0, 10n, 3n)] });
    await store.setDomainState('orders', retiredSegmentState(state, 0), 0);
    await store.close();
    const again = await LocalCutoverStore.open({ dir, log });
    const chain = again.current().domains.get('orders')?.chains.get('t')?.[0];
    expect(chain?.segments).toEqual([{ backend: 'main', firstOffset: 10n, shift: 7n, generation: 1 }]);
    expect(chain?.start).toBe(10n);
    await again.close();
  });

  it('stops the start when the file cannot be parsed, rather than forget where domains live', async () => {
    await writeFile(join(dir, CUTOVERS_FILE), '{"format": 1, "version": 3, "domains": {"orders": {"backend": 5}}, "cutovers": []}');
    await expect(LocalCutoverStore.open({ dir, log })).rejects.toThrow(CutoverStateError);
    await writeFile(join(dir, CUTOVERS_FILE), '{"format": 1, "vers');
    await expect(LocalCutoverStore.open({ dir, log })).rejects.toThrow(/not JSON/);
  });

  it('keeps the state in memory without a state folder, confirming every step itself', async () => {
    const store = await LocalCutoverStore.open({ dir: null, log, instanceId: 'me' });
    expect(store.kind).toBe('memory');
    expect(await store.liveInstances()).toEqual(['me']);
    await store.ack('c-1', 'holding', { ok: true, reason: null, atMs: 1 });
    expect([...(await store.acks('c-1', 'holding')).keys()]).toEqual(['me']);
    expect((await store.acks('c-1', 'drained')).size).toBe(0);
    await store.close();
  });
});
