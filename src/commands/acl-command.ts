// `turnout acl explain | list | add | remove`: the ACLs of a running Turnout, through its
// admin endpoint (/v1/acl). A resource is named with one of --topic, --group,
// --transactional-id or --cluster, as kafka-acls.sh names them.
//
//   turnout acl explain --principal User:x --operation WRITE --topic orders.created [--host IP]
//   turnout acl list [--principal P] [--topic T | ...] [--match]
//   turnout acl add --principal P --operation OP [--operation OP ...] --topic T [--prefixed] [--deny] [--host IP]
//   turnout acl remove [--principal P] [--operation OP] --topic T [--prefixed] [--deny | --allow] [--host IP]
import type { Command } from 'commander';
import type { AclCreateResponse, AclDeleteResponse, AclListResponse } from '../admin/acl-routes.js';
import { isAclOperation } from '../policy/acl-binding.js';
import type { AclExplanation } from '../policy/acl-explain.js';
import { CLUSTER_RESOURCE_NAME, type AclBinding, type AclOperation, type ResourceType } from '../policy/acl-model.js';
import { adminCall, adminOptions, writeOut, type AdminClientOptions } from './admin-client.js';
import { textTable } from './text-table.js';

export interface ResourceOptions {
  topic?: string;
  group?: string;
  transactionalId?: string;
  cluster?: boolean;
}

export interface AclCommandOptions extends AdminClientOptions, ResourceOptions {
  principal?: string;
  /** One operation, or several for `add`. */
  operation?: string | string[];
  host?: string;
  prefixed?: boolean;
  match?: boolean;
  deny?: boolean;
  allow?: boolean;
  all?: boolean;
  json?: boolean;
  out?: (text: string) => void;
}

/** The one resource the options name, or null; throws when several are named. */
export function resourceOf(opts: ResourceOptions): { type: ResourceType; name: string } | null {
  const named: Array<{ type: ResourceType; name: string }> = [];
  if (opts.topic !== undefined) named.push({ type: 'TOPIC', name: opts.topic });
  if (opts.group !== undefined) named.push({ type: 'GROUP', name: opts.group });
  if (opts.transactionalId !== undefined) named.push({ type: 'TRANSACTIONAL_ID', name: opts.transactionalId });
  if (opts.cluster === true) named.push({ type: 'CLUSTER', name: CLUSTER_RESOURCE_NAME });
  if (named.length > 1) throw new Error('name one resource: --topic, --group, --transactional-id or --cluster');
  return named[0] ?? null;
}

function requireResource(opts: ResourceOptions): { type: ResourceType; name: string } {
  const r = resourceOf(opts);
  if (r === null) throw new Error('name a resource: --topic, --group, --transactional-id or --cluster');
  return r;
}

function operationsOf(opts: AclCommandOptions): AclOperation[] {
  const list = opts.operation === undefined ? [] : Array.isArray(opts.operation) ? opts.operation : [opts.operation];
  return list.map((op) => {
    const upper = op.toUpperCase().replace(/-/g, '_');
    if (!isAclOperation(upper)) throw new Error(`unknown operation ${JSON.stringify(op)}`);
    return upper;
  });
}

function requirePrincipal(opts: AclCommandOptions): string {
  if (opts.principal === undefined) throw new Error('--principal is required (for example User:alice)');
  return opts.principal;
}

export function registerAclCommand(program: Command): void {
  const acl = program.command('acl').description('ACLs of a running Turnout, through its admin endpoint');
  const resource = (cmd: Command): Command =>
    cmd
      .option('--topic <name>', 'a topic')
      .option('--group <id>', 'a consumer group')
      .option('--transactional-id <id>', 'a transactional id')
      .option('--cluster', 'the cluster resource');
  const common = (cmd: Command): Command => resource(adminOptions(cmd)).option('--json', 'print the JSON answer');
  const collect = (v: string, prev: string[] | undefined): string[] => [...(prev ?? []), v];

  common(acl.command('explain').description('the decision for a principal, operation and resource, and the rule that made it'))
    .requiredOption('--principal <principal>', 'for example User:alice')
    .requiredOption('--operation <op>', 'READ, WRITE, DESCRIBE, ...')
    .option('--host <ip>', 'the client address (default: a client no host-specific ACL names)')
    .action((opts: AclCommandOptions) => aclExplain(opts));
  common(acl.command('list').description('stored bindings and domain grants'))
    .option('--principal <principal>', 'only this principal')
    .option('--match', 'with a resource: every binding that applies to it (literal, wildcard and prefixes)')
    .option('--prefixed', 'with a resource: the PREFIXED bindings of that name')
    .action((opts: AclCommandOptions) => aclList(opts));
  common(acl.command('add').description('add bindings: each operation for the principal on the resource'))
    .requiredOption('--principal <principal>', 'for example User:alice, or User:* for everyone')
    .requiredOption('--operation <op>', 'READ, WRITE, ... (repeat for several)', collect)
    .option('--host <ip>', 'only from this client address (default: *)')
    .option('--prefixed', 'the resource name is a prefix')
    .option('--deny', 'a DENY binding (default: ALLOW)')
    .action((opts: AclCommandOptions) => aclAdd(opts));
  common(acl.command('remove').description('remove the bindings on the resource that match the other options'))
    .option('--principal <principal>', 'only this principal')
    .option('--operation <op>', 'only this operation')
    .option('--host <ip>', 'only this host')
    .option('--prefixed', 'the PREFIXED bindings of the name (default: LITERAL)')
    .option('--deny', 'only DENY bindings')
    .option('--allow', 'only ALLOW bindings')
    .action((opts: AclCommandOptions) => aclRemove(opts));
}

export async function aclExplain(opts: AclCommandOptions): Promise<void> {
  const r = requireResource(opts);
  const [operation] = operationsOf(opts);
  if (operation === undefined) throw new Error('--operation is required');
  const q = new URLSearchParams({ principal: requirePrincipal(opts), operation, resourceType: r.type, resourceName: r.name });
  if (opts.host !== undefined) q.set('host', opts.host);
  const e = await adminCall<AclExplanation>(opts, 'GET', `/v1/acl/explain?${q.toString()}`);
  writeOut(opts, opts.json === true ? json(e) : formatExplanation(e));
}

export async function aclList(opts: AclCommandOptions): Promise<void> {
  const q = new URLSearchParams();
  const r = resourceOf(opts);
  if (r !== null) {
    q.set('resourceType', r.type);
    q.set('resourceName', r.name);
    q.set('patternType', opts.match === true ? 'MATCH' : opts.prefixed === true ? 'PREFIXED' : 'LITERAL');
  }
  if (opts.principal !== undefined) q.set('principal', opts.principal);
  const query = q.toString();
  const list = await adminCall<AclListResponse>(opts, 'GET', `/v1/acl${query === '' ? '' : `?${query}`}`);
  writeOut(opts, opts.json === true ? json(list) : formatAclList(list));
}

export async function aclAdd(opts: AclCommandOptions): Promise<void> {
  const r = requireResource(opts);
  const principal = requirePrincipal(opts);
  const operations = operationsOf(opts);
  if (operations.length === 0) throw new Error('--operation is required');
  const bindings: AclBinding[] = operations.map((operation) => ({
    resourceType: r.type,
    resourceName: r.name,
    patternType: opts.prefixed === true ? 'PREFIXED' : 'LITERAL',
    principal,
    host: opts.host ?? '*',
    operation,
    permission: opts.deny === true ? 'DENY' : 'ALLOW',
  }));
  const res = await adminCall<AclCreateResponse>(opts, 'POST', '/v1/acl', { bindings });
  writeOut(opts, opts.json === true ? json(res) : `added ${res.created.length} binding(s):\n${bindingsTable(res.created)}\n`);
}

export async function aclRemove(opts: AclCommandOptions): Promise<void> {
  const r = requireResource(opts);
  if (opts.deny === true && opts.allow === true) throw new Error('--deny and --allow exclude each other');
  const [operation] = operationsOf(opts);
  const q = new URLSearchParams({ resourceType: r.type, resourceName: r.name, patternType: opts.prefixed === true ? 'PREFIXED' : 'LITERAL' });
  if (opts.principal !== undefined) q.set('principal', opts.principal);
  if (operation !== undefined) q.set('operation', operation);
  if (opts.host !== undefined) q.set('host', opts.host);
  if (opts.deny === true) q.set('permission', 'DENY');
  if (opts.allow === true) q.set('permission', 'ALLOW');
  const res = await adminCall<AclDeleteResponse>(opts, 'DELETE', `/v1/acl?${q.toString()}`);
  writeOut(opts, opts.json === true ? json(res) : res.removed.length === 0 ? 'no binding matched\n' : `removed ${res.removed.length} binding(s):\n${bindingsTable(res.removed)}\n`);
}

function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

function bindingsTable(bindings: readonly AclBinding[]): string {
  const rows = [['PERMISSION', 'PRINCIPAL', 'OPERATION', 'HOST', 'RESOURCE', 'PATTERN', 'NAME']];
  for (const b of bindings) rows.push([b.permission, b.principal, b.operation, b.host, b.resourceType, b.patternType, b.resourceName]);
  return textTable(rows);
}

export function formatAclList(list: AclListResponse): string {
  if (!list.enabled) return 'authorization is off: every client may do everything\n';
  const parts: string[] = [];
  parts.push(list.bindings.length === 0 ? 'no stored bindings' : bindingsTable(list.bindings));
  if (list.domainGrants.length > 0) {
    const rows = [['DOMAIN', 'ROLE', 'PRINCIPAL', 'OPERATION', 'RESOURCE', 'PATTERN']];
    for (const g of list.domainGrants) rows.push([g.domain, g.role, g.principal, g.operation, g.resourceType, `${g.patternKind} ${g.pattern}`]);
    parts.push(`domain grants (ALLOW from any host, from domains[].access):\n${textTable(rows)}`);
  }
  return `${parts.join('\n\n')}\n`;
}

export function formatExplanation(e: AclExplanation): string {
  const from = e.host === null ? 'a host no ACL names' : e.host;
  const lines = [
    `${e.allowed ? 'ALLOWED' : 'DENIED'}: ${e.principal} ${e.operation} on ${e.resourceType} ${JSON.stringify(e.resourceName)} from ${from}`,
    `rule: ${e.rule}`,
  ];
  if (e.rules.length === 0) {
    lines.push(`no ACL covers ${e.resourceType} ${JSON.stringify(e.resourceName)}${e.allowEveryoneIfNoAclFound ? ' (allowEveryoneIfNoAclFound: true)' : ''}`);
  } else {
    lines.push('', `ACLs covering ${e.resourceType} ${JSON.stringify(e.resourceName)} (APPLIES: what each says about this question):`);
    const rows = [['APPLIES', 'ENTRY']];
    for (const r of e.rules) rows.push([r.applies ?? '-', r.text]);
    lines.push(textTable(rows));
  }
  return `${lines.join('\n')}\n`;
}
