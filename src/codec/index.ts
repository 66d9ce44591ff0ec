// The Kafka codec: wire primitives, generated message codecs for every api key and version,
// request/response headers and the record batch header view. Knows nothing about routing.
import { DecodeError, EncodeError, toEncodeError } from './errors.js';
import { apiCodec, type AnyRequest, type AnyResponse, type RequestByApiKey, type ResponseByApiKey } from './generated/registry.js';
import { responseHeaderVersion } from './generated/apis.js';
import { writeRequestHeader, writeResponseHeader, type RequestHeader } from './headers.js';
import { Reader } from './reader.js';
import { Writer } from './writer.js';

export { DecodeError, EncodeError, toEncodeError, type TaggedField } from './errors.js';
export { Reader, ZERO_UUID } from './reader.js';
export { Writer } from './writer.js';
export * from './headers.js';
export * from './generated/index.js';

const API_VERSIONS = 18;

function codecOrThrow(apiKey: number, version: number, decoding: boolean) {
  const c = apiCodec(apiKey);
  if (c === undefined) {
    if (decoding) throw new DecodeError(apiKey, version, 0, 'unknown api key');
    throw new EncodeError(apiKey, version, 'unknown api key');
  }
  return c;
}

function checkConsumed(r: Reader, apiKey: number, version: number): void {
  if (r.offset !== r.end) throw new DecodeError(apiKey, version, r.offset, `${r.end - r.offset} trailing bytes`);
}

/**
 * Decodes a request body (the frame after its header). Any bytes left over are an error, so a
 * decoded request always encodes back to the same bytes.
 */
export function decodeRequestBody<K extends keyof RequestByApiKey>(apiKey: K, version: number, body: Buffer): RequestByApiKey[K];
export function decodeRequestBody(apiKey: number, version: number, body: Buffer): AnyRequest;
export function decodeRequestBody(apiKey: number, version: number, body: Buffer): AnyRequest {
  const r = new Reader(body);
  const m = codecOrThrow(apiKey, version, true).decodeRequest(r, version);
  checkConsumed(r, apiKey, version);
  return m;
}

export function decodeResponseBody<K extends keyof ResponseByApiKey>(apiKey: K, version: number, body: Buffer): ResponseByApiKey[K];
export function decodeResponseBody(apiKey: number, version: number, body: Buffer): AnyResponse;
export function decodeResponseBody(apiKey: number, version: number, body: Buffer): AnyResponse {
  const c = codecOrThrow(apiKey, version, true);
  try {
    const r = new Reader(body);
    const m = c.decodeResponse(r, version);
    checkConsumed(r, apiKey, version);
    return m;
  } catch (e) {
    // A broker answers an ApiVersions request of a version it does not support with a v0
    // response (error UNSUPPORTED_VERSION and its own range), whatever version was asked.
    if (apiKey !== API_VERSIONS || version === 0 || !(e instanceof DecodeError)) throw e;
    const r = new Reader(body);
    let m: AnyResponse;
    try {
      m = c.decodeResponse(r, 0);
    } catch {
      throw e;
    }
    if (r.offset !== r.end) throw e;
    return m;
  }
}

// One writer for the facade: encoding is synchronous, and finished messages are views of its
// slabs, so successive results never share bytes.
const shared = new Writer();

export function encodeRequestBody<K extends keyof RequestByApiKey>(apiKey: K, version: number, msg: RequestByApiKey[K]): Buffer;
export function encodeRequestBody(apiKey: number, version: number, msg: AnyRequest): Buffer;
export function encodeRequestBody(apiKey: number, version: number, msg: AnyRequest): Buffer {
  writeRequestBody(shared, apiKey, version, msg);
  return shared.finish();
}

export function encodeResponseBody<K extends keyof ResponseByApiKey>(apiKey: K, version: number, msg: ResponseByApiKey[K]): Buffer;
export function encodeResponseBody(apiKey: number, version: number, msg: AnyResponse): Buffer;
export function encodeResponseBody(apiKey: number, version: number, msg: AnyResponse): Buffer {
  writeResponseBody(shared, apiKey, version, msg);
  return shared.finish();
}

export function writeRequestBody(w: Writer, apiKey: number, version: number, msg: AnyRequest): void {
  const c = codecOrThrow(apiKey, version, false);
  const mark = w.length;
  try {
    c.encodeRequest(w, version, msg);
  } catch (e) {
    w.truncate(mark);
    throw toEncodeError(e, apiKey, version);
  }
}

export function writeResponseBody(w: Writer, apiKey: number, version: number, msg: AnyResponse): void {
  const c = codecOrThrow(apiKey, version, false);
  const mark = w.length;
  try {
    c.encodeResponse(w, version, msg);
  } catch (e) {
    w.truncate(mark);
    throw toEncodeError(e, apiKey, version);
  }
}

function patchSize(w: Writer): Buffer {
  const out = w.finish();
  out.writeInt32BE(out.length - 4, 0);
  return out;
}

/** A whole request frame, int32 size prefix included, ready for the socket. */
export function encodeRequestFrame(header: RequestHeader, msg: AnyRequest): Buffer {
  const w = shared;
  try {
    w.writeInt32(0);
    writeRequestHeader(w, header);
    writeRequestBody(w, header.apiKey, header.apiVersion, msg);
  } catch (e) {
    w.discard();
    throw e;
  }
  return patchSize(w);
}

/** A whole response frame, int32 size prefix included; the header version follows from the api. */
export function encodeResponseFrame(correlationId: number, apiKey: number, version: number, msg: AnyResponse): Buffer {
  const w = shared;
  try {
    w.writeInt32(0);
    writeResponseHeader(w, { correlationId }, responseHeaderVersion(apiKey, version));
    writeResponseBody(w, apiKey, version, msg);
  } catch (e) {
    w.discard();
    throw e;
  }
  return patchSize(w);
}
export * from './record-batch.js';
export { crc32c } from './crc32c.js';
