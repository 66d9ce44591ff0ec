// ACL bindings and filters between the wire (DescribeAcls, CreateAcls, DeleteAcls) and the ACL
// model, with the validation a broker applies: a binding must carry codes for a concrete
// resource type, a LITERAL or PREFIXED pattern, an operation and ALLOW or DENY, and pass the
// checks every store makes (checkBinding: a resource name, `kafka-cluster` for the cluster, a
// `Type:name` principal, a host); a filter may use ANY (and MATCH for the pattern) but no code
// Kafka does not define. What fails is an InvalidAcl carrying the message sent with
// INVALID_REQUEST.
import { checkBinding } from '../../policy/acl-binding.js';
import type { AclBinding, AclBindingFilter } from '../../policy/acl-model.js';
import { ANY_CODE, MATCH_CODE, operationCodes, patternTypeCodes, permissionCodes, resourceTypeCodes } from '../acl-wire-codes.js';

/** A binding or filter a broker refuses, and why. */
export class InvalidAcl {
  readonly message: string;
  constructor(message: string) {
    this.message = message;
  }
}

/** One ACL as CreateAcls sends it. */
export interface WireAcl {
  readonly resourceType: number;
  readonly resourceName: string;
  readonly patternType: number;
  readonly principal: string;
  readonly host: string;
  readonly operation: number;
  readonly permissionType: number;
}

/** One filter as DescribeAcls and DeleteAcls send it. */
export interface WireAclFilter {
  readonly resourceTypeFilter: number;
  readonly resourceNameFilter: string | null;
  readonly patternTypeFilter: number;
  readonly principalFilter: string | null;
  readonly hostFilter: string | null;
  readonly operation: number;
  readonly permissionType: number;
}

export function bindingFromWire(acl: WireAcl): AclBinding | InvalidAcl {
  const resourceType = resourceTypeCodes.name(acl.resourceType);
  if (resourceType === undefined) return new InvalidAcl(`Invalid resourceType ${acl.resourceType}`);
  const patternType = patternTypeCodes.name(acl.patternType);
  if (patternType === undefined) return new InvalidAcl(`Invalid patternType ${acl.patternType}`);
  const operation = operationCodes.name(acl.operation);
  if (operation === undefined) return new InvalidAcl(`Invalid operation ${acl.operation}`);
  const permission = permissionCodes.name(acl.permissionType);
  if (permission === undefined) return new InvalidAcl(`Invalid permissionType ${acl.permissionType}`);
  const binding: AclBinding = { resourceType, resourceName: acl.resourceName, patternType, principal: acl.principal, host: acl.host, operation, permission };
  const refused = checkBinding(binding);
  return refused === null ? binding : new InvalidAcl(refused);
}

export function filterFromWire(f: WireAclFilter): AclBindingFilter | InvalidAcl {
  const resourceType = f.resourceTypeFilter === ANY_CODE ? 'ANY' : resourceTypeCodes.name(f.resourceTypeFilter);
  const patternType = f.patternTypeFilter === ANY_CODE ? 'ANY' : f.patternTypeFilter === MATCH_CODE ? 'MATCH' : patternTypeCodes.name(f.patternTypeFilter);
  if (resourceType === undefined || patternType === undefined) return new InvalidAcl('Unknown patternFilter.');
  const operation = f.operation === ANY_CODE ? 'ANY' : operationCodes.name(f.operation);
  const permission = f.permissionType === ANY_CODE ? 'ANY' : permissionCodes.name(f.permissionType);
  if (operation === undefined || permission === undefined) return new InvalidAcl('Unknown entryFilter.');
  return { resourceType, resourceName: f.resourceNameFilter, patternType, principal: f.principalFilter, host: f.hostFilter, operation, permission };
}

/** A binding in the wire's codes. */
export function bindingToWire(b: AclBinding): WireAcl {
  return {
    resourceType: resourceTypeCodes.code(b.resourceType),
    resourceName: b.resourceName,
    patternType: patternTypeCodes.code(b.patternType),
    principal: b.principal,
    host: b.host,
    operation: operationCodes.code(b.operation),
    permissionType: permissionCodes.code(b.permission),
  };
}
