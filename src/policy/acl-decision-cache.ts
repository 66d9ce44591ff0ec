// Decisions remembered per (principal, host, operation, resource), so a connection's repeated
// requests cost a map lookup. Bounded: past `maxEntries` the oldest entry goes (a Map keeps
// insertion order), and very long names (group ids may be 32 KiB) are never kept. The owner
// empties it on every change of ACLs or configuration.
import type { AclOperation, AuthorizationDecision, ResourceType } from './acl-model.js';

/** Keys longer than this (principal and name) are not cached: they would pin too much memory. */
const MAX_KEYED_CHARS = 512;

export class DecisionCache {
  private readonly maxEntries: number;
  private readonly entries = new Map<string, AuthorizationDecision>();

  constructor(maxEntries: number) {
    this.maxEntries = maxEntries;
  }

  get size(): number {
    return this.entries.size;
  }

  /** The key for a question, or null when it is too long to cache. */
  key(principal: string, host: string, operation: AclOperation, resourceType: ResourceType, resourceName: string): string | null {
    if (principal.length + resourceName.length > MAX_KEYED_CHARS) return null;
    // The principal's length makes the key unambiguous whatever characters the names hold;
    // operation, type and host (an IP or a fixed word) never contain a space.
    return `${operation} ${resourceType} ${host} ${principal.length}:${principal}${resourceName}`;
  }

  get(key: string): AuthorizationDecision | undefined {
    return this.entries.get(key);
  }

  set(key: string, decision: AuthorizationDecision): void {
    if (this.maxEntries <= 0) return;
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done !== true) this.entries.delete(oldest.value);
    }
    this.entries.set(key, decision);
  }

  clear(): void {
    this.entries.clear();
  }
}
