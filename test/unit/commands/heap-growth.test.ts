import { describe, expect, it } from 'vitest';
import { DEFAULT_HEAP_GROWING_PERCENT, heapGrowthFlag } from '../../../src/commands/heap-growth.js';

describe('heap growth of a running proxy', () => {
  it('sets V8 growth to the default when the operator chose none', () => {
    expect(heapGrowthFlag([], undefined)).toBe(`--heap-growing-percent=${DEFAULT_HEAP_GROWING_PERCENT}`);
    expect(heapGrowthFlag(['--enable-source-maps'], '--max-old-space-size=512')).toBe('--heap-growing-percent=300');
  });

  it("leaves the operator's own growth in place, from the command line or NODE_OPTIONS, in either spelling", () => {
    expect(heapGrowthFlag(['--heap-growing-percent=50'], undefined)).toBeNull();
    expect(heapGrowthFlag(['--heap_growing_percent', '50'], undefined)).toBeNull();
    expect(heapGrowthFlag([], '--max-old-space-size=512 --heap-growing-percent=80')).toBeNull();
  });

  it('does not mistake a longer flag of another name for it', () => {
    expect(heapGrowthFlag(['--heap-growing-percentage-of-something=1'], '--no-heap-growing-percent-x')).toBe('--heap-growing-percent=300');
  });
});
