// SCRAM credentials (RFC 5802 §3): what a server keeps instead of a password. From a password,
// a salt and an iteration count:
//   SaltedPassword = PBKDF2(password, salt, iterations)      (Hi() in the RFC)
//   StoredKey      = H(HMAC(SaltedPassword, "Client Key"))
//   ServerKey      = HMAC(SaltedPassword, "Server Key")
// The password itself is never stored. As in Kafka, the password is its UTF-8 bytes (no
// SASLprep), and credentials have 4096 to 16384 iterations.
import { createHash, createHmac, pbkdf2, randomBytes, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';

const pbkdf2Async = promisify(pbkdf2);

export type ScramMechanismName = 'SCRAM-SHA-256' | 'SCRAM-SHA-512';
export const SCRAM_MECHANISM_NAMES: readonly ScramMechanismName[] = ['SCRAM-SHA-256', 'SCRAM-SHA-512'];

export function isScramMechanismName(name: string): name is ScramMechanismName {
  return (SCRAM_MECHANISM_NAMES as readonly string[]).includes(name);
}

/** A SCRAM hash family: the digest and its output length in bytes. */
export interface ScramAlgorithm {
  readonly name: string;
  /** A node:crypto digest name. */
  readonly digest: string;
  readonly keyLengthBytes: number;
}

export const SCRAM_ALGORITHMS: Readonly<Record<ScramMechanismName, ScramAlgorithm>> = {
  'SCRAM-SHA-256': { name: 'SCRAM-SHA-256', digest: 'sha256', keyLengthBytes: 32 },
  'SCRAM-SHA-512': { name: 'SCRAM-SHA-512', digest: 'sha512', keyLengthBytes: 64 },
};

/** Kafka's bounds for both SCRAM mechanisms (ScramMechanism.minIterations / maxIterations). */
export const MIN_SCRAM_ITERATIONS = 4096;
export const MAX_SCRAM_ITERATIONS = 16384;
export const DEFAULT_SCRAM_ITERATIONS = 8192;
const SALT_BYTES = 24;

export interface ScramCredential {
  readonly salt: Buffer;
  readonly storedKey: Buffer;
  readonly serverKey: Buffer;
  readonly iterations: number;
}

export class ScramCredentialError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScramCredentialError';
  }
}

export function hmac(alg: ScramAlgorithm, key: Buffer, data: Buffer | string): Buffer {
  return createHmac(alg.digest, key).update(data).digest();
}

export function hash(alg: ScramAlgorithm, data: Buffer): Buffer {
  return createHash(alg.digest).update(data).digest();
}

/** Hi(password, salt, i), on the libuv thread pool: it is the slow part on purpose. */
export function saltPassword(alg: ScramAlgorithm, password: string, salt: Buffer, iterations: number): Promise<Buffer> {
  return pbkdf2Async(Buffer.from(password, 'utf8'), salt, iterations, alg.keyLengthBytes, alg.digest);
}

export function credentialFromSaltedPassword(alg: ScramAlgorithm, saltedPassword: Buffer, salt: Buffer, iterations: number): ScramCredential {
  const clientKey = hmac(alg, saltedPassword, 'Client Key');
  return {
    salt,
    storedKey: hash(alg, clientKey),
    serverKey: hmac(alg, saltedPassword, 'Server Key'),
    iterations,
  };
}

export function checkIterations(iterations: number): void {
  if (!Number.isInteger(iterations) || iterations < MIN_SCRAM_ITERATIONS || iterations > MAX_SCRAM_ITERATIONS) {
    throw new ScramCredentialError(`iterations must be an integer from ${MIN_SCRAM_ITERATIONS} to ${MAX_SCRAM_ITERATIONS} (got ${iterations})`);
  }
}

/** A new credential for `password` with a fresh random salt. */
export async function deriveScramCredential(
  mechanism: ScramMechanismName,
  password: string,
  iterations = DEFAULT_SCRAM_ITERATIONS,
  salt: Buffer = randomBytes(SALT_BYTES),
): Promise<ScramCredential> {
  checkIterations(iterations);
  if (password.length === 0) throw new ScramCredentialError('the password is empty');
  const alg = SCRAM_ALGORITHMS[mechanism];
  return credentialFromSaltedPassword(alg, await saltPassword(alg, password, salt, iterations), salt, iterations);
}

/**
 * Whether `password` is the one `credential` was made from, derived with its own salt and
 * iterations and compared in constant time (PLAIN logins against SCRAM credentials).
 */
export async function passwordMatches(alg: ScramAlgorithm, credential: ScramCredential, password: string): Promise<boolean> {
  const salted = await saltPassword(alg, password, credential.salt, credential.iterations);
  return sameBytes(credentialFromSaltedPassword(alg, salted, credential.salt, credential.iterations).storedKey, credential.storedKey);
}

/** Constant-time equality for equal lengths; different lengths are simply unequal. */
export function sameBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
