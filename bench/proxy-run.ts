// One measured run on a path with a proxy (Turnout or HAProxy): the proxy's CPU time over the
// run, read from /proc, and the client bytes it counted, which prove that the run went
// through it (a client sent past the proxy by a wrong advertised address would still work).
import type { ProcessMeter } from './proc-stats.js';

/** Bytes a proxy exchanged with its clients: in from them, out to them. */
export interface ClientBytes {
  inBytes: number;
  outBytes: number;
}

export interface MeasuredProxy {
  meter: ProcessMeter;
  /** Absent for a proxy that counts no bytes (Kroxylicious): its runs are not checked this way. */
  clientBytes?(): Promise<ClientBytes>;
}

export interface MeasuredRun<T> {
  value: T;
  durationMs: number;
  /** The proxy's CPU seconds and the client bytes it moved during the run (runs through a proxy only). */
  cpuSec?: number;
  clientInBytes?: number;
  clientOutBytes?: number;
}

/** Runs `run`; through a proxy, also what the proxy spent and moved meanwhile. */
export async function measureRun<T>(proxy: MeasuredProxy | undefined, run: () => Promise<T>): Promise<MeasuredRun<T>> {
  const cpu0 = proxy?.meter.cpuSeconds();
  const bytes0 = await proxy?.clientBytes?.();
  const t0 = performance.now();
  const value = await run();
  const durationMs = performance.now() - t0;
  if (proxy === undefined || cpu0 === undefined) return { value, durationMs };
  const cpuSec = proxy.meter.cpuSeconds() - cpu0;
  if (bytes0 === undefined || proxy.clientBytes === undefined) return { value, cpuSec, durationMs };
  const bytes1 = await proxy.clientBytes();
  return { value, cpuSec, durationMs, clientInBytes: bytes1.inBytes - bytes0.inBytes, clientOutBytes: bytes1.outBytes - bytes0.outBytes };
}

/** Throws when the proxy moved fewer bytes than the records hold: the run bypassed it. */
export function checkThroughProxy(what: string, proxyName: string, movedBytes: number | undefined, payloadBytes: number): void {
  if (movedBytes !== undefined && movedBytes < payloadBytes) throw new Error(`${what}: ${proxyName} moved only ${movedBytes} bytes for ${payloadBytes} bytes of records`);
}

/** The same for Turnout, as the cases that only run Turnout call it. */
export function checkThroughTurnout(what: string, movedBytes: number | undefined, payloadBytes: number): void {
  checkThroughProxy(what, 'Turnout', movedBytes, payloadBytes);
}
