// A decision's reason in one line, for the audit log, the explain answer and the CLI.
import { bindingText } from './acl-binding.js';
import type { DecisionReason, DomainGrant } from './acl-model.js';

/** `ALLOW User:svc WRITE on TOPIC prefix "orders." (domain orders, producers)`. */
export function grantText(g: DomainGrant): string {
  return `ALLOW ${g.principal} ${g.operation} on ${g.resourceType} ${g.patternKind} ${g.pattern} from * (domain ${g.domain}, ${g.role})`;
}

export function reasonText(reason: DecisionReason): string {
  switch (reason.kind) {
    case 'acl':
      return bindingText(reason.binding);
    case 'domain-access':
      return grantText(reason.grant);
    case 'super-user':
      return 'super user';
    case 'no-acl-allow-everyone':
      return 'no ACL covers the resource and allowEveryoneIfNoAclFound is true';
    case 'no-matching-allow':
      return 'no ALLOW applies (default: deny)';
    case 'authorization-off':
      return 'authorization is off';
    case 'acls-not-loaded':
      return 'the ACLs have not been read from the store yet: only super users are allowed';
  }
}
