// Decisions remembered per (principal, host, operation, resource), so a connection's repeated
// requests cost a few map lookups. The maps are nested, one level per part, rather than keyed
// by one joined string: building and hashing a fresh key string per request costs ten times
// more than looking up the parts, which are mostly strings the connection already holds.
//
// Bounded: at `maxEntries` the whole cache is emptied (rebuilding a decision costs
// microseconds), and very long names (group ids may be 32 KiB) are never kept. The owner also
// empties it on every change of ACLs or configuration.
import type { AclOperation, AuthorizationDecision, ResourceType } from './acl-model.js';

/** Names longer than this are not cached: they would pin too much memory. */
const MAX_CACHED_NAME_CHARS = 512;

type ByName = Map<string, AuthorizationDecision>;
type ByType = Map<ResourceType, ByName>;
type ByOperation = Map<AclOperation, ByType>;
type ByHost = Map<string, ByOperation>;

function child<K, V>(map: Map<K, V>, key: K, make: () => V): V {
  let v = map.get(key);
  if (v === undefined) {
    v = make();
    map.set(key, v);
  }
  return v;
}

export class DecisionCache {
  private readonly maxEntries: number;
  private readonly byPrincipal = new Map<string, ByHost>();
  private entries = 0;

  constructor(maxEntries: number) {
    this.maxEntries = maxEntries;
  }

  get size(): number {
    return this.entries;
  }

  get(principal: string, host: string, operation: AclOperation, resourceType: ResourceType, resourceName: string): AuthorizationDecision | undefined {
    return this.byPrincipal.get(principal)?.get(host)?.get(operation)?.get(resourceType)?.get(resourceName);
  }

  set(principal: string, host: string, operation: AclOperation, resourceType: ResourceType, resourceName: string, decision: AuthorizationDecision): void {
    if (this.maxEntries <= 0 || resourceName.length > MAX_CACHED_NAME_CHARS) return;
    if (this.entries >= this.maxEntries) this.clear();
    const byHost = child(this.byPrincipal, principal, (): ByHost => new Map());
    const byOperation = child(byHost, host, (): ByOperation => new Map());
    const byType = child(byOperation, operation, (): ByType => new Map());
    const byName = child(byType, resourceType, (): ByName => new Map());
    if (!byName.has(resourceName)) this.entries++;
    byName.set(resourceName, decision);
  }

  clear(): void {
    this.byPrincipal.clear();
    this.entries = 0;
  }
}
