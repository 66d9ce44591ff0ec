// Authorization decisions, by result, resource type and operation:
//   turnout_authz_decisions_total{result="allow|deny",resource_type="topic",operation="write"}
// Every decision counts, cached or not. Label children are kept per (type, operation), so a
// decision on the hot path is two map lookups and an add.
import { Counter, type Registry } from 'prom-client';
import type { AclOperation, ResourceType } from '../policy/acl-model.js';

type CounterChild = ReturnType<Counter<string>['labels']>;

export class AuthzMetrics {
  private readonly decisions: Counter<'result' | 'resource_type' | 'operation'>;
  /** resource type → operation → [allow, deny]. */
  private readonly children = new Map<ResourceType, Map<AclOperation, [CounterChild, CounterChild]>>();

  constructor(registry: Registry) {
    this.decisions = new Counter({
      name: 'turnout_authz_decisions_total',
      help: 'Authorization decisions, by result (allow, deny), resource type and operation',
      labelNames: ['result', 'resource_type', 'operation'],
      registers: [registry],
    });
  }

  decision(allowed: boolean, resourceType: ResourceType, operation: AclOperation): void {
    let byOperation = this.children.get(resourceType);
    if (byOperation === undefined) {
      byOperation = new Map();
      this.children.set(resourceType, byOperation);
    }
    let pair = byOperation.get(operation);
    if (pair === undefined) {
      const type = resourceType.toLowerCase();
      const op = operation.toLowerCase();
      pair = [this.decisions.labels('allow', type, op), this.decisions.labels('deny', type, op)];
      byOperation.set(operation, pair);
    }
    pair[allowed ? 0 : 1].inc();
  }
}
