import { describe, expect, it } from 'vitest';
import { DecodeError } from '../../../src/codec/index.js';
import { RequestRejectedError, type ClientSession, type RequestExchange, type RequestRouter } from '../../../src/net/request-router.js';
import { createLogger } from '../../../src/observability/logger.js';
import { sessionWithoutSocket } from '../../../src/pipeline/filter-states.js';
import { FORWARD, type FilterOutcome, type RequestFilter } from '../../../src/pipeline/filter.js';
import { RequestPipeline } from '../../../src/pipeline/pipeline.js';

function frame(apiKey: number, body: string): Buffer {
  const b = Buffer.alloc(14 + body.length);
  b.writeInt32BE(b.length - 4, 0);
  b.writeInt16BE(apiKey, 4);
  b.writeInt16BE(0, 6);
  b.writeInt32BE(9, 8);
  b.writeInt16BE(-1, 12);
  b.write(body, 14);
  return b;
}

function bodyOf(f: Buffer): string {
  return f.subarray(14).toString();
}

function exchange(apiKey: number, body: string): RequestExchange {
  return { frame: frame(apiKey, body), apiKey, apiVersion: 0, correlationId: 9, response: null, expectResponse: true, targetBrokerId: -1, targetAddress: null, routeState: undefined, deferred: null, held: null, closeAfter: null, pipelineState: undefined };
}

const session: ClientSession = { connId: 1, log: createLogger({ level: 'silent' }), listenerName: 'l', virtualNodeId: -1, anyBrokerId: -1, sendUpstream: () => Promise.resolve(null), ...sessionWithoutSocket() };

/** Answers later with "<request body>|answered"; records what it was given. */
class RecordingRouter implements RequestRouter {
  readonly seen: string[] = [];
  streamResponse = (): null => null;
  routeRequest(_s: ClientSession, ex: RequestExchange): void {
    this.seen.push(bodyOf(ex.frame));
    ex.deferred = Promise.resolve(frame(ex.apiKey, `${bodyOf(ex.frame)}|answered`));
  }
  rewriteResponse(_s: ClientSession, _ex: RequestExchange, f: Buffer): Buffer {
    return f;
  }
  failureResponse(): Buffer | null {
    return null;
  }
  brokerAddress(): null {
    return null;
  }
}

function filterOf(name: string, decide: (body: string) => FilterOutcome, apiKey = 0): RequestFilter {
  return { name, wants: (k) => k === apiKey, onRequest: (r) => decide(bodyOf(r.frame)) };
}

describe('RequestPipeline', () => {
  it('hands a request no filter wants to the router as it came', () => {
    const router = new RecordingRouter();
    const pipeline = new RequestPipeline([filterOf('x', () => ({ kind: 'close', reason: 'no', message: 'no' }), 5)], router);
    const ex = exchange(0, 'a,b');
    pipeline.routeRequest(session, ex);
    expect(router.seen).toEqual(['a,b']);
    expect(ex.pipelineState).toBeUndefined();
  });

  it('keeps no state for a request every filter that wants it forwards as it is', () => {
    const router = new RecordingRouter();
    const asked: string[] = [];
    const pipeline = new RequestPipeline(
      [filterOf('a', (body) => (asked.push(`a:${body}`), FORWARD)), filterOf('b', (body) => (asked.push(`b:${body}`), FORWARD))],
      router,
    );
    const ex = exchange(0, 'a,b');
    pipeline.routeRequest(session, ex);
    expect(asked).toEqual(['a:a,b', 'b:a,b']);
    expect(router.seen).toEqual(['a,b']);
    expect(ex.pipelineState).toBeUndefined();
  });

  it('asks a filter whether it wants the request by api key and version', () => {
    const router = new RecordingRouter();
    const wanted: Array<[number, number]> = [];
    const filter: RequestFilter = {
      name: 'versions',
      wants: (k, v) => (wanted.push([k, v]), v === 0),
      onRequest: () => ({ kind: 'close', reason: 'no', message: 'no' }),
    };
    const pipeline = new RequestPipeline([filter], router);
    const ex = { ...exchange(0, 'a'), apiVersion: 3 };
    pipeline.routeRequest(session, ex);
    expect(wanted).toEqual([[0, 3]]);
    expect(router.seen).toEqual(['a']);
    expect(() => pipeline.routeRequest(session, exchange(0, 'b'))).toThrow(RequestRejectedError);
  });

  it('forwards the allowed part of a denied request and merges the denied part into the answer, in filter order', async () => {
    const router = new RecordingRouter();
    // The first filter denies "b", the second "c"; merges must undo the second before the first.
    const denyOne = (name: string, denied: string): RequestFilter =>
      filterOf(name, (body) => {
        const parts = body.split(',');
        return {
          kind: 'deny',
          denial: {
            allowed: frame(0, parts.filter((p) => p !== denied).join(',')),
            answerAll: () => frame(0, `${denied}:denied`),
            merge: (response) => frame(0, `${bodyOf(response)}+${denied}:denied`),
          },
        };
      });
    const pipeline = new RequestPipeline([denyOne('first', 'b'), denyOne('second', 'c')], router);
    const ex = exchange(0, 'a,b,c');
    pipeline.routeRequest(session, ex);
    expect(router.seen).toEqual(['a']);
    expect(bodyOf((await ex.deferred) as Buffer)).toBe('a|answered+c:denied+b:denied');
    expect(pipeline.streamResponse?.(session, ex, 1 << 20, { emit: () => undefined })).toBeNull();
  });

  it('answers a request denied whole without the router', () => {
    const router = new RecordingRouter();
    const pipeline = new RequestPipeline(
      [filterOf('deny-all', () => ({ kind: 'deny', denial: { allowed: null, answerAll: () => frame(0, 'all denied'), merge: (r) => r } }))],
      router,
    );
    const ex = exchange(0, 'a');
    pipeline.routeRequest(session, ex);
    expect(router.seen).toEqual([]);
    expect(bodyOf(ex.response as Buffer)).toBe('all denied');
  });

  it('asks a filter of fixed interest once per api key, and one without it per request, in filter order', () => {
    const router = new RecordingRouter();
    const wantsAsked: string[] = [];
    const decided: string[] = [];
    const counting = (name: string, fixedInterest: boolean): RequestFilter => ({
      name,
      fixedInterest,
      wants: (k) => (wantsAsked.push(`${name}:${k}`), k !== 1),
      onRequest: (r) => (decided.push(`${name}:${bodyOf(r.frame)}`), FORWARD),
    });
    const pipeline = new RequestPipeline([counting('a', true), counting('b', false), counting('c', true)], router);
    for (const [k, body] of [[0, 'x'], [0, 'y'], [1, 'z'], [2000, 'w'], [1, 'v'], [2000, 'u']] as const) pipeline.routeRequest(session, exchange(k, body));
    // Keys past the slotted range are worked out per request.
    expect(wantsAsked.filter((w) => w.startsWith('a:'))).toEqual(['a:0', 'a:1', 'a:2000', 'a:2000']);
    expect(wantsAsked.filter((w) => w.startsWith('b:'))).toEqual(['b:0', 'b:0', 'b:1', 'b:2000', 'b:1', 'b:2000']);
    expect(decided).toEqual(['a:x', 'b:x', 'c:x', 'a:y', 'b:y', 'c:y', 'a:w', 'b:w', 'c:w', 'a:u', 'b:u', 'c:u']);
    expect(router.seen).toEqual(['x', 'y', 'z', 'w', 'v', 'u']);
  });

  it('hands a held request back to the filter that held it, past the earlier ones, with fixed interests', () => {
    const router = new RecordingRouter();
    const decided: string[] = [];
    const release = Promise.resolve();
    let holds = 0;
    const pipeline = new RequestPipeline(
      [
        { name: 'first', fixedInterest: true, wants: () => true, onRequest: () => (decided.push('first'), FORWARD) },
        { name: 'holder', fixedInterest: true, wants: () => true, onRequest: () => (decided.push('holder'), ++holds === 1 ? { kind: 'hold', until: release } : FORWARD) },
      ],
      router,
    );
    const ex = exchange(0, 'a');
    pipeline.routeRequest(session, ex);
    expect(ex.held).toBe(release);
    ex.held = null;
    pipeline.routeRequest(session, ex);
    expect(decided).toEqual(['first', 'holder', 'holder']);
    expect(router.seen).toEqual(['a']);
  });

  it('holds a request and asks the same filter again when the connection hands it back', () => {
    const router = new RecordingRouter();
    let asked = 0;
    const release = Promise.resolve();
    const pipeline = new RequestPipeline([filterOf('hold-once', () => (++asked === 1 ? { kind: 'hold', until: release } : FORWARD))], router);
    const ex = exchange(0, 'a');
    pipeline.routeRequest(session, ex);
    expect(ex.held).toBe(release);
    expect(router.seen).toEqual([]);
    ex.held = null;
    pipeline.routeRequest(session, ex);
    expect(asked).toBe(2);
    expect(router.seen).toEqual(['a']);
  });

  it('runs the abandon hook of a request held when its connection closes, and none once the filter has it back', () => {
    const router = new RecordingRouter();
    const seen = new Set<string>();
    const abandoned: string[] = [];
    // Holds each request the first time it is asked about, lets it through the second.
    const holdFirst = (body: string): FilterOutcome => {
      if (seen.has(body)) return FORWARD;
      seen.add(body);
      return { kind: 'hold', until: new Promise(() => undefined), onAbandoned: () => abandoned.push(body) };
    };
    const pipeline = new RequestPipeline([filterOf('hold-once', holdFirst)], router);
    const held = exchange(0, 'a');
    pipeline.routeRequest(session, held);
    pipeline.abandon(session, held);
    pipeline.abandon(session, held);
    expect(abandoned).toEqual(['a']);
    const resumed = exchange(0, 'b');
    pipeline.routeRequest(session, resumed);
    resumed.held = null;
    pipeline.routeRequest(session, resumed);
    pipeline.abandon(session, resumed);
    expect(abandoned).toEqual(['a']);
    expect(router.seen).toEqual(['b']);
  });

  it('closes the connection for a close outcome, and for a request a filter cannot decode', () => {
    const pipeline = new RequestPipeline([filterOf('closer', () => ({ kind: 'close', reason: 'not_authenticated', message: 'authenticate first' }))], new RecordingRouter());
    expect(() => pipeline.routeRequest(session, exchange(0, 'a'))).toThrow(expect.objectContaining({ reason: 'not_authenticated' }) as unknown as Error);
    const decoding = new RequestPipeline(
      [
        filterOf('decoder', () => {
          throw new DecodeError(0, 0, 3, 'truncated');
        }),
      ],
      new RecordingRouter(),
    );
    let err: unknown;
    try {
      decoding.routeRequest(session, exchange(0, 'a'));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RequestRejectedError);
    expect((err as RequestRejectedError).reason).toBe('malformed_request');
  });

  it('runs the abandon hooks of a request whose connection closed before its answer, once, and never its transforms after', async () => {
    const events: string[] = [];
    const counting = (name: string): RequestFilter =>
      filterOf(name, () => ({
        kind: 'forward',
        onResponse: (r) => {
          events.push(`${name} answered`);
          return r;
        },
        onAbandoned: () => events.push(`${name} abandoned`),
      }));
    const pipeline = new RequestPipeline([counting('first'), counting('second')], new RecordingRouter());
    const abandoned = exchange(0, 'a');
    pipeline.routeRequest(session, abandoned);
    pipeline.abandon(session, abandoned);
    pipeline.abandon(session, abandoned);
    // The router's answer comes after the close: it goes nowhere, and counts nothing again.
    await abandoned.deferred;
    expect(events).toEqual(['first abandoned', 'second abandoned']);

    events.length = 0;
    const answered = exchange(0, 'b');
    pipeline.routeRequest(session, answered);
    await answered.deferred;
    // Answered, then its connection closed before the answer was written: it was counted off already.
    pipeline.abandon(session, answered);
    expect(events).toEqual(['second answered', 'first answered']);
  });

  it('drops an answer to a request that gets none (acks=0), and marks a forwarded one as answerless', async () => {
    const router = new RecordingRouter();
    const pipeline = new RequestPipeline([filterOf('no-response', () => ({ kind: 'forward', noResponse: true }))], router);
    const ex = exchange(0, 'a');
    pipeline.routeRequest(session, ex);
    expect(ex.expectResponse).toBe(false);
    expect(router.seen).toEqual(['a']);
  });
});
