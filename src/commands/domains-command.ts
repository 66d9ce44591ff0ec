// `turnout domains list | show NAME | set-backend NAME BACKEND`: service domains of a running
// Turnout, through its admin endpoint (/v1/domains), with the admin token when one is given
// (admin-client.ts). Prints a table, or the JSON answer with --json.
import type { Command } from 'commander';
import { textTable } from './text-table.js';
import { adminCall as call, adminOptions, writeOut as write, type AdminClientOptions } from './admin-client.js';
import type {
  DomainListResponse,
  DomainResponse,
  DomainSummary,
  SetBackendResponse,
} from '../admin/domain-routes.js';
import type { PatternInput } from '../policy/name-pattern.js';

export interface DomainsCommandOptions extends AdminClientOptions {
  json?: boolean;
  /** Where output goes. (default: stdout) */
  out?: (text: string) => void;
}

export function registerDomainsCommand(program: Command): void {
  const domains = program.command('domains').description("service domains of a running Turnout, through its admin endpoint");
  const common = (cmd: Command): Command => adminOptions(cmd).option('--json', 'print the JSON answer instead of a table');
  common(domains.command('list').description('every domain: owner, backend, migration target, patterns')).action(
    (opts: DomainsCommandOptions) => domainsList(opts),
  );
  common(domains.command('show <name>').description('one domain, with the topics and groups known to resolve to it')).action(
    (name: string, opts: DomainsCommandOptions) => domainsShow(name, opts),
  );
  common(
    domains
      .command('set-backend <name> <backend>')
      .description("move a domain's traffic to another configured backend (through the policy store)"),
  ).action((name: string, backend: string, opts: DomainsCommandOptions) => domainsSetBackend(name, backend, opts));
}

export async function domainsList(opts: DomainsCommandOptions): Promise<void> {
  const list = await call<DomainListResponse>(opts, 'GET', '/v1/domains');
  write(opts, opts.json === true ? json(list) : formatDomainTable(list));
}

export async function domainsShow(name: string, opts: DomainsCommandOptions): Promise<void> {
  const res = await call<DomainResponse>(opts, 'GET', `/v1/domains/${encodeURIComponent(name)}`);
  write(opts, opts.json === true ? json(res) : formatDomainDetail(res));
}

export async function domainsSetBackend(name: string, backend: string, opts: DomainsCommandOptions): Promise<void> {
  const res = await call<SetBackendResponse>(opts, 'PUT', `/v1/domains/${encodeURIComponent(name)}`, { backend });
  if (opts.json === true) {
    write(opts, json(res));
    return;
  }
  const moved = res.previousBackend === res.domain.backend ? `already on ${backend}` : `${res.previousBackend} → ${res.domain.backend}`;
  write(opts, `domain ${name}: ${moved} (policy version ${res.version})\n`);
}

function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

function patternText(p: PatternInput): string {
  if (typeof p === 'string') return p;
  const [kind, value] = Object.entries(p)[0] as [string, string];
  return `{${kind}: ${JSON.stringify(value)}}`;
}

function patternList(ps: PatternInput[]): string {
  return ps.length === 0 ? '-' : ps.map(patternText).join(', ');
}

function backendText(d: DomainSummary): string {
  return d.backend === d.configuredBackend ? d.backend : `${d.backend} (configured: ${d.configuredBackend})`;
}

export function formatDomainTable(list: DomainListResponse): string {
  const rows = [['DOMAIN', 'OWNER', 'BACKEND', 'MIGRATION TARGET', 'TOPICS', 'GROUPS', 'TRANSACTIONAL IDS']];
  for (const d of list.domains) {
    rows.push([
      d.isDefault ? `${d.name} *` : d.name,
      d.owner === '' ? '-' : d.owner,
      backendText(d),
      d.migrationTarget ?? '-',
      patternList(d.patterns.topics),
      patternList(d.patterns.groups),
      patternList(d.patterns.transactionalIds),
    ]);
  }
  const notes = [`policy version ${list.version}`];
  if (list.defaultDomain !== null) notes.push('* default domain: receives the names no pattern matches');
  else notes.push('no default domain: names no pattern matches are refused');
  return `${textTable(rows)}\n\n${notes.join('\n')}\n`;
}

export function formatDomainDetail(res: DomainResponse): string {
  const d = res.domain;
  const known = (names: string[] | null, what: string): string =>
    names === null ? `(not known: this instance does not track ${what} yet)` : names.length === 0 ? '-' : names.join(', ');
  const traffic =
    d.traffic === null
      ? '(not known: this instance does not count traffic per domain yet)'
      : Object.entries(d.traffic)
          .map(([k, v]) => `${k}=${v}`)
          .join(', ') || '-';
  const rows = [
    ['domain', d.name],
    ['owner', d.owner === '' ? '-' : d.owner],
    ['backend', backendText(d)],
    ['migration target', d.migrationTarget ?? '-'],
    ['default domain', d.isDefault ? 'yes (receives the names no pattern matches)' : 'no'],
    ['topic patterns', patternList(d.patterns.topics)],
    ['group patterns', patternList(d.patterns.groups)],
    ['transactional ids', patternList(d.patterns.transactionalIds)],
    ['topics', known(d.topics, 'topics')],
    ['groups', known(d.groups, 'groups')],
    ['traffic', traffic],
    ['policy version', String(res.version)],
  ];
  const width = Math.max(...rows.map((r) => r[0].length));
  return `${rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n')}\n`;
}
