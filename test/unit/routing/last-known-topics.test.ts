import { describe, expect, it } from 'vitest';
import { LastKnownTopics } from '../../../src/routing/multi/last-known-topics.js';

describe('LastKnownTopics', () => {
  it('names the topics last listed anywhere whose domain now lives on a backend, in name order', () => {
    const known = new LastKnownTopics();
    known.replace('legacy', ['p-b', 'p-a', 'o-x']);
    known.replace('main', ['o-y']);
    const owner = new Map([
      ['p-a', 'gone'],
      ['p-b', 'gone'],
      ['o-x', 'main'],
      ['o-y', 'main'],
    ]);
    expect(known.namesResolvingTo('gone', (n) => owner.get(n))).toEqual(['p-a', 'p-b']);
    expect(known.namesResolvingTo('main', (n) => owner.get(n))).toEqual(['o-x', 'o-y']);
  });

  it('forgets what a backend no longer lists once it lists again, and keeps topics described since', () => {
    const known = new LastKnownTopics();
    known.replace('legacy', ['deleted', 'kept']);
    known.replace('legacy', ['kept']);
    known.add('legacy', 'named');
    expect(known.namesResolvingTo('legacy', () => 'legacy')).toEqual(['kept', 'named']);
  });
});
