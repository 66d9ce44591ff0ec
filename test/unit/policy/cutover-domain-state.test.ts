import { describe, expect, it } from 'vitest';
import {
  chainBackends,
  parseDomainState,
  retiredSegmentState,
  serializeDomainState,
  switchedDomainState,
} from '../../../src/policy/cutover-domain-state.js';
import { CutoverStateError } from '../../../src/policy/cutover-record.js';
import { point } from './cutover-fixtures.js';

describe('a domain state after a switch', () => {
  const first = switchedDomainState({
    previous: undefined,
    from: 'legacy',
    to: 'main',
    baseGenerations: { t: 0 },
    generations: { t: 1 },
    points: [point('t', 0, 100n, 40n), point('t', 1, 7n, 0n)],
  });

  it('chains every partition: the source from 0, then the target from its switch point', () => {
    expect(first.backend).toBe('main');
    expect(first.era).toBe(1);
    expect(first.groupsBackend).toBe('legacy');
    const c0 = first.chains.get('t')?.[0];
    expect(c0?.segments).toEqual([
      { backend: 'legacy', firstOffset: 0n, shift: 0n, generation: 0 },
      { backend: 'main', firstOffset: 100n, shift: 60n, generation: 1 },
    ]);
    expect(c0?.segmentAt(99n).backend).toBe('legacy');
    expect(c0?.segmentAt(100n).backend).toBe('main');
    expect(first.chains.get('t')?.[1]?.last).toEqual({ backend: 'main', firstOffset: 7n, shift: 7n, generation: 1 });
  });

  it('appends a third segment on a second cutover, keeping the groups where they were', () => {
    const back = switchedDomainState({
      previous: first,
      from: 'main',
      to: 'legacy',
      baseGenerations: {},
      generations: { t: 2 },
      points: [point('t', 0, 150n, 100n), point('t', 1, 9n, 7n)],
    });
    expect(back.era).toBe(2);
    expect(back.groupsBackend).toBe('legacy');
    expect(back.chains.get('t')?.[0]?.segments.map((s) => s.backend)).toEqual(['legacy', 'main', 'legacy']);
    expect(back.chains.get('t')?.[0]?.last.shift).toBe(50n);
    expect(chainBackends(back)).toEqual(new Set(['legacy', 'main']));
  });

  it('is refused a generation that does not rise', () => {
    expect(() =>
      switchedDomainState({ previous: first, from: 'main', to: 'legacy', baseGenerations: {}, generations: { t: 1 }, points: [point('t', 0, 150n, 100n)] }),
    ).toThrow(/generation/);
  });

  it('reads back what it was written as', () => {
    const json = JSON.parse(JSON.stringify(serializeDomainState(first)));
    const again = parseDomainState(json, 'test');
    expect(serializeDomainState(again)).toEqual(serializeDomainState(first));
    expect(() => parseDomainState({ ...json, chains: { t: [[{ backend: 'x', firstOffset: '5', shift: '0', generation: 0 }, { backend: 'y', firstOffset: '4', shift: '0', generation: 1 }]] } }, 'test')).toThrow(CutoverStateError);
  });

  it('retires a middle segment, never the one in use', () => {
    const back = switchedDomainState({ previous: first, from: 'main', to: 'legacy', baseGenerations: {}, generations: { t: 2 }, points: [point('t', 0, 150n, 100n)] });
    const retired = retiredSegmentState(back, 1);
    expect(retired.chains.get('t')?.[0]?.segments.map((s) => s.backend)).toEqual(['legacy', 'legacy']);
    expect(() => retiredSegmentState(back, -1)).toThrow(CutoverStateError);
    expect(() => retiredSegmentState(back, 2)).toThrow(/new records go/);
    expect(() => retiredSegmentState(back, 5)).toThrow(/no chain/);
  });

  it('retires segment 0: every partition then starts at its switch point, and a second retirement of segment 0 is refused', () => {
    const retired = retiredSegmentState(first, 0);
    const c0 = retired.chains.get('t')?.[0];
    expect(c0?.segments).toEqual([{ backend: 'main', firstOffset: 100n, shift: 60n, generation: 1 }]);
    expect(c0?.start).toBe(100n);
    expect([99n, 100n, 0n].map((o) => c0?.isBelowStart(o))).toEqual([true, false, true]);
    expect(retired.chains.get('t')?.[1]?.start).toBe(7n);
    expect(chainBackends(retired)).toEqual(new Set(['main']));
    expect(retired.backend).toBe('main');
    // The one segment left is where new records go.
    expect(() => retiredSegmentState(retired, 0)).toThrow(/new records go/);
  });

  it('reads back a chain whose first segment was retired, and cuts it over again from where it ends', () => {
    const retired = retiredSegmentState(first, 0);
    const again = parseDomainState(JSON.parse(JSON.stringify(serializeDomainState(retired))), 'test');
    expect(serializeDomainState(again)).toEqual(serializeDomainState(retired));
    expect(again.chains.get('t')?.[0]?.start).toBe(100n);
    const back = switchedDomainState({ previous: again, from: 'main', to: 'legacy', baseGenerations: {}, generations: { t: 2 }, points: [point('t', 0, 150n, 100n)] });
    expect(back.chains.get('t')?.[0]?.segments.map((s) => [s.backend, s.firstOffset])).toEqual([
      ['main', 100n],
      ['legacy', 150n],
    ]);
    expect(() => parseDomainState({ ...serializeDomainState(retired), chains: { t: [[{ backend: 'x', firstOffset: '-1', shift: '0', generation: 0 }]] } }, 'test')).toThrow(/below 0/);
  });
});
