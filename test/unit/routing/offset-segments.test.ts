// The offset segment model: which segment holds a virtual offset, where each ends, how a chain
// grows and shrinks, its JSON form, the per-domain map, and leader epochs by a segment's own
// generation.
import { describe, expect, it } from 'vitest';
import { GENERATION_STRIDE, NO_EPOCH } from '../../../src/routing/leader-epoch-map.js';
import {
  OffsetSegmentMap,
  PartitionChain,
  SegmentChainError,
  backendOfBindingKey,
  producerBindingKey,
  segmentEpochToReal,
  segmentEpochToVirtual,
  type OffsetSegment,
} from '../../../src/routing/offset-segments.js';

const S = GENERATION_STRIDE;

function seg(backend: string, firstOffset: bigint, shift: bigint, generation: number): OffsetSegment {
  return { backend, firstOffset, shift, generation };
}

/** east [0, 10), west [10, 25) (real 0..14), east again from 25 (real 13 on). */
const chain = new PartitionChain([seg('east', 0n, 0n, 0), seg('west', 10n, 10n, 1), seg('east', 25n, 12n, 2)]);

describe('PartitionChain', () => {
  it('finds the segment holding an offset at the first offset, the last one and just past each', () => {
    const at = (o: bigint): number => chain.indexAt(o);
    expect([0n, 9n, 10n, 11n, 24n, 25n, 26n, 1n << 62n].map(at)).toEqual([0, 0, 1, 1, 1, 2, 2, 2]);
    expect(chain.segmentAt(12n).backend).toBe('west');
  });

  it('gives offsets below 0 (ListOffsets sentinels) to the last segment', () => {
    expect(chain.indexAt(-1n)).toBe(2);
    expect(chain.indexAt(-2n)).toBe(2);
  });

  it('skips an empty segment: an offset at its start belongs to the next one', () => {
    // A cutover to west with nothing written before the return to east: west holds nothing.
    const c = new PartitionChain([seg('east', 0n, 0n, 0), seg('west', 10n, 10n, 1), seg('east', 10n, 3n, 2)]);
    expect(c.indexAt(9n)).toBe(0);
    expect(c.indexAt(10n)).toBe(2);
    expect(c.endOf(1)).toBe(10n);
    // Two empty segments in a row.
    const d = new PartitionChain([seg('a', 0n, 0n, 0), seg('b', 5n, 5n, 1), seg('c', 5n, 5n, 2), seg('a', 5n, 0n, 3)]);
    expect([4n, 5n, 6n].map((o) => d.indexAt(o))).toEqual([0, 3, 3]);
  });

  it('says where each segment ends: the next one\'s first offset, none for the last', () => {
    expect([0, 1, 2].map((i) => chain.endOf(i))).toEqual([10n, 25n, null]);
    expect(chain.last.generation).toBe(2);
    expect(chain.lastIndex).toBe(2);
  });

  it('appends a switch and retires a segment into the one before it', () => {
    const one = new PartitionChain([seg('east', 0n, 0n, 0)]);
    const two = one.append(seg('west', 40n, 40n, 1));
    expect(one.segments).toHaveLength(1);
    expect(two.indexAt(39n)).toBe(0);
    expect(two.indexAt(40n)).toBe(1);
    const retired = chain.without(1);
    expect(retired.segments.map((s) => s.backend)).toEqual(['east', 'east']);
    expect(retired.indexAt(10n)).toBe(0);
    expect(retired.endOf(0)).toBe(25n);
    expect(() => chain.without(2)).toThrow(/new records go/);
    expect(() => chain.without(3)).toThrow(SegmentChainError);
  });

  it('retires the first segment: the chain starts where the next one begins, and nothing lies below', () => {
    expect(chain.start).toBe(0n);
    expect(chain.isBelowStart(0n)).toBe(false);
    const rest = chain.without(0);
    expect(rest.segments.map((s) => [s.backend, s.firstOffset])).toEqual([
      ['west', 10n],
      ['east', 25n],
    ]);
    expect(rest.start).toBe(10n);
    expect([-1n, 0n, 9n, 10n, 30n].map((o) => rest.isBelowStart(o))).toEqual([false, true, true, false, false]);
    expect(rest.indexAt(10n)).toBe(0);
    expect(rest.indexAt(25n)).toBe(1);
    expect(rest.endOf(0)).toBe(25n);
    expect(PartitionChain.fromJSON(JSON.parse(JSON.stringify(rest)) as ReturnType<PartitionChain['toJSON']>).start).toBe(10n);
  });

  it('refuses chains that are empty, start below 0, go backwards or reuse a generation', () => {
    expect(() => new PartitionChain([])).toThrow(SegmentChainError);
    expect(() => new PartitionChain([seg('a', -1n, 0n, 0)])).toThrow(/below 0/);
    expect(() => new PartitionChain([seg('a', 0n, 0n, 0), seg('b', 10n, 0n, 1), seg('a', 9n, 0n, 2)])).toThrow(/before segment 1/);
    expect(() => chain.append(seg('west', 30n, 0n, 2))).toThrow(/generation 2/);
  });

  it('goes through JSON and back with offsets beyond 2^53 intact', () => {
    const big = chain.append(seg('west', (1n << 60n) + 1n, -(1n << 59n), 7));
    const text = JSON.stringify(big);
    expect(text).toContain(`"${(1n << 60n) + 1n}"`);
    const back = PartitionChain.fromJSON(JSON.parse(text) as ReturnType<PartitionChain['toJSON']>);
    expect(back.segments).toEqual(big.segments);
    expect(back.indexAt(1n << 60n)).toBe(2);
  });

  it('finds a segment by its generation', () => {
    expect(chain.indexOfGeneration(1)).toBe(1);
    expect(chain.indexOfGeneration(5)).toBe(-1);
  });
});

describe('leader epochs of a segment', () => {
  const [first, second, third] = chain.segments;

  it('shows a real epoch in the slice of the segment\'s own generation, whichever backend holds it', () => {
    expect(segmentEpochToVirtual(first, 3)).toBe(3);
    expect(segmentEpochToVirtual(second, 1)).toBe(S + 1);
    // The same backend as the first segment, a later generation: the epochs rise along the log.
    expect(segmentEpochToVirtual(third, 0)).toBe(2 * S);
    expect(segmentEpochToVirtual(third, S + 5)).toBe(3 * S - 1);
    expect(segmentEpochToVirtual(third, NO_EPOCH)).toBe(NO_EPOCH);
  });

  it('gives a client\'s epoch back only to the segment of its generation', () => {
    expect(segmentEpochToReal(third, 2 * S + 5)).toBe(5);
    expect(segmentEpochToReal(first, 2 * S + 5)).toBe(NO_EPOCH);
    expect(segmentEpochToReal(second, 2 * S + 5)).toBe(NO_EPOCH);
    expect(segmentEpochToReal(first, 4)).toBe(4);
    expect(segmentEpochToReal(first, NO_EPOCH)).toBe(NO_EPOCH);
  });
});

describe('OffsetSegmentMap', () => {
  it('answers undefined for a partition without a chain, and replaces a domain\'s chains whole', () => {
    const m = new OffsetSegmentMap();
    expect(m.chainOf('orders.a', 0)).toBeUndefined();
    m.setDomain('orders', { chains: new Map([['orders.a', [chain, undefined]], ['orders.b', [chain]]]), groupsBackend: 'east', era: 2 });
    expect(m.chainOf('orders.a', 0)).toBe(chain);
    expect(m.chainOf('orders.a', 1)).toBeUndefined();
    expect(m.chainOf('orders.a', 7)).toBeUndefined();
    expect(m.hasTopic('orders.b')).toBe(true);
    expect(m.groupsBackendOf('orders')).toBe('east');
    expect(m.eraOf('orders')).toBe(2);
    m.setDomain('orders', { chains: new Map([['orders.a', [undefined, chain]]]), groupsBackend: null, era: 3 });
    expect(m.chainOf('orders.a', 0)).toBeUndefined();
    expect(m.chainOf('orders.a', 1)).toBe(chain);
    expect(m.hasTopic('orders.b')).toBe(false);
    expect(m.groupsBackendOf('orders')).toBeNull();
    expect(m.eraOf('payments')).toBe(0);
    expect(m.domain('payments')).toBeUndefined();
  });

  it('keys a producer binding by backend and era', () => {
    expect(producerBindingKey('east', 0)).toBe('east');
    expect(producerBindingKey('east', 2)).toBe('east#2');
    expect(backendOfBindingKey('east#2')).toBe('east');
    expect(backendOfBindingKey('east')).toBe('east');
  });
});
