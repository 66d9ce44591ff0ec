// A Prometheus histogram labelled by Kafka api, observed once per request on the data path.
// prom-client's own histogram builds a label object, validates it and hashes it on every
// observe, even through a cached child; this one keeps a bucket array per api key, so an
// observation is a bound search and three additions. It registers in a prom-client registry
// and prints exactly as prom-client's histogram does (same lines, same label order).
import type { Registry } from 'prom-client';

interface ApiSeries {
  api: string;
  /** Observations per bucket (not cumulative); the last one is +Inf. */
  counts: Float64Array;
  sum: number;
  count: number;
}

interface ExportedValue {
  labels: Record<string, string | number>;
  sharedLabels?: Record<string, string>;
  value: number;
  metricName: string;
}

interface ExportedMetric {
  name: string;
  help: string;
  type: 'histogram';
  values: ExportedValue[];
  aggregator: 'sum';
}

export interface ApiLatencyHistogramOptions {
  name: string;
  help: string;
  /** Upper bounds, ascending, in seconds. */
  buckets: readonly number[];
  /** The api label of an api key. */
  apiName: (apiKey: number) => string;
  registers: readonly Registry[];
}

export class ApiLatencyHistogram {
  readonly name: string;
  readonly help: string;
  readonly type = 'histogram' as const;
  readonly aggregator = 'sum' as const;
  private readonly bounds: readonly number[];
  private readonly apiName: (apiKey: number) => string;
  /** By api key; series appear in the order their api was first observed, as prom-client's do. */
  private byApiKey: Array<ApiSeries | undefined> = [];
  private series: ApiSeries[] = [];

  constructor(opts: ApiLatencyHistogramOptions) {
    this.name = opts.name;
    this.help = opts.help;
    this.bounds = [...opts.buckets];
    this.apiName = opts.apiName;
    for (const r of opts.registers) r.registerMetric(this as unknown as Parameters<Registry['registerMetric']>[0]);
  }

  observe(apiKey: number, seconds: number): void {
    let s = this.byApiKey[apiKey];
    if (s === undefined) {
      s = { api: this.apiName(apiKey), counts: new Float64Array(this.bounds.length + 1), sum: 0, count: 0 };
      this.byApiKey[apiKey] = s;
      this.series.push(s);
    }
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && seconds > bounds[i]) i++;
    s.counts[i]++;
    s.sum += seconds;
    s.count++;
  }

  /** The values as prom-client's registry prints them: the api as a shared label after `le`. */
  getForPromString(): Promise<ExportedMetric> {
    const values: ExportedValue[] = [];
    const bucketName = `${this.name}_bucket`;
    for (const s of this.series) {
      const shared = { api: s.api };
      let acc = 0;
      for (let i = 0; i < this.bounds.length; i++) {
        acc += s.counts[i];
        values.push({ labels: { le: this.bounds[i] }, sharedLabels: shared, value: acc, metricName: bucketName });
      }
      values.push({ labels: { le: '+Inf' }, sharedLabels: shared, value: s.count, metricName: bucketName });
      values.push({ labels: {}, sharedLabels: shared, value: s.sum, metricName: `${this.name}_sum` });
      values.push({ labels: {}, sharedLabels: shared, value: s.count, metricName: `${this.name}_count` });
    }
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator });
  }

  /** The same with every label on the value (the registry's JSON form). */
  async get(): Promise<ExportedMetric> {
    const m = await this.getForPromString();
    m.values = m.values.map((v) => ({ labels: { ...v.labels, ...v.sharedLabels }, value: v.value, metricName: v.metricName }));
    return m;
  }

  reset(): void {
    this.byApiKey = [];
    this.series = [];
  }
}
