// Frames recorded from real clients (the Java clients and tools, kcat, kafkajs) against real
// brokers, through the ACL filter and the ACL apis filter: allowed everything, each is let
// through and the recorded answer comes back intact in meaning; allowed nothing, each is
// refused with an answer that decodes.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { apiCodec, ApiKey, decodeRequestHeader, decodeResponseBody, responseHeaderVersion, decodeResponseHeader, type AnyResponse } from '../../../../src/codec/index.js';
import { decodeResponseFrame } from '../../../../src/codec/message-frames.js';
import { createLogger } from '../../../../src/observability/logger.js';
import { ANY_ACL_FILTER } from '../../../../src/policy/acl-filter.js';
import { memoryAclStore } from '../../../../src/policy/acl-local-store.js';
import { AclApisFilter } from '../../../../src/pipeline/acl-apis-filter.js';
import { Decided, filterSession, frameRequest, harness } from '../acl-test-kit.js';
import { allow } from '../rule-authorizer.js';

interface Captured {
  file: string;
  apiKey: number;
  version: number;
  direction: 'request' | 'response';
  client: string;
}

const ROOT = join(process.cwd(), 'test/fixtures/captured');
const EVERYTHING = (['TOPIC', 'GROUP', 'CLUSTER', 'TRANSACTIONAL_ID'] as const).map((t) => allow('ALL', t, t === 'CLUSTER' ? 'kafka-cluster' : '*'));

function load(label: string): Array<{ request: Captured; response: Captured | undefined }> {
  const index = JSON.parse(readFileSync(join(ROOT, label, 'index.json'), 'utf8')) as { frames: Captured[] };
  const frames = index.frames;
  return frames
    .map((f, i) => ({ f, i }))
    .filter(({ f }) => f.direction === 'request')
    .map(({ f, i }) => ({ request: f, response: frames.slice(i + 1).find((r) => r.direction === 'response' && r.apiKey === f.apiKey && r.client === f.client) }));
}

/** A recorded frame (no size prefix in the file) as the pipeline holds it, with its size prefix. */
function framed(label: string, file: string): Buffer {
  const body = readFileSync(join(ROOT, label, file));
  const out = Buffer.alloc(4 + body.length);
  out.writeInt32BE(body.length, 0);
  body.copy(out, 4);
  return out;
}

function recordedResponse(label: string, c: Captured): AnyResponse {
  const frame = readFileSync(join(ROOT, label, c.file));
  const header = decodeResponseHeader(frame, responseHeaderVersion(c.apiKey, c.version));
  return decodeResponseBody(c.apiKey, c.version, frame.subarray(header.headerSizeBytes));
}

describe.each(['kafka-3.9.1', 'kafka-4.1.1'])('recorded client frames (%s)', (label) => {
  const pairs = load(label).filter(({ request }) => ![ApiKey.ApiVersions, ApiKey.SaslHandshake, ApiKey.SaslAuthenticate].includes(request.apiKey as never));

  it('are let through when everything is allowed, and their recorded answers come back whole', { timeout: 60_000 }, () => {
    expect(pairs.length).toBeGreaterThan(50);
    // One filter for the whole recording, in its order: the Metadata answers teach it the topic ids the later requests use.
    const h = harness(EVERYTHING);
    for (const { request, response } of pairs) {
      const req = frameRequest(framed(label, request.file));
      const outcome = h.filter.onRequest(req, filterSession());
      const where = `${request.file}`;
      const d = new Decided(request.apiKey as never, request.version, outcome);
      if (request.apiKey === ApiKey.Fetch && (req.decoded().body as { sessionEpoch: number }).sessionEpoch > 0) {
        // An incremental fetch of the session the recorded broker opened: Turnout never lets one open.
        expect((d.answer() as { errorCode: number }).errorCode, where).toBe(70);
        continue;
      }
      expect(outcome.kind, where).toBe('forward');
      if (response === undefined) continue;
      const recorded = recordedResponse(label, response);
      const answered = d.answered(recorded as never);
      // Fetch and Metadata answers pass unchanged when everything is allowed.
      if (request.apiKey === ApiKey.Fetch || request.apiKey === ApiKey.Produce) expect(answered, where).toEqual(recorded);
      if (request.apiKey === ApiKey.Metadata) expect((answered as { topics: unknown[] }).topics.length, where).toBe((recorded as { topics: unknown[] }).topics.length);
    }
  });

  it('are refused with answers that decode when nothing is allowed', { timeout: 60_000 }, () => {
    for (const { request } of pairs) {
      const h = harness([]);
      const outcome = h.filter.onRequest(frameRequest(framed(label, request.file)), filterSession());
      const d = new Decided(request.apiKey as never, request.version, outcome);
      if (outcome.kind === 'answer' || (outcome.kind === 'deny' && outcome.denial.allowed === null)) expect(() => d.answer(), request.file).not.toThrow();
      if (outcome.kind === 'deny' && outcome.denial.allowed !== null) expect(() => d.forwarded(undefined as never), request.file).not.toThrow();
    }
  });
});

describe('the Java admin client’s ACL requests (kafka-acls.sh)', () => {
  it('create, list and delete ACLs in Turnout’s store', async () => {
    const label = 'kafka-4.1.1';
    const store = memoryAclStore([], createLogger({ level: 'silent' }));
    const authorizer = harness([allow('ALL', 'CLUSTER', 'kafka-cluster')]).authorizer;
    const filter = new AclApisFilter({ store, authorizer });
    const run = async (file: string, apiKey: number) => {
      const frame = framed(label, file);
      const version = decodeRequestHeader(frame.subarray(4)).apiVersion;
      const outcome = filter.onRequest(frameRequest(frame), filterSession());
      if (outcome.kind !== 'answer') throw new Error(outcome.kind);
      return decodeResponseFrame(await outcome.response, apiKey, version, apiCodec(apiKey)!.decodeResponse).body as unknown as Record<string, never>;
    };
    const created = await run('0216-java-CreateAcls-v3-request.bin', ApiKey.CreateAcls);
    expect((created.results as Array<{ errorCode: number }>).every((r) => r.errorCode === 0)).toBe(true);
    const binding = { resourceType: 'TOPIC', resourceName: 'capture-mwy6kfan-java', patternType: 'LITERAL', principal: 'User:alice', host: '*', operation: 'READ', permission: 'ALLOW' };
    expect(store.list(ANY_ACL_FILTER)).toEqual([binding]);
    const listed = await run('0186-java-DescribeAcls-v3-request.bin', ApiKey.DescribeAcls);
    expect(listed).toMatchObject({ errorCode: 0, resources: [{ resourceType: 2, resourceName: 'capture-mwy6kfan-java', patternType: 3, acls: [{ principal: 'User:alice', host: '*', operation: 3, permissionType: 3 }] }] });
    const deleted = await run('0218-java-DeleteAcls-v3-request.bin', ApiKey.DeleteAcls);
    const results = deleted.filterResults as Array<{ errorCode: number; matchingAcls: Array<{ resourceName: string }> }>;
    expect(results.map((r) => [r.errorCode, r.matchingAcls.map((a) => a.resourceName)])).toEqual([[0, ['capture-mwy6kfan-java']]]);
    expect(store.list(ANY_ACL_FILTER)).toEqual([]);
  });
});
