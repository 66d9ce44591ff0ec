// The two SCRAM messages a server reads (RFC 5802 §7), with the grammar Kafka's ScramMessages
// accepts:
//   client-first:  "n," ["a=" saslname] "," "n=" saslname ",r=" nonce ("," key "=" value)*
//   client-final:  "c=" base64 ",r=" nonce ("," key "=" value)* ",p=" base64
// Every character of both is in 0x01-0x7F and no field holds a comma, so a message is checked
// byte by byte and split on commas: no regular expression runs over client input, and parsing
// is linear in its length. Only the gs2 flag "n" (no channel binding) is accepted, as in Kafka.

export class ScramMessageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScramMessageError';
  }
}

export interface ClientFirstMessage {
  /** The user, with =2C and =3D decoded. */
  readonly user: string;
  /** The authorization id the client asked for ("" when none). */
  readonly authorizationId: string;
  readonly clientNonce: string;
  /** client-first-message-bare: the message after the gs2 header, as the client sent it (the proof covers it). */
  readonly bare: string;
  /** Extensions after the nonce (Kafka's `tokenauth=true` for delegation tokens). */
  readonly extensions: ReadonlyMap<string, string>;
}

export interface ClientFinalMessage {
  /** The nonce as the client sent it. */
  readonly nonce: string;
  /** client-final-message-without-proof, as the client sent it (the proof covers it). */
  readonly withoutProof: string;
  readonly proof: Buffer;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{2}==)?$/;
const ALPHA = /^[A-Za-z]+$/;

/** The message as text, when every byte is 0x01-0x7F (all SCRAM attributes Kafka accepts are). */
function asciiText(token: Buffer, what: string): string {
  if (token.length === 0) throw new ScramMessageError(`empty ${what}`);
  for (let i = 0; i < token.length; i++) {
    const b = token[i];
    if (b === 0 || b > 0x7f) throw new ScramMessageError(`${what} has byte 0x${b.toString(16).padStart(2, '0')} at offset ${i}: only 0x01-0x7F are allowed`);
  }
  return token.toString('latin1');
}

function attribute(part: string | undefined, name: string, what: string): string {
  if (part === undefined || !part.startsWith(`${name}=`)) throw new ScramMessageError(`${what}: expected the ${name}= attribute`);
  return part.slice(2);
}

/** A saslname as RFC 5802 escapes it: "," as =2C and "=" as =3D; any other "=" is refused. */
export function decodeSaslName(saslName: string, what: string): string {
  if (saslName.length === 0) throw new ScramMessageError(`${what} is empty`);
  const decoded = saslName.replace(/=2C/g, ',');
  if (decoded.replace(/=3D/g, '').includes('=')) throw new ScramMessageError(`${what} has "=" not followed by 2C or 3D`);
  return decoded.replace(/=3D/g, '=');
}

/** A user name as it goes into a saslname. */
export function encodeSaslName(user: string): string {
  return user.replace(/=/g, '=3D').replace(/,/g, '=2C');
}

function checkPrintable(value: string, what: string): void {
  if (value.length === 0) throw new ScramMessageError(`${what} is empty`);
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x21 || c > 0x7e) throw new ScramMessageError(`${what} has a character outside 0x21-0x7E`);
  }
}

function parseExtensions(parts: readonly string[], what: string): Map<string, string> {
  const extensions = new Map<string, string>();
  for (const part of parts) {
    const eq = part.indexOf('=');
    const key = eq < 0 ? part : part.slice(0, eq);
    if (eq < 1 || !ALPHA.test(key) || eq === part.length - 1) throw new ScramMessageError(`${what}: malformed extension ${JSON.stringify(part.slice(0, 32))}`);
    extensions.set(key, part.slice(eq + 1));
  }
  return extensions;
}

function decodeBase64(value: string, what: string): Buffer {
  if (!BASE64.test(value)) throw new ScramMessageError(`${what} is not base64`);
  return Buffer.from(value, 'base64');
}

export function parseClientFirstMessage(token: Buffer): ClientFirstMessage {
  const what = 'client-first-message';
  const text = asciiText(token, what);
  const parts = text.split(',');
  if (parts[0] !== 'n') {
    throw new ScramMessageError(parts[0] === 'y' || parts[0] === 'p' ? `${what}: channel binding is not supported` : `${what}: must start with the gs2 flag "n,"`);
  }
  if (parts.length < 4) throw new ScramMessageError(`${what}: too few attributes`);
  let authorizationId = '';
  if (parts[1] !== '') authorizationId = decodeSaslName(attribute(parts[1], 'a', what), 'the authorization id');
  if (parts[2].startsWith('m=')) throw new ScramMessageError(`${what}: mandatory extension (m=) not supported`);
  const user = decodeSaslName(attribute(parts[2], 'n', what), 'the user name');
  const clientNonce = attribute(parts[3], 'r', what);
  checkPrintable(clientNonce, 'the client nonce');
  return {
    user,
    authorizationId,
    clientNonce,
    bare: text.slice(parts[0].length + parts[1].length + 2),
    extensions: parseExtensions(parts.slice(4), what),
  };
}

export function parseClientFinalMessage(token: Buffer): ClientFinalMessage {
  const what = 'client-final-message';
  const text = asciiText(token, what);
  const parts = text.split(',');
  if (parts.length < 3) throw new ScramMessageError(`${what}: too few attributes`);
  decodeBase64(attribute(parts[0], 'c', what), 'the channel binding');
  const nonce = attribute(parts[1], 'r', what);
  checkPrintable(nonce, 'the nonce');
  const last = parts[parts.length - 1];
  const proof = decodeBase64(attribute(last, 'p', what), 'the proof');
  parseExtensions(parts.slice(2, -1), what);
  return { nonce, withoutProof: text.slice(0, text.length - last.length - 1), proof };
}
