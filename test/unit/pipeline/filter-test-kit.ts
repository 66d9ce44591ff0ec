// A FilterSession and FilterRequests made in memory, to run one filter over requests the way
// the client connection would: holds are awaited and the filter asked again.
import { ANONYMOUS, type KafkaPrincipal } from '../../../src/auth/principal.js';
import {
  decodeResponseBody,
  decodeResponseHeader,
  encodeRequestFrame,
  responseHeaderVersion,
  type AnyRequest,
  type AnyResponse,
} from '../../../src/codec/index.js';
import type { Deadline, FilterOutcome, FilterRequest, FilterSession, FilterStateKey, RawFrameHandler, RequestFilter } from '../../../src/pipeline/filter.js';
import { PipelineRequest } from '../../../src/pipeline/pipeline-request.js';
import { createLogger, type Logger } from '../../../src/observability/logger.js';

export class FakeSession implements FilterSession {
  readonly connId = 1;
  readonly log: Logger;
  readonly listenerName: string;
  readonly clientHost: string;
  readonly tls = null;
  principal: KafkaPrincipal = ANONYMOUS;
  rawHandler: RawFrameHandler | null = null;
  /** The deadline last set (null once cleared; undefined if never set). */
  deadline: Deadline | null | undefined = undefined;
  /** The frame limit last set (null once lifted; undefined if never set). */
  frameLimit: number | null | undefined = undefined;
  private readonly states = new Map<string, unknown>();

  constructor(opts: { clientHost?: string; listenerName?: string; log?: Logger } = {}) {
    this.clientHost = opts.clientHost ?? '10.0.0.7';
    this.listenerName = opts.listenerName ?? 'sasl';
    this.log = opts.log ?? createLogger({ level: 'silent' });
  }

  setDeadline(deadline: Deadline | null): void {
    this.deadline = deadline;
  }

  setFrameLimit(maxFrameBytes: number | null): void {
    this.frameLimit = maxFrameBytes;
  }

  filterState<T>(key: FilterStateKey<T>): T {
    if (!this.states.has(key.name)) this.states.set(key.name, key.init());
    return this.states.get(key.name) as T;
  }

  takeRawFrames(handler: RawFrameHandler): void {
    this.rawHandler = handler;
  }
}

let nextCorrelationId = 1;

export function filterRequest(apiKey: number, apiVersion: number, body: AnyRequest, correlationId = nextCorrelationId++): FilterRequest {
  const frame = encodeRequestFrame({ apiKey, apiVersion, correlationId, clientId: 'test-client' }, body);
  return new PipelineRequest(frame, apiKey, apiVersion, correlationId);
}

/** The filter's final outcome for a request: holds are waited out and the filter asked again. */
export async function settle(filter: RequestFilter, request: FilterRequest, session: FilterSession): Promise<FilterOutcome> {
  for (let rounds = 0; rounds < 100; rounds++) {
    const outcome = filter.onRequest(request, session);
    if (outcome.kind !== 'hold') return outcome;
    await outcome.until;
  }
  throw new Error('the filter held the request 100 times');
}

/** The decoded body of an `answer` outcome. */
export async function answerBody<T extends AnyResponse>(outcome: FilterOutcome, apiKey: number, apiVersion: number): Promise<T> {
  if (outcome.kind !== 'answer') throw new Error(`expected an answer, got ${outcome.kind}`);
  const frame = await outcome.response;
  const header = decodeResponseHeader(frame.subarray(4), responseHeaderVersion(apiKey, apiVersion));
  return decodeResponseBody(apiKey, apiVersion, frame.subarray(4 + header.headerSizeBytes)) as T;
}
