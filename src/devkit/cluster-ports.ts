// Port blocks for devkit clusters: brokers at base..base+N-1, the controller at base+N, and a
// secured cluster's further client listeners after it (K per broker: broker i's k-th at
// base+N+1+i*K+k). The first block tried is derived from the cluster name, so a cluster
// usually comes back on the same ports; blocks sit below Linux's ephemeral range (32768+).
import { createServer } from 'node:net';

export const PORT_RANGE_START = 20_000;
export const PORT_RANGE_END = 32_000;

export interface PortPlan {
  basePort: number;
  brokerPorts: number[];
  controllerPort: number;
  /** Per broker (in order), its further listeners' ports; empty lists without any. */
  extraPorts: number[][];
}

/** FNV-1a, 32 bit: a stable spread of names over the port blocks. */
export function nameHash(name: string): number {
  let h = 0x811c9dc5;
  for (const byte of Buffer.from(name, 'utf8')) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

export function blockStride(brokerCount: number, extraPerBroker = 0): number {
  return 10 * Math.ceil((brokerCount * (1 + extraPerBroker) + 1) / 10);
}

export function defaultBasePort(name: string, brokerCount: number, extraPerBroker = 0): number {
  const stride = blockStride(brokerCount, extraPerBroker);
  const blocks = Math.floor((PORT_RANGE_END - PORT_RANGE_START) / stride);
  return PORT_RANGE_START + (nameHash(name) % blocks) * stride;
}

export function portBlock(basePort: number, brokerCount: number, extraPerBroker = 0): PortPlan {
  const brokerPorts = Array.from({ length: brokerCount }, (_, i) => basePort + i);
  const extraBase = basePort + brokerCount + 1;
  const extraPorts = brokerPorts.map((_, i) => Array.from({ length: extraPerBroker }, (_, k) => extraBase + i * extraPerBroker + k));
  return { basePort, brokerPorts, controllerPort: basePort + brokerCount, extraPorts };
}

/** True when nothing listens on 127.0.0.1:port (we could bind it). */
export function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolveFree) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolveFree(false));
    server.listen({ port, host, exclusive: true }, () => {
      server.close(() => resolveFree(true));
    });
  });
}

export interface PlanPortsOptions {
  /** Use exactly this block; fail if any of it is taken. */
  basePort?: number;
  /** Further listener ports each broker needs (a secured cluster's). (default: 0) */
  extraPerBroker?: number;
  /** Ports recorded by other clusters (even stopped ones keep theirs). */
  reserved?: ReadonlySet<number>;
  isFree?: (port: number) => Promise<boolean>;
}

export async function planPorts(name: string, brokerCount: number, opts: PlanPortsOptions = {}): Promise<PortPlan> {
  const isFree = opts.isFree ?? ((p: number) => isPortFree(p));
  const reserved = opts.reserved ?? new Set<number>();
  const extra = opts.extraPerBroker ?? 0;
  const usable = async (plan: PortPlan): Promise<number | undefined> => {
    for (const port of [...plan.brokerPorts, plan.controllerPort, ...plan.extraPorts.flat()]) {
      if (port < 1 || port > 65_535 || reserved.has(port) || !(await isFree(port))) return port;
    }
    return undefined;
  };
  if (opts.basePort !== undefined) {
    const plan = portBlock(opts.basePort, brokerCount, extra);
    const busy = await usable(plan);
    if (busy !== undefined) throw new Error(`port ${busy} (in the block at --base-port ${opts.basePort}) is in use or reserved by another cluster`);
    return plan;
  }
  const stride = blockStride(brokerCount, extra);
  const blocks = Math.floor((PORT_RANGE_END - PORT_RANGE_START) / stride);
  const first = defaultBasePort(name, brokerCount, extra);
  for (let i = 0; i < Math.min(blocks, 400); i++) {
    const base = PORT_RANGE_START + ((first - PORT_RANGE_START + i * stride) % (blocks * stride));
    const plan = portBlock(base, brokerCount, extra);
    if ((await usable(plan)) === undefined) return plan;
  }
  throw new Error(`no free block of ${brokerCount * (1 + extra) + 1} ports found between ${PORT_RANGE_START} and ${PORT_RANGE_END}`);
}

/** Racks assigned round-robin: broker i (from 0) gets racks[i % racks.length]. */
export function assignRacks(brokerCount: number, racks: readonly string[]): string[] {
  if (racks.length === 0) throw new Error('at least one rack is needed');
  return Array.from({ length: brokerCount }, (_, i) => racks[i % racks.length] as string);
}
