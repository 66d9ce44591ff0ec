import { describe, expect, it } from 'vitest';
import {
  checkPattern,
  globMatches,
  parsePattern,
  patternMatches,
  patternsOverlap,
  type PatternInput,
} from '../../../src/policy/name-pattern.js';

function overlap(a: PatternInput, b: PatternInput): string | null {
  const pa = parsePattern(a);
  const pb = parsePattern(b);
  const ab = patternsOverlap(pa, pb);
  const ba = patternsOverlap(pb, pa);
  // Symmetric in whether they overlap, and any example given really matches both.
  expect(ab === null).toBe(ba === null);
  for (const example of [ab, ba]) {
    if (example !== null) {
      expect(patternMatches(pa, example), `${example} matches ${pa.written}`).toBe(true);
      expect(patternMatches(pb, example), `${example} matches ${pb.written}`).toBe(true);
    }
  }
  return ab;
}

describe('pattern parsing', () => {
  it('reads a name without wildcards as a literal', () => {
    expect(parsePattern('orders.created')).toEqual({
      kind: 'literal',
      text: 'orders.created',
      written: '"orders.created"',
      input: 'orders.created',
    });
  });

  it('reads one trailing star as a prefix', () => {
    expect(parsePattern('orders.*')).toMatchObject({ kind: 'prefix', text: 'orders.' });
    expect(parsePattern('orders.**')).toMatchObject({ kind: 'prefix', text: 'orders.' });
    expect(parsePattern('*')).toMatchObject({ kind: 'prefix', text: '' });
  });

  it('reads any other wildcard as a glob', () => {
    expect(parsePattern('*.audit')).toMatchObject({ kind: 'glob', text: '*.audit' });
    expect(parsePattern('orders-v?.*')).toMatchObject({ kind: 'glob', text: 'orders-v?.*' });
    expect(parsePattern('a**b')).toMatchObject({ kind: 'glob', text: 'a*b' });
  });

  it('takes explicit forms as written, wildcards included', () => {
    expect(parsePattern({ literal: 'a*b' })).toEqual({
      kind: 'literal',
      text: 'a*b',
      written: '{literal: "a*b"}',
      input: { literal: 'a*b' },
    });
    expect(parsePattern({ prefix: 'pay?' })).toMatchObject({ kind: 'prefix', text: 'pay?' });
    expect(parsePattern({ glob: 'x' })).toMatchObject({ kind: 'glob', text: 'x' });
  });

  it('refuses topic patterns with characters topics cannot have', () => {
    expect(checkPattern('topic', 'orders/created')).toMatch(/letters, digits/);
    expect(checkPattern('topic', { literal: 'a*b' })).toMatch(/letters, digits/);
    expect(checkPattern('topic', 'orders.*')).toBeNull();
    expect(checkPattern('topic', 'x'.repeat(250))).toMatch(/at most 249/);
    expect(checkPattern('topic', `${'x'.repeat(250)}*`)).toMatch(/matches no topic/);
  });

  it('accepts any characters in group and transactional id patterns', () => {
    expect(checkPattern('group', 'team/orders consumers')).toBeNull();
    expect(checkPattern('transactionalId', { literal: 'tx*1' })).toBeNull();
    expect(checkPattern('group', { literal: '' })).toMatch(/empty/);
    expect(checkPattern('group', 'x'.repeat(1025))).toMatch(/longer than 1024/);
  });
});

describe('pattern matching', () => {
  it('matches literals exactly and prefixes by start', () => {
    expect(patternMatches(parsePattern('orders'), 'orders')).toBe(true);
    expect(patternMatches(parsePattern('orders'), 'orders.x')).toBe(false);
    expect(patternMatches(parsePattern('orders.*'), 'orders.')).toBe(true);
    expect(patternMatches(parsePattern('orders.*'), 'orders.created.v2')).toBe(true);
    expect(patternMatches(parsePattern('orders.*'), 'orders')).toBe(false);
  });

  it('matches globs: star any run (dots too, or nothing), question mark one character', () => {
    expect(globMatches('*.audit', 'orders.audit')).toBe(true);
    expect(globMatches('*.audit', 'a.b.c.audit')).toBe(true);
    expect(globMatches('*.audit', '.audit')).toBe(true);
    expect(globMatches('*.audit', 'audit')).toBe(false);
    expect(globMatches('v?', 'v1')).toBe(true);
    expect(globMatches('v?', 'v')).toBe(false);
    expect(globMatches('v?', 'v12')).toBe(false);
    expect(globMatches('a*b*c', 'aXbYbZc')).toBe(true);
    expect(globMatches('a*b*c', 'aXcYb')).toBe(false);
    expect(globMatches('*', '')).toBe(true);
  });

  it('finishes on a name built to make backtracking explode', () => {
    // A backtracking matcher would not finish this in any machine's lifetime; the test's
    // deadline only catches that, it does not measure speed.
    const glob = `${'*a'.repeat(30)}*b`;
    const name = 'a'.repeat(5000);
    expect(globMatches(glob, name)).toBe(false);
    expect(globMatches(glob, `${name}b`)).toBe(true);
  }, 30_000);
});

describe('pattern overlap', () => {
  it('literal against literal, prefix and glob', () => {
    expect(overlap('orders', 'orders')).toBe('orders');
    expect(overlap('orders', 'order')).toBeNull();
    expect(overlap('orders.created', 'orders.*')).toBe('orders.created');
    expect(overlap('orders', 'orders.*')).toBeNull();
    expect(overlap('orders.audit', '*.audit')).toBe('orders.audit');
    expect(overlap('orders.audits', '*.audit')).toBeNull();
  });

  it('prefix against prefix: only when one starts the other', () => {
    expect(overlap('orders.*', 'orders.pay*')).toBe('orders.pay');
    expect(overlap('orders.*', 'orders_*')).toBeNull();
    expect(overlap({ prefix: 'orders' }, 'orders.*')).toBe('orders.');
    expect(overlap('*', 'anything.*')).toBe('anything.');
  });

  it('prefix against glob', () => {
    expect(overlap('orders.*', '*.audit')).toBe('orders.audit');
    expect(overlap('orders.*', 'pay*')).toBeNull();
    expect(overlap('ab*', 'a?c')).toBe('abc');
    expect(overlap('ab*', 'a?')).toBe('ab');
    expect(overlap('abc*', 'a?')).toBeNull();
    expect(overlap('x.*', '*.y')).toBe('x.y');
  });

  it('glob against glob: lengths, fixed ends, wildcards on both sides', () => {
    expect(overlap('*x', '*y')).toBeNull();
    expect(overlap('x*', '*y')).toBe('xy');
    expect(overlap('*x*', '*y*')).not.toBeNull();
    expect(overlap('a?', 'a??')).toBeNull();
    expect(overlap('???', '*abcd')).toBeNull();
    expect(overlap('????', '*abcd')).toBe('abcd');
    expect(overlap('*ab', 'ba*')).toBe('bab');
    expect(overlap('a*a', 'a')).toBeNull();
    expect(overlap('a*a', 'a?')).toBe('aa');
    expect(overlap('x.*.y', 'x.a*')).toBe('x.a.y');
    expect(overlap('*-v1', '*-v2')).toBeNull();
    expect(overlap('team-?-*', 'team-*-events')).toBe('team-x-events');
  });

  it('explicit literals with wildcard characters compare as plain characters', () => {
    expect(overlap({ literal: 'a*' }, 'a?')).toBe('a*');
    expect(overlap({ literal: 'a*' }, { literal: 'ab' })).toBeNull();
    expect(overlap({ prefix: 'a?' }, 'ab*')).toBeNull();
    expect(overlap({ prefix: 'a?' }, 'a*')).toBe('a?');
  });
});
