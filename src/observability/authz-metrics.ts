// Authorization decisions, by result, resource type and operation:
//   turnout_authz_decisions_total{result="allow|deny",resource_type="topic",operation="write"}
// Every decision counts, cached or not. A decision is on every request's path, so it adds to
// plain numbers (a prom-client child's inc hashes its labels each time, several hundred ns);
// the counter takes what was added when Prometheus scrapes.
import { Counter, type Registry } from 'prom-client';
import type { AclOperation, ResourceType } from '../policy/acl-model.js';

interface Tally {
  allow: number;
  deny: number;
  /** What the counter has been given so far. */
  reportedAllow: number;
  reportedDeny: number;
}

export class AuthzMetrics {
  private readonly tallies = new Map<ResourceType, Map<AclOperation, Tally>>();

  constructor(registry: Registry) {
    const tallies = this.tallies;
    new Counter({
      name: 'turnout_authz_decisions_total',
      help: 'Authorization decisions, by result (allow, deny), resource type and operation',
      labelNames: ['result', 'resource_type', 'operation'],
      registers: [registry],
      collect() {
        for (const [type, byOperation] of tallies) {
          for (const [op, t] of byOperation) {
            const [resourceType, operation] = [type.toLowerCase(), op.toLowerCase()];
            if (t.allow > t.reportedAllow) this.inc({ result: 'allow', resource_type: resourceType, operation }, t.allow - t.reportedAllow);
            if (t.deny > t.reportedDeny) this.inc({ result: 'deny', resource_type: resourceType, operation }, t.deny - t.reportedDeny);
            t.reportedAllow = t.allow;
            t.reportedDeny = t.deny;
          }
        }
      },
    });
  }

  decision(allowed: boolean, resourceType: ResourceType, operation: AclOperation): void {
    let byOperation = this.tallies.get(resourceType);
    if (byOperation === undefined) {
      byOperation = new Map();
      this.tallies.set(resourceType, byOperation);
    }
    let t = byOperation.get(operation);
    if (t === undefined) {
      t = { allow: 0, deny: 0, reportedAllow: 0, reportedDeny: 0 };
      byOperation.set(operation, t);
    }
    if (allowed) t.allow++;
    else t.deny++;
  }
}
