// Metrics of the multi-backend router, registered on the proxy's registry when it is given
// one (a router built without a registry counts nothing).
//   turnout_metadata_without_backend_total{backend}
//   turnout_multi_fetch_total{path}   client Fetch requests by how they were answered:
//     gathered (split or partly answered locally, merged), forwarded_whole (one leader, the
//     answer taken whole), forwarded_streamed (one leader, streamed as it arrived) or local
//     (no partition sent anywhere: an empty Fetch, as the Java client sends to close its
//     sessions, or every partition refused)
//   turnout_cutover_fetch_partitions_total{segment}   fetched partitions of cut-over topics
//     whose answers were translated, by the index of the segment read (0: the oldest)
import { Counter, type Registry } from 'prom-client';

export type MultiFetchPath = 'gathered' | 'forwarded_whole' | 'forwarded_streamed' | 'local';

export class MultiBackendMetrics {
  private readonly withoutBackend: Counter<'backend'> | null;
  private readonly fetches: Counter<'path'> | null;
  private readonly cutoverFetches: Counter<'segment'> | null;
  /** The counter's child per segment index, so a translated partition costs no label string. */
  private readonly cutoverFetchChildren: Array<{ inc(): void }> = [];

  constructor(registry: Registry | undefined) {
    this.withoutBackend =
      registry === undefined
        ? null
        : new Counter({
            name: 'turnout_metadata_without_backend_total',
            help: 'Metadata requests answered while a backend did not answer (its known topics shown as LEADER_NOT_AVAILABLE), by backend',
            labelNames: ['backend'],
            registers: [registry],
          });
    this.fetches =
      registry === undefined
        ? null
        : new Counter({
            name: 'turnout_multi_fetch_total',
            help: 'Client Fetch requests over several backends by how they were answered: gathered, forwarded_whole, forwarded_streamed, local',
            labelNames: ['path'],
            registers: [registry],
          });
    this.cutoverFetches =
      registry === undefined
        ? null
        : new Counter({
            name: 'turnout_cutover_fetch_partitions_total',
            help: 'Fetched partitions of cut-over topics translated between a segment and the virtual log, by segment index (0: the oldest)',
            labelNames: ['segment'],
            registers: [registry],
          });
  }

  metadataWithoutBackend(backend: string): void {
    this.withoutBackend?.labels(backend).inc();
  }

  fetch(path: MultiFetchPath): void {
    this.fetches?.labels(path).inc();
  }

  /** One fetched partition of a chained topic translated from segment `index`. */
  cutoverFetchPartition(index: number): void {
    if (this.cutoverFetches === null) return;
    let child = this.cutoverFetchChildren[index];
    if (child === undefined) this.cutoverFetchChildren[index] = child = this.cutoverFetches.labels(String(index));
    child.inc();
  }
}
