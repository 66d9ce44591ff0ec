// The host of an ACL, as a Kafka broker compares it: the client's IP address in Java's
// `InetAddress.getHostAddress()` form. IPv4 is dotted decimal; an IPv4 client seen through a
// dual-stack socket (`::ffff:10.1.2.3`) is the IPv4 address, as Java sees it; IPv6 is eight
// groups without leading zeros and without `::` (`0:0:0:0:0:0:0:1`).
//
// Kafka compares the strings exactly, so on a broker an ACL written as `::1` never matches.
// Turnout puts the ACL's host in the same form before comparing, so `::1` and
// `0:0:0:0:0:0:0:1` both match the loopback client: a binding copied from a broker keeps its
// meaning, and one written in the short form does what it says.
import ipaddr from 'ipaddr.js';

/** The form in which hosts are compared; text that is no IP address (`*`, a name) is kept as it is. */
export function aclHostOf(address: string): string {
  if (!address.includes(':')) return address;
  let parsed: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    parsed = ipaddr.parse(address);
  } catch {
    return address;
  }
  if (parsed.kind() === 'ipv4') return parsed.toString();
  const v6 = parsed as ipaddr.IPv6;
  if (v6.isIPv4MappedAddress()) return v6.toIPv4Address().toString();
  return v6.toNormalizedString();
}
