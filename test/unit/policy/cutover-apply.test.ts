import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/observability/logger.js';
import { CutoverApplier, type HoldControl } from '../../../src/policy/cutover-apply.js';
import { switchedDomainState } from '../../../src/policy/cutover-domain-state.js';
import { LocalCutoverStore } from '../../../src/policy/cutover-local-store.js';
import type { HoldMode } from '../../../src/policy/cutover-phase.js';
import { movedRecord } from '../../../src/policy/cutover-record.js';
import { LeaderEpochMap } from '../../../src/routing/leader-epoch-map.js';
import { OffsetSegmentMap } from '../../../src/routing/offset-segments.js';
import { FakePolicyStore } from '../admin/domain-fixtures.js';
import { plannedCutover, point } from './cutover-fixtures.js';

const log = createLogger({ level: 'silent' });

class RecordedHolds implements HoldControl {
  readonly modes = new Map<string, HoldMode>();
  readonly order: string[] = [];
  setMode(domain: string, _cutoverId: string | null, mode: HoldMode): void {
    if (this.modes.get(domain) !== mode) this.order.push(`${domain}:${mode}`);
    this.modes.set(domain, mode);
  }
}

describe('applying the cutover state on an instance', () => {
  it('follows the phases with its holds and applies the switch before releasing them', async () => {
    const store = await LocalCutoverStore.open({ dir: null, log });
    const segments = new OffsetSegmentMap();
    const epochs = new LeaderEpochMap();
    epochs.observeServing('orders.a', 0, 'east', 4);
    const holds = new RecordedHolds();
    const policy = new FakePolicyStore();
    const applier = new CutoverApplier({ store, segments, epochs, holds, policy: () => policy.current(), log });
    applier.start();
    expect(holds.modes.get('orders')).toBe('none');

    const planned = plannedCutover('orders', 'east', 'west');
    await store.create(planned);
    expect(holds.modes.get('orders')).toBe('count');
    const prepared = movedRecord(planned, 'PREPARED', 2);
    await store.move('PLANNED', prepared);
    const holding = movedRecord(prepared, 'HOLDING', 3);
    await store.move('PREPARED', holding);
    expect(holds.modes.get('orders')).toBe('drain');
    const drained = movedRecord(holding, 'DRAINED', 4);
    await store.move('HOLDING', drained);
    expect(holds.modes.get('orders')).toBe('hold');

    let chainAtRelease: unknown = 'not released';
    const release = holds.setMode.bind(holds);
    holds.setMode = (domain, id, mode) => {
      if (domain === 'orders' && mode === 'none') chainAtRelease = segments.chainOf('orders.a', 0)?.last.backend;
      release(domain, id, mode);
    };
    const state = switchedDomainState({ previous: undefined, from: 'east', to: 'west', baseGenerations: { 'orders.a': 0 }, generations: { 'orders.a': 1 }, points: [point('orders.a', 0, 50n, 20n)] });
    await store.move('DRAINED', movedRecord(drained, 'SWITCHED', 5), state);
    expect(chainAtRelease).toBe('west');
    expect(segments.eraOf('orders')).toBe(1);
    expect(epochs.generations('orders.a')).toEqual([
      { generation: 0, backend: 'east' },
      { generation: 1, backend: 'west' },
    ]);
    // The next route to the target takes the adopted generation: epochs read from it sit above the source's.
    expect(epochs.observeServing('orders.a', 0, 'west', 0)).toBe(1 << 20);
    expect(holds.modes.get('payments')).toBe('none');
    applier.stop();
  });

  it('holds every domain that could be in a cutover while the state is not known', async () => {
    const local = await LocalCutoverStore.open({ dir: null, log });
    let known = false;
    const store = Object.assign(Object.create(local) as LocalCutoverStore, { known: () => known });
    const holds = new RecordedHolds();
    const policy = new FakePolicyStore();
    const applier = new CutoverApplier({ store, segments: new OffsetSegmentMap(), epochs: new LeaderEpochMap(), holds, policy: () => policy.current(), log });
    applier.start();
    // orders has a migration target; payments and legacy have neither a target nor segments.
    expect(holds.modes.get('orders')).toBe('hold');
    expect(holds.modes.get('payments')).toBe('none');
    known = true;
    applier.apply();
    expect(holds.modes.get('orders')).toBe('none');
    applier.stop();
  });
});
