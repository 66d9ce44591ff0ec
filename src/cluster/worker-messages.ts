// What a worker tells its primary over the cluster IPC channel. prom-client's metric requests
// share the channel: messages are told apart by their `turnout` field.

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
