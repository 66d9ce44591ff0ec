// Drives kafkajs's own SASL client code (the mechanism providers its brokers use) against a
// Turnout server mechanism, token by token, as a SaslAuthenticate exchange would carry them.
import { createRequire } from 'node:module';
import type { SaslMechanism, SaslStep } from '../../../src/auth/sasl-mechanism.js';

const require = createRequire(import.meta.url);

interface KafkajsSaslRequest {
  encode(): Promise<Buffer>;
}
interface KafkajsSaslResponse {
  decode(raw: Buffer): Promise<unknown>;
  parse(decoded: unknown): Promise<unknown>;
}
type SaslAuthenticate = (x: { request: KafkajsSaslRequest; response?: KafkajsSaslResponse }) => Promise<unknown>;
type Provider = (sasl: object) => (ctx: { host: string; port: number; logger: object; saslAuthenticate: SaslAuthenticate }) => {
  authenticate(): Promise<void>;
};

const providers: Record<string, Provider> = {
  PLAIN: require('kafkajs/src/broker/saslAuthenticator/plain') as Provider,
  'SCRAM-SHA-256': require('kafkajs/src/broker/saslAuthenticator/scram256') as Provider,
  'SCRAM-SHA-512': require('kafkajs/src/broker/saslAuthenticator/scram512') as Provider,
  OAUTHBEARER: require('kafkajs/src/broker/saslAuthenticator/oauthBearer') as Provider,
};

const quietLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  namespace(): object {
    return quietLogger;
  },
};

export interface KafkajsLogin {
  /** Every token the client sent, in order. */
  tokens: Buffer[];
  /** What the server answered to each. */
  steps: SaslStep[];
  /** The client's error, when it did not consider itself logged in. */
  error: Error | null;
}

function sizePrefixed(token: Buffer): Buffer {
  const out = Buffer.alloc(4 + token.length);
  out.writeInt32BE(token.length, 0);
  token.copy(out, 4);
  return out;
}

/**
 * Runs kafkajs's client for `mechanism` with `sendToken` as its transport: it gets each client
 * token and resolves with the server's answer, or rejects as a failed SaslAuthenticate would.
 */
export async function kafkajsClient(mechanism: string, sasl: object, sendToken: (token: Buffer) => Promise<Buffer>): Promise<void> {
  const saslAuthenticate: SaslAuthenticate = async ({ request, response }) => {
    // kafkajs encodes each SASL token as a Kafka BYTES value: an int32 size, then the token.
    const answer = await sendToken(Buffer.from((await request.encode()).subarray(4)));
    if (response === undefined) return undefined;
    return response.parse(await response.decode(sizePrefixed(answer)));
  };
  await providers[mechanism]({ mechanism, ...sasl })({ host: 'turnout', port: 9092, logger: quietLogger, saslAuthenticate }).authenticate();
}

/** Logs in with kafkajs's client for `mechanism.name`; `sasl` is what kafkajs's `sasl` option would hold. */
export async function kafkajsLogin(mechanism: SaslMechanism, sasl: object): Promise<KafkajsLogin> {
  const exchange = mechanism.start();
  const result: KafkajsLogin = { tokens: [], steps: [], error: null };
  try {
    await kafkajsClient(mechanism.name, sasl, async (token) => {
      result.tokens.push(token);
      const step = await exchange.evaluate(token);
      result.steps.push(step);
      if (step.kind === 'failure') throw new Error(step.clientMessage ?? 'Authentication failed due to invalid credentials');
      return step.token;
    });
  } catch (err) {
    result.error = err instanceof Error ? err : new Error(String(err));
  }
  return result;
}
