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

/** x^(8·n) modulo the polynomial: what n zero bytes do to the register. */
function zeroBytesFactor(n: number): number {
  let factor = 0x80000000; // x^0
  for (let k = 3; n > 0; k++, n = Math.floor(n / 2)) {
    if (n % 2 === 1) factor = multiplyModP(X_TO_2_POW[k] as number, factor);
  }
  return factor;
}

/**
 * The CRC32C of a message after some of its bytes changed, from its CRC before: `delta` is the
 * changed span, old bytes xor new, and `bytesAfter` how many bytes of the message follow it.
 * A stored CRC that was wrong stays wrong, as a recomputation would not keep it.
 */
export function crc32cAfterChange(crc: number, delta: Uint8Array, bytesAfter: number): number {
  // The register after the delta from a zero register (the library starts from ~initial).
  const deltaRegister = ~nativeCrc32c(delta, 0xffffffff) >>> 0;
  return (crc ^ multiplyModP(zeroBytesFactor(bytesAfter), deltaRegister)) >>> 0;
}
