// Whole frames (size prefix included, as src/net hands them out) to and from decoded
// messages, through the codec's headers and the generated body codecs. Every rewrite module
// goes through here, so header handling lives in one place.
import {
  DecodeError,
  Reader,
  Writer,
  decodeRequestHeader,
  decodeResponseHeader,
  responseHeaderVersion,
  writeRequestHeader,
  writeResponseHeader,
  type DecodedRequestHeader,
  type ResponseHeader,
} from './index.js';

export type BodyDecoder<T> = (r: Reader, version: number) => T;
export type BodyEncoder<T> = (w: Writer, version: number, m: T) => void;

const SIZE_BYTES = 4;

function checkConsumed(r: Reader, apiKey: number, version: number): void {
  if (r.offset !== r.end) throw new DecodeError(apiKey, version, r.offset, `${r.end - r.offset} trailing bytes`);
}

function finishFrame(w: Writer): Buffer {
  const frame = w.finish();
  frame.writeInt32BE(frame.length - SIZE_BYTES, 0);
  return frame;
}

export interface DecodedResponse<T> {
  header: ResponseHeader;
  body: T;
}

/** Decodes a response frame. Throws `DecodeError`. */
export function decodeResponseFrame<T>(frame: Buffer, apiKey: number, version: number, decode: BodyDecoder<T>): DecodedResponse<T> {
  const headerVersion = responseHeaderVersion(apiKey, version);
  const header = decodeResponseHeader(frame.subarray(SIZE_BYTES), headerVersion);
  const r = new Reader(frame, SIZE_BYTES + header.headerSizeBytes);
  const body = decode(r, version);
  checkConsumed(r, apiKey, version);
  return { header, body };
}

/** Encodes a response frame with the given header (its correlation id and tagged fields). */
export function encodeResponseFrame<T>(apiKey: number, version: number, header: ResponseHeader, m: T, encode: BodyEncoder<T>): Buffer {
  const w = new Writer(512);
  w.writeInt32(0);
  writeResponseHeader(w, header, responseHeaderVersion(apiKey, version));
  encode(w, version, m);
  return finishFrame(w);
}

export interface DecodedRequest<T> {
  header: DecodedRequestHeader;
  body: T;
}

/** Decodes a request frame. Throws `DecodeError`. */
export function decodeRequestFrame<T>(frame: Buffer, decode: BodyDecoder<T>): DecodedRequest<T> {
  const header = decodeRequestHeader(frame.subarray(SIZE_BYTES));
  const r = new Reader(frame, SIZE_BYTES + header.headerSizeBytes);
  const body = decode(r, header.apiVersion);
  checkConsumed(r, header.apiKey, header.apiVersion);
  return { header, body };
}

/** Encodes a request frame from a header and a body. */
export function encodeRequestFrame<T>(header: DecodedRequestHeader | { apiKey: number; apiVersion: number; correlationId: number; clientId: string | null }, m: T, encode: BodyEncoder<T>): Buffer {
  const w = new Writer(256);
  w.writeInt32(0);
  writeRequestHeader(w, header);
  encode(w, header.apiVersion, m);
  return finishFrame(w);
}
