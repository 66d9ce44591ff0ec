// Runs requests through the ACL filter as the pipeline would: a frame encoded with the
// generated codec, a session with a principal, and the outcome turned back into decoded
// messages (the answer, the forwarded request, the merged answer) so tests assert on fields.
import type { KafkaPrincipal } from '../../../src/auth/principal.js';
import {
  apiCodec,
  decodeRequestBody,
  decodeRequestHeader,
  encodeRequestFrame,
  encodeResponseFrame,
  type AnyRequest,
  type AnyResponse,
  type RequestByApiKey,
  type ResponseByApiKey,
} from '../../../src/codec/index.js';
import { decodeResponseFrame } from '../../../src/codec/message-frames.js';
import { createLogger } from '../../../src/observability/logger.js';
import { AclFilter } from '../../../src/pipeline/acl-filter.js';
import { FilterStateKey, type FilterOutcome, type FilterRequest, type FilterSession } from '../../../src/pipeline/filter.js';
import { createMetadataRequest } from '../../../src/codec/index.js';
import { createMetadataResponseTopic } from '../../../src/codec/generated/metadata.js';
import { alice, allow, RuleAuthorizer, type TestRule } from './rule-authorizer.js';

export const CORRELATION_ID = 4242;

export type Req<K extends keyof RequestByApiKey> = RequestByApiKey[K];
export type Res<K extends keyof ResponseByApiKey> = ResponseByApiKey[K];

/** A FilterRequest over an encoded frame, as the pipeline hands one to a filter. */
export function filterRequest(apiKey: number, version: number, body: AnyRequest): FilterRequest {
  return frameRequest(encodeRequestFrame({ apiKey, apiVersion: version, correlationId: CORRELATION_ID, clientId: 'test-client' }, body));
}

/** A FilterRequest over a whole request frame (size prefix included), with its correlation id set to the kit's. */
export function frameRequest(original: Buffer): FilterRequest {
  const frame = Buffer.from(original);
  frame.writeInt32BE(CORRELATION_ID, 8);
  const apiKey = frame.readInt16BE(4);
  const version = frame.readInt16BE(6);
  return {
    apiKey,
    apiVersion: version,
    correlationId: CORRELATION_ID,
    frame,
    head: frame,
    decoded() {
      const header = decodeRequestHeader(frame.subarray(4));
      return { header, body: decodeRequestBody(apiKey, version, frame.subarray(4 + header.headerSizeBytes)) };
    },
    respond: (response: AnyResponse) => encodeResponseFrame(CORRELATION_ID, apiKey, version, response),
  };
}

export function filterSession(principal: KafkaPrincipal = alice): FilterSession {
  const state = new Map<string, unknown>();
  return {
    connId: 1,
    log: createLogger({ level: 'silent' }),
    listenerName: 'test',
    clientHost: '10.0.0.7',
    tls: null,
    principal,
    filterState<T>(key: FilterStateKey<T>): T {
      if (!state.has(key.name)) state.set(key.name, key.init());
      return state.get(key.name) as T;
    },
    takeRawFrames() {
      throw new Error('not in these tests');
    },
    setDeadline() {
      throw new Error('not in these tests');
    },
    setFrameLimit() {
      throw new Error('not in these tests');
    },
  };
}

export interface Harness {
  readonly authorizer: RuleAuthorizer;
  readonly filter: AclFilter;
}

export function harness(rules: TestRule[] = []): Harness {
  const authorizer = new RuleAuthorizer(rules);
  return { authorizer, filter: new AclFilter({ authorizer }) };
}

/** The denials the authorizer was asked to audit, as `OPERATION TYPE name`. */
export function auditedDenials(h: Harness): string[] {
  return h.authorizer.asked
    .filter((a) => a.audit !== false && !h.authorizer.authorize({ ...a, audit: false }).allowed)
    .map((a) => `${a.operation} ${a.resourceType} ${a.resourceName}`);
}

/** The outcome of one request, with decoding helpers for what it carries. */
export class Decided<K extends keyof RequestByApiKey & keyof ResponseByApiKey> {
  constructor(
    readonly apiKey: K,
    readonly version: number,
    readonly outcome: FilterOutcome,
  ) {}

  get kind(): FilterOutcome['kind'] {
    return this.outcome.kind;
  }

  /** The answer Turnout gives itself: an `answer` outcome, or a denial's answerAll when nothing is allowed. */
  answer(): Res<K> {
    const o = this.outcome;
    if (o.kind === 'answer') return this.decodeResponse(o.response as Buffer);
    if (o.kind === 'deny' && o.denial.allowed === null) return this.decodeResponse(o.denial.answerAll());
    throw new Error(`outcome ${o.kind} has no answer of its own`);
  }

  /** The request that goes on to the backend (the client's own when forwarded unchanged). */
  forwarded(original: Req<K>): Req<K> {
    const o = this.outcome;
    if (o.kind === 'forward') return o.request === undefined ? original : this.decodeRequest(o.request);
    if (o.kind === 'deny' && o.denial.allowed !== null) return this.decodeRequest(o.denial.allowed);
    throw new Error(`outcome ${o.kind} forwards nothing`);
  }

  /** What the client receives when the backend answers the forwarded request with `backend`. */
  answered(backend: Res<K>): Res<K> {
    const frame = encodeResponseFrame(CORRELATION_ID, this.apiKey, this.version, backend as AnyResponse);
    const o = this.outcome;
    if (o.kind === 'forward') return this.decodeResponse(o.onResponse === undefined ? frame : o.onResponse(frame));
    if (o.kind === 'deny' && o.denial.allowed !== null) return this.decodeResponse(o.denial.merge(frame));
    throw new Error(`outcome ${o.kind} forwards nothing`);
  }

  private decodeRequest(frame: Buffer): Req<K> {
    const header = decodeRequestHeader(frame.subarray(4));
    if (header.correlationId !== CORRELATION_ID) throw new Error(`forwarded request has correlation id ${header.correlationId}`);
    return decodeRequestBody(this.apiKey, this.version, frame.subarray(4 + header.headerSizeBytes)) as Req<K>;
  }

  private decodeResponse(frame: Buffer): Res<K> {
    if (frame.readInt32BE(4) !== CORRELATION_ID) throw new Error('answer carries another correlation id');
    return decodeResponseFrame(frame, this.apiKey, this.version, apiCodec(this.apiKey)!.decodeResponse).body as Res<K>;
  }
}

/** Runs `body` of `apiKey` v`version` through the filter for `principal`. */
export function decide<K extends keyof RequestByApiKey & keyof ResponseByApiKey>(
  h: Harness,
  apiKey: K,
  version: number,
  body: Req<K>,
  principal: KafkaPrincipal = alice,
): Decided<K> {
  const outcome = h.filter.onRequest(filterRequest(apiKey, version, body as AnyRequest), filterSession(principal));
  return new Decided(apiKey, version, outcome);
}

/** Teaches the filter topic ids, as a client's all-topics Metadata answer passing through it does. */
export function learnTopicIds(h: Harness, ids: Record<string, string>): void {
  const rules = h.authorizer.rules;
  h.authorizer.rules = [allow('DESCRIBE', 'TOPIC', '*')];
  const md = createMetadataRequest();
  md.topics = null;
  decide(h, 3, 12, md).answered({
    throttleTimeMs: 0,
    brokers: [],
    clusterId: 'c',
    controllerId: 1,
    topics: Object.entries(ids).map(([name, topicId]) => ({ ...createMetadataResponseTopic(), name, topicId })),
    clusterAuthorizedOperations: -2147483648,
    errorCode: 0,
  });
  h.authorizer.rules = rules;
}
