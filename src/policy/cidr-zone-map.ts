// Source address → zone, from a map of CIDR ranges (IPv4 and IPv6). Ranges may overlap; the
// longest prefix that contains an address wins, as in a routing table. IPv4 clients reaching
// a dual-stack listener show up as IPv4-mapped IPv6 addresses (::ffff:10.0.0.1): they are
// matched as the IPv4 addresses they are, and an IPv4-mapped range is read as an IPv4 one.
import ipaddr from 'ipaddr.js';

type IpAddress = ipaddr.IPv4 | ipaddr.IPv6;

/** One CIDR range, normalised: `10.0.0.0/8`, `2001:db8::/32`. */
export interface CidrRange {
  readonly address: IpAddress;
  readonly prefixLength: number;
  /** Canonical text, the network address in its shortest form. */
  readonly text: string;
}

/** A parsed range, or why the text is not one. */
export type CidrParse = { ok: true; range: CidrRange } | { ok: false; reason: string };

const IPV4_MAPPED_PREFIX_BITS = 96;

/**
 * Parses `10.0.0.0/8` or `2001:db8::/32`. Host bits must be zero, so a typo such as
 * `10.1.0.0/8` (meant /16?) is refused rather than silently widened.
 */
export function parseCidr(text: string): CidrParse {
  const trimmed = text.trim();
  let parsed: [IpAddress, number];
  try {
    // IPv4 in four decimal parts only: the parser also takes `10.0.0/8` and octal `010.0.0.0`.
    if (!trimmed.includes(':') && !ipaddr.IPv4.isValidCIDRFourPartDecimal(trimmed)) throw new Error('not four-part decimal');
    parsed = ipaddr.parseCIDR(trimmed);
  } catch {
    return { ok: false, reason: 'must be a CIDR range such as 10.0.0.0/16 or 2001:db8::/32' };
  }
  let [address, prefixLength] = parsed;
  if (address.kind() === 'ipv6' && (address as ipaddr.IPv6).zoneId !== undefined) {
    return { ok: false, reason: 'must not carry an IPv6 zone id (%...)' };
  }
  if (address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress() && prefixLength >= IPV4_MAPPED_PREFIX_BITS) {
    address = (address as ipaddr.IPv6).toIPv4Address();
    prefixLength -= IPV4_MAPPED_PREFIX_BITS;
  }
  const network = networkOf(address, prefixLength);
  const canonical = `${formatAddress(network)}/${prefixLength}`;
  if (!sameAddress(network, address)) {
    return { ok: false, reason: `has host bits set: the range with this prefix is ${canonical}` };
  }
  return { ok: true, range: { address: network, prefixLength, text: canonical } };
}

/**
 * Parses a socket's remote address, unwrapping IPv4-mapped IPv6 to IPv4. Null when it is not
 * an IP address (a Unix socket, or a socket already closed).
 */
export function parseClientAddress(text: string | undefined): IpAddress | null {
  if (text === undefined || !ipaddr.isValid(text)) return null;
  return ipaddr.process(text);
}

function networkOf(address: IpAddress, prefixLength: number): IpAddress {
  const bytes = address.toByteArray();
  for (let bit = prefixLength; bit < bytes.length * 8; bit++) bytes[bit >> 3] &= ~(0x80 >> (bit & 7));
  return ipaddr.fromByteArray(bytes);
}

function sameAddress(a: IpAddress, b: IpAddress): boolean {
  const x = a.toByteArray();
  const y = b.toByteArray();
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

function formatAddress(address: IpAddress): string {
  return address.kind() === 'ipv6' ? (address as ipaddr.IPv6).toRFC5952String() : address.toString();
}

interface ZoneRange {
  range: CidrRange;
  zone: string;
}

/** Longest-prefix lookup of a zone by client address. */
export class CidrZoneMap {
  /** Per family, longest prefix first: the first range that contains an address is the answer. */
  private readonly v4: ZoneRange[];
  private readonly v6: ZoneRange[];

  /** `entries` are ranges already validated (parseCidr); an invalid one throws. */
  constructor(entries: Iterable<readonly [string, string]>) {
    const all: ZoneRange[] = [];
    for (const [text, zone] of entries) {
      const parsed = parseCidr(text);
      if (!parsed.ok) throw new Error(`CIDR range "${text}" ${parsed.reason}`);
      all.push({ range: parsed.range, zone });
    }
    all.sort((a, b) => b.range.prefixLength - a.range.prefixLength);
    this.v4 = all.filter((e) => e.range.address.kind() === 'ipv4');
    this.v6 = all.filter((e) => e.range.address.kind() === 'ipv6');
  }

  get size(): number {
    return this.v4.length + this.v6.length;
  }

  /** The zone of the most specific range holding the address, and that range; null if none does. */
  lookup(remoteAddress: string | undefined): { zone: string; range: string } | null {
    if (this.size === 0) return null;
    const address = parseClientAddress(remoteAddress);
    if (address === null) return null;
    const ranges = address.kind() === 'ipv4' ? this.v4 : this.v6;
    for (const e of ranges) {
      if (address.match(e.range.address, e.range.prefixLength)) return { zone: e.zone, range: e.range.text };
    }
    return null;
  }
}
