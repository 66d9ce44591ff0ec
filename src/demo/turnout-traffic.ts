// What Turnout's own metrics say about the demo's traffic: bytes on each side, requests by
// api, requests Turnout answered itself. Read from the registry's JSON form, so the numbers
// are the ones /metrics serves.

export interface TurnoutTraffic {
  /** Bytes clients sent to Turnout. */
  clientInBytes: number;
  /** Bytes Turnout sent to clients. */
  clientOutBytes: number;
  /** Bytes brokers sent to Turnout. */
  upstreamInBytes: number;
  /** Bytes Turnout sent to brokers. */
  upstreamOutBytes: number;
  /** Requests received from clients, by api name, all versions together. */
  requests: Record<string, number>;
  /** Requests answered by Turnout without a broker, by api name. */
  answeredLocally: Record<string, number>;
}

/** The shape of one entry of `registry.getMetricsAsJSON()` that is read here. */
export interface MetricJson {
  name: string;
  values: ReadonlyArray<{ value: number; labels: Readonly<Record<string, string | number | undefined>> }>;
}

function valuesOf(metrics: readonly MetricJson[], name: string): MetricJson['values'] {
  return metrics.find((m) => m.name === name)?.values ?? [];
}

function sumByLabel(metrics: readonly MetricJson[], name: string, label: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of valuesOf(metrics, name)) {
    const key = String(v.labels[label] ?? '');
    out[key] = (out[key] ?? 0) + v.value;
  }
  return out;
}

/** Extracts the traffic figures from `registry.getMetricsAsJSON()`. */
export function turnoutTraffic(metrics: readonly MetricJson[]): TurnoutTraffic {
  const bytes = (side: string, direction: string): number =>
    valuesOf(metrics, 'turnout_bytes_total').find((v) => v.labels.side === side && v.labels.direction === direction)?.value ?? 0;
  return {
    clientInBytes: bytes('client', 'in'),
    clientOutBytes: bytes('client', 'out'),
    upstreamInBytes: bytes('upstream', 'in'),
    upstreamOutBytes: bytes('upstream', 'out'),
    requests: sumByLabel(metrics, 'turnout_requests_total', 'api'),
    answeredLocally: sumByLabel(metrics, 'turnout_local_responses_total', 'api'),
  };
}

/** What Turnout's metrics say about identity and access during the demo. */
export interface TurnoutSecurityCounts {
  /** Client logins by `mechanism result` ("SCRAM-SHA-512 success"). */
  authentications: Record<string, number>;
  /** ACL decisions by result (allow, deny). */
  authzDecisions: Record<string, number>;
  /** Logins Turnout's own credentials failed on its backends. */
  backendAuthFailures: number;
}

/** Extracts the identity and access figures from `registry.getMetricsAsJSON()`. */
export function turnoutSecurityCounts(metrics: readonly MetricJson[]): TurnoutSecurityCounts {
  const authentications: Record<string, number> = {};
  for (const v of valuesOf(metrics, 'turnout_authentications_total')) {
    const key = `${String(v.labels.mechanism ?? '')} ${String(v.labels.result ?? '')}`;
    authentications[key] = (authentications[key] ?? 0) + v.value;
  }
  return {
    authentications,
    authzDecisions: sumByLabel(metrics, 'turnout_authz_decisions_total', 'result'),
    backendAuthFailures: valuesOf(metrics, 'turnout_backend_auth_failures_total').reduce((n, v) => n + v.value, 0),
  };
}
