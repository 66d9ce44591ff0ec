// Turnout's SASL login on a new connection to a broker, before any other request goes out:
// ApiVersions (which SaslAuthenticate versions the broker speaks), SaslHandshake v1 naming the
// mechanism, then the mechanism's tokens in SaslAuthenticate requests until the login is
// complete. A broker that refuses the mechanism or the credentials, or a server message that
// breaks SCRAM, ends in an UpstreamAuthError naming why.
//
// A broker with connections.max.reauth.ms grants a session lifetime (KIP-368) and closes a
// connection that is still used after it: the session's `renew` logs in again on the same
// connection, as Kafka's client does (SaslHandshake and SaslAuthenticate, no ApiVersions).
import {
  ApiKey,
  createApiVersionsRequest,
  createSaslAuthenticateRequest,
  createSaslHandshakeRequest,
  decodeApiVersionsResponse,
  decodeSaslAuthenticateResponse,
  decodeSaslHandshakeResponse,
  encodeApiVersionsRequest,
  encodeSaslAuthenticateRequest,
  encodeSaslHandshakeRequest,
} from '../codec/index.js';
import { decodeResponseFrame, encodeRequestFrame } from '../codec/message-frames.js';
import { saslClientExchange, type SaslClientMechanism } from '../auth/sasl-client.js';
import { ScramError, type ScramKeyCache } from '../auth/scram-client.js';

export const TURNOUT_CLIENT_ID = 'turnout';
export const TURNOUT_SOFTWARE_NAME = 'turnout';
export const TURNOUT_SOFTWARE_VERSION = '0.1.0';
/** ApiVersions v3 is what every broker since Kafka 2.4 answers, and carries features. */
export const API_VERSIONS_REQUEST_VERSION = 3;
const SASL_HANDSHAKE_VERSION = 1;
const MAX_SASL_AUTHENTICATE_VERSION = 2;
/** A broker answers a login in three SaslAuthenticate round trips at most; more is a broken server. */
const MAX_SASL_ROUNDS = 8;

const UNSUPPORTED_SASL_MECHANISM = 33;

/** What went wrong in Turnout's login to a broker. */
export type UpstreamAuthStage = 'credentials' | 'sasl';

/** Turnout's credentials could not be presented, or the broker did not take them. */
export class UpstreamAuthError extends Error {
  readonly stage: UpstreamAuthStage;
  constructor(stage: UpstreamAuthStage, message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'UpstreamAuthError';
    this.stage = stage;
  }
}

/** Sends one request frame on the connection being set up and resolves with its response frame. */
export type HandshakeRequest = (frame: Buffer) => Promise<Buffer>;

export interface SaslLogin {
  mechanism: SaslClientMechanism;
  username: string;
  /** Read at every login (an environment variable or a file). Throws UpstreamAuthError('credentials'). */
  password(): Promise<string>;
  keys: ScramKeyCache;
}

/** An ApiVersions v3 request frame from Turnout (the connection puts its own correlation id in). */
export function apiVersionsRequestFrame(): Buffer {
  const req = createApiVersionsRequest();
  req.clientSoftwareName = TURNOUT_SOFTWARE_NAME;
  req.clientSoftwareVersion = TURNOUT_SOFTWARE_VERSION;
  return encodeRequestFrame(
    { apiKey: ApiKey.ApiVersions, apiVersion: API_VERSIONS_REQUEST_VERSION, correlationId: 0, clientId: TURNOUT_CLIENT_ID },
    req,
    encodeApiVersionsRequest,
  );
}

async function saslAuthenticateVersion(request: HandshakeRequest): Promise<number> {
  const { body } = decodeResponseFrame(await request(apiVersionsRequestFrame()), ApiKey.ApiVersions, API_VERSIONS_REQUEST_VERSION, decodeApiVersionsResponse);
  if (body.errorCode !== 0) throw new UpstreamAuthError('sasl', `ApiVersions before the login failed with error code ${body.errorCode}`);
  const range = body.apiKeys.find((k) => k.apiKey === ApiKey.SaslAuthenticate);
  if (range === undefined) throw new UpstreamAuthError('sasl', 'the broker offers no SaslAuthenticate: is this a SASL listener?');
  return Math.min(range.maxVersion, MAX_SASL_AUTHENTICATE_VERSION);
}

async function handshake(request: HandshakeRequest, mechanism: SaslClientMechanism): Promise<void> {
  const req = createSaslHandshakeRequest();
  req.mechanism = mechanism;
  const frame = encodeRequestFrame({ apiKey: ApiKey.SaslHandshake, apiVersion: SASL_HANDSHAKE_VERSION, correlationId: 0, clientId: TURNOUT_CLIENT_ID }, req, encodeSaslHandshakeRequest);
  const { body } = decodeResponseFrame(await request(frame), ApiKey.SaslHandshake, SASL_HANDSHAKE_VERSION, decodeSaslHandshakeResponse);
  if (body.errorCode === UNSUPPORTED_SASL_MECHANISM) {
    throw new UpstreamAuthError('sasl', `the broker does not enable ${mechanism} (enabled: ${body.mechanisms.join(', ') || 'none'})`);
  }
  if (body.errorCode !== 0) throw new UpstreamAuthError('sasl', `SaslHandshake for ${mechanism} failed with error code ${body.errorCode}`);
}

async function authenticate(request: HandshakeRequest, version: number, token: Buffer): Promise<{ authBytes: Buffer; sessionLifetimeMs: number }> {
  const req = createSaslAuthenticateRequest();
  req.authBytes = token;
  const frame = encodeRequestFrame({ apiKey: ApiKey.SaslAuthenticate, apiVersion: version, correlationId: 0, clientId: TURNOUT_CLIENT_ID }, req, encodeSaslAuthenticateRequest);
  const { body } = decodeResponseFrame(await request(frame), ApiKey.SaslAuthenticate, version, decodeSaslAuthenticateResponse);
  if (body.errorCode !== 0) {
    throw new UpstreamAuthError('sasl', `the broker refused the login (error code ${body.errorCode}): ${body.errorMessage ?? 'no message'}`);
  }
  return { authBytes: body.authBytes, sessionLifetimeMs: Number(body.sessionLifetimeMs) };
}

/** A logged-in connection's session: its lifetime (0: unlimited) and how to log in again before it ends. */
export interface SaslSession {
  readonly lifetimeMs: number;
  renew(request: HandshakeRequest): Promise<SaslSession>;
}

/**
 * Logs in with `login` over a connection nothing else has used yet. Resolves with the session
 * the broker granted. Throws UpstreamAuthError, or the connection's own error when it fails
 * meanwhile.
 */
export async function saslLogin(request: HandshakeRequest, login: SaslLogin): Promise<SaslSession> {
  const password = await login.password();
  const version = await saslAuthenticateVersion(request);
  return loginWith(request, login, version, password);
}

async function loginWith(request: HandshakeRequest, login: SaslLogin, version: number, password: string): Promise<SaslSession> {
  const lifetimeMs = await exchangeTokens(request, login, version, password);
  return { lifetimeMs, renew: async (again) => loginWith(again, login, version, await login.password()) };
}

/** SaslHandshake, then the mechanism's tokens; resolves with the session lifetime. */
async function exchangeTokens(request: HandshakeRequest, login: SaslLogin, version: number, password: string): Promise<number> {
  await handshake(request, login.mechanism);
  const exchange = saslClientExchange({ mechanism: login.mechanism, username: login.username, password }, login.keys);
  let token: Buffer | null = exchange.first();
  for (let round = 0; round < MAX_SASL_ROUNDS; round++) {
    const answer = await authenticate(request, version, token);
    try {
      token = await exchange.next(answer.authBytes);
    } catch (err) {
      if (err instanceof ScramError) throw new UpstreamAuthError('sasl', `${login.mechanism} login: ${err.message}`, err);
      throw err;
    }
    if (token === null) return answer.sessionLifetimeMs;
  }
  throw new UpstreamAuthError('sasl', `the ${login.mechanism} login did not end within ${MAX_SASL_ROUNDS} rounds`);
}
