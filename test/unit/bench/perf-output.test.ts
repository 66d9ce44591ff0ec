// Output captured from Kafka 4.1.1's kafka-producer-perf-test and kafka-consumer-perf-test
// run by the devkit against a local 3-broker cluster.
import { describe, expect, it } from 'vitest';
import { parseConsumerPerf, parseProducerPerf, PerfOutputError } from '../../../bench/perf-output.js';

const PRODUCER_UNCAPPED = `3481 records sent, 696.1 records/sec (0.68 MB/sec), 2076.0 ms avg latency, 3571.0 ms max latency.
8100 records sent, 1604.0 records/sec (1.57 MB/sec), 5088.0 ms avg latency, 7014.0 ms max latency.
9630 records sent, 1923.3 records/sec (1.88 MB/sec), 8885.8 ms avg latency, 10797.0 ms max latency.
9240 records sent, 1840.6 records/sec (1.80 MB/sec), 12780.4 ms avg latency, 14989.0 ms max latency.
8610 records sent, 1694.2 records/sec (1.65 MB/sec), 16774.5 ms avg latency, 18528.0 ms max latency.
50000 records sent, 1659.9 records/sec (1.62 MB/sec), 11549.86 ms avg latency, 18673.00 ms max latency, 12366 ms 50th, 17864 ms 95th, 18389 ms 99th, 18632 ms 99.9th.
`;

const PRODUCER_WITH_METRICS = `3000 records sent, 941.0 records/sec (0.92 MB/sec), 435.56 ms avg latency, 1062.00 ms max latency, 464 ms 50th, 878 ms 95th, 1035 ms 99th, 1061 ms 99.9th.

Metric Name                                                                                   Value
app-info:commit-id:{client-id=perf-producer-client}                                         : be816b82d25370ce
app-info:version:{client-id=perf-producer-client}                                           : 4.1.1
producer-metrics:request-latency-avg:{client-id=perf-producer-client}                       : 133.133
producer-metrics:request-latency-max:{client-id=perf-producer-client}                       : 368.000
`;

const CONSUMER = `start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec
2026-11-26 23:24:25:242, 2026-11-26 23:24:30:353, 19.5313, 3.8214, 20000, 3913.1285, 2142, 2969, 6.5784, 6736.2748
`;

describe('parseProducerPerf', () => {
  it('reads the final summary line and skips the progress windows', () => {
    expect(parseProducerPerf(PRODUCER_UNCAPPED)).toEqual({
      records: 50_000,
      recordsPerSec: 1659.9,
      mbPerSec: 1.62,
      avgLatencyMs: 11549.86,
      maxLatencyMs: 18673,
      p50Ms: 12366,
      p95Ms: 17864,
      p99Ms: 18389,
      p999Ms: 18632,
    });
  });

  it('ignores a metrics dump after the summary', () => {
    expect(parseProducerPerf(PRODUCER_WITH_METRICS)).toMatchObject({ records: 3_000, recordsPerSec: 941, p50Ms: 464, p99Ms: 1035, p999Ms: 1061 });
  });

  it('accepts decimal commas from a JVM in another locale', () => {
    const line = '3000 records sent, 941,0 records/sec (0,92 MB/sec), 435,56 ms avg latency, 1062,00 ms max latency, 464 ms 50th, 878 ms 95th, 1035 ms 99th, 1061 ms 99,9th.';
    expect(parseProducerPerf(line)).toMatchObject({ recordsPerSec: 941, mbPerSec: 0.92, avgLatencyMs: 435.56, p999Ms: 1061 });
  });

  it('fails with the end of the output when there is no summary line', () => {
    const partial = PRODUCER_UNCAPPED.split('\n').slice(0, 3).join('\n');
    expect(() => parseProducerPerf(partial)).toThrow(PerfOutputError);
    expect(() => parseProducerPerf(partial)).toThrow(/no final summary line.*9630 records sent/s);
  });
});

describe('parseConsumerPerf', () => {
  it('reads the result row by the header names', () => {
    expect(parseConsumerPerf(CONSUMER)).toEqual({
      records: 20_000,
      mb: 19.5313,
      mbPerSec: 3.8214,
      recordsPerSec: 3913.1285,
      rebalanceMs: 2142,
      fetchMs: 2969,
      fetchMbPerSec: 6.5784,
      fetchRecordsPerSec: 6736.2748,
    });
  });

  it('reads a row without the header (--hide-header) in the usual column order', () => {
    expect(parseConsumerPerf(CONSUMER.split('\n')[1] as string).fetchMbPerSec).toBe(6.5784);
  });

  it('skips warnings and log lines around the result', () => {
    const noisy = `[2026-11-26 23:24:25,000] WARN [Consumer clientId=perf-consumer-client] something (org.apache.kafka.clients.NetworkClient)\n${CONSUMER}WARNING: Exiting before consuming the expected number of messages: timeout (10000 ms) exceeded.\n`;
    expect(parseConsumerPerf(noisy).records).toBe(20_000);
  });

  it('reads columns by name when their order changes', () => {
    const reordered = 'end.time, start.time, data.consumed.in.nMsg, data.consumed.in.MB, MB.sec, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.nMsg.sec, fetch.MB.sec\n' +
      '2026-11-26 23:24:30:353, 2026-11-26 23:24:25:242, 20000, 19.5313, 3.8214, 3913.1285, 2142, 2969, 6736.2748, 6.5784\n';
    expect(parseConsumerPerf(reordered)).toMatchObject({ records: 20_000, fetchMbPerSec: 6.5784, fetchRecordsPerSec: 6736.2748 });
  });

  it('fails when there is no result row', () => {
    expect(() => parseConsumerPerf('start.time, end.time, data.consumed.in.MB\n')).toThrow(/no result row/);
  });
});
