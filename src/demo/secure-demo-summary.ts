// The secured demo's summary for people, in the plain demo's style: who the users are and
// what they may do, how the permitted traffic went, each refusal with the error its client
// printed, the ACL added while its client ran, Turnout's own login to the cluster, and what
// Turnout's metrics counted.
import type { Refusal } from './refused-clients.js';
import type { SecureDemoResult } from './secure-demo-flow.js';
import { SECURE_DEMO_USERS } from './secure-demo-workspace.js';
import { deliveryLines, verdictLines, type SummaryOptions } from './demo-summary.js';
import { count, formatMs, paint } from './summary-format.js';

function check(ok: boolean, color: boolean): string {
  return ok ? paint('ok', 32, color) : paint('FAILED', 31, color);
}

function refusalLine(r: Refusal, color: boolean): string[] {
  const head = `  ${r.user} (${r.client}) tried to ${r.attempt}: ${r.ok ? paint(`refused (${r.expected})`, 32, color) : paint(`NOT refused by an ${r.expected} error`, 31, color)}`;
  return [head, `      ${r.error ?? 'no error'}`];
}

function countsText(counts: Record<string, number>): string {
  const parts = Object.entries(counts)
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1])
    .map(([what, n]) => `${what} ${count(n)}`);
  return parts.length === 0 ? 'none' : parts.join(', ');
}

/** The summary as lines of text. */
export function formatSecureDemoSummary(r: SecureDemoResult, opts: SummaryOptions = {}): string[] {
  const color = opts.color === true;
  const out = verdictLines('Turnout demo (secure)', r.ok, r.clients, color);
  out.push('');
  const version = r.backend.kafkaVersion !== null ? `${r.backend.kafkaVersion}, ` : '';
  out.push(`  Kafka    ${version}${r.backend.label}: SASL_SSL at ${r.backend.bootstrapServers.join(',')}`);
  out.push(`  Turnout  bootstrap ${r.turnout.bootstrapServers}: TLS and SASL ${r.turnout.mechanism}, ACLs decided by Turnout${r.turnout.adminUrl !== null ? `; metrics ${r.turnout.adminUrl}/metrics` : ''}`);
  out.push(`           configuration ${r.turnout.configFile} (in the demo's own folder, kept with --keep)`);
  out.push(`  Topic    ${r.topic.name}: ${r.topic.partitions} partitions, replication factor ${r.topic.replicationFactor}`);
  out.push('', "Users, in Turnout's user store (turnout users add)");
  const width = Math.max(...r.users.map((u) => u.user.length));
  for (const u of r.users) out.push(`  ${u.user.padEnd(width)}  ${u.access}`);

  const b = r.backendIdentity;
  out.push('', `Turnout's own identity towards ${r.backend.label}: ${check(b.ok, color)}`);
  out.push(`  every connection Turnout opens to it is TLS, logged in as ${r.backend.username} with ${r.backend.mechanism} (its password from a file)`);
  out.push(`  ${r.backend.label} refuses anyone else: ${b.stranger.user} with a wrong password ${b.stranger.ok ? 'gets' : paint('was NOT refused', 31, color)}`);
  out.push(`      ${b.stranger.error ?? 'no error'}`);
  out.push(`  Turnout ${b.ready ? 'is ready' : paint(`is NOT ready: ${b.reasons.join('; ')}`, 31, color)}, ${b.authFailures} of its logins refused (turnout_backend_auth_failures_total)`);
  for (const s of b.stored) {
    const same = s.records === s.acknowledged;
    out.push(`  ${s.topic} on ${r.backend.label} holds ${count(s.records)} records: ${same ? 'what Turnout acknowledged' : paint(`Turnout acknowledged ${count(s.acknowledged)}`, 31, color)}`);
  }

  out.push(
    ...deliveryLines(
      r.produce,
      r.clients,
      { produced: `Permitted: produced through Turnout as ${SECURE_DEMO_USERS.producer} (kafkajs, acks=all)`, consumed: `Permitted: consumed through Turnout as ${SECURE_DEMO_USERS.consumer}, each record checked against its produce acknowledgement` },
      color,
    ),
  );

  out.push('', 'Refused');
  for (const refusal of r.refusals) out.push(...refusalLine(refusal, color));

  const g = r.liveGrant;
  out.push('', `An ACL added through kafka-acls while its client runs: ${check(g.ok, color)}`);
  out.push(`  ${g.user}'s kafkajs producer sends one record at a time to ${g.topic}`);
  out.push(`  denied ${g.deniedBefore} time(s)${g.allowedBefore > 0 ? paint(`, yet allowed ${g.allowedBefore} time(s) before any grant`, 31, color) : ''}:`);
  out.push(`      ${g.firstDenial ?? 'no error'}`);
  out.push(`  kafka-acls ${g.grantArgs.join(' ')}`);
  if (g.listed !== null) out.push(`      kafka-acls --list now shows ${g.listed}`);
  if (g.failure !== null) out.push(`      ${paint(g.failure, 31, color)}`);
  out.push(
    `  then the same producer, not restarted: ${count(g.allowedAfter)} sends acknowledged, ${g.deniedAfter === 0 ? 'none' : paint(String(g.deniedAfter), 31, color)} denied` +
      ` (${g.duringGrant} sent while kafka-acls ran)`,
  );

  const sec = r.security;
  out.push('', "Turnout's own metrics");
  out.push(`  client logins: ${countsText(sec.authentications)}`);
  out.push(`  ACL decisions: ${countsText(sec.authzDecisions)}`);
  out.push('', `Done in ${formatMs(r.durationMs)}.`);
  return out;
}
