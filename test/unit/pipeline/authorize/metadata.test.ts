import { describe, expect, it } from 'vitest';
import { ApiKey, createMetadataRequest, ZERO_UUID, type MetadataRequest } from '../../../../src/codec/index.js';
import { createMetadataResponseTopic, type MetadataResponseTopic } from '../../../../src/codec/generated/metadata.js';
import { auditedDenials, decide, harness, type Res } from '../acl-test-kit.js';
import { allow, deny } from '../rule-authorizer.js';

const ID: Record<string, string> = { orders: 'b3JkZXJzAAAAAAAAAAAAAA', payments: 'cGF5bWVudHMAAAAAAAAAAA', users: 'dXNlcnMAAAAAAAAAAAAAAA' };

function named(names: string[], allowAutoTopicCreation = true): MetadataRequest {
  const req = createMetadataRequest();
  req.topics = names.map((name) => ({ name, topicId: ZERO_UUID }));
  req.allowAutoTopicCreation = allowAutoTopicCreation;
  return req;
}

function topic(name: string, errorCode = 0): MetadataResponseTopic {
  return { ...createMetadataResponseTopic(), name, topicId: errorCode === 0 ? ID[name] : ZERO_UUID, errorCode, partitions: [] };
}

function answer(topics: MetadataResponseTopic[]): Res<typeof ApiKey.Metadata> {
  return { throttleTimeMs: 0, brokers: [{ nodeId: 1, host: 'turnout', port: 9192, rack: null }], clusterId: 'c1', controllerId: 1, topics, clusterAuthorizedOperations: -2147483648, errorCode: 0 };
}

const shown = (res: Res<typeof ApiKey.Metadata>) => res.topics.map((t) => [t.name, t.errorCode, t.topicId === ZERO_UUID ? 'zero' : t.topicId]);

describe('Metadata authorization', () => {
  it('leaves topics the principal may not describe out of an all-topics answer, without logging a denial', () => {
    const h = harness([allow('READ', 'TOPIC', 'orders'), allow('WRITE', 'TOPIC', 'users')]);
    const req = createMetadataRequest();
    req.topics = null;
    const d = decide(h, ApiKey.Metadata, 12, req);
    expect(d.forwarded(req)).toEqual(req);
    const res = d.answered(answer([topic('orders'), topic('payments'), topic('users')]));
    expect(shown(res)).toEqual([
      ['orders', 0, ID.orders],
      ['users', 0, ID.users],
    ]);
    expect(res.brokers).toHaveLength(1);
    expect(auditedDenials(h)).toEqual([]);
  });

  it('treats an empty topic list as all topics in v0', () => {
    const h = harness([allow('DESCRIBE', 'TOPIC', 'orders')]);
    const req = named([]);
    const d = decide(h, ApiKey.Metadata, 0, req);
    expect(shown(d.answered(answer([topic('orders'), topic('payments')])))).toEqual([['orders', 0, 'zero']]);
  });

  it('answers named topics the principal may not describe with 29 and a zero topic id, never asking the backend', () => {
    const h = harness([allow('DESCRIBE', 'TOPIC', 'orders'), allow('DESCRIBE', 'TOPIC', 'users'), allow('CREATE', 'CLUSTER', 'kafka-cluster')]);
    const req = named(['orders', 'payments', 'users']);
    const d = decide(h, ApiKey.Metadata, 12, req);
    expect(d.forwarded(req).topics?.map((t) => t.name)).toEqual(['orders', 'users']);
    expect(d.forwarded(req).allowAutoTopicCreation).toBe(true);
    expect(shown(d.answered(answer([topic('users'), topic('orders')])))).toEqual([
      ['orders', 0, ID.orders],
      ['payments', 29, 'zero'],
      ['users', 0, ID.users],
    ]);
  });

  it('forwards an empty topic list and answers only the denied topics when nothing named may be described (v0 asks for all)', () => {
    const h = harness([]);
    for (const v of [0, 1, 12]) {
      const req = named(['payments']);
      const d = decide(h, ApiKey.Metadata, v, req);
      expect(d.forwarded(req).topics).toEqual([]);
      const res = d.answered(answer(v === 0 ? [topic('orders')] : []));
      expect(shown(res)).toEqual([['payments', 29, 'zero']]);
      expect(res.brokers).toHaveLength(1);
    }
  });

  it('turns auto-creation off for a topic the principal may describe but not create, and answers it 29 if it does not exist', () => {
    const h = harness([allow('DESCRIBE', 'TOPIC', '*'), allow('CREATE', 'TOPIC', 'orders')]);
    const req = named(['orders', 'payments', 'users']);
    const d = decide(h, ApiKey.Metadata, 12, req);
    const fwd = d.forwarded(req);
    expect(fwd.allowAutoTopicCreation).toBe(false);
    expect(fwd.topics?.map((t) => t.name)).toEqual(['orders', 'payments', 'users']);
    expect(shown(d.answered(answer([topic('orders'), topic('payments', 3), topic('users')])))).toEqual([
      ['orders', 0, ID.orders],
      ['payments', 29, 'zero'],
      ['users', 0, ID.users],
    ]);
  });

  it('leaves auto-creation on with CREATE on the cluster, and off requests alone', () => {
    const h = harness([allow('DESCRIBE', 'TOPIC', '*'), allow('CREATE', 'CLUSTER', 'kafka-cluster')]);
    const req = named(['payments']);
    expect(decide(h, ApiKey.Metadata, 12, req).forwarded(req)).toEqual(req);
    const off = named(['payments'], false);
    expect(decide(harness([allow('DESCRIBE', 'TOPIC', '*')]), ApiKey.Metadata, 12, off).forwarded(off)).toEqual(off);
  });

  it('answers a describable but not creatable topic 29 before v4, where auto-creation cannot be turned off', () => {
    const h = harness([allow('DESCRIBE', 'TOPIC', '*'), allow('CREATE', 'TOPIC', 'orders')]);
    const req = named(['orders', 'payments']);
    const d = decide(h, ApiKey.Metadata, 3, req);
    expect(d.forwarded(req).topics?.map((t) => t.name)).toEqual(['orders']);
    // Topic ids are answered from v10 on.
    expect(shown(d.answered(answer([topic('orders')])))).toEqual([
      ['orders', 0, 'zero'],
      ['payments', 29, 'zero'],
    ]);
  });

  it('answers a topic asked by id and not describable with its id and no name', () => {
    const h = harness([allow('DESCRIBE', 'TOPIC', 'orders')]);
    const req = createMetadataRequest();
    req.topics = [
      { name: null, topicId: ID.orders },
      { name: null, topicId: ID.payments },
    ];
    const d = decide(h, ApiKey.Metadata, 12, req);
    expect(d.forwarded(req)).toEqual(req);
    const res = d.answered(answer([topic('orders'), topic('payments')]));
    expect(res.topics.map((t) => [t.name, t.errorCode, t.topicId])).toEqual([
      ['orders', 0, ID.orders],
      [null, 29, ID.payments],
    ]);
  });

  it("fills the authorized operations from Turnout's ACLs when asked for", () => {
    const h = harness([allow('READ', 'TOPIC', 'orders'), allow('DESCRIBE', 'CLUSTER', 'kafka-cluster'), allow('IDEMPOTENT_WRITE', 'CLUSTER', 'kafka-cluster')]);
    const req = named(['orders']);
    req.includeTopicAuthorizedOperations = true;
    req.includeClusterAuthorizedOperations = true;
    const res = decide(h, ApiKey.Metadata, 10, req).answered(answer([topic('orders')]));
    // READ (3) and DESCRIBE (8) on the topic; DESCRIBE (8) and IDEMPOTENT_WRITE (12) on the cluster.
    expect(res.topics[0].topicAuthorizedOperations).toBe((1 << 3) | (1 << 8));
    expect(res.clusterAuthorizedOperations).toBe((1 << 8) | (1 << 12));
    const noDescribe = decide(harness([allow('READ', 'TOPIC', 'orders')]), ApiKey.Metadata, 10, req).answered(answer([topic('orders')]));
    expect(noDescribe.clusterAuthorizedOperations).toBe(0);
  });

  it('applies a DENY on DESCRIBE over an ALLOW of READ', () => {
    const h = harness([allow('READ', 'TOPIC', '*'), deny('DESCRIBE', 'TOPIC', 'payments')]);
    const req = named(['payments']);
    expect(shown(decide(h, ApiKey.Metadata, 12, req).answered(answer([])))).toEqual([['payments', 29, 'zero']]);
  });
});
