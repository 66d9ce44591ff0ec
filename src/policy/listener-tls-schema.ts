// `listeners[].tls`: a listener that terminates TLS, optionally verifying client certificates
// (mTLS), as a broker's SSL listener does. The files are PEM and are watched: a renewed
// certificate is taken for new connections without dropping open ones (net/listener-tls.ts).
import { z } from 'zod';
import { DEFAULT_PRINCIPAL_MAPPING_RULES, PrincipalMappingRuleError, PrincipalMappingRules } from '../auth/principal-mapping-rules.js';

const file = z.string().min(1, 'must name a file');

export const listenerTlsSchema = z
  .object({
    /** The listener's certificate chain, PEM (leaf first). */
    certFile: file,
    /** Its private key, PEM, unencrypted. */
    keyFile: file,
    /** CAs that client certificates are verified against, PEM; required unless clientAuth is none. */
    caFile: file.optional(),
    /** Kafka's ssl.client.auth: `required` refuses clients without a verified certificate. */
    clientAuth: z.enum(['required', 'requested', 'none']).default('none'),
    /** Kafka's ssl.principal.mapping.rules, from a verified certificate's subject to a principal name. */
    principalMappingRules: z
      .string()
      .default(DEFAULT_PRINCIPAL_MAPPING_RULES)
      .superRefine((rules, ctx) => {
        try {
          PrincipalMappingRules.parse(rules);
        } catch (err) {
          if (!(err instanceof PrincipalMappingRuleError)) throw err;
          ctx.addIssue({ code: 'custom', message: err.message });
        }
      }),
    /** Quiet time after a change to one of the files before they are read again, in ms. */
    reloadDebounceMs: z.number().int().min(0).max(60_000).default(500),
  })
  .strict()
  .superRefine((t, ctx) => {
    if (t.clientAuth !== 'none' && t.caFile === undefined) {
      ctx.addIssue({ code: 'custom', path: ['caFile'], message: `required with clientAuth ${t.clientAuth}: client certificates are verified against it` });
    }
  });

export type ListenerTlsConfig = z.output<typeof listenerTlsSchema>;
