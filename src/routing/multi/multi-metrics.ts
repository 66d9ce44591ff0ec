// Metrics of the multi-backend router, registered on the proxy's registry when it is given
// one (a router built without a registry counts nothing).
//   turnout_metadata_without_backend_total{backend}
//   turnout_multi_fetch_total{path}   client Fetch requests by how they were answered:
//     gathered (split or partly answered locally, merged), forwarded_whole (one leader, the
//     answer taken whole) or forwarded_streamed (one leader, streamed as it arrived)
import { Counter, type Registry } from 'prom-client';

export type MultiFetchPath = 'gathered' | 'forwarded_whole' | 'forwarded_streamed';

export class MultiBackendMetrics {
  private readonly withoutBackend: Counter<'backend'> | null;
  private readonly fetches: Counter<'path'> | null;

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
            help: 'Client Fetch requests over several backends by how they were answered: gathered, forwarded_whole, forwarded_streamed',
            labelNames: ['path'],
            registers: [registry],
          });
  }

  metadataWithoutBackend(backend: string): void {
    this.withoutBackend?.labels(backend).inc();
  }

  fetch(path: MultiFetchPath): void {
    this.fetches?.labels(path).inc();
  }
}
