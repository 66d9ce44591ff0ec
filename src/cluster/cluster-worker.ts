// A worker of several Turnout processes: what it does besides running the proxy. It lends its
// metrics to the primary's /metrics (prom-client answers the primary's requests over the
// cluster channel), tells the primary where its own admin endpoint is, and stops when the
// primary goes away, as an orphan would otherwise keep its connections with nobody to supervise it.
import { AggregatorRegistry, type Registry } from 'prom-client';
import type { VirtualNodeMapOptions } from '../routing/virtual-node-map.js';
import { adminPortMessage, KNOWN_NODE_IDS_ENV, nodeIdMessage, parseKnownNodeIds, WORKER_INDEX_ENV } from './worker-messages.js';

/** The worker's slot, from the environment its primary forked it with. */
export function workerIndex(): number {
  const index = Number(process.env[WORKER_INDEX_ENV]);
  return Number.isInteger(index) && index >= 0 ? index : -1;
}

/** The virtual ids the worker's siblings gave so far, and the report of each one it gives. */
export function sharedVirtualNodeIds(): VirtualNodeMapOptions {
  return {
    known: parseKnownNodeIds(process.env[KNOWN_NODE_IDS_ENV]),
    onAssigned: (a) => process.send?.(nodeIdMessage(a)),
  };
}

export function joinPrimary(opts: { registry: Registry; adminPort: number; onPrimaryGone: () => void }): void {
  AggregatorRegistry.setRegistries([opts.registry]);
  // Constructing one sets up the answers to the primary's metric requests.
  new AggregatorRegistry();
  process.send?.(adminPortMessage(opts.adminPort));
  process.once('disconnect', opts.onPrimaryGone);
}
