// The client side of SCRAM (RFC 5802; SCRAM-SHA-256 RFC 7677, SCRAM-SHA-512) as Kafka's own
// client speaks it: no channel binding (`n,,`), the user name escaped (`=` → `=3D`, `,` → `=2C`),
// the password as its UTF-8 bytes (Kafka applies no SASLprep), at least 4096 iterations, and
// the server's signature checked before the login counts as done.
//
// Deriving the salted password costs thousands of HMACs, and every connection Turnout opens
// to a backend logs in: a broker gives one user the same salt and iteration count every time,
// so the derived keys are kept per (salt, iterations, password) and derived once, off the
// event loop.
import { createHash, createHmac, pbkdf2, randomBytes, timingSafeEqual } from 'node:crypto';

export type ScramHash = 'sha1' | 'sha256' | 'sha512';

const HASH_BYTES: Record<ScramHash, number> = { sha1: 20, sha256: 32, sha512: 64 };

/** Kafka's client refuses fewer (ScramMechanism.minIterations). */
export const MIN_ITERATIONS = 4096;
/** More would let a hostile server spend seconds of Turnout's CPU on one login. */
export const MAX_ITERATIONS = 1_000_000;

const GS2_HEADER = 'n,,';

/** The server's messages broke the exchange: a malformed message, a wrong nonce or signature, or an error it sent. */
export class ScramError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScramError';
  }
}

/** `=` and `,` escaped, as a SCRAM user name is written (RFC 5802 5.1). */
export function saslName(username: string): string {
  return username.replace(/=/g, '=3D').replace(/,/g, '=2C');
}

interface DerivedKeys {
  clientKey: Buffer;
  storedKey: Buffer;
  serverKey: Buffer;
}

/** Derived keys per salt, iteration count and password; a few entries at most per backend user. */
export class ScramKeyCache {
  private readonly keys = new Map<string, Promise<DerivedKeys>>();
  private static readonly MAX_ENTRIES = 16;

  derive(hash: ScramHash, password: string, salt: Buffer, iterations: number): Promise<DerivedKeys> {
    const key = `${hash}\0${iterations}\0${salt.toString('base64')}\0${password}`;
    let keys = this.keys.get(key);
    if (keys === undefined) {
      if (this.keys.size >= ScramKeyCache.MAX_ENTRIES) this.keys.delete(this.keys.keys().next().value as string);
      keys = deriveKeys(hash, password, salt, iterations);
      this.keys.set(key, keys);
      keys.catch(() => this.keys.delete(key));
    }
    return keys;
  }
}

function hmac(hash: ScramHash, key: Buffer, text: string | Buffer): Buffer {
  return createHmac(hash, key).update(text).digest();
}

function deriveKeys(hash: ScramHash, password: string, salt: Buffer, iterations: number): Promise<DerivedKeys> {
  return new Promise((resolve, reject) => {
    // Hi() of RFC 5802 is PBKDF2 with HMAC and one block of the hash's length.
    pbkdf2(Buffer.from(password, 'utf8'), salt, iterations, HASH_BYTES[hash], hash, (err, salted) => {
      if (err !== null) {
        reject(err);
        return;
      }
      const clientKey = hmac(hash, salted, 'Client Key');
      resolve({ clientKey, storedKey: createHash(hash).update(clientKey).digest(), serverKey: hmac(hash, salted, 'Server Key') });
    });
  });
}

/** The attributes of a server message, in order; throws on a malformed one. */
function attributes(message: string, what: string): Array<[string, string]> {
  return message.split(',').map((part) => {
    if (part.length < 2 || part[1] !== '=' || !/^[A-Za-z]$/.test(part[0])) throw new ScramError(`malformed ${what}: ${JSON.stringify(message)}`);
    return [part[0], part.slice(2)];
  });
}

export interface ScramClientOptions {
  hash: ScramHash;
  username: string;
  password: string;
  /** The client nonce; random when absent (tests give the RFC's). */
  nonce?: string;
  keys?: ScramKeyCache;
}

/** One SCRAM login: clientFirst(), clientFinal(serverFirst), verifyServerFinal(serverFinal). */
export class ScramClient {
  private readonly opts: ScramClientOptions;
  private readonly clientNonce: string;
  private readonly firstBare: string;
  private expectedServerSignature: Buffer | null = null;

  constructor(opts: ScramClientOptions) {
    this.opts = opts;
    this.clientNonce = opts.nonce ?? randomBytes(24).toString('base64url');
    this.firstBare = `n=${saslName(opts.username)},r=${this.clientNonce}`;
  }

  clientFirst(): Buffer {
    return Buffer.from(GS2_HEADER + this.firstBare, 'utf8');
  }

  async clientFinal(serverFirstBytes: Buffer): Promise<Buffer> {
    const serverFirst = serverFirstBytes.toString('utf8');
    if (serverFirst.startsWith('e=')) throw new ScramError(`server refused the login: ${serverFirst.slice(2)}`);
    const attrs = attributes(serverFirst, 'server-first-message');
    if (attrs[0]?.[0] === 'm') throw new ScramError('server requires an extension this client does not know');
    const [r, s, i] = attrs;
    if (r?.[0] !== 'r' || s?.[0] !== 's' || i?.[0] !== 'i') throw new ScramError(`server-first-message lacks r, s and i: ${JSON.stringify(serverFirst)}`);
    const nonce = r[1];
    if (!nonce.startsWith(this.clientNonce) || nonce.length === this.clientNonce.length) {
      throw new ScramError('server nonce does not extend the client nonce');
    }
    const salt = Buffer.from(s[1], 'base64');
    if (salt.length === 0) throw new ScramError('server sent no salt');
    if (!/^[0-9]{1,9}$/.test(i[1])) throw new ScramError(`iteration count ${JSON.stringify(i[1])} is not a number`);
    const iterations = Number(i[1]);
    if (iterations < MIN_ITERATIONS || iterations > MAX_ITERATIONS) {
      throw new ScramError(`iteration count ${iterations} is outside ${MIN_ITERATIONS}..${MAX_ITERATIONS}`);
    }
    const { hash } = this.opts;
    const keys = await (this.opts.keys ?? new ScramKeyCache()).derive(hash, this.opts.password, salt, iterations);
    const finalWithoutProof = `c=${Buffer.from(GS2_HEADER).toString('base64')},r=${nonce}`;
    const authMessage = `${this.firstBare},${serverFirst},${finalWithoutProof}`;
    const clientSignature = hmac(hash, keys.storedKey, authMessage);
    const proof = Buffer.alloc(clientSignature.length);
    for (let b = 0; b < proof.length; b++) proof[b] = keys.clientKey[b] ^ clientSignature[b];
    this.expectedServerSignature = hmac(hash, keys.serverKey, authMessage);
    return Buffer.from(`${finalWithoutProof},p=${proof.toString('base64')}`, 'utf8');
  }

  /** Throws ScramError unless the server proved it knows the user's keys. */
  verifyServerFinal(serverFinalBytes: Buffer): void {
    const expected = this.expectedServerSignature;
    if (expected === null) throw new ScramError('server-final-message before the client-final-message');
    const serverFinal = serverFinalBytes.toString('utf8');
    const [first] = attributes(serverFinal, 'server-final-message');
    if (first[0] === 'e') throw new ScramError(`server refused the login: ${first[1]}`);
    if (first[0] !== 'v') throw new ScramError(`malformed server-final-message: ${JSON.stringify(serverFinal)}`);
    const signature = Buffer.from(first[1], 'base64');
    if (signature.length !== expected.length || !timingSafeEqual(signature, expected)) {
      throw new ScramError('server signature is wrong: the server does not know this user');
    }
  }
}
