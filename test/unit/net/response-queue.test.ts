import { describe, expect, it } from 'vitest';
import { InOrderResponseQueue } from '../../../src/net/response-queue.js';

interface Item {
  name: string;
  response: Buffer | null;
}

function item(name: string): Item {
  return { name, response: null };
}

function drain(q: InOrderResponseQueue<Item>): string[] {
  const out: string[] = [];
  let i: Item | undefined;
  while ((i = q.shiftReady()) !== undefined) out.push(i.name);
  return out;
}

describe('InOrderResponseQueue', () => {
  it('releases nothing while the oldest exchange has no response', () => {
    const q = new InOrderResponseQueue<Item>();
    const a = item('a');
    const b = item('b');
    q.push(a);
    q.push(b);
    b.response = Buffer.from('b');
    expect(drain(q)).toEqual([]);
    expect(q.size).toBe(2);
  });

  it('releases responses in request order however they complete', () => {
    const q = new InOrderResponseQueue<Item>();
    const items = ['a', 'b', 'c', 'd'].map(item);
    for (const i of items) q.push(i);
    items[2].response = Buffer.alloc(0);
    items[1].response = Buffer.alloc(0);
    expect(drain(q)).toEqual([]);
    items[0].response = Buffer.alloc(0);
    expect(drain(q)).toEqual(['a', 'b', 'c']);
    items[3].response = Buffer.alloc(0);
    expect(drain(q)).toEqual(['d']);
    expect(q.size).toBe(0);
  });

  it('keeps order across many exchanges with several in flight', () => {
    const q = new InOrderResponseQueue<Item>();
    const released: string[] = [];
    const open: Item[] = [];
    for (let n = 0; n < 5000; n++) {
      const i = item(String(n));
      q.push(i);
      open.push(i);
      if (open.length > 3) {
        // complete the newest first, then the oldest
        open[open.length - 1].response = Buffer.alloc(0);
        open[0].response = Buffer.alloc(0);
        open.shift();
        released.push(...drain(q));
      }
    }
    for (const i of open) i.response = Buffer.alloc(0);
    released.push(...drain(q));
    expect(released).toEqual(Array.from({ length: 5000 }, (_, n) => String(n)));
  });

  it('keeps order and size when emptied and refilled to different depths, across its ring growing', () => {
    const q = new InOrderResponseQueue<Item>();
    let next = 0;
    let expected = 0;
    for (let round = 0; round < 200; round++) {
      const depth = 1 + ((round * 7) % 40);
      const items: Item[] = [];
      for (let i = 0; i < depth; i++) {
        const it = item(String(next++));
        items.push(it);
        q.push(it);
      }
      expect(q.size).toBe(depth);
      expect(q.peek()).toBe(items[0]);
      for (const it of items) it.response = Buffer.alloc(0);
      for (const name of drain(q)) expect(name).toBe(String(expected++));
      expect(q.size).toBe(0);
      expect(q.peek()).toBeUndefined();
    }
    expect(expected).toBe(next);
  });

  it('clear returns the exchanges still waiting', () => {
    const q = new InOrderResponseQueue<Item>();
    q.push(item('a'));
    q.push(item('b'));
    expect(q.clear().map((i) => i.name)).toEqual(['a', 'b']);
    expect(q.size).toBe(0);
  });
});
