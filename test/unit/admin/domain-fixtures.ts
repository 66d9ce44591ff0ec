// A policy, stores and an admin server for the domain API tests.
import { AdminServer } from '../../../src/admin/admin-server.js';
import type { DomainInsights } from '../../../src/admin/domain-routes.js';
import { createLogger } from '../../../src/observability/logger.js';
import { ProxyMetrics } from '../../../src/observability/metrics.js';
import { parseConfig } from '../../../src/policy/config.js';
import { PolicySnapshot, policyDocumentOf } from '../../../src/policy/policy-snapshot.js';
import {
  checkDomainBackendChange,
  PolicyChangeError,
  PolicyListeners,
  type PolicyListener,
  type PolicyStore,
  type PolicyStoreHealth,
  type ReloadResult,
} from '../../../src/policy/policy-store.js';

export const policyConfig = parseConfig(
  {
    virtualCluster: { clusterId: 'test' },
    listeners: [{ bootstrapPort: 0, nodePortBase: 0 }],
    backends: [
      { name: 'east', bootstrapServers: ['east:9092'] },
      { name: 'west', bootstrapServers: ['west:9092'] },
    ],
    domains: [
      {
        name: 'orders',
        owner: 'team-orders',
        topics: ['orders.*', 'checkout'],
        groups: ['orders-*'],
        transactionalIds: ['orders-tx-*'],
        backend: 'east',
        migrationTarget: 'west',
      },
      { name: 'payments', owner: 'team-payments', topics: [{ prefix: 'payments.' }], backend: 'west' },
      { name: 'legacy', owner: 'platform', backend: 'east' },
    ],
    defaultDomain: 'legacy',
  },
  'test',
  { severalBackends: true },
);

/** An in-memory store whose health and availability a test sets. */
export class FakePolicyStore implements PolicyStore {
  readonly kind = 'redis' as const;
  ready = true;
  lastError: string | null = null;
  unavailable = false;
  private snapshot = new PolicySnapshot(policyDocumentOf(policyConfig), 1, new Map());
  private readonly listeners = new PolicyListeners(createLogger({ level: 'silent' }));

  current(): PolicySnapshot {
    return this.snapshot;
  }

  subscribe(listener: PolicyListener): () => void {
    return this.listeners.add(listener);
  }

  async setDomainBackend(domain: string, backend: string): Promise<PolicySnapshot> {
    checkDomainBackendChange(this.snapshot, domain, backend);
    if (this.unavailable) throw new PolicyChangeError('store-unavailable', domain, backend, 'redis is not reachable');
    if (this.snapshot.domains.get(domain)?.backend === backend) return this.snapshot;
    const overrides = new Map(this.snapshot.backendOverrides);
    overrides.set(domain, backend);
    const previous = this.snapshot;
    this.snapshot = new PolicySnapshot(previous.document, previous.version + 1, overrides);
    this.listeners.notify(this.snapshot, previous);
    return this.snapshot;
  }

  async reload(): Promise<ReloadResult> {
    return { changed: false, version: this.snapshot.version, error: null };
  }

  health(): PolicyStoreHealth {
    return { kind: 'redis', ready: this.ready, lastError: this.lastError, version: this.snapshot.version };
  }

  async close(): Promise<void> {}
}

export interface RunningAdmin {
  base: string;
  server: AdminServer;
}

/** The admin token the test servers accept. */
export const ADMIN_TOKEN = 'test-admin-token-0123456789';
export const AUTH_HEADER = { authorization: `Bearer ${ADMIN_TOKEN}` };

export async function startAdmin(store: PolicyStore, insights?: DomainInsights, proxyReady = true): Promise<RunningAdmin> {
  const metrics = new ProxyMetrics({ apiName: () => undefined });
  const server = new AdminServer({
    host: '127.0.0.1',
    port: 0,
    auth: { tokenEnv: 'TURNOUT_TEST_ADMIN_TOKEN', openReads: true },
    env: { TURNOUT_TEST_ADMIN_TOKEN: ADMIN_TOKEN },
    registry: metrics.registry,
    readiness: () => (proxyReady ? { ready: true, reasons: [] } : { ready: false, reasons: ['listeners not bound'] }),
    log: createLogger({ level: 'silent' }),
    policyStore: store,
    domainInsights: insights,
  });
  const port = await server.listen();
  return { base: `http://127.0.0.1:${port}`, server };
}
