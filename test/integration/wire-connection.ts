// A wire-level Kafka connection for tests that speak the protocol themselves, to Turnout or to
// a broker: Turnout's own upstream connection class, which works against any Kafka endpoint.
import { UpstreamConnection } from '../../src/net/upstream-connection.js';
import { createLogger } from '../../src/observability/logger.js';
import { ProxyMetrics } from '../../src/observability/metrics.js';

/** Opens a connection to `host:port`; the caller closes it. */
export function wireConnection(port: number, host = '127.0.0.1'): UpstreamConnection {
  return new UpstreamConnection(
    {
      backend: 'wire',
      brokerId: -1,
      host,
      port,
      connectTimeoutMs: 5_000,
      requestTimeoutMs: 30_000,
      maxFrameBytes: 100 * 1024 * 1024,
      writeHighWaterBytes: 1024 * 1024,
      log: createLogger({ level: 'silent' }),
      metrics: new ProxyMetrics({ apiName: () => undefined }),
    },
    { onUpstreamDrain: () => undefined, onUpstreamClosed: () => undefined },
  );
}
