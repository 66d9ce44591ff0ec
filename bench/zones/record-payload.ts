// The zone workload's records: fixed-size values of random (incompressible) bytes whose
// first five bytes say which producer wrote them and its sequence number, so consumers can
// prove every record arrived exactly once without storing the records.

export const PAYLOAD_HEADER_BYTES = 5;

/** Fills `value` (of the record size) with random bytes and stamps producer and sequence. */
export function stampRecord(value: Buffer, producer: number, seq: number): Buffer {
  value.writeUInt8(producer, 0);
  value.writeUInt32BE(seq, 1);
  return value;
}

export interface RecordStamp {
  producer: number;
  seq: number;
}

/** The stamp of a record value, or undefined when the value is too short to carry one. */
export function readStamp(value: Buffer): RecordStamp | undefined {
  if (value.length < PAYLOAD_HEADER_BYTES) return undefined;
  return { producer: value.readUInt8(0), seq: value.readUInt32BE(1) };
}

/**
 * The records each consumer saw: one bitmap per producer with a bit per sequence number.
 * Sent back to the runner as base64, so a check over several consumers is exact and small.
 */
export class SeenRecords {
  readonly bitmaps: Buffer[];
  duplicates = 0;
  unexpected = 0;
  records = 0;

  constructor(readonly producers: number, readonly perProducer: number) {
    this.bitmaps = Array.from({ length: producers }, () => Buffer.alloc(Math.ceil(perProducer / 8)));
  }

  add(stamp: RecordStamp | undefined): void {
    this.records += 1;
    if (stamp === undefined || stamp.producer >= this.producers || stamp.seq >= this.perProducer) {
      this.unexpected += 1;
      return;
    }
    const map = this.bitmaps[stamp.producer] as Buffer;
    const byte = stamp.seq >> 3;
    const bit = 1 << (stamp.seq & 7);
    if (((map[byte] as number) & bit) !== 0) this.duplicates += 1;
    else map[byte] = (map[byte] as number) | bit;
  }

  encoded(): string[] {
    return this.bitmaps.map((b) => b.toString('base64'));
  }
}

export interface DeliveryCheck {
  expected: number;
  /** Distinct expected records seen by some consumer. */
  delivered: number;
  missing: number;
  /** Records seen more than once, by one consumer or by several. */
  duplicates: number;
  /** Records that carried no valid stamp. */
  unexpected: number;
  exactlyOnce: boolean;
}

function popcount(byte: number): number {
  let n = 0;
  for (let b = byte; b !== 0; b &= b - 1) n += 1;
  return n;
}

export interface ConsumerSeen {
  bitmaps: readonly string[];
  duplicates: number;
  unexpected: number;
}

/** Merges what every consumer saw into one verdict over `producers` × `perProducer` records. */
export function checkDelivery(consumers: readonly ConsumerSeen[], producers: number, perProducer: number): DeliveryCheck {
  let duplicates = 0;
  let unexpected = 0;
  let delivered = 0;
  const bytes = Math.ceil(perProducer / 8);
  for (let p = 0; p < producers; p++) {
    const union = Buffer.alloc(bytes);
    for (const c of consumers) {
      const map = Buffer.from(c.bitmaps[p] ?? '', 'base64');
      if (map.length !== bytes) throw new Error(`a consumer reported a bitmap of ${map.length} bytes for producer ${p}; expected ${bytes}`);
      for (let i = 0; i < bytes; i++) {
        const overlap = (union[i] as number) & (map[i] as number);
        duplicates += popcount(overlap);
        union[i] = (union[i] as number) | (map[i] as number);
      }
    }
    for (let i = 0; i < bytes; i++) delivered += popcount(union[i] as number);
  }
  for (const c of consumers) {
    duplicates += c.duplicates;
    unexpected += c.unexpected;
  }
  const expected = producers * perProducer;
  const missing = expected - delivered;
  return { expected, delivered, missing, duplicates, unexpected, exactlyOnce: missing === 0 && duplicates === 0 && unexpected === 0 };
}
