import { describe, expect, it } from 'vitest';
import { consumerArgs, producerArgs } from '../../../bench/perf-tools.js';

describe('perf tool arguments', () => {
  it('gives the producer perf test a client properties file when there is one, and its own properties after it', () => {
    const args = producerArgs({ topic: 't', records: 10, recordSizeBytes: 1024, throughput: -1, bootstrap: 'h:1', clientId: 'c', acks: '1', clientConfig: '/x/client.properties' });
    expect(args).toEqual([
      '--topic', 't', '--num-records', '10', '--record-size', '1024', '--throughput', '-1',
      '--producer.config', '/x/client.properties',
      '--producer-props', 'bootstrap.servers=h:1', 'acks=1', 'client.id=c',
    ]);
    expect(producerArgs({ topic: 't', records: 10, recordSizeBytes: 1024, throughput: 500, bootstrap: 'h:1', clientId: 'c' })).not.toContain('--producer.config');
  });

  it('sets the producer batch size only when asked, among the producer properties', () => {
    const args = producerArgs({ topic: 't', records: 10, recordSizeBytes: 1024, throughput: -1, bootstrap: 'h:1', clientId: 'c', batchBytes: 8192 });
    expect(args.slice(args.indexOf('--producer-props'))).toEqual(['--producer-props', 'bootstrap.servers=h:1', 'acks=all', 'client.id=c', 'batch.size=8192']);
    expect(producerArgs({ topic: 't', records: 10, recordSizeBytes: 1024, throughput: -1, bootstrap: 'h:1', clientId: 'c' }).join(' ')).not.toContain('batch.size');
  });

  it('gives the consumer perf test a client properties file when there is one', () => {
    expect(consumerArgs({ topic: 't', records: 30, group: 'g', bootstrap: 'h:1', clientConfig: '/x/client.properties' })).toEqual([
      '--bootstrap-server', 'h:1', '--topic', 't', '--messages', '30', '--group', 'g', '--timeout', '60000', '--consumer.config', '/x/client.properties',
    ]);
    expect(consumerArgs({ topic: 't', records: 30, group: 'g', bootstrap: 'h:1' })).not.toContain('--consumer.config');
  });
});
