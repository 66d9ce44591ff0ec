// Turnout logging in to a backend as a SASL client: the token exchange of one mechanism, as
// SaslAuthenticate carries it (net/upstream-handshake.ts sends the tokens).
import { ScramClient, type ScramHash, type ScramKeyCache } from './scram-client.js';

export type SaslClientMechanism = 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512';

/** One login's token exchange. */
export interface SaslClientExchange {
  /** The client's first token. */
  first(): Buffer;
  /** The next token after the server's answer, or null once the login is complete. Throws when the answer is wrong. */
  next(serverToken: Buffer): Promise<Buffer | null>;
}

export interface SaslClientCredentials {
  mechanism: SaslClientMechanism;
  username: string;
  password: string;
}

const SCRAM_HASHES: Record<Exclude<SaslClientMechanism, 'PLAIN'>, ScramHash> = { 'SCRAM-SHA-256': 'sha256', 'SCRAM-SHA-512': 'sha512' };

/** PLAIN's only token (RFC 4616): no authorization id, the user name and password. */
export function plainToken(username: string, password: string): Buffer {
  return Buffer.from(`\u0000${username}\u0000${password}`, 'utf8');
}

export function saslClientExchange(credentials: SaslClientCredentials, keys?: ScramKeyCache): SaslClientExchange {
  if (credentials.mechanism === 'PLAIN') {
    return {
      first: () => plainToken(credentials.username, credentials.password),
      // The server's answer to PLAIN is empty; getting one at all means it took the password.
      next: () => Promise.resolve(null),
    };
  }
  const scram = new ScramClient({ hash: SCRAM_HASHES[credentials.mechanism], username: credentials.username, password: credentials.password, ...(keys !== undefined ? { keys } : {}) });
  let step = 0;
  return {
    first: () => scram.clientFirst(),
    async next(serverToken) {
      step++;
      if (step === 1) return scram.clientFinal(serverToken);
      scram.verifyServerFinal(serverToken);
      return null;
    },
  };
}
