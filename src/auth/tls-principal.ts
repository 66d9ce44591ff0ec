// Who a client is by its TLS certificate, as a Kafka broker decides it: the subject of a
// certificate the listener verified, in RFC 2253 form (x500-name.ts), mapped by the
// listener's `ssl.principal.mapping.rules` (principal-mapping-rules.ts) to `User:<name>`.
// Without a verified certificate TLS establishes nobody (the client stays `User:ANONYMOUS`
// unless SASL names it).
import tls from 'node:tls';
import type net from 'node:net';
import type { TlsPeer } from '../pipeline/filter.js';
import { userPrincipal, type KafkaPrincipal } from './principal.js';
import type { PrincipalMappingRules } from './principal-mapping-rules.js';
import { subjectName } from './x500-name.js';

/**
 * The TLS facts of a client connection once its handshake is done, or null for a socket
 * without TLS. Throws CertificateNameError when the client's certificate subject cannot be read.
 */
export function tlsPeerOf(socket: net.Socket): TlsPeer | null {
  if (!(socket instanceof tls.TLSSocket)) return null;
  const cert = socket.getPeerX509Certificate();
  if (cert === undefined) return { subject: null, authorized: false };
  return { subject: subjectName(cert.raw), authorized: socket.authorized };
}

/**
 * `User:<mapped subject>` for a client whose certificate was verified, else null. Throws
 * NoMatchingRuleError when no rule maps the subject: a broker refuses such a client.
 */
export function principalFromTls(peer: TlsPeer | null, rules: PrincipalMappingRules): KafkaPrincipal | null {
  if (peer === null || !peer.authorized || peer.subject === null) return null;
  return userPrincipal(rules.map(peer.subject));
}
