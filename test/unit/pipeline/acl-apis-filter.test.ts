import { describe, expect, it } from 'vitest';
import {
  ApiKey,
  createCreateAclsRequest,
  createDeleteAclsRequest,
  createDescribeAclsRequest,
  type AnyRequest,
  type CreateAclsRequest,
  type DeleteAclsRequest,
  type DescribeAclsRequest,
} from '../../../src/codec/index.js';
import { apiCodec } from '../../../src/codec/index.js';
import { decodeResponseFrame } from '../../../src/codec/message-frames.js';
import { createLogger } from '../../../src/observability/logger.js';
import { memoryAclStore } from '../../../src/policy/acl-local-store.js';
import type { AclBinding, AclStore } from '../../../src/policy/acl-model.js';
import { ANY_ACL_FILTER } from '../../../src/policy/acl-filter.js';
import { ACL_API_VERSIONS, AclApisFilter } from '../../../src/pipeline/acl-apis-filter.js';
import type { FilterOutcome } from '../../../src/pipeline/filter.js';
import { filterRequest, filterSession } from './acl-test-kit.js';
import { allow, RuleAuthorizer } from './rule-authorizer.js';

/** The memory ACL store, made to fail on demand. */
class FailingStore implements AclStore {
  constructor(private readonly error: Error) {}
  list(): readonly AclBinding[] {
    return [];
  }
  async create(): Promise<void> {
    throw this.error;
  }
  async delete(): Promise<AclBinding[][]> {
    throw this.error;
  }
}

const TOPIC = 2;
const GROUP = 3;
const CLUSTER = 4;
const LITERAL = 3;
const PREFIXED = 4;
const READ = 3;
const WRITE = 4;
const ALLOW = 3;
const ANY = 1;

function setup(clusterOps: Array<'DESCRIBE' | 'ALTER'> = ['DESCRIBE', 'ALTER']) {
  const store = memoryAclStore([], createLogger({ level: 'silent' }));
  const authorizer = new RuleAuthorizer(clusterOps.map((op) => allow(op, 'CLUSTER', 'kafka-cluster')));
  return { store, authorizer, filter: new AclApisFilter({ store, authorizer }) };
}

async function run<T>(filter: AclApisFilter, apiKey: number, version: number, body: AnyRequest): Promise<T> {
  const outcome: FilterOutcome = filter.onRequest(filterRequest(apiKey, version, body), filterSession());
  if (outcome.kind !== 'answer') throw new Error(`outcome ${outcome.kind}`);
  return decodeResponseFrame(await outcome.response, apiKey, version, apiCodec(apiKey)!.decodeResponse).body as T;
}

function creation(over: Partial<CreateAclsRequest['creations'][number]> = {}): CreateAclsRequest['creations'][number] {
  return { resourceType: TOPIC, resourceName: 'orders', resourcePatternType: LITERAL, principal: 'User:bob', host: '*', operation: READ, permissionType: ALLOW, ...over };
}

function create(...creations: CreateAclsRequest['creations']): CreateAclsRequest {
  const req = createCreateAclsRequest();
  req.creations = creations;
  return req;
}

function describeAll(): DescribeAclsRequest {
  return { ...createDescribeAclsRequest(), resourceTypeFilter: ANY, resourceNameFilter: null, patternTypeFilter: ANY, principalFilter: null, hostFilter: null, operation: ANY, permissionType: ANY };
}

function deleteFilter(over: Partial<DeleteAclsRequest['filters'][number]> = {}): DeleteAclsRequest['filters'][number] {
  return { resourceTypeFilter: ANY, resourceNameFilter: null, patternTypeFilter: ANY, principalFilter: null, hostFilter: null, operation: ANY, permissionType: ANY, ...over };
}

describe('the ACL apis answered from Turnout’s store', () => {
  it('offers every version of the codec for the three apis', () => {
    expect([...ACL_API_VERSIONS.entries()]).toEqual([
      [ApiKey.DescribeAcls, { minVersion: 0, maxVersion: 3 }],
      [ApiKey.CreateAcls, { minVersion: 0, maxVersion: 3 }],
      [ApiKey.DeleteAcls, { minVersion: 0, maxVersion: 3 }],
    ]);
    const { filter } = setup();
    expect([29, 30, 31].map((k) => filter.wants(k))).toEqual([true, true, true]);
    expect(filter.wants(ApiKey.Metadata)).toBe(false);
  });

  it('creates, lists and deletes ACLs with Kafka’s wire codes, in every version', async () => {
    for (const v of [1, 2, 3]) {
      const { filter, store } = setup();
      const created = await run<{ results: unknown[] }>(
        filter,
        ApiKey.CreateAcls,
        v,
        create(creation(), creation({ resourceName: 'orders', operation: WRITE }), creation({ resourceType: GROUP, resourceName: 'app-', resourcePatternType: PREFIXED })),
      );
      expect(created.results).toEqual([
        { errorCode: 0, errorMessage: null },
        { errorCode: 0, errorMessage: null },
        { errorCode: 0, errorMessage: null },
      ]);
      expect(store.list(ANY_ACL_FILTER)[2]).toEqual({ resourceType: 'GROUP', resourceName: 'app-', patternType: 'PREFIXED', principal: 'User:bob', host: '*', operation: 'READ', permission: 'ALLOW' });

      const listed = await run<{ errorCode: number; resources: Array<{ resourceType: number; resourceName: string; patternType: number; acls: Array<{ operation: number }> }> }>(
        filter,
        ApiKey.DescribeAcls,
        v,
        describeAll(),
      );
      expect(listed.errorCode).toBe(0);
      expect(listed.resources.map((r) => [r.resourceType, r.resourceName, r.patternType, r.acls.map((a) => a.operation)])).toEqual([
        [TOPIC, 'orders', LITERAL, [READ, WRITE]],
        [GROUP, 'app-', PREFIXED, [READ]],
      ]);

      const deleted = await run<{ filterResults: Array<{ errorCode: number; matchingAcls: Array<{ resourceName: string; operation: number; patternType: number }> }> }>(
        filter,
        ApiKey.DeleteAcls,
        v,
        { filters: [deleteFilter({ resourceTypeFilter: TOPIC, operation: WRITE }), deleteFilter({ resourceTypeFilter: GROUP, resourceNameFilter: 'app-1', patternTypeFilter: 2 })] },
      );
      expect(deleted.filterResults.map((r) => [r.errorCode, r.matchingAcls.map((a) => [a.resourceName, a.operation, a.patternType])])).toEqual([
        [0, [['orders', WRITE, LITERAL]]],
        [0, [['app-', READ, PREFIXED]]],
      ]);
      expect(store.list(ANY_ACL_FILTER).map((b) => [b.resourceName, b.operation])).toEqual([['orders', 'READ']]);
    }
  });

  it('lists and deletes only literal ACLs in version 0, which has no pattern type on the wire', async () => {
    const { filter, store } = setup();
    await store.create([
      { resourceType: 'TOPIC', resourceName: 'orders', patternType: 'LITERAL', principal: 'User:bob', host: '*', operation: 'READ', permission: 'ALLOW' },
      { resourceType: 'TOPIC', resourceName: 'ord', patternType: 'PREFIXED', principal: 'User:bob', host: '*', operation: 'READ', permission: 'ALLOW' },
    ]);
    const listed = await run<{ resources: Array<{ resourceName: string }> }>(filter, ApiKey.DescribeAcls, 0, { ...describeAll(), patternTypeFilter: LITERAL });
    expect(listed.resources.map((r) => r.resourceName)).toEqual(['orders']);
    const deleted = await run<{ filterResults: Array<{ matchingAcls: Array<{ resourceName: string }> }> }>(filter, ApiKey.DeleteAcls, 0, { filters: [deleteFilter({ patternTypeFilter: LITERAL })] });
    expect(deleted.filterResults[0].matchingAcls.map((a) => a.resourceName)).toEqual(['orders']);
    expect(store.list(ANY_ACL_FILTER).map((b) => b.patternType)).toEqual(['PREFIXED']);
  });

  it('refuses what a broker refuses with INVALID_REQUEST and its message, creating the rest', async () => {
    const { filter, store } = setup();
    const res = await run<{ results: Array<{ errorCode: number; errorMessage: string | null }> }>(
      filter,
      ApiKey.CreateAcls,
      3,
      create(
        creation({ resourceName: '' }),
        creation({ resourceType: CLUSTER, resourceName: 'other' }),
        creation({ operation: 99 }),
        creation({ resourcePatternType: ANY }),
        creation({ principal: 'bob' }),
        creation(),
      ),
    );
    expect(res.results).toEqual([
      { errorCode: 42, errorMessage: 'invalid empty resource name' },
      { errorCode: 42, errorMessage: 'the only valid name for the CLUSTER resource is kafka-cluster' },
      { errorCode: 42, errorMessage: 'Invalid operation 99' },
      { errorCode: 42, errorMessage: 'Invalid patternType 1' },
      { errorCode: 42, errorMessage: 'expected a principal in format principalType:principalName but got "bob"' },
      { errorCode: 0, errorMessage: null },
    ]);
    expect(store.list(ANY_ACL_FILTER)).toHaveLength(1);
    const bad = await run<{ errorCode: number; errorMessage: string }>(filter, ApiKey.DescribeAcls, 3, { ...describeAll(), operation: 0 });
    expect(bad).toMatchObject({ errorCode: 42, errorMessage: 'Unknown entryFilter.' });
    const badDelete = await run<{ filterResults: Array<{ errorCode: number; errorMessage: string | null }> }>(filter, ApiKey.DeleteAcls, 3, {
      filters: [deleteFilter({ resourceTypeFilter: 0 }), deleteFilter({ operation: READ })],
    });
    expect(badDelete.filterResults.map((r) => [r.errorCode, r.errorMessage])).toEqual([
      [42, 'Unknown patternFilter.'],
      [0, null],
    ]);
    expect(store.list(ANY_ACL_FILTER)).toEqual([]);
  });

  it('needs DESCRIBE on the cluster to list and ALTER to change: CLUSTER_AUTHORIZATION_FAILED', async () => {
    const { filter, store } = setup(['DESCRIBE']);
    const created = await run<{ results: Array<{ errorCode: number }> }>(filter, ApiKey.CreateAcls, 3, create(creation(), creation()));
    expect(created.results.map((r) => r.errorCode)).toEqual([31, 31]);
    const deleted = await run<{ filterResults: Array<{ errorCode: number }> }>(filter, ApiKey.DeleteAcls, 3, { filters: [deleteFilter()] });
    expect(deleted.filterResults.map((r) => r.errorCode)).toEqual([31]);
    expect(store.list(ANY_ACL_FILTER)).toEqual([]);
    const { filter: none } = setup([]);
    expect(await run(none, ApiKey.DescribeAcls, 3, describeAll())).toMatchObject({ errorCode: 31, errorMessage: 'Cluster authorization failed.', resources: [] });
  });

  it('answers SECURITY_DISABLED when authorization is off, with or without a store', async () => {
    const { filter, authorizer } = setup();
    authorizer.enabled = false;
    const storeless = new AclApisFilter({ store: null, authorizer: new RuleAuthorizer([allow('ALL', 'CLUSTER', 'kafka-cluster')]) });
    expect(await run(storeless, ApiKey.DescribeAcls, 3, describeAll())).toMatchObject({ errorCode: 54 });
    expect(await run(filter, ApiKey.DescribeAcls, 3, describeAll())).toMatchObject({ errorCode: 54, errorMessage: 'No Authorizer is configured on the broker' });
    const created = await run<{ results: unknown[] }>(filter, ApiKey.CreateAcls, 3, create(creation()));
    expect(created.results).toEqual([{ errorCode: 54, errorMessage: 'No Authorizer is configured.' }]);
    const deleted = await run<{ filterResults: unknown[] }>(filter, ApiKey.DeleteAcls, 3, { filters: [deleteFilter()] });
    expect(deleted.filterResults).toEqual([{ errorCode: 54, errorMessage: 'No Authorizer is configured.', matchingAcls: [] }]);
  });

  it('answers UNKNOWN_SERVER_ERROR with the store’s message when the store fails', async () => {
    const authorizer = new RuleAuthorizer([allow('ALL', 'CLUSTER', 'kafka-cluster')]);
    const filter = new AclApisFilter({ store: new FailingStore(new Error('redis unreachable')), authorizer });
    const created = await run<{ results: unknown[] }>(filter, ApiKey.CreateAcls, 3, create(creation()));
    expect(created.results).toEqual([{ errorCode: -1, errorMessage: 'redis unreachable' }]);
    const deleted = await run<{ filterResults: Array<{ errorCode: number }> }>(filter, ApiKey.DeleteAcls, 3, { filters: [deleteFilter()] });
    expect(deleted.filterResults.map((r) => r.errorCode)).toEqual([-1]);
  });
});
