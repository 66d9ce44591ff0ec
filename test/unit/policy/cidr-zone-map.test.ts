import { describe, expect, it } from 'vitest';
import { CidrZoneMap, parseCidr, parseClientAddress } from '../../../src/policy/cidr-zone-map.js';

describe('parseCidr', () => {
  it('normalises IPv4 and IPv6 ranges', () => {
    expect(parseCidr('10.0.0.0/8')).toMatchObject({ ok: true, range: { prefixLength: 8, text: '10.0.0.0/8' } });
    expect(parseCidr(' 2001:0DB8:0000::/32 ')).toMatchObject({ ok: true, range: { prefixLength: 32, text: '2001:db8::/32' } });
    expect(parseCidr('0.0.0.0/0')).toMatchObject({ ok: true, range: { text: '0.0.0.0/0' } });
    expect(parseCidr('::/0')).toMatchObject({ ok: true, range: { text: '::/0' } });
  });

  it('reads an IPv4-mapped IPv6 range as the IPv4 range', () => {
    expect(parseCidr('::ffff:10.0.0.0/104')).toMatchObject({ ok: true, range: { prefixLength: 8, text: '10.0.0.0/8' } });
  });

  it('refuses missing or out-of-range prefixes, host bits and zone ids', () => {
    for (const bad of ['10.0.0.0', '10.0.0.0/33', '::/129', '10.0.0/8', '010.0.0.0/8', 'x/8', '']) {
      expect(parseCidr(bad).ok, bad).toBe(false);
    }
    expect(parseCidr('10.0.0.1/24')).toEqual({ ok: false, reason: 'has host bits set: the range with this prefix is 10.0.0.0/24' });
    expect(parseCidr('fe80::1%eth0/64').ok).toBe(false);
  });
});

describe('parseClientAddress', () => {
  it('unwraps IPv4-mapped addresses and refuses non-addresses', () => {
    expect(parseClientAddress('::ffff:10.0.0.1')?.toString()).toBe('10.0.0.1');
    expect(parseClientAddress('::1')?.kind()).toBe('ipv6');
    expect(parseClientAddress(undefined)).toBeNull();
    expect(parseClientAddress('localhost')).toBeNull();
  });
});

describe('CidrZoneMap', () => {
  const map = new CidrZoneMap([
    ['10.0.0.0/8', 'wide'],
    ['10.1.0.0/16', 'mid'],
    ['10.1.2.0/24', 'narrow'],
    ['10.1.2.3/32', 'host'],
    ['2001:db8::/32', 'v6-wide'],
    ['2001:db8:1::/48', 'v6-narrow'],
    ['0.0.0.0/0', 'v4-default'],
  ]);

  it('answers with the longest matching prefix, whatever the order of the entries', () => {
    expect(map.lookup('10.9.9.9')).toEqual({ zone: 'wide', range: '10.0.0.0/8' });
    expect(map.lookup('10.1.9.9')).toEqual({ zone: 'mid', range: '10.1.0.0/16' });
    expect(map.lookup('10.1.2.9')).toEqual({ zone: 'narrow', range: '10.1.2.0/24' });
    expect(map.lookup('10.1.2.3')).toEqual({ zone: 'host', range: '10.1.2.3/32' });
    expect(map.lookup('192.0.2.1')).toEqual({ zone: 'v4-default', range: '0.0.0.0/0' });
  });

  it('matches IPv6 addresses against IPv6 ranges only', () => {
    expect(map.lookup('2001:db8:1::5')?.zone).toBe('v6-narrow');
    expect(map.lookup('2001:db8:2::5')?.zone).toBe('v6-wide');
    expect(map.lookup('2001:db9::1')).toBeNull();
  });

  it('matches IPv4-mapped IPv6 client addresses against IPv4 ranges', () => {
    expect(map.lookup('::ffff:10.1.2.77')?.zone).toBe('narrow');
    expect(map.lookup('::ffff:127.0.0.1')?.zone).toBe('v4-default');
  });

  it('matches IPv4 clients against a range written IPv4-mapped', () => {
    const mapped = new CidrZoneMap([['::ffff:172.16.0.0/108', 'mapped']]);
    expect(mapped.lookup('172.16.5.5')).toEqual({ zone: 'mapped', range: '172.16.0.0/12' });
  });

  it('answers null for unknown addresses, no address and an empty map', () => {
    expect(new CidrZoneMap([]).lookup('10.0.0.1')).toBeNull();
    expect(map.lookup(undefined)).toBeNull();
    expect(map.lookup('not-an-ip')).toBeNull();
  });

  it('throws, naming the range, on an invalid entry', () => {
    expect(() => new CidrZoneMap([['10.0.0.0/40', 'x']])).toThrow(/10\.0\.0\.0\/40/);
  });
});
