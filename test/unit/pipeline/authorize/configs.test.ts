import { describe, expect, it } from 'vitest';
import { ApiKey, createAlterConfigsRequest, createDescribeConfigsRequest, createIncrementalAlterConfigsRequest } from '../../../../src/codec/index.js';
import { decide, harness } from '../acl-test-kit.js';
import { allow } from '../rule-authorizer.js';

const TOPIC = 2;
const BROKER = 4;
const BROKER_LOGGER = 8;
const GROUP = 32;

describe('DescribeConfigs authorization', () => {
  const req = createDescribeConfigsRequest();
  req.resources = [
    { resourceType: TOPIC, resourceName: 'orders', configurationKeys: null },
    { resourceType: BROKER, resourceName: '1', configurationKeys: null },
    { resourceType: GROUP, resourceName: 'billing', configurationKeys: null },
    { resourceType: TOPIC, resourceName: 'payments', configurationKeys: null },
  ];
  const result = (resourceType: number, resourceName: string) => ({ errorCode: 0, errorMessage: null, resourceType, resourceName, configs: [] });

  it('forwards resources whose configs the principal may describe', () => {
    const h = harness([allow('DESCRIBE_CONFIGS', 'TOPIC', '*'), allow('DESCRIBE_CONFIGS', 'CLUSTER', 'kafka-cluster'), allow('DESCRIBE_CONFIGS', 'GROUP', '*')]);
    expect(decide(h, ApiKey.DescribeConfigs, 4, req).outcome).toEqual({ kind: 'forward' });
  });

  it('answers each denied resource with its type’s error: cluster 31, topic 29, group 30', () => {
    const h = harness([allow('DESCRIBE_CONFIGS', 'TOPIC', 'orders')]);
    const d = decide(h, ApiKey.DescribeConfigs, 4, req);
    expect(d.forwarded(req).resources.map((r) => r.resourceName)).toEqual(['orders']);
    const res = d.answered({ throttleTimeMs: 0, results: [result(TOPIC, 'orders')] });
    expect(res.results.map((r) => [r.resourceType, r.resourceName, r.errorCode, r.errorMessage])).toEqual([
      [TOPIC, 'orders', 0, null],
      [BROKER, '1', 31, 'Cluster authorization failed.'],
      [GROUP, 'billing', 30, 'Group authorization failed.'],
      [TOPIC, 'payments', 29, 'Topic authorization failed.'],
    ]);
  });

  it('answers every resource INVALID_REQUEST when one has a type Kafka does not define', () => {
    const bad = createDescribeConfigsRequest();
    bad.resources = [
      { resourceType: TOPIC, resourceName: 'orders', configurationKeys: null },
      { resourceType: 99, resourceName: 'x', configurationKeys: null },
    ];
    expect(decide(harness([allow('ALL', 'TOPIC', '*')]), ApiKey.DescribeConfigs, 4, bad).answer().results.map((r) => r.errorCode)).toEqual([42, 42]);
  });
});

describe('AlterConfigs and IncrementalAlterConfigs authorization', () => {
  it('IncrementalAlterConfigs: ALTER_CONFIGS per resource (broker logger on the cluster)', () => {
    const req = createIncrementalAlterConfigsRequest();
    req.resources = [
      { resourceType: TOPIC, resourceName: 'orders', configs: [{ name: 'retention.ms', configOperation: 0, value: '1' }] },
      { resourceType: BROKER_LOGGER, resourceName: '1', configs: [] },
      { resourceType: 99, resourceName: 'x', configs: [] },
    ];
    const d = decide(harness([allow('ALTER_CONFIGS', 'TOPIC', 'orders')]), ApiKey.IncrementalAlterConfigs, 1, req);
    expect(d.forwarded(req).resources.map((r) => r.resourceName)).toEqual(['orders']);
    const res = d.answered({ throttleTimeMs: 0, responses: [{ errorCode: 0, errorMessage: null, resourceType: TOPIC, resourceName: 'orders' }] });
    expect(res.responses.map((r) => [r.resourceType, r.errorCode, r.errorMessage])).toEqual([
      [TOPIC, 0, null],
      [BROKER_LOGGER, 31, 'Cluster authorization failed.'],
      [99, 42, 'Unexpected resource type 99.'],
    ]);
    expect(decide(harness([allow('ALTER_CONFIGS', 'CLUSTER', 'kafka-cluster')]), ApiKey.IncrementalAlterConfigs, 1, { ...req, resources: [req.resources[1]] }).outcome).toEqual({
      kind: 'forward',
    });
  });

  it('AlterConfigs: ALTER_CONFIGS per resource, with no broker-logger resources', () => {
    const req = createAlterConfigsRequest();
    req.resources = [
      { resourceType: GROUP, resourceName: 'billing', configs: [] },
      { resourceType: BROKER_LOGGER, resourceName: '1', configs: [] },
    ];
    const res = decide(harness([allow('ALL', 'CLUSTER', 'kafka-cluster')]), ApiKey.AlterConfigs, 2, req).answer();
    expect(res.responses.map((r) => [r.resourceType, r.errorCode])).toEqual([
      [GROUP, 30],
      [BROKER_LOGGER, 42],
    ]);
  });
});
