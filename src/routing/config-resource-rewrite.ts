// Config APIs (DescribeConfigs, AlterConfigs, IncrementalAlterConfigs) name brokers in two
// ways: a BROKER or BROKER_LOGGER resource's name is a broker id, and some config values are
// broker addresses or ids. Requests get virtual ids translated to backend ids; responses get
// names translated back, address-bearing values replaced by Turnout's own address or
// removed, and id-bearing values translated.
import type { RewriteContext } from './rewrite-context.js';

export const RESOURCE_TOPIC = 2;
export const RESOURCE_BROKER = 4;
export const RESOURCE_BROKER_LOGGER = 8;

/** Configs whose value is this broker's own address: shown as the virtual node's address. */
const OWN_ADDRESS_KEYS = new Set(['advertised.listeners', 'listeners']);
/** Configs whose value names other hosts (controllers, ZooKeeper): hidden. */
const HIDDEN_ADDRESS_KEYS = new Set([
  'controller.quorum.voters',
  'controller.quorum.bootstrap.servers',
  'zookeeper.connect',
  'advertised.host.name',
  'advertised.port',
  'host.name',
  'port',
]);
/** Configs whose value is a broker id. */
const ID_KEYS = new Set(['broker.id', 'node.id']);
/** Topic configs listing "partition:brokerId" pairs. */
const THROTTLED_REPLICAS_KEYS = new Set(['leader.replication.throttled.replicas', 'follower.replication.throttled.replicas']);

function isBrokerResource(type: number): boolean {
  return type === RESOURCE_BROKER || type === RESOURCE_BROKER_LOGGER;
}

/** A broker resource name (decimal id, or "" for the cluster-wide default) to backend. */
function nameToBackend(name: string, ctx: RewriteContext): string {
  if (!/^\d+$/.test(name)) return name;
  const backendId = ctx.toBackend(Number(name));
  // A virtual id never handed out cannot name a real broker; -1 makes the broker say so.
  return String(backendId);
}

function nameToVirtual(name: string, ctx: RewriteContext): string {
  if (!/^\d+$/.test(name)) return name;
  return String(ctx.toVirtual(Number(name)));
}

export interface ConfigResourceLike {
  resourceType: number;
  resourceName: string;
}

/** A resource of a config request; AlterConfigs and IncrementalAlterConfigs carry values. */
export interface ConfigRequestResourceLike extends ConfigResourceLike {
  configs?: Array<{ name: string; value: string | null }>;
}

export interface ConfigRequestRewrite {
  /** The client's original broker resource names, keyed by `type/translated name`; null if none. */
  originals: Map<string, string> | null;
  /** True when the request must be re-encoded. */
  changed: boolean;
}

/**
 * Translates a config request to backend ids: broker resource names, and broker ids in the
 * values being set (throttled replica lists). Returns what the response rewrite needs.
 */
export function rewriteConfigResourcesRequest(resources: ConfigRequestResourceLike[], ctx: RewriteContext): ConfigRequestRewrite {
  let originals: Map<string, string> | null = null;
  let changed = false;
  for (const r of resources) {
    if (isBrokerResource(r.resourceType)) {
      const backendName = nameToBackend(r.resourceName, ctx);
      if (originals === null) originals = new Map();
      originals.set(`${r.resourceType}/${backendName}`, r.resourceName);
      r.resourceName = backendName;
      changed = true;
    }
    if (r.configs === undefined) continue;
    for (const c of r.configs) {
      if (c.value === null || !THROTTLED_REPLICAS_KEYS.has(c.name)) continue;
      c.value = c.value.replace(/(\d+):(\d+)/g, (_, p: string, b: string) => `${p}:${ctx.toBackend(Number(b))}`);
      changed = true;
    }
  }
  return { originals, changed };
}

/** Restores broker resource names in a response (AlterConfigs and IncrementalAlterConfigs). */
export function rewriteConfigResourcesResponse(
  resources: ConfigResourceLike[],
  originals: Map<string, string> | null,
  ctx: RewriteContext,
): void {
  for (const r of resources) {
    if (!isBrokerResource(r.resourceType)) continue;
    r.resourceName = originals?.get(`${r.resourceType}/${r.resourceName}`) ?? nameToVirtual(r.resourceName, ctx);
  }
}

export interface ConfigEntryLike {
  name: string;
  value: string | null;
  synonyms?: Array<{ name: string; value: string | null }>;
}

export interface DescribeConfigsResultLike extends ConfigResourceLike {
  configs: ConfigEntryLike[];
}

function rewriteValue(key: string, value: string | null, ownAddress: string | null, ctx: RewriteContext): string | null {
  if (value === null) return null;
  if (OWN_ADDRESS_KEYS.has(key)) return ownAddress;
  if (HIDDEN_ADDRESS_KEYS.has(key)) return null;
  if (ID_KEYS.has(key)) return /^\d+$/.test(value) ? String(ctx.toVirtual(Number(value))) : value;
  if (THROTTLED_REPLICAS_KEYS.has(key)) {
    return value.replace(/(\d+):(\d+)/g, (_, p: string, b: string) => `${p}:${ctx.toVirtual(Number(b))}`);
  }
  return value;
}

/** Rewrites DescribeConfigs results in place: resource names and address- or id-bearing values. */
export function rewriteDescribeConfigsResults(
  results: DescribeConfigsResultLike[],
  originals: Map<string, string> | null,
  ctx: RewriteContext,
): void {
  rewriteConfigResourcesResponse(results, originals, ctx);
  for (const r of results) {
    let ownAddress: string | null = null;
    if (isBrokerResource(r.resourceType) && /^\d+$/.test(r.resourceName)) {
      const ep = ctx.endpoint(Number(r.resourceName));
      if (ep !== null) ownAddress = `PLAINTEXT://${ep.host}:${ep.port}`;
    }
    for (const c of r.configs) {
      c.value = rewriteValue(c.name, c.value, ownAddress, ctx);
      if (c.synonyms !== undefined) {
        for (const s of c.synonyms) s.value = rewriteValue(s.name, s.value, ownAddress, ctx);
      }
    }
  }
}
