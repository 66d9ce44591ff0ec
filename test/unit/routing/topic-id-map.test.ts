import { describe, expect, it } from 'vitest';
import { Reader, Writer, ZERO_UUID } from '../../../src/codec/index.js';
import { ONE_UUID, TopicIdMap, deriveTopicId, firstTopicId, isReservedTopicId, type TopicIdMapChange } from '../../../src/routing/topic-id-map.js';

const REAL_A = 'rAAAAAAAAAAAAAAAAAAAAA';
const REAL_A2 = 'rAAAAAAAAAAAAAAAAAAAAg';
const REAL_B = 'rBBBBBBBBBBBBBBBBBBBBA';
const REAL_B2 = 'rBBBBBBBBBBBBBBBBBBBBg';

/** A derivation that yields the given ids, then fails the test. */
function idsFrom(...ids: string[]): () => string {
  let i = 0;
  return () => {
    if (i >= ids.length) throw new Error('test generator exhausted');
    return ids[i++];
  };
}

describe('derived topic ids', () => {
  it('are 22-character display-form version-8 uuids that survive a wire round trip', () => {
    for (let i = 0; i < 200; i++) {
      const id = deriveTopicId(`topic-${i}`, 'main', REAL_A, 0);
      expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
      const bytes = Buffer.from(id, 'base64url');
      expect(bytes[6] >> 4).toBe(8);
      expect(bytes[8] >> 6).toBe(2);
      const w = new Writer(32);
      w.writeUuid(id);
      expect(new Reader(w.finish()).readUuid()).toBe(id);
    }
  });

  it('depend on the name, the serving backend, its real id and the attempt, and nothing else', () => {
    const id = deriveTopicId('orders', 'main', REAL_A, 0);
    expect(deriveTopicId('orders', 'main', REAL_A, 0)).toBe(id);
    const others = [
      deriveTopicId('orders2', 'main', REAL_A, 0),
      deriveTopicId('orders', 'legacy', REAL_A, 0),
      deriveTopicId('orders', 'main', REAL_A2, 0),
      deriveTopicId('orders', 'main', REAL_A, 1),
      // the separator keeps name and backend apart
      deriveTopicId('ordersm', 'ain', REAL_A, 0),
    ];
    expect(new Set([id, ...others]).size).toBe(6);
  });

  it('first sight assigns the first candidate Kafka could have generated, the same one firstTopicId names', () => {
    // about one name in 64 derives a first candidate with a leading '-': find one
    let dashed: string | undefined;
    for (let i = 0; dashed === undefined; i++) if (deriveTopicId(`t-${i}`, 'main', REAL_A, 0).startsWith('-')) dashed = `t-${i}`;
    const expected = firstTopicId(dashed, 'main', REAL_A);
    expect(expected).not.toBe(deriveTopicId(dashed, 'main', REAL_A, 0));
    expect(isReservedTopicId(expected)).toBe(false);
    expect(new TopicIdMap().observeServing('main', dashed, REAL_A).virtualId).toBe(expected);
    expect(new TopicIdMap().observeServing('main', 'orders', REAL_A).virtualId).toBe(firstTopicId('orders', 'main', REAL_A));
  });

  it('treats the zero and one uuids and a leading dash as reserved, as Kafka does', () => {
    expect(isReservedTopicId(ZERO_UUID)).toBe(true);
    expect(isReservedTopicId(ONE_UUID)).toBe(true);
    expect(isReservedTopicId('-AAAAAAAAAAAAAAAAAAAAA')).toBe(true);
    expect(isReservedTopicId('AAAAAAAAAAAAAAAAAAAAAg')).toBe(false);
  });
});

describe('TopicIdMap', () => {
  it('assigns a virtual id on first sight and maps it both ways', () => {
    const map = new TopicIdMap();
    const obs = map.observeServing('a', 'orders', REAL_A);
    expect(obs.change).toBe('assigned');
    expect(obs.virtualId).not.toBe(REAL_A);
    expect(isReservedTopicId(obs.virtualId)).toBe(false);
    expect(map.virtualIdOf('orders')).toBe(obs.virtualId);
    expect(map.nameOf(obs.virtualId)).toBe('orders');
    expect(map.realIdOf(obs.virtualId, 'a')).toBe(REAL_A);
    expect(map.virtualIdOfReal('a', REAL_A)).toBe(obs.virtualId);
    expect(map.servingBackendOf('orders')).toBe('a');
    expect(map.observeServing('a', 'orders', REAL_A)).toEqual({ virtualId: obs.virtualId, change: 'unchanged' });
  });

  it('never hands out a reserved id, a malformed one or one already issued', () => {
    const map = new TopicIdMap({
      deriveId: idsFrom(ZERO_UUID, ONE_UUID, '-xAAAAAAAAAAAAAAAAAAAA', 'short', 'v1AAAAAAAAAAAAAAAAAAAA', 'v1AAAAAAAAAAAAAAAAAAAA', 'v2AAAAAAAAAAAAAAAAAAAA'),
    });
    expect(map.observeServing('a', 't1', REAL_A).virtualId).toBe('v1AAAAAAAAAAAAAAAAAAAA');
    expect(map.observeServing('a', 't2', REAL_A2).virtualId).toBe('v2AAAAAAAAAAAAAAAAAAAA');
  });

  it('never reuses the id of a recreated or forgotten topic', () => {
    const map = new TopicIdMap({
      deriveId: idsFrom('v1AAAAAAAAAAAAAAAAAAAA', 'v1AAAAAAAAAAAAAAAAAAAA', 'v2AAAAAAAAAAAAAAAAAAAA', 'v2AAAAAAAAAAAAAAAAAAAA', 'v3AAAAAAAAAAAAAAAAAAAA'),
    });
    map.observeServing('a', 'orders', REAL_A);
    expect(map.observeServing('a', 'orders', REAL_A2).virtualId).toBe('v2AAAAAAAAAAAAAAAAAAAA');
    map.forget('orders');
    expect(map.observeServing('a', 'orders', REAL_A).virtualId).toBe('v3AAAAAAAAAAAAAAAAAAAA');
  });

  it('gives a topic recreated on its serving backend a new id and retires the old one', () => {
    const map = new TopicIdMap();
    const first = map.observeServing('a', 'orders', REAL_A).virtualId;
    const again = map.observeServing('a', 'orders', REAL_A2);
    expect(again.change).toBe('recreated');
    expect(again.virtualId).not.toBe(first);
    expect(map.nameOf(first)).toBeUndefined();
    expect(map.realIdOf(first, 'a')).toBeUndefined();
    expect(map.virtualIdOfReal('a', REAL_A)).toBeUndefined();
    expect(map.virtualIdOfReal('a', REAL_A2)).toBe(again.virtualId);
    expect(map.nameOf(again.virtualId)).toBe('orders');
  });

  it('keeps the virtual id when the topic moves to another backend', () => {
    const map = new TopicIdMap();
    const v = map.observeServing('a', 'orders', REAL_A).virtualId;
    expect(map.observeServing('b', 'orders', REAL_B)).toEqual({ virtualId: v, change: 'bound' });
    expect(map.servingBackendOf('orders')).toBe('b');
    expect(map.realIdOf(v, 'a')).toBe(REAL_A);
    expect(map.realIdOf(v, 'b')).toBe(REAL_B);
    expect(map.virtualIdOfReal('a', REAL_A)).toBe(v);
    expect(map.virtualIdOfReal('b', REAL_B)).toBe(v);
    // and back again (a rollback): still the same topic
    expect(map.observeServing('a', 'orders', REAL_A)).toEqual({ virtualId: v, change: 'bound' });
  });

  it('binds a migration target without changing the id, even when the target recreates the topic', () => {
    const map = new TopicIdMap();
    const v = map.observeServing('a', 'orders', REAL_A).virtualId;
    expect(map.observeOther('b', 'orders', REAL_B)).toEqual({ virtualId: v, change: 'bound' });
    expect(map.observeOther('b', 'orders', REAL_B)).toEqual({ virtualId: v, change: 'unchanged' });
    expect(map.observeOther('b', 'orders', REAL_B2)).toEqual({ virtualId: v, change: 'bound' });
    expect(map.virtualIdOfReal('b', REAL_B)).toBeUndefined();
    expect(map.realIdOf(v, 'b')).toBe(REAL_B2);
    expect(map.servingBackendOf('orders')).toBe('a');
    // the cutover: the prepared target starts serving with the id it had; clients see no change
    expect(map.observeServing('b', 'orders', REAL_B2)).toEqual({ virtualId: v, change: 'bound' });
  });

  it('keeps a non-serving backend real id of a topic not served yet, and derives the id from the serving backend', () => {
    const map = new TopicIdMap();
    expect(map.observeOther('b', 'orders', REAL_B)).toEqual({ virtualId: undefined, change: 'pending' });
    expect(map.virtualIdOf('orders')).toBeUndefined();
    const obs = map.observeServing('a', 'orders', REAL_A);
    expect(obs).toEqual({ virtualId: deriveTopicId('orders', 'a', REAL_A, 0), change: 'assigned' });
    expect(map.virtualIdOfReal('b', REAL_B)).toBe(obs.virtualId);
    expect(map.servingBackendOf('orders')).toBe('a');
  });

  it('gives two instances that first see a topic on the same serving backend the same id, whatever else they saw first', () => {
    const one = new TopicIdMap();
    const two = new TopicIdMap();
    one.observeServing('a', 'orders', REAL_A);
    two.observeOther('b', 'orders', REAL_B);
    two.observeServing('a', 'orders', REAL_A);
    expect(two.virtualIdOf('orders')).toBe(one.virtualIdOf('orders'));
    // recreated on a: both derive the same new id, independently
    expect(one.observeServing('a', 'orders', REAL_A2).virtualId).toBe(two.observeServing('a', 'orders', REAL_A2).virtualId);
  });

  it('lets a real id name one topic per backend', () => {
    const map = new TopicIdMap();
    const v1 = map.observeServing('a', 'one', REAL_A).virtualId;
    const v2 = map.observeServing('a', 'two', REAL_A).virtualId;
    expect(map.virtualIdOfReal('a', REAL_A)).toBe(v2);
    expect(map.realIdOf(v1, 'a')).toBeUndefined();
  });

  it('refuses the zero uuid as a real id', () => {
    const map = new TopicIdMap();
    expect(() => map.observeServing('a', 'orders', ZERO_UUID)).toThrow(RangeError);
    expect(() => map.observeOther('a', 'orders', ZERO_UUID)).toThrow(RangeError);
  });

  it('shares its entries with another instance, which then answers the same ids', () => {
    const one = new TopicIdMap();
    const v = one.observeServing('a', 'orders', REAL_A).virtualId;
    one.observeOther('b', 'orders', REAL_B);
    const two = new TopicIdMap();
    two.observeServing('a', 'orders', REAL_A); // its own id, replaced by the adopted one
    for (const e of one.entries()) two.adopt(e);
    expect(two.virtualIdOf('orders')).toBe(v);
    expect(two.virtualIdOfReal('b', REAL_B)).toBe(v);
    expect(two.servingBackendOf('orders')).toBe('a');
    expect(two.size).toBe(1);
    expect(() => two.adopt({ name: 'other', virtualId: v, servingBackend: 'a', realIds: {} })).toThrow(RangeError);
    expect(() => two.adopt({ name: 'other', virtualId: ZERO_UUID, servingBackend: 'a', realIds: {} })).toThrow(RangeError);
  });

  it('merges the bindings of an adopted entry with its own id, keeping the serving backend it observed', () => {
    const map = new TopicIdMap();
    const v = map.observeServing('b', 'orders', REAL_B).virtualId;
    map.adopt({ name: 'orders', virtualId: v, servingBackend: 'a', realIds: { a: REAL_A } });
    expect(map.servingBackendOf('orders')).toBe('b');
    expect(map.realIdOf(v, 'a')).toBe(REAL_A);
    expect(map.realIdOf(v, 'b')).toBe(REAL_B);
  });

  it('reports its own changes to listeners, and none of the adopted ones', () => {
    const map = new TopicIdMap();
    const seen: TopicIdMapChange[] = [];
    const stop = map.onChange((c) => seen.push(c));
    const v1 = map.observeServing('a', 'orders', REAL_A).virtualId;
    map.observeServing('a', 'orders', REAL_A); // unchanged
    map.observeOther('b', 'orders', REAL_B);
    const v2 = map.observeServing('a', 'orders', REAL_A2).virtualId;
    map.adopt({ name: 'payments', virtualId: 'pAAAAAAAAAAAAAAAAAAAAA', servingBackend: 'a', realIds: {} });
    map.adoptForget('payments', 'pAAAAAAAAAAAAAAAAAAAAA');
    map.forget('orders');
    expect(seen.map((c) => (c.kind === 'set' ? [c.kind, c.entry.virtualId, c.previousVirtualId, Object.keys(c.entry.realIds).sort()] : [c.kind, c.virtualId]))).toEqual([
      ['set', v1, null, ['a']],
      ['set', v1, null, ['a', 'b']],
      ['set', v2, v1, ['a']],
      ['forget', v2],
    ]);
    expect(map.nameOf('pAAAAAAAAAAAAAAAAAAAAA')).toBeUndefined();
    stop();
    map.observeServing('a', 'users', REAL_A);
    expect(seen).toHaveLength(4);
  });

  it('forgets an adopted deletion only while it still names the same id', () => {
    const map = new TopicIdMap();
    const v = map.observeServing('a', 'orders', REAL_A).virtualId;
    map.adoptForget('orders', 'otherAAAAAAAAAAAAAAAAA');
    expect(map.virtualIdOf('orders')).toBe(v);
    map.adoptForget('orders', v);
    expect(map.virtualIdOf('orders')).toBeUndefined();
  });
});
