import { describe, expect, it } from 'vitest';
import { KAFKA_TOOLS, resolveKafkaTool, UnknownKafkaToolError } from '../../../src/devkit/kafka-tools.js';

describe('Kafka tool names', () => {
  it('finds a tool by script name, with or without kafka- and .sh', () => {
    for (const name of ['kafka-topics', 'kafka-topics.sh', 'topics']) {
      expect(resolveKafkaTool(name).mainClass).toBe('org.apache.kafka.tools.TopicCommand');
    }
  });

  it('finds a tool by the simple name of its main class', () => {
    expect(resolveKafkaTool('VerifiableProducer')).toEqual({ name: 'kafka-verifiable-producer', mainClass: 'org.apache.kafka.tools.VerifiableProducer', longRunning: true });
  });

  it('uses the Kafka 3.x main class where the class moved', () => {
    expect(resolveKafkaTool('kafka-console-producer', '4.1.1').mainClass).toBe('org.apache.kafka.tools.ConsoleProducer');
    expect(resolveKafkaTool('kafka-console-producer', '3.9.1').mainClass).toBe('kafka.tools.ConsoleProducer');
    expect(() => resolveKafkaTool('kafka-share-groups', '3.9.1')).toThrow('does not exist in Kafka 3.9.1');
  });

  it('passes a fully qualified class through and rejects unknown names', () => {
    expect(resolveKafkaTool('org.apache.kafka.tools.JmxTool').mainClass).toBe('org.apache.kafka.tools.JmxTool');
    expect(() => resolveKafkaTool('kafka-nonsense')).toThrow(UnknownKafkaToolError);
  });

  it('lists every tool once, with the console, perf and verifiable tools the tests need', () => {
    const names = KAFKA_TOOLS.map((t) => t.name);
    expect(new Set(names).size).toBe(names.length);
    for (const needed of ['kafka-topics', 'kafka-console-producer', 'kafka-console-consumer', 'kafka-producer-perf-test', 'kafka-consumer-perf-test', 'kafka-consumer-groups', 'kafka-broker-api-versions', 'kafka-verifiable-producer', 'kafka-verifiable-consumer', 'kafka-metadata-quorum']) {
      expect(names).toContain(needed);
    }
  });
});
