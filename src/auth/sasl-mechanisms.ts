// The server mechanisms a Turnout instance offers, made once and shared by its listeners
// (each listener offers the subset its `sasl.mechanisms` names).
import path from 'node:path';
import type { AuthenticationConfig } from '../policy/authentication-schema.js';
import type { CredentialLookup } from './credential-store.js';
import type { JwtValidator } from './jwt-validator.js';
import { OAuthBearerServerMechanism } from './oauthbearer-server.js';
import { PlainServerMechanism } from './plain-server.js';
import type { SaslMechanism, SaslMechanismName } from './sasl-mechanism.js';
import { ScramServerMechanism } from './scram-server.js';

export type SaslMechanisms = ReadonlyMap<SaslMechanismName, SaslMechanism>;

export interface SaslMechanismsOptions {
  /** The mechanisms any listener offers. */
  enabled: Iterable<SaslMechanismName>;
  credentials: CredentialLookup;
  authentication: AuthenticationConfig;
  /** Directory relative file names in `authentication` are resolved against (the YAML's). */
  configDir: string;
  /**
   * The JWT validator (jwt-validator.ts), needed when OAUTHBEARER is enabled: its caller loads
   * it then (`loadJwtValidator`), so that jose is in memory only when some listener uses it.
   */
  jwtValidator?: typeof JwtValidator;
}

/** The JWT validator class when some listener offers OAUTHBEARER, else undefined (jose stays unloaded). */
export async function loadJwtValidator(enabled: Iterable<SaslMechanismName>): Promise<typeof JwtValidator | undefined> {
  for (const name of enabled) if (name === 'OAUTHBEARER') return (await import('./jwt-validator.js')).JwtValidator;
  return undefined;
}

export function createSaslMechanisms(opts: SaslMechanismsOptions): SaslMechanisms {
  const out = new Map<SaslMechanismName, SaslMechanism>();
  const { credentials } = opts;
  for (const name of new Set(opts.enabled)) {
    switch (name) {
      case 'PLAIN':
        out.set(name, new PlainServerMechanism(credentials));
        break;
      case 'SCRAM-SHA-256':
      case 'SCRAM-SHA-512':
        out.set(name, new ScramServerMechanism(name, async (user) => (await credentials.credentials(user))?.[name] ?? null));
        break;
      case 'OAUTHBEARER': {
        const o = opts.authentication.oauthbearer;
        if (o === undefined) throw new Error('OAUTHBEARER needs authentication.oauthbearer');
        if (opts.jwtValidator === undefined) throw new Error('OAUTHBEARER needs the JWT validator loaded (loadJwtValidator)');
        const validator = new opts.jwtValidator({
          ...o,
          jwksFile: o.jwksFile === undefined ? undefined : path.resolve(opts.configDir, o.jwksFile),
        });
        out.set(name, new OAuthBearerServerMechanism(validator));
        break;
      }
    }
  }
  return out;
}

/** Every mechanism some listener of the configuration offers. */
export function mechanismsOfListeners(listeners: ReadonlyArray<{ sasl?: { mechanisms: readonly SaslMechanismName[] } }>): SaslMechanismName[] {
  return [...new Set(listeners.flatMap((l) => l.sasl?.mechanisms ?? []))];
}
