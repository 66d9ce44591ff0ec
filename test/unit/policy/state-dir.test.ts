import { describe, expect, it } from 'vitest';
import { stateDirOf } from '../../../src/policy/state-dir.js';

describe('the state folder', () => {
  it('is named after the configuration file beside it, unless store.stateDir says otherwise', () => {
    expect(stateDirOf('/etc/turnout/turnout.yaml', undefined)).toBe('/etc/turnout/turnout.state');
    expect(stateDirOf('/etc/turnout/prod.yml', undefined)).toBe('/etc/turnout/prod.state');
    expect(stateDirOf('/etc/turnout/turnout.yaml', 'state')).toBe('/etc/turnout/state');
    expect(stateDirOf('/etc/turnout/turnout.yaml', '/var/lib/turnout')).toBe('/var/lib/turnout');
    expect(stateDirOf(undefined, '/var/lib/turnout')).toBe('/var/lib/turnout');
    expect(stateDirOf(undefined, undefined)).toBeNull();
  });
});
