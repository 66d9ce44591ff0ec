// Produce with acks=0 gets no response from the broker, so Turnout must know the acks value
// of every produce request to keep its in-order response queue right. This reads just the
// request header and the few body fields before acks, without the codec.
import { DecodeError } from '../codec/index.js';

const PRODUCE = 0;
const FIRST_FLEXIBLE_VERSION = 9;

/** Reads the acks field of a Produce request frame (size prefix included). */
export function readProduceAcks(frame: Buffer, version: number): number {
  let p = 4 + 8; // size, apiKey, apiVersion, correlationId
  const fail = (reason: string): never => {
    throw new DecodeError(PRODUCE, version, p, reason);
  };
  const need = (n: number): void => {
    if (p + n > frame.length) fail(`need ${n} bytes, ${frame.length - p} left`);
  };
  const uvarint = (): number => {
    let value = 0;
    for (let shift = 0; shift <= 28; shift += 7) {
      need(1);
      const b = frame[p++];
      value |= (b & 0x7f) << shift;
      if ((b & 0x80) === 0) return value >>> 0;
    }
    return fail('unsigned varint longer than 5 bytes');
  };
  const skip = (n: number): void => {
    need(n);
    p += n;
  };

  // Request header: clientId is a classic nullable string in every header version.
  need(2);
  const clientIdLength = frame.readInt16BE(p);
  p += 2;
  if (clientIdLength > 0) skip(clientIdLength);
  const flexible = version >= FIRST_FLEXIBLE_VERSION;
  if (flexible) {
    const tagCount = uvarint();
    for (let i = 0; i < tagCount; i++) {
      uvarint();
      skip(uvarint());
    }
  }
  if (version >= 3) {
    // transactionalId: compact nullable string when flexible, else int16-prefixed.
    if (flexible) {
      const lengthPlusOne = uvarint();
      if (lengthPlusOne > 1) skip(lengthPlusOne - 1);
    } else {
      need(2);
      const length = frame.readInt16BE(p);
      p += 2;
      if (length > 0) skip(length);
    }
  }
  need(2);
  return frame.readInt16BE(p);
}
