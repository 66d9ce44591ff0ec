// What counts as a client's error or warning in a traffic run.
import { describe, expect, it } from 'vitest';
import { ClientIssues, javaLogLevel, librdkafkaLogLevel } from '../../integration/cutover-traffic/client-issues.js';

describe('client issues', () => {
  it('reads the level of Java client log lines, and counts text of its own as an error', () => {
    expect(javaLogLevel('[2026-12-06 07:55:35,822] ERROR [Consumer clientId=a] OffsetCommit failed (org.apache.kafka.clients.consumer.internals.CommitRequestManager)')).toBe('error');
    expect(javaLogLevel('[2026-12-06 07:55:35,822] WARN [Producer clientId=p] Got error produce response (org.apache.kafka.clients.producer.internals.Sender)')).toBe('warning');
    expect(javaLogLevel('[2026-12-06 07:55:35,822] INFO something (x)')).toBeNull();
    expect(javaLogLevel('TransactionalStream failed: org.apache.kafka.common.KafkaException: boom')).toBe('error');
    expect(javaLogLevel('\tat org.apache.kafka.Foo.bar(Foo.java:1)')).toBeNull();
    expect(javaLogLevel('Caused by: java.io.IOException: x')).toBeNull();
    expect(javaLogLevel('OpenJDK 64-Bit Server VM warning: Sharing is only supported for boot loader classes')).toBe('warning');
  });

  it('reads the syslog level of librdkafka log lines', () => {
    expect(librdkafkaLogLevel('%3|1700000000.123|FAIL|rdkafka#consumer-1| [thrd:x]: connection refused')).toBe('error');
    expect(librdkafkaLogLevel('%4|1700000000.123|COMMITFAIL|rdkafka#consumer-1| ...')).toBe('warning');
    expect(librdkafkaLogLevel('%6|1700000000.123|INFO|rdkafka#consumer-1| ...')).toBeNull();
  });

  it('counts issues by level, those of the starting phase apart', () => {
    const issues = new ClientIssues('c');
    issues.note('warning', 'w1', 'starting');
    issues.note('error', 'e1', 'steady');
    issues.note('warning', 'w2', 'draining');
    issues.note('error', 'e2', 'stopping');
    expect(issues.snapshot()).toMatchObject({ errors: 2, warnings: 1, errorsWhileStarting: 0, warningsWhileStarting: 1 });
    expect(issues.snapshot().samples[1]).toBe('error (steady): e1');
  });

  it('counts a rebalance a member is told of while the run stops its group apart, and any other error of the stopping phase', () => {
    const issues = new ClientIssues('kafkajs-2');
    issues.note('error', 'Connection: Response Heartbeat(key: 12, version: 3) {"error":"The group is rebalancing, so a rejoin is needed"}', 'stopping');
    issues.note('warning', 'Runner: The group is rebalancing, re-joining', 'stopping');
    expect(issues.snapshot()).toMatchObject({ errors: 0, warnings: 0, errorsWhileStarting: 1, warningsWhileStarting: 1 });
    issues.note('error', 'Connection: Response OffsetCommit {"error":"The coordinator is not aware of this member"}', 'stopping');
    // The same rebalance while the producers run is counted: nothing stops members then.
    issues.note('error', 'The group is rebalancing, so a rejoin is needed', 'steady');
    expect(issues.snapshot()).toMatchObject({ errors: 2, errorsWhileStarting: 1 });
  });
});
