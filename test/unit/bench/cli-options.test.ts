import { describe, expect, it } from 'vitest';
import { selectCases } from '../../../bench/cli-options.js';

const defaults = { secure: true, twoBackends: true };

describe('selectCases', () => {
  it('runs the single-cluster, secured and two-backend cases by default, tracing and zones only when asked', () => {
    expect(selectCases(defaults)).toEqual({ single: true, secure: true, twoBackends: true, tracing: false, zones: false });
    expect(selectCases({ ...defaults, tracing: true }).tracing).toBe(true);
    expect(selectCases({ ...defaults, zones: true }).zones).toBe(true);
    expect(selectCases({ secure: false, twoBackends: false })).toEqual({ single: true, secure: false, twoBackends: false, tracing: false, zones: false });
  });

  it('runs only the case an --only-* option names', () => {
    const none = { single: false, secure: false, twoBackends: false, tracing: false, zones: false };
    expect(selectCases({ ...defaults, onlySingle: true, zones: true })).toEqual({ ...none, single: true });
    expect(selectCases({ ...defaults, onlyTwoBackends: true })).toEqual({ ...none, twoBackends: true });
    expect(selectCases({ ...defaults, onlySecure: true, tracing: true })).toEqual({ ...none, secure: true });
    expect(selectCases({ ...defaults, onlyTracing: true })).toEqual({ ...none, tracing: true });
    expect(selectCases({ ...defaults, onlyZones: true })).toEqual({ ...none, zones: true });
  });

  it('refuses two --only-* options', () => {
    expect(() => selectCases({ ...defaults, onlySingle: true, onlySecure: true })).toThrow('--only-single and --only-secure: give at most one --only-* option');
  });
});
