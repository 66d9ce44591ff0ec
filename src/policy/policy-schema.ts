// The policy part of the configuration: backends, service domains and the rule for names no
// domain claims. The same schema and cross-checks validate the YAML file (inside config.ts)
// and a policy document read back from the shared store, so both fail with field paths.
import { z } from 'zod';
import { backendCredentialsSchema, backendTlsSchema } from './backend-security-schema.js';
import { ConfigError, formatPath, type ConfigIssue } from './config-error.js';
import { domainAccessSchema } from './domain-access.js';
import { checkPattern, parsePattern, patternsOverlap, type NameKind, type NamePattern, type PatternInput } from './name-pattern.js';
import { localitySchema } from './zone-routing-schema.js';

const NAME_RE = /^[A-Za-z0-9._-]+$/;
const NAME_MSG = 'must be letters, digits, ".", "_" or "-"';

export const hostPortSchema = z
  .string()
  .regex(/^(\[[0-9a-fA-F:.]+\]|[^\s:[\]]+):\d{1,5}$/, 'must be host:port')
  .refine((s) => Number(s.slice(s.lastIndexOf(':') + 1)) <= 65535, 'port must be at most 65535');

export { envVarNameSchema } from './backend-security-schema.js';

export const backendSchema = z
  .object({
    name: z.string().regex(NAME_RE, NAME_MSG),
    bootstrapServers: z.array(hostPortSchema).min(1, 'needs at least one host:port'),
    /** Broker rack id → availability zone name. */
    rackZones: z.record(z.string().min(1), z.string().min(1, 'zone name cannot be empty')).default({}),
    /** TLS to the backend's brokers (backend-security-schema.ts); plaintext when absent. */
    tls: backendTlsSchema.optional(),
    /** SASL credentials Turnout authenticates with to the backend's brokers. */
    credentials: backendCredentialsSchema.optional(),
  })
  .strict();

const PATTERN_SHAPE_MSG =
  'must be a pattern string ("orders.created", "orders.*", "*.audit") or one of {literal: ...}, {prefix: ...}, {glob: ...}';

function patternSchema(kind: NameKind): z.ZodType<PatternInput> {
  return z
    .union(
      [
        z.string(),
        z.object({ literal: z.string() }).strict(),
        z.object({ prefix: z.string() }).strict(),
        z.object({ glob: z.string() }).strict(),
      ],
      { error: PATTERN_SHAPE_MSG },
    )
    .superRefine((p, ctx) => {
      const reason = checkPattern(kind, p);
      if (reason !== null) ctx.addIssue({ code: 'custom', message: reason });
    });
}

export const domainSchema = z
  .object({
    name: z.string().regex(NAME_RE, NAME_MSG),
    owner: z.string().min(1, 'cannot be empty'),
    topics: z.array(patternSchema('topic')).default([]),
    groups: z.array(patternSchema('group')).default([]),
    transactionalIds: z.array(patternSchema('transactionalId')).default([]),
    backend: z.string().min(1),
    migrationTarget: z.string().min(1).optional(),
    /** Where the domain's partition leaders should be; reported, not enforced (zone-routing-schema.ts). */
    locality: localitySchema.optional(),
    /** Principals granted ACL entries over the domain's patterns (domain-access.ts). */
    access: domainAccessSchema.optional(),
  })
  .strict();

export type BackendConfig = z.output<typeof backendSchema>;
export type DomainConfig = z.output<typeof domainSchema>;

/** The fields the policy schema adds to the top level of the configuration. */
export const policyFields = {
  backends: z.array(backendSchema).min(1, 'needs at least one backend'),
  domains: z.array(domainSchema).default([]),
  defaultDomain: z.string().min(1).optional(),
};

/** Backends, domains and the default domain: what the policy store shares between instances. */
export const policyDocumentSchema = z.object(policyFields).strict();
export type PolicyDocument = z.output<typeof policyDocumentSchema>;

/** Name of the domain that owns everything when a configuration declares no domains. */
export const IMPLICIT_DOMAIN = 'default';

/** The pattern lists of a domain, by the kind of name they match. */
export const PATTERN_FIELDS: ReadonlyArray<readonly [NameKind, 'topics' | 'groups' | 'transactionalIds']> = [
  ['topic', 'topics'],
  ['group', 'groups'],
  ['transactionalId', 'transactionalIds'],
];

const KIND_WORDS: Record<NameKind, string> = { topic: 'topic', group: 'group', transactionalId: 'transactional id' };

type AddIssue = (path: PropertyKey[], message: string) => void;

/**
 * Checks what a schema cannot see field by field: unique names, references between domains
 * and backends, and that no name can belong to two domains.
 */
export function checkPolicy(policy: PolicyDocument, addIssue: AddIssue): void {
  const backendNames = new Set<string>();
  policy.backends.forEach((b, i) => {
    if (backendNames.has(b.name)) addIssue(['backends', i, 'name'], `backend name "${b.name}" is used twice`);
    backendNames.add(b.name);
  });
  const configured = [...backendNames].join(', ');

  if (policy.domains.length === 0 && policy.backends.length > 1) {
    addIssue(['domains'], 'with several backends, declare the domains that say which backend each name lives on');
  }
  const domainNames = new Set<string>();
  policy.domains.forEach((d, i) => {
    if (domainNames.has(d.name)) addIssue(['domains', i, 'name'], `domain name "${d.name}" is used twice`);
    domainNames.add(d.name);
    if (!backendNames.has(d.backend)) {
      addIssue(['domains', i, 'backend'], `names no configured backend: "${d.backend}" (configured: ${configured})`);
    }
    if (d.migrationTarget !== undefined) {
      if (!backendNames.has(d.migrationTarget)) {
        addIssue(['domains', i, 'migrationTarget'], `names no configured backend: "${d.migrationTarget}" (configured: ${configured})`);
      } else if (d.migrationTarget === d.backend) {
        addIssue(['domains', i, 'migrationTarget'], `must differ from the domain's backend ("${d.backend}")`);
      }
    }
  });
  if (policy.defaultDomain !== undefined && !domainNames.has(policy.defaultDomain)) {
    addIssue(['defaultDomain'], `names no configured domain: "${policy.defaultDomain}"`);
  }
  checkOverlaps(policy, addIssue);
}

interface PlacedPattern {
  domain: number;
  index: number;
  pattern: NamePattern;
}

function checkOverlaps(policy: PolicyDocument, addIssue: AddIssue): void {
  for (const [kind, field] of PATTERN_FIELDS) {
    const placed: PlacedPattern[] = [];
    policy.domains.forEach((d, domain) => {
      d[field].forEach((input, index) => {
        if (checkPattern(kind, input) === null) placed.push({ domain, index, pattern: parsePattern(input) });
      });
    });
    // Every pair from two different domains; configurations hold tens to hundreds of patterns.
    for (let x = 0; x < placed.length; x++) {
      for (let y = x + 1; y < placed.length; y++) {
        const a = placed[x];
        const b = placed[y];
        if (a.domain === b.domain) continue;
        const example = patternsOverlap(a.pattern, b.pattern);
        if (example === null) continue;
        const da = policy.domains[a.domain].name;
        const db = policy.domains[b.domain].name;
        addIssue(
          ['domains', b.domain, field, b.index],
          `${KIND_WORDS[kind]} pattern ${b.pattern.written} of domain "${db}" overlaps ${KIND_WORDS[kind]} pattern ` +
            `${a.pattern.written} of domain "${da}" (${formatPath(['domains', a.domain, field, a.index])}): ` +
            `both match ${JSON.stringify(example)}`,
        );
      }
    }
  }
}

/** Validates a policy document (as stored in Redis); throws a ConfigError naming the fields. */
export function parsePolicyDocument(input: unknown, source: string): PolicyDocument {
  const result = policyDocumentSchema.safeParse(input);
  if (!result.success) {
    throw new ConfigError(
      source,
      result.error.issues.map((issue) => ({ path: formatPath(issue.path), reason: issue.message })),
    );
  }
  const issues: ConfigIssue[] = [];
  checkPolicy(result.data, (path, reason) => issues.push({ path: formatPath(path), reason }));
  if (issues.length > 0) throw new ConfigError(source, issues);
  return result.data;
}
