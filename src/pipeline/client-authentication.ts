// Client authentication of a Turnout instance, from its configuration: the SASL mechanisms
// its listeners offer, over the credential store (PLAIN and SCRAM) and the JWKS (OAUTHBEARER),
// as one authentication filter for every listener. The filter runs first in the pipeline, so
// that nothing is decided for a client before it is known who the client is.
import path from 'node:path';
import type { CredentialLookup } from '../auth/credential-store.js';
import { FailedLoginLog } from '../auth/failed-login-log.js';
import type { JwtValidator } from '../auth/jwt-validator.js';
import { createSaslMechanisms, loadJwtValidator, mechanismsOfListeners } from '../auth/sasl-mechanisms.js';
import { ApiKey } from '../codec/generated/apis.js';
import type { AuthenticationMetrics } from '../observability/authentication-metrics.js';
import type { Logger } from '../observability/logger.js';
import type { TurnoutConfig } from '../policy/config.js';
import type { VersionRange } from '../routing/api-versions.js';
import { AuthenticationFilter } from './authentication-filter.js';

/** The SASL apis Turnout answers itself, offered on every listener as a broker offers them. */
export const SASL_API_VERSIONS: ReadonlyMap<number, VersionRange> = new Map([
  [ApiKey.SaslHandshake, { minVersion: 0, maxVersion: 1 }],
  [ApiKey.SaslAuthenticate, { minVersion: 0, maxVersion: 2 }],
]);

/** Whether some listener offers a mechanism checked against stored users (PLAIN, SCRAM). */
export function usesStoredUsers(config: TurnoutConfig): boolean {
  return mechanismsOfListeners(config.listeners).some((m) => m !== 'OAUTHBEARER');
}

export interface ClientAuthenticationOptions {
  config: TurnoutConfig;
  /** The YAML file: relative paths in `authentication` are resolved against its directory. */
  configFile?: string;
  /** The users; needed when `usesStoredUsers(config)`. */
  credentials: CredentialLookup | null;
  log: Logger;
  metrics: AuthenticationMetrics;
  /** The JWT validator class, when some listener offers OAUTHBEARER (`jwtValidatorFor`). */
  jwtValidator?: typeof JwtValidator;
}

/** Loads the JWT validator when some listener offers OAUTHBEARER: jose is not loaded otherwise. */
export function jwtValidatorFor(config: TurnoutConfig): Promise<typeof JwtValidator | undefined> {
  return loadJwtValidator(mechanismsOfListeners(config.listeners));
}

export function createAuthenticationFilter(opts: ClientAuthenticationOptions): AuthenticationFilter {
  const { config } = opts;
  const enabled = mechanismsOfListeners(config.listeners);
  if (opts.credentials === null && usesStoredUsers(config)) throw new Error('PLAIN and SCRAM listeners need a credential store');
  const noUsers: CredentialLookup = { credentials: () => Promise.resolve(null) };
  const mechanisms = createSaslMechanisms({
    enabled,
    credentials: opts.credentials ?? noUsers,
    authentication: config.authentication,
    configDir: opts.configFile === undefined ? process.cwd() : path.dirname(path.resolve(opts.configFile)),
    jwtValidator: opts.jwtValidator,
  });
  const a = config.authentication;
  return new AuthenticationFilter({
    listeners: config.listeners,
    mechanisms,
    maxSessionLifetimeMs: a.maxSessionLifetimeMs,
    failedLoginDelayMs: a.failedLoginDelayMs,
    loginTimeoutMs: a.loginTimeoutMs,
    failedLogins: new FailedLoginLog({ log: opts.log.child({ component: 'authentication' }) }),
    metrics: opts.metrics,
  });
}
