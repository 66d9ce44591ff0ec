// SASL PLAIN (RFC 4616), server side, as Kafka's PlainSaslServer: one token
// `[authzid] NUL user NUL password`, answered with an empty token on success. The password is
// checked against the user's SCRAM credential (SCRAM-SHA-512 when the user has one, else
// SCRAM-SHA-256): derived with the stored salt and iterations and compared in constant time,
// so one set of credentials serves every mechanism and no password is ever stored.
import { userPrincipal } from './principal.js';
import type { CredentialLookup } from './credential-store.js';
import { PasswordCheckLimiter } from './password-check-limiter.js';
import { exchangeOver, failure, type SaslExchange, type SaslMechanism, type SaslStep } from './sasl-mechanism.js';
import { passwordMatches, SCRAM_ALGORITHMS, type ScramMechanismName } from './scram-credential.js';

const INVALID = 'Authentication failed: Invalid username or password';
/** Checked first: the stronger hash when a user has both. */
const PREFERENCE: readonly ScramMechanismName[] = ['SCRAM-SHA-512', 'SCRAM-SHA-256'];

export interface PlainMechanismOptions {
  /** Bounds the password derivations running and waiting. (default: 2 running, 1000 waiting) */
  limiter?: PasswordCheckLimiter;
}

/** The three NUL-separated fields, or null when there are not exactly three. */
function splitFields(token: Buffer): [string, string, string] | null {
  const fields = token.toString('utf8').split('\u0000');
  return fields.length === 3 ? [fields[0], fields[1], fields[2]] : null;
}

export class PlainServerMechanism implements SaslMechanism {
  readonly name = 'PLAIN' as const;
  private readonly store: CredentialLookup;
  private readonly limiter: PasswordCheckLimiter;

  constructor(store: CredentialLookup, opts: PlainMechanismOptions = {}) {
    this.store = store;
    this.limiter = opts.limiter ?? new PasswordCheckLimiter();
  }

  start(): SaslExchange {
    let done = false;
    return {
      evaluate: async (token: Buffer): Promise<SaslStep> => {
        if (done) return exchangeOver(this.name);
        done = true;
        try {
          return await this.check(token);
        } catch (err) {
          return failure(`unexpected error: ${err instanceof Error ? err.message : String(err)}`);
        }
      },
    };
  }

  private async check(token: Buffer): Promise<SaslStep> {
    const fields = splitFields(token);
    if (fields === null) {
      const count = token.toString('utf8').split('\u0000').length;
      const message = `Invalid SASL/PLAIN response: expected 3 tokens, got ${Math.min(count, 4)}`;
      return failure(message, { clientMessage: message });
    }
    const [authorizationId, user, password] = fields;
    if (user === '') return failure('no user name', { clientMessage: 'Authentication failed: username not specified' });
    if (password === '') return failure('no password', { user, clientMessage: 'Authentication failed: password not specified' });
    let credentials;
    try {
      credentials = await this.store.credentials(user);
    } catch (err) {
      return failure(`credentials could not be obtained: ${err instanceof Error ? err.message : String(err)}`, {
        user,
        clientMessage: 'Authentication failed: credentials for user could not be verified',
      });
    }
    const mechanism = PREFERENCE.find((m) => credentials?.[m] !== undefined);
    if (credentials === null || mechanism === undefined) return failure('unknown user', { user, clientMessage: INVALID });
    const matches = this.limiter.run(() => passwordMatches(SCRAM_ALGORITHMS[mechanism], credentials[mechanism]!, password));
    if (matches === null) {
      return failure('too many PLAIN password checks waiting', { user, clientMessage: 'Authentication failed: server busy, retry later' });
    }
    if (!(await matches)) return failure('wrong password', { user, clientMessage: INVALID });
    if (authorizationId !== '' && authorizationId !== user) {
      return failure(`authorization id ${JSON.stringify(authorizationId)} differs from the user`, {
        user,
        clientMessage: 'Authentication failed: Client requested an authorization id that is different from username',
      });
    }
    return { kind: 'success', principal: userPrincipal(user), token: Buffer.alloc(0) };
  }
}
