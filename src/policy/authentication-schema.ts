// Configuration of client authentication (documented in config/turnout.example.yaml):
//   listeners[].sasl     which SASL mechanisms a listener offers and whether it requires a login
//   authentication       what every listener shares: where users live, OAUTHBEARER's token
//                        validation, the session lifetime, the delay before a failed login closes
import { z } from 'zod';
import { SASL_MECHANISM_NAMES } from '../auth/sasl-mechanism.js';
import { DEFAULT_JWT_ALGORITHMS } from '../auth/jwt-algorithms.js';

/** JWS algorithms a configuration may name (asymmetric only: keys come from a JWKS). */
const JWT_ALGORITHMS = DEFAULT_JWT_ALGORITHMS;

export const listenerSaslSchema = z
  .object({
    mechanisms: z
      .array(z.enum(SASL_MECHANISM_NAMES))
      .min(1, 'needs at least one mechanism')
      .refine((ms) => new Set(ms).size === ms.length, 'mechanisms must be unique'),
    /** Refuse every request but ApiVersions and SASL ones until the client has logged in. */
    required: z.boolean().default(true),
  })
  .strict();

const oauthBearerSchema = z
  .object({
    jwksFile: z.string().min(1).optional(),
    jwksUrl: z.url({ protocol: /^https?$/ }).optional(),
    issuer: z.string().min(1).optional(),
    audience: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
    principalClaim: z.string().min(1).default('sub'),
    clockToleranceMs: z.number().int().min(0).max(600_000).default(30_000),
    algorithms: z.array(z.enum(JWT_ALGORITHMS)).min(1).optional(),
  })
  .strict()
  .superRefine((o, ctx) => {
    if ((o.jwksFile === undefined) === (o.jwksUrl === undefined)) {
      ctx.addIssue({ code: 'custom', path: [], message: 'needs exactly one of jwksFile and jwksUrl' });
    }
  });

const authenticationSchema = z
  .object({
    /** The users file with store.type file; default: `users.json` in the state folder (store.stateDir). */
    usersFile: z.string().min(1).optional(),
    /** Longest SASL session before the client must re-authenticate (KIP-368); 0: no limit. */
    maxSessionLifetimeMs: z.number().int().min(0).max(2 ** 31 - 1).default(0),
    /** Delay between a failed login's answer and the connection's close. */
    failedLoginDelayMs: z.number().int().min(0).max(60_000).default(100),
    /** Time a client has to complete a login, from its first request. */
    loginTimeoutMs: z.number().int().min(100).max(600_000).default(30_000),
    oauthbearer: oauthBearerSchema.optional(),
  })
  .strict();

export const authenticationField = authenticationSchema.default(authenticationSchema.parse({}));

export type ListenerSaslConfig = z.output<typeof listenerSaslSchema>;
export type AuthenticationConfig = z.output<typeof authenticationSchema>;
export type OAuthBearerConfig = z.output<typeof oauthBearerSchema>;

type AddIssue = (path: PropertyKey[], message: string) => void;

/** Cross-checks: a listener offering OAUTHBEARER needs the token validation configured. */
export function checkAuthentication(
  config: { listeners: ReadonlyArray<{ sasl?: ListenerSaslConfig }>; authentication: AuthenticationConfig },
  addIssue: AddIssue,
): void {
  config.listeners.forEach((l, i) => {
    if (l.sasl?.mechanisms.includes('OAUTHBEARER') && config.authentication.oauthbearer === undefined) {
      addIssue(['listeners', i, 'sasl', 'mechanisms'], 'OAUTHBEARER needs authentication.oauthbearer (a JWKS to validate tokens)');
    }
  });
}
