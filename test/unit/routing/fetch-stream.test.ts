import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ApiKey,
  DecodeError,
  decodeResponseBody,
  decodeResponseHeader,
  responseHeaderVersion,
  type FetchResponse,
} from '../../../src/codec/index.js';
import type { ResponseBytesSink } from '../../../src/net/request-router.js';
import { paddingFields } from '../../../src/routing/fetch-stream-tail.js';
import {
  BACKEND_HOST,
  BACKEND_IDS,
  BACKEND_PORTS,
  TURNOUT_HOST,
  decodeResponse,
  exchangeFor,
  expectNoBackendLeak,
  makeRouter,
  responseFrame,
  type RouterFixture,
} from './router-fixture.js';

// Fetch responses recorded from real brokers (Kafka 3.9.1 and 4.1.1, answering kcat, kafkajs
// and the Java consumer), streamed through the router in every possible split, must come out
// as the store-and-forward path rewrites them.
const root = join(process.cwd(), 'test/fixtures/captured');

interface Recorded {
  name: string;
  version: number;
  body: FetchResponse;
}

function recordedFetchResponses(): Recorded[] {
  const out: Recorded[] = [];
  for (const set of readdirSync(root)) {
    const index = JSON.parse(readFileSync(join(root, set, 'index.json'), 'utf8')) as {
      frames: Array<{ file: string; apiKey: number; version: number; direction: string }>;
    };
    for (const f of index.frames) {
      if (f.apiKey !== ApiKey.Fetch || f.direction !== 'response') continue;
      const bytes = readFileSync(join(root, set, f.file));
      const header = decodeResponseHeader(bytes, responseHeaderVersion(ApiKey.Fetch, f.version));
      const body = decodeResponseBody(ApiKey.Fetch, f.version, bytes.subarray(header.headerSizeBytes)) as FetchResponse;
      out.push({ name: `${set}/${f.file}`, version: f.version, body });
    }
  }
  return out;
}

const RECORDED = recordedFetchResponses();

/** A deep copy that keeps Buffers as Buffers (structuredClone makes them Uint8Arrays). */
function clone<T>(v: T): T {
  if (Buffer.isBuffer(v)) return Buffer.from(v) as T;
  if (Array.isArray(v)) return v.map((x: unknown) => clone(x)) as T;
  if (v !== null && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, clone(x)])) as T;
  }
  return v;
}

/** A recorded body re-encoded at another version (names and ids both set, as each version needs one). */
function atVersion(body: FetchResponse, version: number): Buffer {
  const copy = clone(body);
  for (const [i, t] of copy.responses.entries()) {
    if (t.topic === '') t.topic = `recorded-topic-${i}`;
    if (version < 11) for (const p of t.partitions) p.preferredReadReplica = -1;
    if (version < 12) for (const p of t.partitions) delete p.currentLeader;
    if (version < 4) for (const p of t.partitions) p.abortedTransactions = [];
  }
  if (version < 16) delete copy.nodeEndpoints;
  if (version < 7) {
    copy.errorCode = 0;
    copy.sessionId = 0;
  }
  return responseFrame(ApiKey.Fetch, version, copy);
}

/** The recorded body naming backend brokers where a Fetch response can: the ids and addresses Turnout must hide. */
function namingBrokers(body: FetchResponse, version: number): FetchResponse {
  const copy = clone(body);
  for (const t of copy.responses) {
    for (const [i, p] of t.partitions.entries()) {
      if (version >= 11) p.preferredReadReplica = BACKEND_IDS[i % 3];
      if (version >= 12) p.currentLeader = { leaderId: BACKEND_IDS[(i + 1) % 3], leaderEpoch: 7 };
    }
  }
  if (version >= 16) {
    copy.nodeEndpoints = BACKEND_IDS.map((id, i) => ({ nodeId: id, host: BACKEND_HOST, port: BACKEND_PORTS[i], rack: `az-${'abc'[i]}` }));
  }
  return copy;
}

/** The recorded records repeated, so one partition carries several real batches. */
function withMoreRecords(body: FetchResponse, times: number): FetchResponse {
  const copy = clone(body);
  for (const t of copy.responses) {
    for (const p of t.partitions) {
      if (p.records !== null && p.records.length > 0) p.records = Buffer.concat(Array.from({ length: times }, () => p.records as Buffer));
    }
  }
  return copy;
}

interface Streamed {
  out: Buffer;
  /** How many separate buffers were emitted. */
  pieces: number;
}

/** Streams `frame` through the router in the given pieces (each a copy: the stream rewrites in place). */
function stream(frame: Buffer, version: number, cuts: readonly number[], fixture: RouterFixture = makeRouter()): Streamed {
  const { router, session } = fixture;
  const emitted: Buffer[] = [];
  const sink: ResponseBytesSink = { emit: (b) => emitted.push(Buffer.from(b)) };
  const s = router.streamResponse(session, exchangeFor(ApiKey.Fetch, version), frame.length, sink);
  if (s === null) throw new Error('Fetch is not streamed');
  let from = 0;
  for (const cut of [...cuts, frame.length]) {
    s.write(Buffer.from(frame.subarray(from, cut)));
    from = cut;
  }
  s.end();
  return { out: Buffer.concat(emitted), pieces: emitted.length };
}

/** What the store-and-forward path sends for the same frame. */
function storeAndForward(frame: Buffer, version: number): Buffer {
  const { router, session } = makeRouter();
  return router.rewriteResponse(session, exchangeFor(ApiKey.Fetch, version), Buffer.from(frame));
}

function everyTwoWaySplit(frame: Buffer, version: number, expected: Buffer): void {
  for (let cut = 1; cut < frame.length; cut++) {
    const { out } = stream(frame, version, [cut]);
    if (!out.equals(expected)) expect.fail(`split at byte ${cut} of ${frame.length} changed the output`);
  }
}

const VERSIONS = [4, 7, 11, 12, 13, 15, 16, 17, 18];

describe('streamed Fetch responses', () => {
  it('has recorded Fetch responses with records to stream', () => {
    expect(RECORDED.length).toBeGreaterThanOrEqual(6);
    expect(RECORDED.some((r) => r.body.responses.some((t) => t.partitions.some((p) => (p.records?.length ?? 0) > 0)))).toBe(true);
  });

  for (const rec of RECORDED) {
    it(`${rec.name}: split at every byte, streamed equals store-and-forward`, () => {
      const frame = atVersion(rec.body, rec.version);
      const expected = storeAndForward(frame, rec.version);
      expect(expected.equals(frame)).toBe(true); // names no broker: both pass it unchanged
      everyTwoWaySplit(frame, rec.version, expected);
    });
  }

  for (const version of VERSIONS) {
    it(`v${version}: broker ids in preferredReadReplica and currentLeader are rewritten in place at every split`, () => {
      const rec = RECORDED.find((r) => r.version >= 17 && r.body.responses.length > 0) as Recorded;
      const body = namingBrokers(rec.body, version);
      delete body.nodeEndpoints;
      const frame = atVersion(body, version);
      const expected = storeAndForward(frame, version);
      if (version >= 11) expect(expected.equals(frame)).toBe(false);
      expect(expected.length).toBe(frame.length);
      everyTwoWaySplit(frame, version, expected);
      if (version >= 11) expectNoBackendLeak(expected, decodeResponse(ApiKey.Fetch, version, expected));
    });
  }

  it('one byte at a time gives the same bytes as store-and-forward', () => {
    for (const rec of RECORDED) {
      const body = namingBrokers(rec.body, rec.version);
      delete body.nodeEndpoints;
      const frame = atVersion(body, rec.version);
      const cuts = Array.from({ length: frame.length - 1 }, (_, i) => i + 1);
      expect(stream(frame, rec.version, cuts).out.equals(storeAndForward(frame, rec.version)), rec.name).toBe(true);
    }
  });

  it('passes record bytes on as views of the chunks they arrived in, holding back only the fields it rewrites', () => {
    const rec = RECORDED.find((r) => r.version === 18) as Recorded;
    const frame = atVersion(withMoreRecords(namingBrokers(rec.body, 18), 200), 18);
    expect(frame.length).toBeGreaterThan(64 * 1024);
    const cuts: number[] = [];
    for (let c = 8192; c < frame.length; c += 8192) cuts.push(c);
    const { out, pieces } = stream(frame, 18, cuts);
    expect(out.length).toBe(frame.length);
    // A few pieces per chunk at most: the head fields, the records, the tail.
    expect(pieces).toBeLessThan(cuts.length * 2 + 12);
    const decoded = decodeResponse(ApiKey.Fetch, 18, out);
    expectNoBackendLeak(out, decoded);
  });

  it('v16+: NodeEndpoints is rewritten to Turnout nodes and padded to its original length at every split', () => {
    for (const version of [16, 17, 18]) {
      const rec = RECORDED.find((r) => r.version >= 17 && r.body.responses.length > 0) as Recorded;
      const frame = atVersion(namingBrokers(rec.body, version), version);
      const expected = decodeResponse(ApiKey.Fetch, version, storeAndForward(frame, version));
      const fixture = makeRouter();
      for (let cut = 1; cut < frame.length; cut += 5) {
        const { out } = stream(frame, version, [cut], fixture);
        expect(out.length).toBe(frame.length);
        const decoded = decodeResponse(ApiKey.Fetch, version, out) as unknown as FetchResponse;
        expectNoBackendLeak(out, decoded);
        const padding = decoded.unknownTaggedFields ?? [];
        expect(padding.length).toBeGreaterThan(0);
        expect(padding.every((f) => f.tag >= 10_000 && f.data.every((b) => b === 0))).toBe(true);
        delete decoded.unknownTaggedFields;
        expect(decoded).toEqual(expected);
      }
      expect(fixture.router.fetchStreams.endpointsDropped).toBe(0);
      expect(fixture.router.fetchStreams.endpointsRewritten).toBe(fixture.router.fetchStreams.streamed);
      const endpoints = (expected as unknown as FetchResponse).nodeEndpoints ?? [];
      expect(endpoints.map((e) => e.host)).toEqual([TURNOUT_HOST, TURNOUT_HOST, TURNOUT_HOST]);
    }
  });

  it('drops NodeEndpoints for padding, counted, when the rewritten addresses would not fit the announced length', () => {
    const rec = RECORDED.find((r) => r.version === 18) as Recorded;
    const body = namingBrokers(rec.body, 18);
    // Backend addresses shorter than Turnout's: the rewritten field would be longer.
    body.nodeEndpoints = [{ nodeId: BACKEND_IDS[2], host: 'b', port: 1, rack: null }];
    const frame = atVersion(body, 18);
    const { router, session } = makeRouter();
    const emitted: Buffer[] = [];
    const s = router.streamResponse(session, exchangeFor(ApiKey.Fetch, 18), frame.length, { emit: (b) => emitted.push(Buffer.from(b)) });
    s?.write(Buffer.from(frame));
    s?.end();
    const out = Buffer.concat(emitted);
    expect(out.length).toBe(frame.length);
    const decoded = decodeResponse(ApiKey.Fetch, 18, out) as unknown as FetchResponse;
    expect(decoded.nodeEndpoints).toBeUndefined();
    expectNoBackendLeak(out, decoded);
    expect(router.fetchStreams.endpointsDropped).toBe(1);
  });

  it('rejects a frame whose fields run past its end, or that ends early, with a DecodeError', () => {
    const rec = RECORDED.find((r) => r.version === 18) as Recorded;
    const frame = atVersion(rec.body, 18);
    const { router, session } = makeRouter();
    const early = router.streamResponse(session, exchangeFor(ApiKey.Fetch, 18), frame.length, { emit: () => undefined });
    early?.write(Buffer.from(frame.subarray(0, frame.length - 1)));
    expect(() => early?.end()).toThrow(DecodeError);
    // Announced one byte shorter: the last field no longer fits.
    const short = router.streamResponse(session, exchangeFor(ApiKey.Fetch, 18), frame.length - 1, { emit: () => undefined });
    expect(() => short?.write(Buffer.from(frame.subarray(0, frame.length - 1)))).toThrow(DecodeError);
  });

  it('streams Fetch only: other responses are rewritten whole', () => {
    const { router, session } = makeRouter();
    expect(router.streamResponse(session, exchangeFor(ApiKey.Metadata, 12), 1 << 20, { emit: () => undefined })).toBeNull();
    expect(router.streamResponse(session, exchangeFor(ApiKey.Produce, 11), 1 << 20, { emit: () => undefined })).toBeNull();
  });
});

describe('streamed Fetch responses under random bytes', () => {
  it('random chunking and scrambled fields end in the response or a DecodeError, never anything else', () => {
    let seed = 0x5eed;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const frames = RECORDED.filter((r) => r.version >= 11).flatMap((r) => [
      { version: r.version, frame: atVersion(namingBrokers(r.body, r.version), r.version) },
      { version: 16, frame: atVersion(namingBrokers(r.body, 16), 16) },
    ]);
    let rejected = 0;
    for (let round = 0; round < 3000; round++) {
      const { version, frame: original } = frames[random(frames.length)];
      const frame = Buffer.from(original);
      const hits = 1 + random(6);
      for (let i = 0; i < hits; i++) frame[8 + random(frame.length - 8)] = random(256);
      const { router, session } = makeRouter();
      let emitted = 0;
      const s = router.streamResponse(session, exchangeFor(ApiKey.Fetch, version), frame.length, { emit: (b) => (emitted += b.length) });
      try {
        let at = 0;
        while (at < frame.length) {
          const n = 1 + random(64);
          s?.write(frame.subarray(at, at + n));
          at += n;
        }
        s?.end();
        expect(emitted).toBe(frame.length);
      } catch (err) {
        if (!(err instanceof DecodeError)) throw err;
        expect(emitted).toBeLessThanOrEqual(frame.length);
        rejected++;
      }
    }
    expect(rejected).toBeGreaterThan(0);
  });
});

describe('padding tagged fields', () => {
  it('adds up to every length from 3 to 40000 bytes, with ascending tags', () => {
    const varintBytes = (v: number): number => (v < 0x80 ? 1 : v < 0x4000 ? 2 : v < 0x200000 ? 3 : 4);
    for (let bytes = 3; bytes <= 40_000; bytes++) {
      const fields = paddingFields(bytes, 10_000);
      if (fields === null) expect.fail(`no padding of ${bytes} bytes`);
      const total = fields.reduce((n, f) => n + varintBytes(f.tag) + varintBytes(f.data.length) + f.data.length, 0);
      if (total !== bytes) expect.fail(`padding of ${bytes} bytes encodes to ${total}`);
      expect(fields.every((f, i) => i === 0 || f.tag > fields[i - 1].tag)).toBe(true);
    }
  });

  it('cannot pad one or two bytes', () => {
    expect(paddingFields(1, 10_000)).toBeNull();
    expect(paddingFields(2, 10_000)).toBeNull();
  });
});
