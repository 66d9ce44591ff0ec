// The issues a configuration is refused with, for tests that check field paths and reasons.
import { expect } from 'vitest';
import { ConfigError, parseConfig } from '../../../src/policy/config.js';

export function configIssuesOf(input: unknown): Array<{ path: string; reason: string }> {
  try {
    parseConfig(input, 'config', { severalBackends: true });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).issues;
  }
  throw new Error('expected a ConfigError');
}
