// The server side of one SASL mechanism, as a small state machine every mechanism shares:
// `start()` begins one exchange, and each client token goes to `evaluate`, which answers with
// a challenge (another token is expected), success (who the client is) or failure. Tokens are
// whatever the client sends, so `evaluate` never throws: a malformed token is a failure.
import type { KafkaPrincipal } from './principal.js';

/** The mechanism names Turnout terminates, as clients ask for them in SaslHandshake. */
export const SASL_MECHANISM_NAMES = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512', 'OAUTHBEARER'] as const;
export type SaslMechanismName = (typeof SASL_MECHANISM_NAMES)[number];

export function isSaslMechanismName(name: string): name is SaslMechanismName {
  return (SASL_MECHANISM_NAMES as readonly string[]).includes(name);
}

export type SaslStep =
  | {
      readonly kind: 'challenge';
      /** The server's next token; the exchange waits for the client's answer. */
      readonly token: Buffer;
    }
  | {
      readonly kind: 'success';
      readonly principal: KafkaPrincipal;
      /** The server's last token (SCRAM's server-final-message; empty for PLAIN and OAUTHBEARER). */
      readonly token: Buffer;
      /** When the credential stops being valid (a token's `exp`), in ms since the epoch; absent when it does not expire. */
      readonly credentialExpiresAtMs?: number;
      /** Something about the login worth a log line (a client quirk that was accepted). */
      readonly notice?: string;
    }
  | {
      readonly kind: 'failure';
      /**
       * What the client is told. Absent when the detail must not reach an unauthenticated
       * client (whether a user exists): it then gets the broker's generic message.
       */
      readonly clientMessage?: string;
      /** Why, for the log. */
      readonly reason: string;
      /** The user the client claimed, when the token got that far: failures are counted by it. */
      readonly user?: string;
    };

/** One authentication exchange of one mechanism. */
export interface SaslExchange {
  /** Takes the client's next token. Never rejects. */
  evaluate(token: Buffer): Promise<SaslStep>;
}

export interface SaslMechanism {
  readonly name: SaslMechanismName;
  /** Begins an exchange (the state of one authentication on one connection). */
  start(): SaslExchange;
}

export function challenge(token: Buffer | string): SaslStep {
  return { kind: 'challenge', token: typeof token === 'string' ? Buffer.from(token, 'utf8') : token };
}

export function failure(reason: string, opts: { clientMessage?: string; user?: string } = {}): SaslStep {
  return { kind: 'failure', reason, ...opts };
}

/** The exchange after it ended: any further token is a protocol error. */
export function exchangeOver(mechanism: string): SaslStep {
  return failure(`${mechanism} exchange already ended`, { clientMessage: `Authentication failed: unexpected ${mechanism} token after the exchange ended` });
}
