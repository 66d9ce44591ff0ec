// The `authorization` section of the configuration: whether Turnout decides ACLs, its super
// users, the rule for resources no ACL covers, the bindings it starts with, and the audit and
// cache sizes. Every field is documented in config/turnout.example.yaml.
import net from 'node:net';
import { z } from 'zod';
import { ACL_OPERATIONS, ACL_PERMISSIONS, checkBinding, PATTERN_TYPES, RESOURCE_TYPES } from './acl-binding.js';
import type { AclBinding } from './acl-model.js';

function enumOf<T extends string>(values: readonly T[]) {
  return z.enum(values as [T, ...T[]]);
}

export const principalSchema = z.string().regex(/^[^:]+:.+$/s, 'must be a principal Type:name, for example User:alice or User:*');

/** One ACL binding as the YAML writes it: Kafka's seven fields, with host, pattern type and permission defaulted. */
export const aclEntrySchema = z
  .object({
    resourceType: enumOf(RESOURCE_TYPES),
    resourceName: z.string().min(1, 'cannot be empty'),
    patternType: enumOf(PATTERN_TYPES).default('LITERAL'),
    principal: principalSchema,
    host: z
      .string()
      .default('*')
      .refine((h) => h === '*' || net.isIP(h) !== 0, 'must be * or an IP address (the client IP is compared, never a host name)'),
    operation: enumOf(ACL_OPERATIONS),
    permission: enumOf(ACL_PERMISSIONS).default('ALLOW'),
  })
  .strict()
  .superRefine((entry, ctx) => {
    const reason = checkBinding(entry);
    if (reason !== null) ctx.addIssue({ code: 'custom', message: reason });
  });

export const authorizationSchema = z
  .object({
    enabled: z.boolean().default(true),
    superUsers: z.array(principalSchema).default([]),
    allowEveryoneIfNoAclFound: z.boolean().default(false),
    acls: z.array(aclEntrySchema).default([]),
    auditIntervalMs: z.number().int().min(1_000).max(86_400_000).default(60_000),
    decisionCacheSize: z.number().int().min(0).max(10_000_000).default(65_536),
    stateFile: z.string().min(1).optional(),
  })
  .strict();

/** The field config.ts adds: absent means authorization is off. */
export const authorizationField = authorizationSchema.optional();

export type AuthorizationConfig = z.output<typeof authorizationSchema>;

/** The bindings a configuration starts with. */
export function seedBindingsOf(config: AuthorizationConfig): AclBinding[] {
  return config.acls;
}
