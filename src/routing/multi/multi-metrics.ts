// Metrics of the multi-backend router, registered on the proxy's registry when it is given
// one (a router built without a registry counts nothing).
//   turnout_metadata_without_backend_total{backend}
//   turnout_multi_fetch_total{path}   client Fetch requests by how they were answered:
//     gathered (split or partly answered locally, merged), forwarded_whole (one leader, the
//     answer taken whole), forwarded_streamed (one leader, streamed as it arrived) or local
//     (no partition sent anywhere: an empty Fetch, as the Java client sends to close its
//     sessions, or every partition refused)
//   turnout_multi_produce_total{path}   client Produce requests (acks 1 or all) by how they were
//     answered: in_place (one leader took all of it, its plain answer patched in place),
//     decoded (one leader, its answer decoded to put it in the client's terms), merged (split
//     between leaders or partly answered by Turnout) or local (no partition sent anywhere)
//   turnout_cutover_fetch_partitions_total{segment}   fetched partitions of cut-over topics
//     whose answers were translated, by the index of the segment read (0: the oldest)
import { Counter, type Registry } from 'prom-client';

export type MultiFetchPath = 'gathered' | 'forwarded_whole' | 'forwarded_streamed' | 'local';
export type MultiProducePath = 'in_place' | 'decoded' | 'merged' | 'local';

export class MultiBackendMetrics {
  private readonly withoutBackend: Counter<'backend'> | null;
  private readonly fetches: Counter<'path'> | null;
  private readonly cutoverFetches: Counter<'segment'> | null;
  /** The produce counter's child per path: counted per request, so no label look-up each time. */
  private readonly produces: Record<MultiProducePath, { inc(): void }> | null;
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
    if (registry === undefined) this.produces = null;
    else {
      const counter = new Counter({
        name: 'turnout_multi_produce_total',
        help: 'Client Produce requests over several backends that expect an answer, by how they were answered: in_place, decoded, merged, local',
        labelNames: ['path'],
        registers: [registry],
      });
      this.produces = { in_place: counter.labels('in_place'), decoded: counter.labels('decoded'), merged: counter.labels('merged'), local: counter.labels('local') };
    }
  }

  produce(path: MultiProducePath): void {
    this.produces?.[path].inc();
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
