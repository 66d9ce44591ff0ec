// Where SASL users live: per user, a SCRAM credential for each SCRAM mechanism they may use
// (PLAIN logins are checked against the same credentials). Two stores implement it:
//   FileCredentialStore   a JSON file beside the YAML configuration, written durably (one instance)
//   RedisCredentialStore  a Redis hash shared by every instance of a virtual cluster
// (open-credential-store.ts picks one from `store.type`). Logins call `credentials` every
// time, so a user removed, or whose password changed, is refused at the next login or
// re-authentication. `turnout users` writes through `setUser` and `removeUser`.
//
// Stored form of one user (the same JSON in the file and in Redis):
//   {"SCRAM-SHA-256": {"salt": b64, "storedKey": b64, "serverKey": b64, "iterations": 8192}, ...}
import { z } from 'zod';
import { MAX_SCRAM_ITERATIONS, MIN_SCRAM_ITERATIONS, SCRAM_MECHANISM_NAMES, type ScramCredential, type ScramMechanismName } from './scram-credential.js';

/** A user's SCRAM credentials, by mechanism (at least one). */
export type UserCredentials = Readonly<Partial<Record<ScramMechanismName, ScramCredential>>>;

/** What `turnout users list` shows of a user: never a key or a salt. */
export interface UserSummary {
  readonly user: string;
  readonly mechanisms: ReadonlyArray<{ readonly mechanism: ScramMechanismName; readonly iterations: number }>;
}

export interface CredentialLookup {
  /** The user's credentials, or null for an unknown user. Rejects when the store cannot be read. */
  credentials(user: string): Promise<UserCredentials | null>;
}

export interface CredentialStore extends CredentialLookup {
  readonly kind: 'file' | 'redis';
  /** Stores a user's credentials: mechanisms given replace that user's, others are kept. */
  setUser(user: string, credentials: UserCredentials): Promise<void>;
  /** Removes a user; false when there was none. */
  removeUser(user: string): Promise<boolean>;
  listUsers(): Promise<UserSummary[]>;
  close(): Promise<void>;
}

export class CredentialStoreError extends Error {
  readonly source: string;
  constructor(source: string, message: string) {
    super(`${source}: ${message}`);
    this.name = 'CredentialStoreError';
    this.source = source;
  }
}

/**
 * User names Turnout stores: what Kafka's SCRAM accepts in a saslname (0x01-0x7F; "," and "="
 * are escaped on the wire), without control characters, so logs and tables stay readable.
 */
export const USER_NAME = /^[\x20-\x7e]{1,255}$/;

export function checkUserName(user: string): void {
  if (!USER_NAME.test(user)) {
    throw new CredentialStoreError('user', `user name ${JSON.stringify(user)} must be 1 to 255 printable ASCII characters`);
  }
}

const base64Bytes = z
  .string()
  .regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64')
  .transform((s) => Buffer.from(s, 'base64'));

const storedCredentialSchema = z
  .object({
    salt: base64Bytes,
    storedKey: base64Bytes,
    serverKey: base64Bytes,
    iterations: z.number().int().min(MIN_SCRAM_ITERATIONS).max(MAX_SCRAM_ITERATIONS),
  })
  .strict();

const storedUserSchema = z
  .object(Object.fromEntries(SCRAM_MECHANISM_NAMES.map((m) => [m, storedCredentialSchema.optional()])) as Record<ScramMechanismName, z.ZodOptional<typeof storedCredentialSchema>>)
  .strict()
  .refine((u) => Object.values(u).some((c) => c !== undefined), 'has no credential');

export type StoredUser = z.input<typeof storedUserSchema>;

/** Parses one stored user; throws a CredentialStoreError naming `source` when it is not valid. */
export function parseStoredUser(value: unknown, source: string): UserCredentials {
  const result = storedUserSchema.safeParse(value);
  if (!result.success) {
    throw new CredentialStoreError(source, result.error.issues.map((i) => `${i.path.join('.') || '(user)'}: ${i.message}`).join('; '));
  }
  const out: Partial<Record<ScramMechanismName, ScramCredential>> = {};
  for (const m of SCRAM_MECHANISM_NAMES) {
    const c = result.data[m];
    if (c !== undefined) out[m] = c;
  }
  return out;
}

export function storedUserOf(credentials: UserCredentials): StoredUser {
  const out: Record<string, unknown> = {};
  for (const m of SCRAM_MECHANISM_NAMES) {
    const c = credentials[m];
    if (c === undefined) continue;
    out[m] = { salt: c.salt.toString('base64'), storedKey: c.storedKey.toString('base64'), serverKey: c.serverKey.toString('base64'), iterations: c.iterations };
  }
  return out as StoredUser;
}

export function mergeCredentials(existing: UserCredentials | null, update: UserCredentials): UserCredentials {
  return { ...(existing ?? {}), ...update };
}

export function summaryOf(user: string, credentials: UserCredentials): UserSummary {
  return {
    user,
    mechanisms: SCRAM_MECHANISM_NAMES.flatMap((mechanism) => {
      const c = credentials[mechanism];
      return c === undefined ? [] : [{ mechanism, iterations: c.iterations }];
    }),
  };
}
