// Request and response headers. A "frame" here is one Kafka message without its int32 size prefix.
import { DecodeError, EncodeError, type TaggedField } from './errors.js';
import { requestHeaderVersion } from './generated/apis.js';
import { Reader } from './reader.js';
import { Writer } from './writer.js';

export interface RequestHeader {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  /** Absent (null) in header v0; never a compact string, even in header v2. */
  clientId: string | null;
  unknownTaggedFields?: TaggedField[];
}

export interface DecodedRequestHeader extends RequestHeader {
  headerVersion: number;
  /** Bytes the header takes at the start of the frame: the body starts here. */
  headerSizeBytes: number;
}

export interface RequestHeaderPeek {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
}

/**
 * The fixed leading fields of a request header, without decoding the rest. Fills `out` when
 * given (no allocation). Undefined when the frame is shorter than 8 bytes.
 */
export function peekRequestHeader(frame: Buffer, out?: RequestHeaderPeek): RequestHeaderPeek | undefined {
  if (frame.length < 8) return undefined;
  const apiKey = frame.readInt16BE(0);
  const apiVersion = frame.readInt16BE(2);
  const correlationId = frame.readInt32BE(4);
  if (out === undefined) return { apiKey, apiVersion, correlationId };
  out.apiKey = apiKey;
  out.apiVersion = apiVersion;
  out.correlationId = correlationId;
  return out;
}

/**
 * Decodes a request header. Its version follows from the api key and version (flexible
 * versions use header v2); an api key the codec does not know is a DecodeError, since then
 * where the body starts cannot be known.
 */
export function decodeRequestHeader(frame: Buffer): DecodedRequestHeader {
  const r = new Reader(frame);
  const apiKey = r.readInt16();
  const apiVersion = r.readInt16();
  const correlationId = r.readInt32();
  if (r.failed) throw new DecodeError(apiKey, apiVersion, r.errorOffset, `request header: ${r.errorReason}`);
  const headerVersion = requestHeaderVersion(apiKey, apiVersion);
  if (headerVersion < 0) throw new DecodeError(apiKey, apiVersion, 0, 'unknown api key');
  const h: DecodedRequestHeader = { apiKey, apiVersion, correlationId, clientId: null, headerVersion, headerSizeBytes: 0 };
  if (headerVersion >= 1) h.clientId = r.readNullableString();
  if (headerVersion >= 2) {
    const u = r.readUnknownTaggedFields();
    if (u !== undefined) h.unknownTaggedFields = u;
  }
  if (r.failed) throw new DecodeError(apiKey, apiVersion, r.errorOffset, `request header: ${r.errorReason}`);
  h.headerSizeBytes = r.offset;
  return h;
}

export function writeRequestHeader(w: Writer, h: RequestHeader, headerVersion = requestHeaderVersion(h.apiKey, h.apiVersion)): void {
  if (headerVersion < 0 || headerVersion > 2) throw new EncodeError(h.apiKey, h.apiVersion, `request header version ${headerVersion}`);
  w.writeInt16(h.apiKey);
  w.writeInt16(h.apiVersion);
  w.writeInt32(h.correlationId);
  if (headerVersion >= 1) w.writeNullableString(h.clientId);
  if (headerVersion >= 2) w.writeTaggedFields(h.unknownTaggedFields);
}

const shared = new Writer(4096);

export function encodeRequestHeader(h: RequestHeader, headerVersion?: number): Buffer {
  try {
    writeRequestHeader(shared, h, headerVersion);
  } catch (e) {
    shared.discard();
    throw e;
  }
  return shared.finish();
}

export interface ResponseHeader {
  correlationId: number;
  unknownTaggedFields?: TaggedField[];
}

export interface DecodedResponseHeader extends ResponseHeader {
  headerSizeBytes: number;
}

/** Correlation id of a response frame (its first four bytes), or undefined if it is too short. */
export function peekCorrelationId(frame: Buffer): number | undefined {
  return frame.length < 4 ? undefined : frame.readInt32BE(0);
}

/** Decodes a response header of the given version (see `responseHeaderVersion`). */
export function decodeResponseHeader(frame: Buffer, headerVersion: number): DecodedResponseHeader {
  const r = new Reader(frame);
  const h: DecodedResponseHeader = { correlationId: r.readInt32(), headerSizeBytes: 0 };
  if (headerVersion >= 1) {
    const u = r.readUnknownTaggedFields();
    if (u !== undefined) h.unknownTaggedFields = u;
  }
  if (r.failed) throw new DecodeError(-1, -1, r.errorOffset, `response header: ${r.errorReason}`);
  h.headerSizeBytes = r.offset;
  return h;
}

export function writeResponseHeader(w: Writer, h: ResponseHeader, headerVersion: number): void {
  w.writeInt32(h.correlationId);
  if (headerVersion >= 1) w.writeTaggedFields(h.unknownTaggedFields);
}

export function encodeResponseHeader(h: ResponseHeader, headerVersion: number): Buffer {
  try {
    writeResponseHeader(shared, h, headerVersion);
  } catch (e) {
    shared.discard();
    throw e;
  }
  return shared.finish();
}
