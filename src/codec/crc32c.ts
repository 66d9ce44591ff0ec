// CRC32C (Castagnoli), the checksum of Kafka record batches, from a native implementation.
import { crc32c as nativeCrc32c } from '@node-rs/crc32';

/** CRC32C of `buf`, continuing from `initial` when checksumming in pieces. Unsigned 32-bit. */
export function crc32c(buf: Uint8Array, initial = 0): number {
  return nativeCrc32c(buf, initial) >>> 0;
}
