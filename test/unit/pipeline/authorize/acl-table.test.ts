import { describe, expect, it } from 'vitest';
import { APIS, ApiKey, createMetadataRequest, ZERO_UUID, type AnyRequest } from '../../../../src/codec/index.js';
import { createMetadataResponseTopic } from '../../../../src/codec/generated/metadata.js';
import { API_SCHEMAS } from '../../../../src/codec/generated/schema.js';
import { aclTableRows, rowApiKey, rowChecks } from '../../../../src/pipeline/authorize/acl-table.js';
import { LearnedTopicNames } from '../../../../src/pipeline/authorize/topic-names.js';
import { NOT_FOR_CLIENTS } from '../../../../src/routing/api-versions.js';
import { OFFERED_APIS } from '../../../../src/routing/multi/offered-apis.js';
import { Rng, sampleMessage } from '../../codec/samples.js';
import { Decided, decide, filterRequest, filterSession, harness } from '../acl-test-kit.js';
import { alice, allow } from '../rule-authorizer.js';

/** Every api a client may be offered, by one backend or by several. */
const OFFERED = APIS.map((a) => a.apiKey).filter((k) => !NOT_FOR_CLIENTS.has(k));
const rows = aclTableRows(new LearnedTopicNames());

function sample(apiKey: number, version: number, nulls: boolean): AnyRequest {
  const schema = API_SCHEMAS.find((a) => a.apiKey === apiKey)!;
  return sampleMessage(schema.request, version, new Rng(apiKey * 100 + version + 1), { nulls, unknownTags: false }) as unknown as AnyRequest;
}

describe('the ACL table', () => {
  it('has one row for every api Turnout offers to clients, over one backend or several', () => {
    const keys = rows.map(rowApiKey);
    expect(new Set(keys).size).toBe(keys.length);
    expect([...keys].sort((a, b) => a - b)).toEqual(OFFERED);
    for (const k of OFFERED_APIS) expect(keys).toContain(k);
    for (const row of rows) expect(rowChecks(row).length).toBeGreaterThan(10);
  });

  it('has no row for broker-to-broker and controller apis', () => {
    for (const k of NOT_FOR_CLIENTS) expect(rows.map(rowApiKey)).not.toContain(k);
  });

  it('leaves connecting and authenticating to other filters', () => {
    const h = harness([]);
    for (const k of [ApiKey.ApiVersions, ApiKey.SaslHandshake, ApiKey.SaslAuthenticate]) expect(h.filter.wants(k)).toBe(false);
    for (const k of OFFERED.filter((k) => ![ApiKey.ApiVersions, ApiKey.SaslHandshake, ApiKey.SaslAuthenticate].includes(k as never))) {
      expect(h.filter.wants(k), `api ${k}`).toBe(true);
    }
  });

  it('wants nothing while authorization is off, so nothing is decoded for it', () => {
    const h = harness([]);
    h.authorizer.enabled = false;
    for (const k of OFFERED) expect(h.filter.wants(k)).toBe(false);
    expect(h.filter.wants(ApiKey.WriteTxnMarkers)).toBe(false);
  });

  it('closes the connection of a request whose api has no row, without decoding it', () => {
    const h = harness([allow('ALL', 'CLUSTER', 'kafka-cluster')]);
    for (const k of [...NOT_FOR_CLIENTS, 999]) {
      expect(h.filter.wants(k)).toBe(true);
      const req = filterRequest(ApiKey.Heartbeat, 0, sample(ApiKey.Heartbeat, 0, false));
      const outcome = h.filter.onRequest({ ...req, apiKey: k, decoded: () => { throw new Error('decoded'); } }, filterSession());
      expect(outcome).toMatchObject({ kind: 'close', reason: 'acl_no_rule' });
    }
  });

  it('asks the authorizer to audit what it enforces, and not what only filters a listing', () => {
    const h = harness([allow('DESCRIBE', 'TOPIC', 'orders')]);
    const named = createMetadataRequest();
    named.topics = [{ name: 'orders', topicId: ZERO_UUID }, { name: 'payments', topicId: ZERO_UUID }];
    named.allowAutoTopicCreation = false;
    decide(h, ApiKey.Metadata, 12, named);
    expect(h.authorizer.asked.map((a) => [a.resourceName, a.audit])).toEqual([
      ['orders', true],
      ['payments', true],
    ]);
    const all = createMetadataRequest();
    all.topics = null;
    h.authorizer.asked.length = 0;
    decide(h, ApiKey.Metadata, 12, all).answered({
      throttleTimeMs: 0,
      brokers: [],
      clusterId: 'c',
      controllerId: 1,
      topics: [{ ...createMetadataResponseTopic(), name: 'payments' }],
      clusterAuthorizedOperations: -2147483648,
      errorCode: 0,
    });
    expect(h.authorizer.asked.map((a) => [a.resourceName, a.audit])).toEqual([['payments', false]]);
  });

  it('lets telemetry through unchecked, as a broker does', () => {
    const h = harness([]);
    expect(decide(h, ApiKey.GetTelemetrySubscriptions, 0, sample(ApiKey.GetTelemetrySubscriptions, 0, false) as never).outcome).toEqual({ kind: 'forward' });
    expect(h.authorizer.asked).toEqual([]);
  });

  it('decides every version of every api for a principal without any ACL: refused, or answered with what it may see', { timeout: 120_000 }, () => {
    for (const row of rows) {
      if (row.kind !== 'rule') continue;
      const api = APIS.find((a) => a.apiKey === row.rule.apiKey)!;
      for (let v = api.minVersion; v <= api.maxVersion; v++) {
        for (const nulls of [false, true]) {
          const h = harness([]);
          const d = decide(h, api.apiKey as never, v, sample(api.apiKey, v, nulls) as never, alice) as Decided<never>;
          expect(['answer', 'deny', 'forward', 'close'], `${api.name} v${v}`).toContain(d.kind);
          if (d.kind === 'answer' || (d.outcome.kind === 'deny' && d.outcome.denial.allowed === null)) expect(() => d.answer()).not.toThrow();
        }
      }
    }
  });
});
