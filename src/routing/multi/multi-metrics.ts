// Metrics of the multi-backend router, registered on the proxy's registry when it is given
// one (a router built without a registry counts nothing).
import { Counter, type Registry } from 'prom-client';

export class MultiBackendMetrics {
  private readonly withoutBackend: Counter<'backend'> | null;

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
  }

  metadataWithoutBackend(backend: string): void {
    this.withoutBackend?.labels(backend).inc();
  }
}
