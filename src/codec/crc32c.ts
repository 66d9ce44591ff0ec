// CRC32C (Castagnoli), the checksum of Kafka record batches, from a native implementation,
// and its update after a few bytes of a long message change, without reading the message.
import { crc32c as nativeCrc32c } from '@node-rs/crc32';

/** CRC32C of `buf`, continuing from `initial` when checksumming in pieces. Unsigned 32-bit. */
export function crc32c(buf: Uint8Array, initial = 0): number {
  return nativeCrc32c(buf, initial) >>> 0;
}

// A CRC is linear over GF(2): for two messages of one length, the CRCs differ by the CRC
// register of their difference run from zero. A difference confined to a few bytes is those
// bytes followed by zeros, and running the register over n zero bytes multiplies it by x^(8n)
// modulo the polynomial, which takes log2(n) products rather than n bytes of work.

/** The Castagnoli polynomial, bit-reflected as the register holds it (bit 31 is x^0). */
const POLYNOMIAL = 0x82f63b78;

/** a(x)·b(x) modulo the polynomial, both reflected. */
function multiplyModP(a: number, b: number): number {
  let m = 0x80000000;
  let product = 0;
  for (;;) {
    if ((a & m) !== 0) {
      product ^= b;
      if ((a & (m - 1)) === 0) break;
    }
    m >>>= 1;
    b = (b & 1) !== 0 ? (b >>> 1) ^ POLYNOMIAL : b >>> 1;
  }
  return product >>> 0;
}

/** X_TO_2_POW[k] = x^(2^k) modulo the polynomial, for every k a safe integer count of bytes needs. */
const X_TO_2_POW = new Uint32Array(64);
{
  let p = 0x40000000; // x^1
  X_TO_2_POW[0] = p;
  for (let k = 1; k < X_TO_2_POW.length; k++) X_TO_2_POW[k] = p = multiplyModP(p, p);
}

// Running the register over 2^k zero bytes multiplies it by x^(8·2^k), a linear map of its 32
// bits: the xor of what it does to each of the register's 4 bytes, tabulated once per k
// (4 × 256 entries). Shifting a register over n zero bytes is then 4 look-ups per set bit of
// n, where multiplying bit by bit took some 32 steps per bit: the rewrite of a batch's
// producer fields pays this once per batch.

/** A batch or message length fits in 2^31 bytes: one table set per bit of it. */
const SHIFT_BITS = 31;
/** ZERO_SHIFT[k]: the 4 × 256 table of the register over 2^k zero bytes, built when first needed. */
const ZERO_SHIFT: Array<Uint32Array | undefined> = new Array<Uint32Array | undefined>(SHIFT_BITS).fill(undefined);

function zeroShiftTable(k: number): Uint32Array {
  let table = ZERO_SHIFT[k];
  if (table !== undefined) return table;
  table = new Uint32Array(4 * 256);
  const factor = X_TO_2_POW[k + 3] as number; // x^(8·2^k) = x^(2^(k+3))
  for (let lane = 0; lane < 4; lane++) {
    for (let byte = 0; byte < 256; byte++) table[lane * 256 + byte] = multiplyModP(factor, (byte << (8 * lane)) >>> 0);
  }
  ZERO_SHIFT[k] = table;
  return table;
}

/** The register `r` after `n` zero bytes. */
function shiftOverZeros(r: number, n: number): number {
  if (n < 0 || n >= 2 ** SHIFT_BITS) throw new RangeError(`cannot shift a CRC over ${n} bytes`);
  for (let k = 0; n > 0; k++, n >>>= 1) {
    if ((n & 1) === 0) continue;
    const t = zeroShiftTable(k);
    r = (t[r & 0xff] as number) ^ (t[256 + ((r >>> 8) & 0xff)] as number) ^ (t[512 + ((r >>> 16) & 0xff)] as number) ^ (t[768 + (r >>> 24)] as number);
  }
  return r >>> 0;
}

/** The byte-at-a-time table of the reflected polynomial: short spans stay in JavaScript, no native call. */
const BYTE_TABLE = new Uint32Array(256);
for (let i = 0; i < 256; i++) {
  let r = i;
  for (let bit = 0; bit < 8; bit++) r = (r & 1) !== 0 ? (r >>> 1) ^ POLYNOMIAL : r >>> 1;
  BYTE_TABLE[i] = r >>> 0;
}

/**
 * The CRC32C of a message after some of its bytes changed, from its CRC before: `delta` is the
 * changed span, old bytes xor new, and `bytesAfter` how many bytes of the message follow it.
 * A stored CRC that was wrong stays wrong, as a recomputation would not keep it.
 */
export function crc32cAfterChange(crc: number, delta: Uint8Array, bytesAfter: number): number {
  // The register after the delta from a zero register: no initial value, no final xor.
  let r = 0;
  for (let i = 0; i < delta.length; i++) r = (BYTE_TABLE[(r ^ (delta[i] as number)) & 0xff] as number) ^ (r >>> 8);
  return (crc ^ shiftOverZeros(r, bytesAfter)) >>> 0;
}
