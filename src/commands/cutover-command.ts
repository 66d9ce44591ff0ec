// `turnout cutover plan|start|status|abort|retire`: cutovers of a running Turnout, through its
// admin endpoint (/v1/cutovers), with the admin token when one is given (admin-client.ts).
//   plan DOMAIN      preflight only (a dry run): what would be checked and the expected hold
//   start DOMAIN     starts a cutover (to the migration target, or --to); --wait follows it
//   status [NAME]    every cutover, a domain's (with its segments), or one by id
//   abort NAME       rolls back the domain's cutover in progress (or the one with that id)
//   retire DOMAIN --segment N
//                    lists the groups whose committed offsets lie inside segment N, then drops it
//                    (segment 0: the partitions' log start moves to where segment 1 begins)
//                    (--dry-run lists only)
//   groups DOMAIN    moves the domain's consumer groups from the backend they stayed on after its
//                    cutovers to the domain's backend (one rebalance per group)
// Prints tables, or the JSON answers with --json.
import type { Command } from 'commander';
import type { CutoverListResponse, CutoverPlanResponse, CutoverResponse, CutoverView } from '../admin/cutover-routes.js';
import type { RetireResult } from '../policy/cutover-coordinator.js';
import type { GroupsMoveResult } from '../policy/groups-move.js';
import { CUTOVER_PHASES } from '../policy/cutover-phase.js';
import { adminCall as call, adminOptions, writeOut as write, type AdminClientOptions } from './admin-client.js';
import { textTable } from './text-table.js';

export interface CutoverCommandOptions extends AdminClientOptions {
  json?: boolean;
  to?: string;
  drainTimeoutMs?: string;
  wait?: boolean;
  reason?: string;
  segment?: string;
  dryRun?: boolean;
  /** Where output goes. (default: stdout) */
  out?: (text: string) => void;
}

export function registerCutoverCommand(program: Command): void {
  const cutover = program.command('cutover').description('move a domain to another backend while its clients run (through the admin endpoint)');
  const common = (cmd: Command): Command => adminOptions(cmd).option('--json', 'print the JSON answer instead of a table');
  const target = (cmd: Command): Command =>
    common(cmd).option('--to <backend>', "the backend to move to (default: the domain's migration target)").option('--drain-timeout-ms <ms>', 'time open transactions get to end on the source before they are aborted');
  target(cutover.command('plan <domain>').description('preflight only: what a cutover of the domain would check, and its expected hold')).action((domain: string, opts: CutoverCommandOptions) => cutoverPlan(domain, opts));
  target(cutover.command('start <domain>').description('start a cutover of the domain'))
    .option('--wait', 'follow the cutover until it has switched or rolled back (exit code 1 when rolled back)')
    .action((domain: string, opts: CutoverCommandOptions) => cutoverStart(domain, opts));
  common(cutover.command('status [name]').description('every cutover, a domain\'s with its segments, or one cutover by id')).action((name: string | undefined, opts: CutoverCommandOptions) => cutoverStatus(name, opts));
  common(cutover.command('abort <name>').description("roll back the domain's cutover in progress (or the cutover with that id)"))
    .option('--reason <text>', 'why, for the record')
    .action((name: string, opts: CutoverCommandOptions) => cutoverAbort(name, opts));
  common(cutover.command('retire <domain>').description('drop a segment of the domain, after listing the groups whose committed offsets lie inside it'))
    .requiredOption('--segment <n>', 'the segment to drop: 0, the oldest, moves the log start to where segment 1 begins (its backend is no longer read)')
    .option('--dry-run', 'list the groups only')
    .action((domain: string, opts: CutoverCommandOptions) => cutoverRetire(domain, opts));
  common(cutover.command('groups <domain>').description("move the domain's consumer groups to its backend's coordinator (each group rejoins once)")).action((domain: string, opts: CutoverCommandOptions) =>
    cutoverGroups(domain, opts),
  );
}

function requestBody(domain: string, opts: CutoverCommandOptions, dryRun: boolean): Record<string, unknown> {
  const body: Record<string, unknown> = { domain };
  if (opts.to !== undefined) body.to = opts.to;
  if (opts.drainTimeoutMs !== undefined) {
    const ms = Number(opts.drainTimeoutMs);
    if (!Number.isInteger(ms) || ms < 0) throw new Error('--drain-timeout-ms must be a non-negative integer');
    body.drainTimeoutMs = ms;
  }
  if (dryRun) body.dryRun = true;
  return body;
}

export async function cutoverPlan(domain: string, opts: CutoverCommandOptions): Promise<void> {
  const res = await call<CutoverPlanResponse>(opts, 'POST', '/v1/cutovers', requestBody(domain, opts, true));
  write(opts, opts.json === true ? json(res) : formatPlan(res.plan));
}

export async function cutoverStart(domain: string, opts: CutoverCommandOptions): Promise<void> {
  const res = await call<CutoverResponse>(opts, 'POST', '/v1/cutovers', requestBody(domain, opts, false));
  let c = res.cutover;
  if (opts.json !== true) write(opts, `cutover ${c.id} of ${c.domain}: ${c.from} → ${c.to} started\n`);
  if (opts.wait === true) {
    let shown = c.phase;
    while (c.phase !== 'SWITCHED' && c.phase !== 'ROLLED_BACK') {
      await new Promise((r) => setTimeout(r, 100));
      c = (await call<CutoverResponse>(opts, 'GET', `/v1/cutovers/${encodeURIComponent(c.id)}`)).cutover;
      if (c.phase !== shown && opts.json !== true) write(opts, `  ${c.phase}\n`);
      shown = c.phase;
    }
    if (c.phase === 'ROLLED_BACK') process.exitCode = 1;
  }
  write(opts, opts.json === true ? json({ cutover: c }) : opts.wait === true ? formatCutover(c) : '');
}

export async function cutoverStatus(name: string | undefined, opts: CutoverCommandOptions): Promise<void> {
  if (name !== undefined && looksLikeId(name)) {
    const res = await call<CutoverResponse>(opts, 'GET', `/v1/cutovers/${encodeURIComponent(name)}`);
    write(opts, opts.json === true ? json(res) : formatCutover(res.cutover));
    return;
  }
  const path = name === undefined ? '/v1/cutovers' : `/v1/cutovers?domain=${encodeURIComponent(name)}`;
  const res = await call<CutoverListResponse>(opts, 'GET', path);
  write(opts, opts.json === true ? json(res) : formatList(res));
}

export async function cutoverAbort(name: string, opts: CutoverCommandOptions): Promise<void> {
  let id = name;
  if (!looksLikeId(name)) {
    const list = await call<CutoverListResponse>(opts, 'GET', `/v1/cutovers?domain=${encodeURIComponent(name)}`);
    const active = list.cutovers.find((c) => c.phase !== 'SWITCHED' && c.phase !== 'ROLLED_BACK');
    if (active === undefined) throw new Error(`domain ${name} has no cutover in progress`);
    id = active.id;
  }
  const res = await call<CutoverResponse>(opts, 'POST', `/v1/cutovers/${encodeURIComponent(id)}/abort`, opts.reason === undefined ? undefined : { reason: opts.reason });
  write(opts, opts.json === true ? json(res) : `cutover ${res.cutover.id} of ${res.cutover.domain}: ${res.cutover.phase}${res.cutover.rollbackReason === null ? '' : ` (${res.cutover.rollbackReason})`}\n`);
}

export async function cutoverRetire(domain: string, opts: CutoverCommandOptions): Promise<void> {
  const segment = Number(opts.segment);
  if (!Number.isInteger(segment)) throw new Error('--segment must be an integer');
  const res = await call<RetireResult>(opts, 'POST', '/v1/cutovers/retire', { domain, segment, dryRun: opts.dryRun === true });
  if (opts.json === true) {
    write(opts, json(res));
    return;
  }
  const lines: string[] = [];
  if (res.groups.length === 0) lines.push(`no group of ${domain} has committed offsets inside segment ${segment}`);
  else {
    const then = segment === 0 ? 'they will fetch below the log start and reset by their auto.offset.reset' : 'they would read from the segment before it';
    lines.push(`groups of ${domain} with committed offsets inside segment ${segment} (${then}):`);
    lines.push(textTable([['GROUP', 'TOPIC', 'PARTITION', 'OFFSET'], ...res.groups.map((g) => [g.group, g.topic, String(g.partition), g.offset])]));
  }
  lines.push(res.retired ? `segment ${segment} of ${domain} retired` : `segment ${segment} of ${domain} not retired (dry run)`);
  write(opts, `${lines.join('\n')}\n`);
}

/** Cutover ids are UUIDs; domain names are not. */
function looksLikeId(name: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(name);
}

function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

export function formatPlan(plan: CutoverPlanResponse['plan']): string {
  const p = plan.preflight;
  const lines = [`cutover plan of ${plan.domain}: ${plan.from} → ${plan.to} (drain timeout ${plan.drainTimeoutMs} ms)`, ''];
  if (p.topics.length === 0) lines.push(`no topic of ${plan.domain} on ${plan.from}`);
  else {
    const rows = [['TOPIC', `PARTITIONS ${plan.from}`, `PARTITIONS ${plan.to}`, 'CONFIGS (source / target)']];
    for (const t of p.topics) {
      const configs = Object.entries(t.configs)
        .map(([k, v]) => `${k}=${v.source ?? '?'}/${v.target ?? '?'}`)
        .join(', ');
      rows.push([t.topic, String(t.sourcePartitions), t.targetPartitions < 0 ? 'missing' : String(t.targetPartitions), configs]);
    }
    lines.push(textTable(rows));
  }
  lines.push('', `produce rate: ${p.produceRecordsPerSecond} records/s (over ${p.rateSampleMs} ms)`);
  lines.push(`expected hold: ${p.expectedHoldMs} ms, about ${p.expectedHeldRecords} records held`);
  lines.push(p.ok ? 'preflight: ok' : `preflight: NOT ok\n${p.problems.map((x) => `  - ${x}`).join('\n')}`);
  return `${lines.join('\n')}\n`;
}

function formatList(res: CutoverListResponse): string {
  const lines: string[] = [];
  if (res.cutovers.length === 0) lines.push('no cutovers');
  else {
    const rows = [['ID', 'DOMAIN', 'FROM', 'TO', 'PHASE', 'STARTED', 'HOLD MS', 'ROLLBACK REASON']];
    for (const c of res.cutovers) {
      const started = c.phaseAtMs.PLANNED === undefined ? '-' : new Date(c.phaseAtMs.PLANNED).toISOString();
      rows.push([c.id, c.domain, c.from, c.to, c.phase, started, c.timings.holdMs === null ? '-' : String(c.timings.holdMs), c.rollbackReason ?? '-']);
    }
    lines.push(textTable(rows));
  }
  if (res.segments !== undefined) {
    lines.push('');
    if (res.segments === null) lines.push('no segments: the domain has not been cut over');
    else {
      lines.push(`backend ${res.segments.backend}, era ${res.segments.era}, groups on ${res.segments.groupsBackend ?? res.segments.backend}`);
      const withTransactions = res.segments.transactionalGroups ?? [];
      if (withTransactions.length > 0) lines.push(`groups moved with the transactional ids (on ${res.segments.backend}): ${withTransactions.join(', ')}`);
      const rows = [['TOPIC', 'PARTITION', 'SEGMENTS (backend@first virtual offset, generation)']];
      for (const [topic, partitions] of Object.entries(res.segments.chains)) {
        partitions.forEach((chain, p) => {
          if (chain !== null) rows.push([topic, String(p), chain.map((s, i) => `${i}: ${s.backend}@${s.firstOffset} g${s.generation}`).join('  ')]);
        });
      }
      lines.push(textTable(rows));
    }
  }
  return `${lines.join('\n')}\n`;
}

export function formatCutover(c: CutoverView): string {
  const rows: string[][] = [
    ['cutover', c.id],
    ['domain', c.domain],
    ['from → to', `${c.from} → ${c.to}`],
    ['phase', c.phase],
  ];
  for (const p of CUTOVER_PHASES) {
    const at = c.phaseAtMs[p];
    if (at === undefined) continue;
    const lasted = c.timings.phases[p];
    rows.push([`  ${p}`, `${new Date(at).toISOString()}${lasted === undefined ? '' : ` (${lasted} ms)`}`]);
  }
  if (c.timings.holdMs !== null) rows.push(['hold', `${c.timings.holdMs} ms`]);
  if (c.rollbackReason !== null) rows.push(['rollback reason', c.rollbackReason]);
  if (c.abortedTransactions.length > 0) rows.push(['aborted transactions', c.abortedTransactions.join(', ')]);
  // Absent from an older instance's answer.
  const groups = c.transactionalGroups ?? [];
  if (groups.length > 0) rows.push(['groups moved with the transactional ids', groups.map((g) => `${g.group} (from ${g.from}, ${g.offsets} offsets copied)`).join(', ')]);
  const width = Math.max(...rows.map((r) => r[0].length));
  let out = `${rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n')}\n`;
  if (c.switchPoints !== null && c.switchPoints.length > 0) {
    const table = [['TOPIC', 'PARTITION', 'SWITCH POINT', `END ON ${c.from.toUpperCase()}`, `END ON ${c.to.toUpperCase()}`, 'SHIFT']];
    for (const s of c.switchPoints) table.push([s.topic, String(s.partition), s.firstOffset, s.sourceEnd, s.targetEnd, s.shift]);
    out += `\n${textTable(table)}\n`;
  }
  return out;
}

export async function cutoverGroups(domain: string, opts: CutoverCommandOptions): Promise<void> {
  const res = await call<GroupsMoveResult>(opts, 'POST', '/v1/cutovers/groups', { domain });
  if (opts.json === true) {
    write(opts, json(res));
    return;
  }
  const lines = [`groups of ${res.domain} moved: ${res.from} → ${res.to} (held ${res.holdMs} ms)`];
  if (res.groups.length > 0) lines.push(textTable([['GROUP', 'OFFSETS COPIED'], ...res.groups.map((g) => [g.group, String(g.offsets)])]));
  write(opts, `${lines.join('\n')}\n`);
}
