// A certificate's subject in RFC 2253 form, written exactly as Java's X500Principal.getName()
// writes it, since that string is what Kafka's default principal builder maps with
// `ssl.principal.mapping.rules` and what existing broker ACLs name. Java's choices, kept here:
//   - RDNs from the last (most specific) to the first, joined by ","; the attributes of a
//     multi-valued RDN in their encoded order, joined by "+".
//   - Only CN, C, L, ST, O, OU, STREET, DC and UID are written by keyword; any other attribute
//     by its dotted OID, with the value as "#" and the hex of its whole DER encoding.
//   - A value of a string type (Printable, T61, IA5, General, BMP, UTF8) is its content bytes
//     read as UTF-8, whatever the type (so a BMPString shows NULs and replacement characters);
//     `, = + < > # ; " \` get a backslash, NUL becomes `\00`, and leading or trailing spaces
//     and carriage returns get a backslash. Any other value type is hex, as for OIDs.
// The DER walk checks every length against the bytes that remain.

/** The certificate's DER could not be walked to its subject. */
export class CertificateNameError extends Error {
  readonly offset: number;
  constructor(offset: number, reason: string) {
    super(`certificate subject unreadable at byte ${offset}: ${reason}`);
    this.name = 'CertificateNameError';
    this.offset = offset;
  }
}

const TAG_SEQUENCE = 0x30;
const TAG_SET = 0x31;
const TAG_OID = 0x06;
const TAG_VERSION = 0xa0;

/** Value types Java writes as text; the rest as hex. */
const STRING_TAGS = new Set([
  0x0c, // UTF8String
  0x13, // PrintableString
  0x14, // T61String
  0x16, // IA5String
  0x1b, // GeneralString
  0x1e, // BMPString
]);

/** The attribute keywords Java uses in RFC 2253 names, by OID. */
const KEYWORDS = new Map<string, string>([
  ['2.5.4.3', 'CN'],
  ['2.5.4.6', 'C'],
  ['2.5.4.7', 'L'],
  ['2.5.4.8', 'ST'],
  ['2.5.4.10', 'O'],
  ['2.5.4.11', 'OU'],
  ['2.5.4.9', 'STREET'],
  ['0.9.2342.19200300.100.1.25', 'DC'],
  ['0.9.2342.19200300.100.1.1', 'UID'],
]);

const ESCAPED = ',=+<>#;"\\';

interface Tlv {
  tag: number;
  /** Where the element starts (its tag byte). */
  start: number;
  /** Where its content starts. */
  contentStart: number;
  /** One past its last byte. */
  end: number;
}

/** Reads the element at `at`, within `limit`. */
function readTlv(der: Buffer, at: number, limit: number): Tlv {
  if (at + 2 > limit) throw new CertificateNameError(at, 'element runs past its container');
  const tag = der[at];
  if ((tag & 0x1f) === 0x1f) throw new CertificateNameError(at, 'multi-byte tags do not occur in certificate names');
  let pos = at + 1;
  const first = der[pos++];
  let length: number;
  if (first < 0x80) {
    length = first;
  } else {
    const count = first & 0x7f;
    if (count === 0 || count > 4) throw new CertificateNameError(at, `length of ${count} bytes is not DER`);
    if (pos + count > limit) throw new CertificateNameError(at, 'length runs past its container');
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + der[pos++];
  }
  if (pos + length > limit) throw new CertificateNameError(at, `length ${length} runs past its container`);
  return { tag, start: at, contentStart: pos, end: pos + length };
}

function expect(der: Buffer, at: number, limit: number, tag: number, what: string): Tlv {
  const tlv = readTlv(der, at, limit);
  if (tlv.tag !== tag) throw new CertificateNameError(at, `expected ${what}, found tag 0x${tlv.tag.toString(16)}`);
  return tlv;
}

/** Dotted form of an OID's content bytes. */
function oidText(der: Buffer, tlv: Tlv): string {
  if (tlv.end === tlv.contentStart) throw new CertificateNameError(tlv.start, 'empty OID');
  const arcs: bigint[] = [];
  let value = 0n;
  for (let i = tlv.contentStart; i < tlv.end; i++) {
    value = (value << 7n) | BigInt(der[i] & 0x7f);
    if ((der[i] & 0x80) === 0) {
      arcs.push(value);
      value = 0n;
    } else if (i === tlv.end - 1) {
      throw new CertificateNameError(tlv.start, 'OID ends inside an arc');
    }
  }
  const first = arcs[0];
  const top = first < 80n ? first / 40n : 2n;
  return [top, first - top * 40n, ...arcs.slice(1)].join('.');
}

function escapeValue(text: string): string {
  let escaped = '';
  for (const c of text) {
    if (ESCAPED.includes(c)) escaped += `\\${c}`;
    else if (c === '\u0000') escaped += '\\00';
    else escaped += c;
  }
  let lead = 0;
  while (lead < escaped.length && (escaped[lead] === ' ' || escaped[lead] === '\r')) lead++;
  let trail = escaped.length - 1;
  while (trail >= 0 && (escaped[trail] === ' ' || escaped[trail] === '\r')) trail--;
  if (lead === 0 && trail === escaped.length - 1) return escaped;
  let out = '';
  for (let i = 0; i < escaped.length; i++) out += i < lead || i > trail ? `\\${escaped[i]}` : escaped[i];
  return out;
}

function attributeText(der: Buffer, ava: Tlv): string {
  const type = expect(der, ava.contentStart, ava.end, TAG_OID, 'an attribute type');
  const value = readTlv(der, type.end, ava.end);
  if (value.end !== ava.end) throw new CertificateNameError(value.end, 'bytes after an attribute value');
  const oid = oidText(der, type);
  const keyword = KEYWORDS.get(oid);
  if (keyword === undefined || !STRING_TAGS.has(value.tag)) {
    return `${keyword ?? oid}=#${der.subarray(value.start, value.end).toString('hex')}`;
  }
  return `${keyword}=${escapeValue(der.subarray(value.contentStart, value.end).toString('utf8'))}`;
}

/** A Name (SEQUENCE OF RDN) in Java's RFC 2253 form. */
function nameText(der: Buffer, name: Tlv): string {
  const rdns: string[] = [];
  for (let at = name.contentStart; at < name.end; ) {
    const rdn = expect(der, at, name.end, TAG_SET, 'a relative distinguished name');
    const avas: string[] = [];
    for (let a = rdn.contentStart; a < rdn.end; ) {
      const ava = expect(der, a, rdn.end, TAG_SEQUENCE, 'an attribute');
      avas.push(attributeText(der, ava));
      a = ava.end;
    }
    if (avas.length === 0) throw new CertificateNameError(rdn.start, 'empty relative distinguished name');
    rdns.push(avas.join('+'));
    at = rdn.end;
  }
  return rdns.reverse().join(',');
}

/**
 * The subject of a DER-encoded X.509 certificate as Java's X500Principal.getName() gives it
 * (`CN=alice,OU=eng,O=acme`). Throws CertificateNameError on a certificate it cannot walk.
 */
export function subjectName(certificate: Buffer): string {
  const cert = expect(certificate, 0, certificate.length, TAG_SEQUENCE, 'a certificate');
  const tbs = expect(certificate, cert.contentStart, cert.end, TAG_SEQUENCE, 'the certificate body');
  let at = tbs.contentStart;
  // version [0] (optional), serialNumber, signature, issuer, validity, subject
  if (readTlv(certificate, at, tbs.end).tag === TAG_VERSION) at = readTlv(certificate, at, tbs.end).end;
  for (let skip = 0; skip < 4; skip++) at = readTlv(certificate, at, tbs.end).end;
  return nameText(certificate, expect(certificate, at, tbs.end, TAG_SEQUENCE, 'the subject name'));
}
