import { describe, expect, it } from 'vitest';
import { CREATED_TOPIC_GRACE_MS, RecentlyCreatedTopics } from '../../../src/routing/multi/recently-created-topics.js';

describe('RecentlyCreatedTopics', () => {
  it('holds a created topic as new for the grace period, then forgets it', () => {
    let now = 1_000;
    const created = new RecentlyCreatedTopics(() => now);
    created.created('orders');
    expect(created.isNew('orders')).toBe(true);
    expect(created.isNew('payments')).toBe(false);
    now += CREATED_TOPIC_GRACE_MS - 1;
    expect(created.isNew('orders')).toBe(true);
    now += 1;
    expect(created.isNew('orders')).toBe(false);
  });

  it('drops a deleted topic at once, and counts a re-creation from its new time', () => {
    let now = 0;
    const created = new RecentlyCreatedTopics(() => now);
    created.created('orders');
    created.deleted('orders');
    expect(created.isNew('orders')).toBe(false);
    now = CREATED_TOPIC_GRACE_MS / 2;
    created.created('orders');
    now = CREATED_TOPIC_GRACE_MS + 1;
    expect(created.isNew('orders')).toBe(true);
  });

  it('keeps at most 10,000 topics, the oldest going first', () => {
    const created = new RecentlyCreatedTopics(() => 0);
    for (let i = 0; i <= 10_000; i++) created.created(`t${i}`);
    expect(created.isNew('t0')).toBe(false);
    expect(created.isNew('t1')).toBe(true);
    expect(created.isNew('t10000')).toBe(true);
  });
});
