// `domains[].access`: a domain grants in one line what a team would otherwise write as a
// dozen ACL bindings. Each principal listed under a role gets ALLOW entries, from any host,
// over the domain's own name patterns:
//
//   owners     ALL               on its topics, groups and transactional ids
//   producers  WRITE, DESCRIBE   on its topics and transactional ids
//   consumers  READ, DESCRIBE    on its topics and groups
//
// Producers get no IDEMPOTENT_WRITE on the cluster (that would reach every domain): an
// idempotent producer's InitProducerId is allowed by WRITE on some topic, as Kafka allows it
// since 2.8 (KIP-679). A name a defaultDomain receives because no pattern matches it is not
// covered: grants follow the patterns, never the fallback.
//
// Literal and prefix patterns are Kafka's LITERAL and PREFIXED; a glob (`*.audit`) has no
// Kafka pattern type, so grants are not stored as bindings at all: they are evaluated on the
// domain's patterns themselves, next to the stored bindings (a stored DENY still wins), and
// shown as domain grants by explain and `GET /v1/acl`. They change with the policy.
import { z } from 'zod';
import type { AclOperation, DomainGrant, ResourceType } from './acl-model.js';
import { ruleCovers, ruleOfGrant, type AclRule } from './acl-rules.js';
import { principalSchema } from './authorization-schema.js';
import { parsePattern, type NameKind, type PatternInput } from './name-pattern.js';

export const domainAccessSchema = z
  .object({
    owners: z.array(principalSchema).default([]),
    producers: z.array(principalSchema).default([]),
    consumers: z.array(principalSchema).default([]),
  })
  .strict();

export type DomainAccess = z.output<typeof domainAccessSchema>;
export type DomainRole = DomainGrant['role'];

/** What a domain needs for its grants: its name, patterns and access. */
export interface GrantingDomain {
  readonly name: string;
  readonly topics: readonly PatternInput[];
  readonly groups: readonly PatternInput[];
  readonly transactionalIds: readonly PatternInput[];
  readonly access?: DomainAccess;
}

interface RoleGrant {
  readonly names: NameKind;
  readonly resourceType: ResourceType;
  readonly operations: readonly AclOperation[];
}

/** The expansion of each role, as the file comment states it. */
export const ROLE_GRANTS: Readonly<Record<DomainRole, readonly RoleGrant[]>> = {
  owners: [
    { names: 'topic', resourceType: 'TOPIC', operations: ['ALL'] },
    { names: 'group', resourceType: 'GROUP', operations: ['ALL'] },
    { names: 'transactionalId', resourceType: 'TRANSACTIONAL_ID', operations: ['ALL'] },
  ],
  producers: [
    { names: 'topic', resourceType: 'TOPIC', operations: ['WRITE', 'DESCRIBE'] },
    { names: 'transactionalId', resourceType: 'TRANSACTIONAL_ID', operations: ['WRITE', 'DESCRIBE'] },
  ],
  consumers: [
    { names: 'topic', resourceType: 'TOPIC', operations: ['READ', 'DESCRIBE'] },
    { names: 'group', resourceType: 'GROUP', operations: ['READ', 'DESCRIBE'] },
  ],
};

const ROLES: readonly DomainRole[] = ['owners', 'producers', 'consumers'];

function patternsOf(d: GrantingDomain, kind: NameKind): readonly PatternInput[] {
  return kind === 'topic' ? d.topics : kind === 'group' ? d.groups : d.transactionalIds;
}

/** The grants of every domain with `access`, as rules for the authorizer. */
export function domainGrantRules(domains: readonly GrantingDomain[]): AclRule[] {
  const rules: AclRule[] = [];
  for (const d of domains) {
    if (d.access === undefined) continue;
    for (const role of ROLES) {
      for (const principal of d.access[role]) {
        for (const g of ROLE_GRANTS[role]) {
          for (const input of patternsOf(d, g.names)) {
            const p = parsePattern(input);
            for (const operation of g.operations) {
              const grant: DomainGrant = {
                domain: d.name,
                role,
                resourceType: g.resourceType,
                pattern: p.written,
                patternKind: p.kind,
                principal,
                operation,
              };
              rules.push(ruleOfGrant(grant, p.kind, p.text));
            }
          }
        }
      }
    }
  }
  return rules;
}

/** The grants themselves, for listing; with a name, only those whose pattern covers it. */
export function domainGrants(domains: readonly GrantingDomain[], coveringName?: string): DomainGrant[] {
  return domainGrantRules(domains)
    .filter((r) => coveringName === undefined || ruleCovers(r, coveringName))
    .flatMap((r) => (r.reason.kind === 'domain-access' ? [r.reason.grant] : []));
}
