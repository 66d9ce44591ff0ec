/** A tagged field the codec does not know, kept as its raw bytes so it can be written back unchanged. */
export interface TaggedField {
  tag: number;
  data: Buffer;
}

/** Bytes that do not form a valid message of the given api key and version. */
export class DecodeError extends Error {
  readonly apiKey: number;
  readonly version: number;
  /** Offset in the decoded buffer where the first problem was seen. */
  readonly offset: number;
  readonly reason: string;

  constructor(apiKey: number, version: number, offset: number, reason: string) {
    super(`cannot decode api ${apiKey} v${version} at offset ${offset}: ${reason}`);
    this.name = 'DecodeError';
    this.apiKey = apiKey;
    this.version = version;
    this.offset = offset;
    this.reason = reason;
  }
}

/** A message that cannot be written in the requested version. */
export class EncodeError extends Error {
  readonly apiKey: number;
  readonly version: number;
  readonly reason: string;

  constructor(apiKey: number, version: number, reason: string) {
    super(`cannot encode api ${apiKey} v${version}: ${reason}`);
    this.name = 'EncodeError';
    this.apiKey = apiKey;
    this.version = version;
    this.reason = reason;
  }
}

/** Wraps anything thrown while encoding (a wrong type, an out-of-range number) as an EncodeError. */
export function toEncodeError(e: unknown, apiKey: number, version: number): EncodeError {
  if (e instanceof EncodeError) return e;
  return new EncodeError(apiKey, version, e instanceof Error ? e.message : String(e));
}
