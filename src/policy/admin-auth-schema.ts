// `admin.auth`: where the admin API's bearer token comes from, and whether reads need it.
// Documented in config/turnout.example.yaml; enforced by src/admin/admin-auth.ts.
import { z } from 'zod';
import { envVarNameSchema } from './policy-schema.js';

export const adminAuthSchema = z
  .object({
    /** Environment variable holding the token. */
    tokenEnv: envVarNameSchema.optional(),
    /** File holding the token (one per line: several allow a rotation). */
    tokenFile: z.string().min(1).optional(),
    /** Let GET and HEAD of the /v1 API through without a token. */
    openReads: z.boolean().default(false),
  })
  .strict()
  .superRefine((auth, ctx) => {
    if ((auth.tokenEnv === undefined) === (auth.tokenFile === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'set exactly one of tokenEnv and tokenFile' });
    }
  });

export type AdminAuthConfig = z.output<typeof adminAuthSchema>;
