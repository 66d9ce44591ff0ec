// Turnout's own identity towards a backend: `backends[].tls` and `backends[].credentials`.
// Every connection Turnout opens to the backend's brokers uses them (net/upstream-connector.ts):
// its clients' upstreams, its topology and control connections alike.
import { z } from 'zod';

const ENV_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

export const envVarNameSchema = z.string().regex(ENV_RE, 'must be an environment variable name (letters, digits, "_")');

const file = z.string().min(1, 'must name a file');

export const backendTlsSchema = z
  .object({
    /** CAs the brokers' certificates are verified against, PEM; Node's bundled roots when absent. */
    caFile: file.optional(),
    /** Turnout's client certificate, PEM, for brokers that require one (ssl.client.auth=required). */
    certFile: file.optional(),
    /** Its private key, PEM, unencrypted. */
    keyFile: file.optional(),
    /** The name the brokers' certificates must carry; by default each broker's own host. */
    serverName: z.string().min(1).optional(),
    /** Accept any broker certificate. For tests only: anyone on the path can read and change the traffic. */
    insecureSkipVerify: z.boolean().default(false),
  })
  .strict()
  .superRefine((t, ctx) => {
    if ((t.certFile === undefined) !== (t.keyFile === undefined)) {
      ctx.addIssue({ code: 'custom', path: [t.certFile === undefined ? 'certFile' : 'keyFile'], message: 'certFile and keyFile go together' });
    }
  });

export const saslCredentialsSchema = z
  .object({
    mechanism: z.enum(['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512']),
    username: z.string().min(1),
    /** Name of the environment variable holding the password; never the password itself. */
    passwordEnv: envVarNameSchema.optional(),
    /** A file holding the password (a trailing line break is not part of it); read at every login, so a rotated password is taken. */
    passwordFile: file.optional(),
  })
  .strict()
  .superRefine((s, ctx) => {
    if ((s.passwordEnv === undefined) === (s.passwordFile === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['passwordEnv'], message: 'give exactly one of passwordEnv and passwordFile' });
    }
  });

/** Credentials Turnout presents to a backend. */
export const backendCredentialsSchema = z
  .object({
    sasl: saslCredentialsSchema,
  })
  .strict();

export type BackendTlsConfig = z.output<typeof backendTlsSchema>;
export type SaslCredentialsConfig = z.output<typeof saslCredentialsSchema>;
