// Runs a response parser over bytes as they arrive and passes them on, rewritten in place.
//
// The parser is a generator that reads like the codec, field after field. It yields one step
// at a time: `need` n bytes it wants to look at (and may change in place, keeping their
// length), or `skip` n bytes it passes through unseen (record batches). The engine hands a
// `need` as a view over the arriving chunk when the field lies in one chunk, or as a small
// copy gathered across chunks, and emits it once the parser has moved past it. So only the
// field being decided on is ever held back; record bytes go out as they come.
import { DecodeError } from '../codec/index.js';
import type { ResponseBytesSink, ResponseStream } from '../net/request-router.js';

export interface Step {
  kind: 'need' | 'skip';
  /** How many bytes; `REST_OF_FRAME` for every byte left. */
  bytes: number;
}

/** A step's size meaning "up to the end of the frame". */
export const REST_OF_FRAME = -1;

/** Yields steps; gets back the bytes of each `need` (an empty buffer after a `skip`). */
export type StepParser = Generator<Step, void, Buffer>;

export function need(bytes: number): Step {
  return { kind: 'need', bytes };
}

export function skip(bytes: number): Step {
  return { kind: 'skip', bytes };
}

/** Thrown by a parser for bytes that do not form the response; the engine adds where. */
export class StreamFieldError extends Error {}

const EMPTY = Buffer.alloc(0);

export class StreamingRewriter implements ResponseStream {
  private readonly apiKey: number;
  private readonly version: number;
  private readonly frameBytes: number;
  private readonly parser: StepParser;
  private readonly sink: ResponseBytesSink;
  /** Bytes received so far. */
  private received = 0;
  /** Bytes claimed by the steps so far (the current one included). */
  private claimed = 0;
  /** The step waiting for bytes, or null once the parser is done. */
  private step: Step | null = null;
  /** Bytes the current `skip` has still to pass. */
  private skipLeft = 0;
  /** A `need` that spans chunks, being gathered. */
  private gather: Buffer | null = null;
  private gathered = 0;

  constructor(apiKey: number, version: number, frameBytes: number, parser: StepParser, sink: ResponseBytesSink) {
    this.apiKey = apiKey;
    this.version = version;
    this.frameBytes = frameBytes;
    this.parser = parser;
    this.sink = sink;
    this.advance(EMPTY);
  }

  write(bytes: Buffer): void {
    this.received += bytes.length;
    if (this.received > this.frameBytes) {
      throw this.error(`${this.received - this.frameBytes} bytes past the end of a ${this.frameBytes}-byte frame`);
    }
    const end = bytes.length;
    let pos = 0;
    /** Start of the bytes of this chunk passed but not yet emitted. */
    let runStart = 0;
    while (pos < end) {
      const step = this.step;
      if (step === null) throw this.error('bytes after the end of the response');
      if (step.kind === 'skip') {
        const n = Math.min(this.skipLeft, end - pos);
        pos += n;
        this.skipLeft -= n;
        if (this.skipLeft === 0) this.advance(EMPTY);
      } else if (this.gather === null && end - pos >= step.bytes) {
        // The field lies in this chunk: the parser reads (and may rewrite) it in place.
        const field = bytes.subarray(pos, pos + step.bytes);
        pos += step.bytes;
        this.advance(field);
      } else {
        if (this.gather === null) {
          if (pos > runStart) this.sink.emit(bytes.subarray(runStart, pos));
          this.gather = Buffer.allocUnsafe(step.bytes);
          this.gathered = 0;
        }
        const n = bytes.copy(this.gather, this.gathered, pos, Math.min(end, pos + step.bytes - this.gathered));
        pos += n;
        this.gathered += n;
        runStart = pos;
        if (this.gathered === step.bytes) {
          const field = this.gather;
          this.gather = null;
          this.advance(field);
          this.sink.emit(field);
        }
      }
    }
    if (pos > runStart) this.sink.emit(bytes.subarray(runStart, pos));
  }

  end(): void {
    if (this.received !== this.frameBytes) {
      throw this.error(`frame ended after ${this.received} of ${this.frameBytes} bytes`);
    }
    if (this.step !== null) throw this.error('frame ended inside the response');
  }

  /** Resumes the parser with the bytes of its last step; takes its next step. */
  private advance(value: Buffer): void {
    let input = value;
    for (;;) {
      let result: IteratorResult<Step, void>;
      try {
        result = this.parser.next(input);
      } catch (err) {
        if (err instanceof StreamFieldError) throw this.error(err.message);
        throw err;
      }
      if (result.done === true) {
        this.step = null;
        return;
      }
      const step = result.value;
      const left = this.frameBytes - this.claimed;
      if (step.bytes === REST_OF_FRAME) step.bytes = left;
      if (step.bytes < 0 || step.bytes > left) {
        throw this.error(`a field of ${step.bytes} bytes runs past the end of the frame (${left} left)`);
      }
      this.claimed += step.bytes;
      this.step = step;
      if (step.bytes > 0) {
        if (step.kind === 'skip') this.skipLeft = step.bytes;
        return;
      }
      input = EMPTY;
    }
  }

  private error(reason: string): DecodeError {
    // Offsets count from the size prefix, as the frame reader hands frames out.
    return new DecodeError(this.apiKey, this.version, this.claimed, `streamed response: ${reason}`);
  }
}
