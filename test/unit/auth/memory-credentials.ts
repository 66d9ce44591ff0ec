// Users held in memory for mechanism tests, made with the same derivation `turnout users add` uses.
import type { CredentialLookup, UserCredentials } from '../../../src/auth/credential-store.js';
import { deriveScramCredential, type ScramCredential, type ScramMechanismName } from '../../../src/auth/scram-credential.js';

export class MemoryCredentials implements CredentialLookup {
  readonly users = new Map<string, UserCredentials>();
  lookups = 0;

  async add(user: string, password: string, mechanisms: ScramMechanismName[] = ['SCRAM-SHA-256', 'SCRAM-SHA-512'], iterations = 4096): Promise<void> {
    const credentials: Partial<Record<ScramMechanismName, ScramCredential>> = {};
    for (const m of mechanisms) credentials[m] = await deriveScramCredential(m, password, iterations);
    this.users.set(user, credentials);
  }

  credentials(user: string): Promise<UserCredentials | null> {
    this.lookups++;
    return Promise.resolve(this.users.get(user) ?? null);
  }
}
