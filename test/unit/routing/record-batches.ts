// Record batches for routing tests, encoded by kafkajs (a project dependency) independently of
// Turnout's codec, and the frames captured from real brokers under test/fixtures/captured.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { createProduceRequest, decodeRequestBody, decodeRequestHeader, decodeResponseBody, decodeResponseHeader, responseHeaderVersion, type ProduceRequest } from '../../../src/codec/index.js';

const require = createRequire(import.meta.url);
const kafkajsBatch = (require('kafkajs/src/protocol/recordBatch/v0') as { RecordBatch: (o: Record<string, unknown>) => Promise<{ buffer: Buffer }> }).RecordBatch;
const kafkajsRecord = require('kafkajs/src/protocol/recordBatch/record/v0') as (o: Record<string, unknown>) => unknown;
const Long = require('kafkajs/src/utils/long') as { fromValue(v: number | string | bigint): unknown };

export interface BatchOptions {
  baseOffset?: number;
  partitionLeaderEpoch?: number;
  producerId?: bigint;
  producerEpoch?: number;
  baseSequence?: number;
  transactional?: boolean;
  records?: number;
  /** The records' values (their count overrides `records`). Default: value-0, value-1, … */
  values?: readonly string[];
}

/** One v2 record batch with a valid CRC. */
export async function recordBatch(opts: BatchOptions = {}): Promise<Buffer> {
  const n = opts.values?.length ?? opts.records ?? 2;
  const records = [];
  for (let i = 0; i < n; i++) records.push(kafkajsRecord({ offsetDelta: i, key: Buffer.from(`k${i}`), value: Buffer.from(opts.values?.[i] ?? `value-${i}`) }));
  const encoded = await kafkajsBatch({
    firstOffset: Long.fromValue(opts.baseOffset ?? 0),
    firstTimestamp: 1_700_000_000_000,
    maxTimestamp: 1_700_000_000_100,
    partitionLeaderEpoch: opts.partitionLeaderEpoch ?? -1,
    lastOffsetDelta: n - 1,
    producerId: Long.fromValue(String(opts.producerId ?? -1n)),
    producerEpoch: opts.producerEpoch ?? -1,
    firstSequence: opts.baseSequence ?? -1,
    transactional: opts.transactional ?? false,
    records,
  });
  return Buffer.from(encoded.buffer);
}

/** Several batches back to back, as a records field holds them. */
/** What a test's Produce carries beside its topics. */
export interface ProduceRequestOptions {
  transactionalId?: string | null;
  timeoutMs?: number;
  /** Records per batch (default: recordBatch's). */
  records?: number;
}

/**
 * A client's Produce, acks=all: per `[topic, partitions]` of `layout` one batch per partition
 * (its base offset the partition index); topics by name, or from v13 by their id in `ids`.
 */
export async function produceRequestOf(version: number, layout: ReadonlyArray<[string, number[]]>, ids: Readonly<Record<string, string>>, opts: ProduceRequestOptions = {}): Promise<ProduceRequest> {
  const req = createProduceRequest();
  req.transactionalId = opts.transactionalId ?? null;
  req.acks = -1;
  req.timeoutMs = opts.timeoutMs ?? 30_000;
  for (const [name, partitions] of layout) {
    req.topicData.push({
      name: version >= 13 ? '' : name,
      topicId: version >= 13 ? ids[name] : 'AAAAAAAAAAAAAAAAAAAAAA',
      partitionData: await Promise.all(partitions.map(async (index) => ({ index, records: await recordBatch({ baseOffset: index, records: opts.records }) }))),
    });
  }
  return req;
}

export async function recordBatches(...opts: BatchOptions[]): Promise<Buffer> {
  return Buffer.concat(await Promise.all(opts.map((o) => recordBatch(o))));
}

const CAPTURED = join(process.cwd(), 'test/fixtures/captured');

/** A captured request frame's body, decoded. `file` is relative to test/fixtures/captured. */
export function capturedRequest(apiKey: number, file: string): { version: number; body: unknown } {
  const frame = readFileSync(join(CAPTURED, file));
  const h = decodeRequestHeader(frame);
  if (h.apiKey !== apiKey) throw new Error(`${file} is api ${h.apiKey}, not ${apiKey}`);
  return { version: h.apiVersion, body: decodeRequestBody(apiKey, h.apiVersion, frame.subarray(h.headerSizeBytes)) };
}

/** A captured response frame's body, decoded at `version`. */
export function capturedResponse(apiKey: number, version: number, file: string): unknown {
  const frame = readFileSync(join(CAPTURED, file));
  const h = decodeResponseHeader(frame, responseHeaderVersion(apiKey, version));
  return decodeResponseBody(apiKey, version, frame.subarray(h.headerSizeBytes));
}
