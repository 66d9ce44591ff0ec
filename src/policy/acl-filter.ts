// Which bindings a filter selects, as DescribeAcls and DeleteAcls use Kafka's
// AclBindingFilter: every field null or ANY matches anything; a pattern type MATCH selects the
// bindings that would apply to the named resource (the literal name, the `*` wildcard and
// every prefix of the name); a named pattern type compares the name exactly.
import { WILDCARD, type AclBinding, type AclBindingFilter } from './acl-model.js';

/** Matches every binding. */
export const ANY_ACL_FILTER: AclBindingFilter = Object.freeze({
  resourceType: 'ANY',
  resourceName: null,
  patternType: 'ANY',
  principal: null,
  host: null,
  operation: 'ANY',
  permission: 'ANY',
});

export function filterMatches(f: AclBindingFilter, b: AclBinding): boolean {
  if (f.resourceType !== 'ANY' && f.resourceType !== b.resourceType) return false;
  if (f.patternType !== 'ANY' && f.patternType !== 'MATCH' && f.patternType !== b.patternType) return false;
  if (f.resourceName !== null) {
    if (f.patternType === 'ANY' || f.patternType === b.patternType) {
      if (f.resourceName !== b.resourceName) return false;
    } else if (b.patternType === 'LITERAL') {
      if (f.resourceName !== b.resourceName && b.resourceName !== WILDCARD) return false;
    } else if (!f.resourceName.startsWith(b.resourceName)) {
      return false;
    }
  }
  if (f.principal !== null && f.principal !== b.principal) return false;
  if (f.host !== null && f.host !== b.host) return false;
  if (f.operation !== 'ANY' && f.operation !== b.operation) return false;
  return f.permission === 'ANY' || f.permission === b.permission;
}

/** A filter that selects exactly this binding (what `acl remove` of one binding sends). */
export function filterOf(b: AclBinding): AclBindingFilter {
  return { ...b };
}
