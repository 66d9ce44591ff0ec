// SASL OAUTHBEARER (RFC 7628), server side, as Kafka's OAuthBearerSaslServer: the client's one
// message is
//   "n," ["a=" authzid] "," 0x01 "auth=Bearer " <jwt> 0x01 (key "=" value 0x01)* 0x01
// A valid token ends the exchange with an empty token and the token's `exp` as the end of
// the credential. An invalid one gets, as in Kafka, a challenge `{"status":"invalid_token"}`
// to which the client answers a lone 0x01, and the login then fails with that status. SASL
// extensions are checked for form and otherwise ignored (Kafka's JWT validator accepts them all).
import { userPrincipal } from './principal.js';
import type { JwtValidator } from './jwt-validator.js';
import { challenge, exchangeOver, failure, type SaslExchange, type SaslMechanism, type SaslStep } from './sasl-mechanism.js';
import { decodeSaslName } from './scram-messages.js';

const SOH = '\u0001';
const INVALID_TOKEN = '{"status":"invalid_token"}';
const KEY = /^[A-Za-z]+$/;
const VALUE = /^[\x21-\x7e \t\r\n]+$/;
const AUTH = /^([A-Za-z0-9_]+) +([-_~+/.a-zA-Z0-9]+=*)$/;

export class OAuthBearerMessageError extends Error {
  constructor(message: string) {
    super(`invalid OAUTHBEARER client first message: ${message}`);
    this.name = 'OAuthBearerMessageError';
  }
}

export interface OAuthBearerInitialResponse {
  readonly authorizationId: string;
  readonly token: string;
  readonly extensions: ReadonlyMap<string, string>;
}

export function parseOAuthBearerInitialResponse(message: Buffer): OAuthBearerInitialResponse {
  const text = message.toString('utf8');
  if (!text.startsWith('n,')) throw new OAuthBearerMessageError('must start with the gs2 header "n,"');
  const headerEnd = text.indexOf(',', 2);
  if (headerEnd < 0) throw new OAuthBearerMessageError('unterminated gs2 header');
  const authz = text.slice(2, headerEnd);
  let authorizationId = '';
  if (authz !== '') {
    if (!authz.startsWith('a=')) throw new OAuthBearerMessageError('the gs2 header holds something other than a=authzid');
    authorizationId = decodeSaslName(authz.slice(2), 'the authorization id');
  }
  const rest = text.slice(headerEnd + 1);
  if (!rest.startsWith(SOH) || !rest.endsWith(SOH + SOH) || rest.length < 2) throw new OAuthBearerMessageError('key-value pairs must be framed by 0x01');
  const pairs = rest.slice(1, -1).split(SOH);
  pairs.pop(); // the empty string after the last pair's 0x01
  const values = new Map<string, string>();
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    const key = pair.slice(0, Math.max(eq, 0));
    const value = pair.slice(eq + 1);
    if (eq < 1 || !KEY.test(key) || !VALUE.test(value)) throw new OAuthBearerMessageError(`malformed key-value pair ${JSON.stringify(pair.slice(0, 32))}`);
    values.set(key, value);
  }
  const auth = values.get('auth');
  if (auth === undefined) throw new OAuthBearerMessageError("'auth' not specified");
  values.delete('auth');
  const m = AUTH.exec(auth);
  if (m === null) throw new OAuthBearerMessageError("invalid 'auth' format");
  if (m[1].toLowerCase() !== 'bearer') throw new OAuthBearerMessageError(`invalid scheme ${JSON.stringify(m[1])}`);
  return { authorizationId, token: m[2], extensions: values };
}

export class OAuthBearerServerMechanism implements SaslMechanism {
  readonly name = 'OAUTHBEARER' as const;
  private readonly validator: JwtValidator;

  constructor(validator: JwtValidator) {
    this.validator = validator;
  }

  start(): SaslExchange {
    let state: 'initial' | { rejected: string } | 'done' = 'initial';
    return {
      evaluate: async (token: Buffer): Promise<SaslStep> => {
        const s = state;
        state = 'done';
        if (s === 'done') return exchangeOver(this.name);
        if (s !== 'initial') {
          // After the error challenge the client only acknowledges it; the login fails either way.
          const acknowledged = token.length === 1 && token[0] === 1;
          return failure(acknowledged ? s.rejected : `${s.rejected}; then an unexpected token instead of 0x01`, { clientMessage: INVALID_TOKEN });
        }
        let initial: OAuthBearerInitialResponse;
        try {
          initial = parseOAuthBearerInitialResponse(token);
        } catch (err) {
          return failure(err instanceof Error ? err.message : String(err));
        }
        const result = await this.validator.validate(initial.token);
        if (!result.ok) {
          state = { rejected: `invalid token: ${result.reason}` };
          return challenge(INVALID_TOKEN);
        }
        if (initial.authorizationId !== '' && initial.authorizationId !== result.principalName) {
          return failure('authorization id differs from the token principal', {
            user: result.principalName,
            clientMessage: `Authentication failed: Client requested an authorization id (${initial.authorizationId}) that is different from the token's principal name (${result.principalName})`,
          });
        }
        return { kind: 'success', principal: userPrincipal(result.principalName), token: Buffer.alloc(0), credentialExpiresAtMs: result.expiresAtMs };
      },
    };
  }
}
