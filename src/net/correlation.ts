// Correlation ids sit at fixed places, so rewriting them needs no codec. Offsets here are into
// a whole frame, size prefix included: a request is size(4) apiKey(2) apiVersion(2)
// correlationId(4) ...; a response is size(4) correlationId(4) ...

export const REQUEST_API_KEY_OFFSET = 4;
export const REQUEST_API_VERSION_OFFSET = 6;
export const REQUEST_CORRELATION_OFFSET = 8;
export const RESPONSE_CORRELATION_OFFSET = 4;
/** The smallest request frame: size, api key, api version, correlation id. */
export const MIN_REQUEST_FRAME_BYTES = 12;
/** The smallest response frame: size and correlation id. */
export const MIN_RESPONSE_FRAME_BYTES = 8;

export function readRequestCorrelationId(frame: Buffer): number {
  return frame.readInt32BE(REQUEST_CORRELATION_OFFSET);
}

export function writeRequestCorrelationId(frame: Buffer, correlationId: number): void {
  frame.writeInt32BE(correlationId, REQUEST_CORRELATION_OFFSET);
}

export function readResponseCorrelationId(frame: Buffer): number {
  return frame.readInt32BE(RESPONSE_CORRELATION_OFFSET);
}

export function writeResponseCorrelationId(frame: Buffer, correlationId: number): void {
  frame.writeInt32BE(correlationId, RESPONSE_CORRELATION_OFFSET);
}

/** Next id in a connection's own sequence: positive int32, wrapping before overflow. */
export function nextCorrelationId(current: number): number {
  return current >= 0x7fffffff ? 1 : current + 1;
}
