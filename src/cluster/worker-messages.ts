// What a worker tells its primary over the cluster IPC channel, and what the primary hands a
// worker it forks. prom-client's metric requests share the channel: messages are told apart
// by their `turnout` field.
import type { VirtualNodeAssignment } from '../routing/virtual-node-map.js';

/** Sent once the worker's proxy has started: where the primary reaches its admin endpoint. */
export interface WorkerAdminMessage {
  turnout: 'admin-port';
  port: number;
}

export function adminPortMessage(port: number): WorkerAdminMessage {
  return { turnout: 'admin-port', port };
}

export function isAdminPortMessage(message: unknown): message is WorkerAdminMessage {
  if (typeof message !== 'object' || message === null) return false;
  const m = message as Record<string, unknown>;
  return m.turnout === 'admin-port' && typeof m.port === 'number' && Number.isInteger(m.port) && m.port > 0;
}

/** The environment variable that carries a worker's slot (0..processes-1), kept across its restarts. */
export const WORKER_INDEX_ENV = 'TURNOUT_WORKER_INDEX';

/**
 * Sent when a worker gives a backend broker a virtual id (one backend presented broker per
 * node): the primary hands the ids given so far to every worker it forks, so that a restarted
 * worker presents the brokers under the same ids as the others.
 */
export interface WorkerNodeIdMessage extends VirtualNodeAssignment {
  turnout: 'virtual-node-id';
}

export function nodeIdMessage(a: VirtualNodeAssignment): WorkerNodeIdMessage {
  return { turnout: 'virtual-node-id', backend: a.backend, brokerId: a.brokerId, virtualNodeId: a.virtualNodeId };
}

function isAssignment(value: unknown): value is VirtualNodeAssignment {
  if (typeof value !== 'object' || value === null) return false;
  const a = value as Record<string, unknown>;
  return typeof a.backend === 'string' && Number.isInteger(a.brokerId) && Number.isInteger(a.virtualNodeId) && (a.virtualNodeId as number) >= 0;
}

export function isNodeIdMessage(message: unknown): message is WorkerNodeIdMessage {
  return isAssignment(message) && (message as unknown as Record<string, unknown>).turnout === 'virtual-node-id';
}

/** The environment variable that carries the virtual ids given so far to a worker being forked (JSON). */
export const KNOWN_NODE_IDS_ENV = 'TURNOUT_VIRTUAL_NODE_IDS';

/** The ids in `KNOWN_NODE_IDS_ENV`; what is not an assignment is left out. */
export function parseKnownNodeIds(text: string | undefined): VirtualNodeAssignment[] {
  if (text === undefined || text === '') return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return [];
  }
  return Array.isArray(parsed) ? parsed.filter(isAssignment).map((a) => ({ backend: a.backend, brokerId: a.brokerId, virtualNodeId: a.virtualNodeId })) : [];
}
