// SASL termination on a client listener, as a broker's SaslServerAuthenticator does it:
//
//   ApiVersions* → SaslHandshake(mechanism) → SaslAuthenticate(token)… → authenticated
//
// - Before the login completes only ApiVersions and the SASL apis are accepted; anything else
//   closes the connection (a listener with `required: false` lets it through as the principal
//   the connection already has: User:ANONYMOUS or its TLS subject).
// - SaslHandshake v0 (clients older than KIP-152): the tokens follow as bare size-prefixed
//   frames, taken off the request framing with `takeRawFrames`.
// - A mechanism the listener does not offer gets UNSUPPORTED_SASL_MECHANISM with the list it
//   does; a failed login gets SASL_AUTHENTICATION_FAILED with a message; either then closes
//   after `failedLoginDelayMs`, as a broker delays it to slow down guessing.
// - KIP-368: the answer to the last SaslAuthenticate carries SessionLifetimeMs: the smaller of
//   `maxSessionLifetimeMs` and what remains of the credential (an OAUTHBEARER token's exp).
//   A SaslHandshake on an authenticated connection starts a re-authentication with the same
//   mechanism, which must establish the same principal. A request (other than that
//   SaslHandshake) on a connection whose session has expired closes it.
// - A listener without SASL answers the SASL apis ILLEGAL_SASL_STATE, as a broker's
//   PLAINTEXT listener does, and lets everything else through.
// - A login must complete within `loginTimeoutMs` of the connection's first request (of its
//   SaslHandshake on a listener where SASL is optional, and of a re-authentication's): a
//   client that never finishes is closed at that deadline.
//
// One filter serves every listener of an instance; each request is judged by the `sasl` of
// the listener its connection came in on.
// Mechanisms evaluate tokens asynchronously (a credential lookup, a JWKS fetch): the
// SaslAuthenticate is held until its step is known, then answered. A client that sends
// anything else meanwhile is not following the protocol and is closed.
import type { KafkaPrincipal } from '../auth/principal.js';
import { principalString } from '../auth/principal.js';
import type { FailedLoginLog } from '../auth/failed-login-log.js';
import type { SaslMechanisms } from '../auth/sasl-mechanisms.js';
import type { SaslExchange, SaslMechanismName, SaslStep } from '../auth/sasl-mechanism.js';
import { ApiKey } from '../codec/generated/apis.js';
import type { SaslAuthenticateRequest, SaslAuthenticateResponse } from '../codec/generated/sasl-authenticate.js';
import type { SaslHandshakeRequest, SaslHandshakeResponse } from '../codec/generated/sasl-handshake.js';
import type { AuthenticationMetrics } from '../observability/authentication-metrics.js';
import type { ListenerSaslConfig } from '../policy/authentication-schema.js';
import { apiName } from '../routing/api-names.js';
import {
  FilterStateKey,
  FORWARD,
  type CloseAfter,
  type FilterOutcome,
  type FilterRequest,
  type FilterSession,
  type RawFrameResult,
  type RequestFilter,
} from './filter.js';

export const UNSUPPORTED_SASL_MECHANISM = 33;
export const ILLEGAL_SASL_STATE = 34;
export const SASL_AUTHENTICATION_FAILED = 58;

/** Kafka's sasl.server.max.receive.size: the largest token accepted before a login completes. */
export const MAX_SASL_TOKEN_BYTES = 524_288;

export interface AuthenticationFilterOptions {
  /** The instance's listeners; one without `sasl` (or not named here) has no SASL. */
  listeners: ReadonlyArray<{ readonly name: string; readonly sasl?: ListenerSaslConfig }>;
  /** The instance's mechanisms; each listener offers those its `sasl.mechanisms` names. */
  mechanisms: SaslMechanisms;
  /** Longest session before re-authentication is due; 0 for none. */
  maxSessionLifetimeMs: number;
  failedLoginDelayMs: number;
  /** Time a client has to complete a login, from its first request. */
  loginTimeoutMs: number;
  failedLogins: FailedLoginLog;
  metrics: AuthenticationMetrics;
  /** Monotonic clock in ms, for session expiry. (default: performance.now) */
  now?: () => number;
  /** Wall clock in ms, for credential expiry times. (default: Date.now) */
  wallClock?: () => number;
}

/** An established SASL session. */
interface Session {
  readonly mechanism: SaslMechanismName;
  readonly principal: KafkaPrincipal;
  /** Monotonic ms at which the session expires; Infinity when it does not. */
  readonly expiresAt: number;
  /** The client used SaslAuthenticate v1 or later: it reads SessionLifetimeMs and can re-authenticate. */
  readonly canReauthenticate: boolean;
}

/** A login (or re-authentication) under way. */
interface Exchange {
  readonly mechanism: SaslMechanismName;
  readonly sasl: SaslExchange;
  readonly raw: boolean;
  /** Set on a re-authentication that asked for another mechanism: the first token fails with this. */
  readonly refusal: string | null;
  usedSaslAuthenticateV1: boolean;
  /** The SaslAuthenticate being evaluated; `step` once known. */
  pending: { readonly correlationId: number; step: SaslStep | null; readonly settled: Promise<unknown> } | null;
}

interface ConnectionAuth {
  session: Session | null;
  exchange: Exchange | null;
  /** A login deadline was set for the first login. */
  deadlineSet: boolean;
}

const AUTH_STATE = new FilterStateKey<ConnectionAuth>('authentication', () => ({ session: null, exchange: null, deadlineSet: false }));

/** What one listener asks of its clients. */
interface ListenerAuth {
  readonly name: string;
  readonly required: boolean;
  /** What it offers, in its configured order (the handshake answer lists them so). */
  readonly enabled: readonly SaslMechanismName[];
}

const NO_SASL: Omit<ListenerAuth, 'name'> = { required: false, enabled: [] };

function nameOf(apiKey: number): string {
  return apiName(apiKey) ?? `api key ${apiKey}`;
}

function close(reason: string, message: string): FilterOutcome {
  return { kind: 'close', reason, message };
}

export class AuthenticationFilter implements RequestFilter {
  readonly name = 'authentication';
  /** Which listeners log in is fixed at construction. */
  readonly fixedInterest = true;
  private readonly listeners = new Map<string, ListenerAuth>();
  private readonly anySasl: boolean;
  private readonly mechanisms: SaslMechanisms;
  private readonly maxSessionLifetimeMs: number;
  private readonly failedLoginDelayMs: number;
  private readonly loginTimeoutMs: number;
  private readonly failedLogins: FailedLoginLog;
  private readonly metrics: AuthenticationMetrics;
  private readonly now: () => number;
  private readonly wallClock: () => number;

  constructor(opts: AuthenticationFilterOptions) {
    for (const l of opts.listeners) {
      const enabled = l.sasl?.mechanisms ?? [];
      for (const m of enabled) {
        if (!opts.mechanisms.has(m)) throw new Error(`listener ${l.name} offers ${m}, which is not set up`);
      }
      this.listeners.set(l.name, { name: l.name, required: enabled.length > 0 && (l.sasl?.required ?? true), enabled });
    }
    this.anySasl = [...this.listeners.values()].some((l) => l.enabled.length > 0);
    this.mechanisms = opts.mechanisms;
    this.maxSessionLifetimeMs = opts.maxSessionLifetimeMs;
    this.failedLoginDelayMs = opts.failedLoginDelayMs;
    this.loginTimeoutMs = opts.loginTimeoutMs;
    this.failedLogins = opts.failedLogins;
    this.metrics = opts.metrics;
    this.now = opts.now ?? (() => performance.now());
    this.wallClock = opts.wallClock ?? Date.now;
  }

  wants(apiKey: number): boolean {
    // With SASL on some listener, every request is checked: before the login, and against
    // session expiry.
    return this.anySasl || apiKey === ApiKey.SaslHandshake || apiKey === ApiKey.SaslAuthenticate;
  }

  onRequest(request: FilterRequest, session: FilterSession): FilterOutcome {
    const listener = this.listeners.get(session.listenerName) ?? { name: session.listenerName, ...NO_SASL };
    if (listener.enabled.length === 0) return this.withoutSasl(request, listener);
    const auth = session.filterState(AUTH_STATE);
    if (auth.exchange !== null) return this.duringExchange(request, session, listener, auth, auth.exchange);
    if (listener.required && auth.session === null && !auth.deadlineSet) this.startLoginDeadline(session, auth);
    switch (request.apiKey) {
      case ApiKey.SaslHandshake:
        return this.onHandshake(request, session, listener, auth);
      case ApiKey.SaslAuthenticate:
        if (auth.session !== null) return this.authenticateAnswer(request, ILLEGAL_SASL_STATE, 'SaslAuthenticate request received after successful authentication');
        if (listener.required) return close('sasl_protocol', 'SaslAuthenticate before SaslHandshake');
        return this.authenticateAnswer(request, ILLEGAL_SASL_STATE, 'SaslHandshake must come first');
      default:
        if (auth.session !== null) {
          if (this.now() >= auth.session.expiresAt) {
            return close('sasl_session_expired', `${principalString(auth.session.principal)}'s session expired without re-authentication`);
          }
          return FORWARD;
        }
        if (listener.required && request.apiKey !== ApiKey.ApiVersions) {
          return close('sasl_required', `unexpected ${nameOf(request.apiKey)} request before SASL authentication`);
        }
        return FORWARD;
    }
  }

  /** A listener without SASL: what a broker's PLAINTEXT listener answers. */
  private withoutSasl(request: FilterRequest, listener: ListenerAuth): FilterOutcome {
    switch (request.apiKey) {
      case ApiKey.SaslHandshake:
        return this.handshakeAnswer(request, listener, ILLEGAL_SASL_STATE);
      case ApiKey.SaslAuthenticate:
        return this.authenticateAnswer(request, ILLEGAL_SASL_STATE, `SASL is not enabled on listener ${listener.name}`);
      default:
        return FORWARD;
    }
  }

  private startLoginDeadline(session: FilterSession, auth: ConnectionAuth): void {
    auth.deadlineSet = true;
    session.setDeadline({
      atMs: this.wallClock() + this.loginTimeoutMs,
      reason: 'sasl_login_timeout',
      message: `SASL authentication not completed within ${this.loginTimeoutMs} ms`,
    });
  }

  private onHandshake(request: FilterRequest, session: FilterSession, listener: ListenerAuth, auth: ConnectionAuth): FilterOutcome {
    const mechanism = (request.decoded().body as SaslHandshakeRequest).mechanism;
    const current = auth.session;
    if (!(listener.enabled as readonly string[]).includes(mechanism)) {
      // Counted as "unsupported" whatever the name: the label is never the client's own string.
      this.metrics.authentication('unsupported', 'failure');
      this.failedLogins.record({ user: undefined, clientHost: session.clientHost, mechanism: 'unsupported', listener: listener.name, reason: `unsupported mechanism ${JSON.stringify(mechanism.slice(0, 64))}` });
      const message = `Unsupported SASL mechanism ${mechanism}`;
      return { ...this.handshakeAnswer(request, listener, UNSUPPORTED_SASL_MECHANISM), thenClose: this.closeAfterFailure(message) };
    }
    const name = mechanism as SaslMechanismName;
    if (current !== null && (request.apiVersion < 1 || !current.canReauthenticate)) {
      // Re-authentication needs SaslHandshake v1 and a client that spoke SaslAuthenticate v1+ (KIP-368).
      return this.handshakeAnswer(request, listener, ILLEGAL_SASL_STATE);
    }
    const refusal =
      current !== null && current.mechanism !== name
        ? `SASL mechanism '${name}' requested by client is not supported for re-authentication of mechanism '${current.mechanism}'`
        : null;
    const exchange: Exchange = {
      mechanism: name,
      sasl: this.mechanisms.get(name)!.start(),
      raw: request.apiVersion === 0,
      refusal,
      usedSaslAuthenticateV1: false,
      pending: null,
    };
    auth.exchange = exchange;
    // A re-authentication, or a login where SASL is optional, must finish in time too.
    if (current !== null || !listener.required) this.startLoginDeadline(session, auth);
    if (exchange.raw) session.takeRawFrames((frame) => this.onRawToken(frame, session, listener, auth, exchange));
    return this.handshakeAnswer(request, listener, 0);
  }

  private duringExchange(request: FilterRequest, session: FilterSession, listener: ListenerAuth, auth: ConnectionAuth, exchange: Exchange): FilterOutcome {
    if (request.apiKey !== ApiKey.SaslAuthenticate || exchange.raw) {
      return close('sasl_protocol', `unexpected ${nameOf(request.apiKey)} request during SASL authentication`);
    }
    const pending = exchange.pending;
    if (pending !== null) {
      if (pending.correlationId !== request.correlationId) return close('sasl_protocol', 'SaslAuthenticate sent before the previous one was answered');
      if (pending.step === null) return { kind: 'hold', until: pending.settled };
      exchange.pending = null;
      return this.answerStep(request, session, listener, auth, exchange, pending.step);
    }
    const token = (request.decoded().body as SaslAuthenticateRequest).authBytes;
    if (request.apiVersion >= 1) exchange.usedSaslAuthenticateV1 = true;
    const early = this.refuseEarly(exchange, token);
    if (early !== null) return this.answerStep(request, session, listener, auth, exchange, early);
    const held = { correlationId: request.correlationId, step: null as SaslStep | null, settled: Promise.resolve() as Promise<unknown> };
    held.settled = exchange.sasl.evaluate(token).then((step) => {
      held.step = step;
    });
    exchange.pending = held;
    return { kind: 'hold', until: held.settled };
  }

  /** A failure decided before the mechanism sees the token. */
  private refuseEarly(exchange: Exchange, token: Buffer): SaslStep | null {
    if (exchange.refusal !== null) return { kind: 'failure', reason: exchange.refusal, clientMessage: exchange.refusal };
    if (token.length > MAX_SASL_TOKEN_BYTES) {
      return { kind: 'failure', reason: `token of ${token.length} bytes`, clientMessage: `SASL token larger than ${MAX_SASL_TOKEN_BYTES} bytes` };
    }
    return null;
  }

  private answerStep(request: FilterRequest, session: FilterSession, listener: ListenerAuth, auth: ConnectionAuth, exchange: Exchange, step: SaslStep): FilterOutcome {
    const settled = this.settle(session, listener, auth, exchange, step);
    const body: SaslAuthenticateResponse = {
      errorCode: 0,
      errorMessage: null,
      authBytes: step.kind === 'failure' ? Buffer.alloc(0) : step.token,
      sessionLifetimeMs: BigInt(settled.sessionLifetimeMs),
    };
    if (settled.failure === null) return { kind: 'answer', response: request.respond(body) };
    body.errorCode = SASL_AUTHENTICATION_FAILED;
    body.errorMessage = settled.failure.message;
    return { kind: 'answer', response: request.respond(body), thenClose: settled.failure };
  }

  private async onRawToken(frame: Buffer, session: FilterSession, listener: ListenerAuth, auth: ConnectionAuth, exchange: Exchange): Promise<RawFrameResult> {
    const step = this.refuseEarly(exchange, frame) ?? (await exchange.sasl.evaluate(frame));
    const settled = this.settle(session, listener, auth, exchange, step);
    // A raw login has no error answer: a failure is a closed connection, as with a broker.
    if (settled.failure !== null) return { reply: null, done: true, close: settled.failure };
    return { reply: step.kind === 'failure' ? null : step.token, done: step.kind === 'success' };
  }

  /**
   * Applies one step to the connection: a success establishes (or renews) the session, a
   * failure ends the exchange and says how to close.
   */
  private settle(session: FilterSession, listener: ListenerAuth, auth: ConnectionAuth, exchange: Exchange, step: SaslStep): { sessionLifetimeMs: number; failure: CloseAfter | null } {
    if (step.kind === 'challenge') return { sessionLifetimeMs: 0, failure: null };
    const previous = auth.session;
    auth.exchange = null;
    if (step.kind === 'success' && previous !== null && principalString(previous.principal) !== principalString(step.principal)) {
      const message = `Cannot change principals during re-authentication from ${previous.principal.type}.${previous.principal.name}: ${step.principal.type}.${step.principal.name}`;
      return this.failed(session, listener, previous !== null, exchange, { kind: 'failure', reason: message, clientMessage: message, user: step.principal.name });
    }
    if (step.kind === 'failure') return this.failed(session, listener, previous !== null, exchange, step);
    const lifetimeMs = this.sessionLifetimeMs(step.credentialExpiresAtMs);
    auth.session = {
      mechanism: exchange.mechanism,
      principal: step.principal,
      expiresAt: lifetimeMs === null ? Infinity : this.now() + lifetimeMs,
      canReauthenticate: exchange.usedSaslAuthenticateV1,
    };
    session.principal = step.principal;
    session.setDeadline(null);
    session.setFrameLimit(null);
    this.metrics.authentication(exchange.mechanism, 'success');
    if (session.log.isLevelEnabled('debug')) {
      session.log.debug(
        { principal: principalString(step.principal), mechanism: exchange.mechanism, reauthentication: previous !== null, sessionLifetimeMs: lifetimeMs, notice: step.notice },
        previous === null ? 'authenticated' : 're-authenticated',
      );
    }
    return { sessionLifetimeMs: lifetimeMs ?? 0, failure: null };
  }

  private failed(
    session: FilterSession,
    listener: ListenerAuth,
    reauthenticating: boolean,
    exchange: Exchange,
    step: Extract<SaslStep, { kind: 'failure' }>,
  ): { sessionLifetimeMs: number; failure: CloseAfter } {
    this.metrics.authentication(exchange.mechanism, 'failure');
    this.failedLogins.record({ user: step.user, clientHost: session.clientHost, mechanism: exchange.mechanism, listener: listener.name, reason: step.reason });
    const message =
      step.clientMessage ??
      `Authentication failed during ${reauthenticating ? 're-authentication' : 'authentication'} due to invalid credentials with SASL mechanism ${exchange.mechanism}`;
    return { sessionLifetimeMs: 0, failure: this.closeAfterFailure(message) };
  }

  private closeAfterFailure(message: string): CloseAfter {
    return { reason: 'authentication_failed', message, delayMs: this.failedLoginDelayMs };
  }

  /** Kafka's rule: the smaller of the configured maximum and the credential's remaining life; null when neither applies. */
  private sessionLifetimeMs(credentialExpiresAtMs: number | undefined): number | null {
    const max = this.maxSessionLifetimeMs > 0 ? this.maxSessionLifetimeMs : Infinity;
    const credential = credentialExpiresAtMs === undefined ? Infinity : Math.max(0, credentialExpiresAtMs - this.wallClock());
    const lifetime = Math.min(max, credential);
    return lifetime === Infinity ? null : Math.floor(lifetime);
  }

  private handshakeAnswer(request: FilterRequest, listener: ListenerAuth, errorCode: number): Extract<FilterOutcome, { kind: 'answer' }> {
    const body: SaslHandshakeResponse = { errorCode, mechanisms: [...listener.enabled] };
    return { kind: 'answer', response: request.respond(body) };
  }

  private authenticateAnswer(request: FilterRequest, errorCode: number, errorMessage: string): FilterOutcome {
    const body: SaslAuthenticateResponse = { errorCode, errorMessage, authBytes: Buffer.alloc(0), sessionLifetimeMs: 0n };
    return { kind: 'answer', response: request.respond(body) };
  }
}
