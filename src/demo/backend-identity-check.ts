// Whether Turnout reached the secured cluster as itself: the cluster's SASL_SSL listener (the
// only one in Turnout's configuration) refuses a login with a wrong password, Turnout is ready
// with none of its own logins refused, and what Turnout acknowledged to its clients is stored
// on the cluster, read back over that same listener as the cluster's admin user.
import kafkajs from 'kafkajs';
import type { ProxyHandle } from '../proxy.js';
import { refusedKafkajsLogin, type Refusal } from './refused-clients.js';
import type { SecureDemoBackend } from './secure-demo-workspace.js';
import { turnoutSecurityCounts } from './turnout-traffic.js';

const { Kafka, logLevel } = kafkajs;

export interface StoredCount {
  topic: string;
  /** Records in the topic on the cluster. */
  records: number;
  /** Records Turnout acknowledged to its clients. */
  acknowledged: number;
}

export interface BackendIdentityCheck {
  ok: boolean;
  /** A login to the cluster with Turnout's user name and a wrong password. */
  stranger: Refusal;
  /** Turnout's /readyz. */
  ready: boolean;
  reasons: string[];
  /** turnout_backend_auth_failures_total over every stage. */
  authFailures: number;
  stored: StoredCount[];
}

function clusterSettings(ca: Buffer, user: { username: string; password: string }): Pick<kafkajs.KafkaConfig, 'ssl' | 'sasl'> {
  return { ssl: { ca: [ca] }, sasl: { mechanism: 'scram-sha-512', username: user.username, password: user.password } };
}

/** Records in each topic on the cluster itself (high watermark less log start), as its admin user over SASL_SSL. */
async function storedOnCluster(backend: SecureDemoBackend, ca: Buffer, topics: readonly string[]): Promise<Map<string, number>> {
  const admin = new Kafka({
    clientId: 'turnout-demo-direct',
    brokers: [...backend.bootstrapServers],
    ...clusterSettings(ca, backend.adminUser),
    // kafkajs re-authenticates from 10 s before a broker's session ends: with the short
    // sessions of the test rig's cluster (10 s) that is at every request, which it cannot do
    // with requests in flight. This admin lives a second or two.
    reauthenticationThreshold: 1_000,
    logLevel: logLevel.NOTHING,
  }).admin();
  await admin.connect();
  try {
    const out = new Map<string, number>();
    for (const topic of topics) {
      const offsets = await admin.fetchTopicOffsets(topic);
      out.set(topic, offsets.reduce((n, p) => n + Number(p.high) - Number(p.low), 0));
    }
    return out;
  } finally {
    await admin.disconnect();
  }
}

export async function checkBackendIdentity(proxy: ProxyHandle, backend: SecureDemoBackend, ca: Buffer, acknowledged: ReadonlyArray<{ topic: string; records: number }>): Promise<BackendIdentityCheck> {
  const stranger = await refusedKafkajsLogin(backend.bootstrapServers, clusterSettings(ca, { username: backend.turnoutUser.username, password: 'not-turnouts-password' }), {
    user: backend.turnoutUser.username,
    attempt: `log in to ${backend.label} with a wrong password`,
  });
  const readiness = proxy.readiness();
  const { backendAuthFailures } = turnoutSecurityCounts(await proxy.registry.getMetricsAsJSON());
  const counts = await storedOnCluster(backend, ca, acknowledged.map((a) => a.topic));
  const stored = acknowledged.map((a) => ({ topic: a.topic, records: counts.get(a.topic) ?? 0, acknowledged: a.records }));
  return {
    ok: stranger.ok && readiness.ready && backendAuthFailures === 0 && stored.every((s) => s.records === s.acknowledged),
    stranger,
    ready: readiness.ready,
    reasons: readiness.reasons,
    authFailures: backendAuthFailures,
    stored,
  };
}
