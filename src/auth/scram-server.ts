// SCRAM-SHA-256 and SCRAM-SHA-512 (RFC 5802, RFC 7677), server side, as Kafka's
// ScramSaslServer runs them:
//   client-first  → look the user's credential up, answer r=<client+server nonce>,s=<salt>,i=<n>
//   client-final  → check the nonce and the proof (constant time), answer v=<ServerSignature>
// The proof is checked against the messages exactly as the client sent them, so it covers
// the whole exchange.
//
// The client-final nonce: RFC 5802 wants it equal to the combined nonce, and Kafka 4 checks
// that. Kafka 3.9 only checked that it ends with the combined nonce, and librdkafka before
// 2.6.1 (Debian's 2.0.2, behind kcat and python3-confluent-kafka) sends its own nonce in front
// of the combined one. Turnout accepts what 3.9 accepted so those clients keep working: the
// server nonce must still be echoed and the proof covers the nonce as sent, so this admits no
// replay or forgery that the exact check would stop.
//
// Kafka's only SCRAM extension, `tokenauth` (delegation tokens), is refused: Turnout has no
// delegation tokens. Other extensions are ignored, as in Kafka.
import { randomBytes } from 'node:crypto';
import { userPrincipal } from './principal.js';
import { challenge, exchangeOver, failure, type SaslExchange, type SaslMechanism, type SaslStep } from './sasl-mechanism.js';
import {
  hash,
  hmac,
  MIN_SCRAM_ITERATIONS,
  SCRAM_ALGORITHMS,
  sameBytes,
  type ScramAlgorithm,
  type ScramCredential,
  type ScramMechanismName,
} from './scram-credential.js';
import { parseClientFinalMessage, parseClientFirstMessage, ScramMessageError, type ClientFirstMessage } from './scram-messages.js';

/** Finds a user's credential for one SCRAM mechanism; null when the user has none. May reject when the store cannot be read. */
export type ScramCredentialLookup = (user: string) => Promise<ScramCredential | null>;

export interface ScramExchangeOptions {
  /** The server's half of the nonce. (default: 24 random base64url characters) */
  serverNonce?: () => string;
}

function randomServerNonce(): string {
  return randomBytes(18).toString('base64url');
}

function xor(a: Buffer, b: Buffer): Buffer {
  const out = Buffer.allocUnsafe(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i] ^ b[i];
  return out;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

interface AwaitingFinal {
  readonly first: ClientFirstMessage;
  readonly serverFirst: string;
  readonly combinedNonce: string;
  readonly credential: ScramCredential;
}

/** One SCRAM authentication. Exported with its algorithm open so RFC test vectors (SHA-1) can drive it. */
export class ScramExchange implements SaslExchange {
  private readonly alg: ScramAlgorithm;
  private readonly lookup: ScramCredentialLookup;
  private readonly serverNonce: () => string;
  private state: 'first' | AwaitingFinal | 'done' = 'first';

  constructor(alg: ScramAlgorithm, lookup: ScramCredentialLookup, opts: ScramExchangeOptions = {}) {
    this.alg = alg;
    this.lookup = lookup;
    this.serverNonce = opts.serverNonce ?? randomServerNonce;
  }

  async evaluate(token: Buffer): Promise<SaslStep> {
    const state = this.state;
    this.state = 'done';
    if (state === 'done') return exchangeOver(this.alg.name);
    try {
      return state === 'first' ? await this.onClientFirst(token) : this.onClientFinal(state, token);
    } catch (err) {
      // Parsing errors end here; anything else would be a defect, and still only fails this login.
      return failure(err instanceof ScramMessageError ? err.message : `unexpected error: ${messageOf(err)}`);
    }
  }

  private async onClientFirst(token: Buffer): Promise<SaslStep> {
    const first = parseClientFirstMessage(token);
    const user = first.user;
    if (/^true$/i.test(first.extensions.get('tokenauth') ?? '')) {
      return failure('delegation token login', { user, clientMessage: 'Authentication failed: delegation tokens are not supported' });
    }
    if (first.authorizationId !== '' && first.authorizationId !== user) {
      return failure(`authorization id ${JSON.stringify(first.authorizationId)} differs from the user`, {
        user,
        clientMessage: 'Authentication failed: Client requested an authorization id that is different from username',
      });
    }
    let credential: ScramCredential | null;
    try {
      credential = await this.lookup(user);
    } catch (err) {
      return failure(`credentials could not be obtained: ${messageOf(err)}`, { user });
    }
    if (credential === null) return failure('unknown user', { user });
    if (credential.iterations < MIN_SCRAM_ITERATIONS) {
      return failure(`stored credential has ${credential.iterations} iterations, fewer than ${MIN_SCRAM_ITERATIONS}`, { user });
    }
    const combinedNonce = first.clientNonce + this.serverNonce();
    const serverFirst = `r=${combinedNonce},s=${credential.salt.toString('base64')},i=${credential.iterations}`;
    this.state = { first, serverFirst, combinedNonce, credential };
    return challenge(serverFirst);
  }

  private onClientFinal(s: AwaitingFinal, token: Buffer): SaslStep {
    const user = s.first.user;
    const final = parseClientFinalMessage(token);
    if (!final.nonce.endsWith(s.combinedNonce)) {
      return failure('the client-final nonce does not end with the server nonce', { user });
    }
    if (final.proof.length !== this.alg.keyLengthBytes) {
      return failure(`the proof has ${final.proof.length} bytes, not ${this.alg.keyLengthBytes}`, { user });
    }
    const authMessage = `${s.first.bare},${s.serverFirst},${final.withoutProof}`;
    const clientSignature = hmac(this.alg, s.credential.storedKey, authMessage);
    const clientKey = xor(final.proof, clientSignature);
    if (!sameBytes(hash(this.alg, clientKey), s.credential.storedKey)) return failure('invalid proof (wrong password)', { user });
    const serverSignature = hmac(this.alg, s.credential.serverKey, authMessage);
    return {
      kind: 'success',
      principal: userPrincipal(user),
      token: Buffer.from(`v=${serverSignature.toString('base64')}`, 'utf8'),
      ...(final.nonce !== s.combinedNonce ? { notice: 'client-final nonce carries a prefix before the combined nonce (librdkafka before 2.6.1)' } : {}),
    };
  }
}

/** SCRAM-SHA-256 or SCRAM-SHA-512 over a credential lookup for that mechanism. */
export class ScramServerMechanism implements SaslMechanism {
  readonly name: ScramMechanismName;
  private readonly lookup: ScramCredentialLookup;
  private readonly opts: ScramExchangeOptions;

  constructor(name: ScramMechanismName, lookup: ScramCredentialLookup, opts: ScramExchangeOptions = {}) {
    this.name = name;
    this.lookup = lookup;
    this.opts = opts;
  }

  start(): SaslExchange {
    return new ScramExchange(SCRAM_ALGORITHMS[this.name], this.lookup, this.opts);
  }
}
