// Integer command-line values of the zone benchmark's two programs (runner and client).

/** `text` as an integer of at least `min`; the error names the option. */
export function integerOption(option: string, text: string | boolean | undefined, min: number): number {
  const n = typeof text === 'string' && text.trim() !== '' ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min) throw new Error(`${option} must be an integer of at least ${min}, got ${JSON.stringify(text)}`);
  return n;
}
