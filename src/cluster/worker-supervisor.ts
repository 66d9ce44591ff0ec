// The primary of several Turnout processes: forks one worker per slot, restarts a worker that
// dies (after a delay that doubles with each crash of that slot in a row), gives up when a
// slot keeps crashing (a worker that cannot start will not start on the tenth try either),
// and stops the workers on request, each draining its connections as a single Turnout does.
// The primary serves no client itself: the cluster module hands it the listening sockets the
// workers ask for and it passes their connections to the workers in turn.
import cluster, { type Worker } from 'node:cluster';
import { withMallocTunables } from '../commands/malloc-tunables.js';
import type { Logger } from '../observability/logger.js';
import type { VirtualNodeAssignment } from '../routing/virtual-node-map.js';
import { isAdminPortMessage, isNodeIdMessage, KNOWN_NODE_IDS_ENV, WORKER_INDEX_ENV } from './worker-messages.js';

export interface WorkerSupervisorOptions {
  processes: number;
  log: Logger;
  /** Delay before the first restart of a slot, in ms; doubled for each further crash within `crashWindowMs`. (default: 500) */
  restartDelayMs?: number;
  /** Cap of the restart delay, in ms. (default: 10000) */
  maxRestartDelayMs?: number;
  /** Crashes of one slot within `crashWindowMs` after which the primary gives up. (default: 5) */
  crashLimit?: number;
  /** (default: 60000) */
  crashWindowMs?: number;
  /** After asking the workers to stop, how long they get before SIGKILL, in ms. */
  stopTimeoutMs: number;
  /** Called once, after the workers were stopped, when a slot keeps crashing. */
  onGiveUp: (reason: string) => void;
}

/** One slot as the admin endpoint reports it. */
export interface WorkerView {
  index: number;
  /** The running worker's pid, or null while it is restarted. */
  pid: number | null;
  /** The worker's own admin endpoint (loopback), or null until it has started. */
  adminPort: number | null;
  restarts: number;
}

interface Slot {
  index: number;
  worker: Worker | null;
  adminPort: number | null;
  restarts: number;
  /** When the slot's recent crashes happened (ms), the oldest first. */
  crashes: number[];
  restartTimer: NodeJS.Timeout | null;
}

export class WorkerSupervisor {
  private readonly opts: Required<Omit<WorkerSupervisorOptions, 'log' | 'onGiveUp'>> & Pick<WorkerSupervisorOptions, 'log' | 'onGiveUp'>;
  private readonly slots: Slot[];
  private stopping: Promise<void> | null = null;
  /** Virtual ids the workers gave backend brokers, by `backend/brokerId`: the first report stands. */
  private readonly nodeIds = new Map<string, VirtualNodeAssignment>();

  constructor(opts: WorkerSupervisorOptions) {
    this.opts = { restartDelayMs: 500, maxRestartDelayMs: 10_000, crashLimit: 5, crashWindowMs: 60_000, ...opts };
    this.slots = Array.from({ length: opts.processes }, (_, index) => ({ index, worker: null, adminPort: null, restarts: 0, crashes: [], restartTimer: null }));
  }

  start(): void {
    for (const slot of this.slots) this.fork(slot);
  }

  workers(): WorkerView[] {
    return this.slots.map((s) => ({ index: s.index, pid: s.worker?.process.pid ?? null, adminPort: s.worker === null ? null : s.adminPort, restarts: s.restarts }));
  }

  /** Asks every worker to stop (SIGTERM: each drains), SIGKILL after the timeout; resolves once all have exited. Idempotent. */
  stop(): Promise<void> {
    if (this.stopping === null) this.stopping = this.stopAll();
    return this.stopping;
  }

  private async stopAll(): Promise<void> {
    const exits: Array<Promise<void>> = [];
    for (const slot of this.slots) {
      if (slot.restartTimer !== null) clearTimeout(slot.restartTimer);
      slot.restartTimer = null;
      const worker = slot.worker;
      if (worker === null || worker.isDead()) continue;
      exits.push(
        new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            this.opts.log.warn({ worker: slot.index, workerPid: worker.process.pid, timeoutMs: this.opts.stopTimeoutMs }, 'worker did not stop in time: killing it');
            worker.process.kill('SIGKILL');
          }, this.opts.stopTimeoutMs);
          worker.once('exit', () => {
            clearTimeout(timer);
            resolve();
          });
          worker.process.kill('SIGTERM');
        }),
      );
    }
    await Promise.all(exits);
  }

  private fork(slot: Slot): void {
    slot.restartTimer = null;
    slot.adminPort = null;
    const worker = cluster.fork({
      [WORKER_INDEX_ENV]: String(slot.index),
      [KNOWN_NODE_IDS_ENV]: JSON.stringify([...this.nodeIds.values()]),
      // A worker is a process of its own: it gets the allocator settings even when the primary was started without them.
      GLIBC_TUNABLES: withMallocTunables(process.env.GLIBC_TUNABLES),
    });
    slot.worker = worker;
    this.opts.log.info({ worker: slot.index, workerPid: worker.process.pid, restarts: slot.restarts }, 'worker started');
    worker.on('message', (message: unknown) => {
      if (isAdminPortMessage(message) && slot.worker === worker) slot.adminPort = message.port;
      else if (isNodeIdMessage(message)) this.rememberNodeId(message, slot.index);
    });
    // An IPC failure to a worker that is going away: its exit is what counts.
    worker.on('error', (err) => this.opts.log.warn({ err, worker: slot.index }, 'worker channel error'));
    worker.once('exit', (code, signal) => this.onExit(slot, worker, code, signal));
  }

  private rememberNodeId(a: VirtualNodeAssignment, worker: number): void {
    const key = `${a.backend}/${a.brokerId}`;
    const known = this.nodeIds.get(key);
    if (known === undefined) this.nodeIds.set(key, { backend: a.backend, brokerId: a.brokerId, virtualNodeId: a.virtualNodeId });
    else if (known.virtualNodeId !== a.virtualNodeId) {
      // Two workers met new brokers in different orders: clients may see either id for a while.
      this.opts.log.warn({ worker, backend: a.backend, brokerId: a.brokerId, virtualNodeId: a.virtualNodeId, knownVirtualNodeId: known.virtualNodeId }, 'workers gave a broker different virtual ids');
    }
  }

  private onExit(slot: Slot, worker: Worker, code: number | null, signal: string | null): void {
    if (slot.worker !== worker) return;
    slot.worker = null;
    slot.adminPort = null;
    if (this.stopping !== null) {
      this.opts.log.info({ worker: slot.index, workerPid: worker.process.pid, code, signal }, 'worker stopped');
      return;
    }
    const now = Date.now();
    slot.crashes = slot.crashes.filter((at) => now - at < this.opts.crashWindowMs);
    slot.crashes.push(now);
    if (slot.crashes.length >= this.opts.crashLimit) {
      const reason = `worker ${slot.index} exited ${slot.crashes.length} times within ${this.opts.crashWindowMs} ms (last: code ${code}, signal ${signal})`;
      this.opts.log.fatal({ worker: slot.index, code, signal }, `giving up: ${reason}`);
      void this.stop().then(() => this.opts.onGiveUp(reason));
      return;
    }
    const delayMs = Math.min(this.opts.maxRestartDelayMs, this.opts.restartDelayMs * 2 ** (slot.crashes.length - 1));
    this.opts.log.error({ worker: slot.index, workerPid: worker.process.pid, code, signal, restartInMs: delayMs }, 'worker exited: restarting it');
    slot.restarts++;
    slot.restartTimer = setTimeout(() => this.fork(slot), delayMs);
  }
}
