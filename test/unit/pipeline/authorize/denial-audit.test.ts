import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../../src/observability/logger.js';
import { AuthzMetrics } from '../../../../src/observability/authz-metrics.js';
import type { AuthorizationRequest } from '../../../../src/policy/acl-model.js';
import { DenialAudit } from '../../../../src/pipeline/authorize/denial-audit.js';
import { LogLines } from '../acl-test-kit.js';
import { alice } from '../rule-authorizer.js';

function request(resourceName: string): AuthorizationRequest {
  return { principal: alice, host: '10.0.0.7', operation: 'WRITE', resourceType: 'TOPIC', resourceName };
}

const NO_ALLOW = { allowed: false, reason: { kind: 'no-matching-allow' } } as const;

describe('the denial audit', () => {
  it('logs a denial once per principal, resource and operation per interval, then says how many were not logged', () => {
    let now = 1_000;
    const log = new LogLines();
    const audit = new DenialAudit({ log: createLogger({ level: 'info', destination: log.stream }), intervalMs: 60_000, now: () => now });
    for (let i = 0; i < 5; i++) audit.denied(request('orders'), NO_ALLOW, 'Produce');
    audit.denied(request('payments'), NO_ALLOW, 'Produce');
    expect(log.lines.map((l) => [l.msg, l.resourceName, l.rule])).toEqual([
      ['authorization denied', 'orders', 'no ACL allows it'],
      ['authorization denied', 'payments', 'no ACL allows it'],
    ]);
    now += 60_000;
    audit.denied(request('orders'), NO_ALLOW, 'Produce');
    expect(log.lines.slice(2).map((l) => [l.msg, l.repeatedDenials ?? l.resourceName])).toEqual([
      ['authorization denials not logged again this interval', 4],
      ['authorization denied', 'orders'],
    ]);
  });

  it('remembers a bounded number of denials per interval and counts the rest', () => {
    let now = 0;
    const log = new LogLines();
    const audit = new DenialAudit({ log: createLogger({ level: 'info', destination: log.stream }), maxKeys: 3, now: () => now });
    for (let i = 0; i < 10; i++) audit.denied(request(`t${i}`), NO_ALLOW, 'Produce');
    expect(log.lines).toHaveLength(3);
    now = 60_000;
    audit.denied(request('t9'), NO_ALLOW, 'Produce');
    expect(log.lines[3]).toMatchObject({ unloggedDenials: 7 });
    expect(log.lines[4]).toMatchObject({ resourceName: 't9' });
  });
});

describe('authorization metrics', () => {
  it('counts decisions by result, resource type and operation', async () => {
    const registry = new Registry();
    const metrics = new AuthzMetrics(registry);
    metrics.decision(true, 'TOPIC', 'WRITE');
    metrics.decision(true, 'TOPIC', 'WRITE');
    metrics.decision(false, 'GROUP', 'READ');
    const text = await registry.metrics();
    expect(text).toContain('turnout_authz_decisions_total{result="allowed",resource_type="TOPIC",operation="WRITE"} 2');
    expect(text).toContain('turnout_authz_decisions_total{result="denied",resource_type="GROUP",operation="READ"} 1');
  });
});
