import { describe, expect, it } from 'vitest';
import { selectCases } from '../../../bench/cli-options.js';

const defaults = { secure: true, twoBackends: true };

describe('selectCases', () => {
  it('runs the single-cluster, secured and two-backend cases by default, tracing only when asked', () => {
    expect(selectCases(defaults)).toEqual({ single: true, secure: true, twoBackends: true, tracing: false });
    expect(selectCases({ ...defaults, tracing: true }).tracing).toBe(true);
    expect(selectCases({ secure: false, twoBackends: false })).toEqual({ single: true, secure: false, twoBackends: false, tracing: false });
  });

  it('runs only the case an --only-* option names', () => {
    expect(selectCases({ ...defaults, onlySingle: true })).toEqual({ single: true, secure: false, twoBackends: false, tracing: false });
    expect(selectCases({ ...defaults, onlyTwoBackends: true })).toEqual({ single: false, secure: false, twoBackends: true, tracing: false });
    expect(selectCases({ ...defaults, onlySecure: true, tracing: true })).toEqual({ single: false, secure: true, twoBackends: false, tracing: false });
    expect(selectCases({ ...defaults, onlyTracing: true })).toEqual({ single: false, secure: false, twoBackends: false, tracing: true });
  });

  it('refuses two --only-* options', () => {
    expect(() => selectCases({ ...defaults, onlySingle: true, onlySecure: true })).toThrow('--only-single and --only-secure: give at most one --only-* option');
  });
});
