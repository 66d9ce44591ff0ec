// The producer binding journal in a state folder: what one instance stored is what the next
// one loads, whatever the journal went through (torn last line, compaction, idle expiry).
import { appendFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/observability/logger.js';
import { FileProducerBindingStore, PRODUCERS_FILE } from '../../../src/routing/producer-binding-file-store.js';
import type { StoredProducer } from '../../../src/routing/producer-binding-store.js';

const log = createLogger({ level: 'silent' });
const DAY_MS = 24 * 60 * 60 * 1000;
const V1 = 1n << 41n;
const V2 = (1n << 41n) + 1n;
let dir: string;
let now: number;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'turnout-producers-'));
  now = 10 * DAY_MS;
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function open(compactAfterLines?: number): Promise<FileProducerBindingStore> {
  return FileProducerBindingStore.open({ dir, idleMs: DAY_MS, log, nowMs: () => now, compactAfterLines });
}

async function journalLines(): Promise<string[]> {
  return (await readFile(join(dir, PRODUCERS_FILE), 'utf8')).split('\n').filter((l) => l !== '');
}

function transactional(virtualId: bigint, transactionalId: string, realId: bigint, epoch: number): StoredProducer {
  return { virtualId, transactionalId, epoch, bindings: new Map([['a', { realId, epochDelta: 0 }]]), usedMs: now };
}

describe('the producer binding file store', () => {
  it('keeps claimed bindings across a restart; the first claim on a backend stands', async () => {
    const store = await open();
    expect(await store.claimBinding(V1, 'a', { realId: 1000n, epochDelta: 0 }, now)).toEqual({ realId: 1000n, epochDelta: 0 });
    expect(await store.claimBinding(V1, 'a', { realId: 1001n, epochDelta: 0 }, now)).toEqual({ realId: 1000n, epochDelta: 0 });
    await store.claimBinding(V1, 'b', { realId: 2000n, epochDelta: 0 }, now);
    // No close: a crash loses nothing that was reported durable.
    const restarted = await open();
    expect(await restarted.find(V1)).toEqual({
      virtualId: V1,
      transactionalId: null,
      epoch: 0,
      bindings: new Map([
        ['a', { realId: 1000n, epochDelta: 0 }],
        ['b', { realId: 2000n, epochDelta: 0 }],
      ]),
      usedMs: now,
    });
    expect(await restarted.find(V2)).toBeNull();
    await Promise.all([store.close(), restarted.close()]);
  });

  it('replaces a transactional id producer whole, and forgets the one it replaced', async () => {
    const store = await open();
    await store.putTransactional(transactional(V1, 'txn-1', 500n, 3), null);
    await store.putTransactional(transactional(V2, 'txn-1', 501n, 0), V1);
    const restarted = await open();
    expect((await restarted.findTransactional('txn-1'))?.virtualId).toBe(V2);
    expect(await restarted.find(V1)).toBeNull();
    expect(await restarted.findTransactional('txn-2')).toBeNull();
    await Promise.all([store.close(), restarted.close()]);
  });

  it("keeps a moved transactional id's sequence bases across a restart, the first per partition standing, until the producer is put again without them", async () => {
    const store = await open();
    const moved = transactional(V1, 'txn-1', 500n, 3);
    moved.bindings.set('b#1', { realId: 40n, epochDelta: -3 });
    moved.sequenceBases = new Map([['b#1', new Map()]]);
    await store.putTransactional(moved, null);
    expect(await store.claimSequenceBase(V1, 'b#1', '0:t', 9, now)).toBe(9);
    expect(await store.claimSequenceBase(V1, 'b#1', '0:t', 11, now), 'the first base stands').toBe(9);
    expect(await store.claimSequenceBase(V1, 'b#1', '1:t', 30, now)).toBe(30);
    expect(await store.claimSequenceBase(V2, 'b#1', '0:t', 4, now), 'a producer not stored keeps nothing').toBe(4);
    expect(await store.find(V2)).toBeNull();
    const restarted = await open();
    const found = await restarted.find(V1);
    expect(found?.sequenceBases).toEqual(new Map([['b#1', new Map([['0:t', 9], ['1:t', 30]])]]));
    expect(found?.bindings.get('b#1')).toEqual({ realId: 40n, epochDelta: -3 });
    // A base under a later key replaces the earlier key's: one key at a time.
    expect(await restarted.claimSequenceBase(V1, 'c#2', '0:t', 50, now)).toBe(50);
    expect((await restarted.find(V1))?.sequenceBases).toEqual(new Map([['c#2', new Map([['0:t', 50]])]]));
    // The client initialised again: the producer is put without bases.
    await restarted.putTransactional(transactional(V1, 'txn-1', 500n, 4), null);
    const third = await open();
    expect((await third.find(V1))?.sequenceBases).toBeUndefined();
    await Promise.all([store.close(), restarted.close(), third.close()]);
  });

  it('skips a line torn by a crash and compacts the journal to one line per producer on load', async () => {
    const store = await open();
    for (let i = 0; i < 5; i++) await store.claimBinding(V1, `backend-${i}`, { realId: BigInt(i), epochDelta: 0 }, now);
    await store.claimBinding(V2, 'a', { realId: 9n, epochDelta: 0 }, now);
    expect(await journalLines()).toHaveLength(6);
    await appendFile(join(dir, PRODUCERS_FILE), '{"put":{"virtualId":"12');
    const restarted = await open();
    expect(await journalLines()).toHaveLength(2);
    expect((await restarted.find(V1))?.bindings.size).toBe(5);
    expect(restarted.size).toBe(2);
    await Promise.all([store.close(), restarted.close()]);
  });

  it('compacts while running once the journal outgrows its producers', async () => {
    const store = await open(10);
    for (let i = 0; i < 50; i++) await store.claimBinding(V1, `backend-${i}`, { realId: BigInt(i), epochDelta: 0 }, now);
    expect((await journalLines()).length).toBeLessThanOrEqual(11);
    const restarted = await open();
    expect((await restarted.find(V1))?.bindings.size).toBe(50);
    await Promise.all([store.close(), restarted.close()]);
  });

  it('records use, and forgets producers idle too long: at a sweep and at load', async () => {
    const store = await open();
    await store.claimBinding(V1, 'a', { realId: 1n, epochDelta: 0 }, now);
    await store.claimBinding(V2, 'a', { realId: 2n, epochDelta: 0 }, now);
    now += DAY_MS / 2;
    await store.touch([{ virtualId: V2, transactionalId: null }], now);
    // V1's last use is a day and a half old by now, V2's a day.
    now += DAY_MS;
    await store.forgetIdle([], now - DAY_MS - 1);
    expect(await store.find(V1)).toBeNull();
    expect(await store.find(V2)).not.toBeNull();
    now += DAY_MS;
    const later = await open();
    expect(later.size).toBe(0);
    await Promise.all([store.close(), later.close()]);
  });

  it('answers a store error after it is closed', async () => {
    const store = await open();
    await store.close();
    await expect(store.find(V1)).rejects.toThrow(/producer binding store \(file\) could not serve a request: the store is closed/);
  });
});
