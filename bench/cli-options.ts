// Command-line values the bench programs share, parsed for commander, and which of the
// bench's cases its flags select.
import { InvalidArgumentError } from 'commander';

/** A commander parser for an integer option of at least 1; the error names the option. */
export function positiveInt(what: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${what} must be a positive integer`);
    return n;
  };
}

/** Which cases run: all but the optional ones by default, or the one an --only-* flag names. */
export interface CaseSelection {
  single: boolean;
  secure: boolean;
  twoBackends: boolean;
  tracing: boolean;
  zones: boolean;
}

/** The case flags as commander parses them. */
export interface CaseFlags {
  onlySingle?: boolean;
  onlySecure?: boolean;
  onlyTwoBackends?: boolean;
  onlyTracing?: boolean;
  onlyZones?: boolean;
  secure: boolean;
  twoBackends: boolean;
  tracing?: boolean;
  zones?: boolean;
}

export function selectCases(o: CaseFlags): CaseSelection {
  const only = (
    [
      ['--only-single', o.onlySingle],
      ['--only-secure', o.onlySecure],
      ['--only-two-backends', o.onlyTwoBackends],
      ['--only-tracing', o.onlyTracing],
      ['--only-zones', o.onlyZones],
    ] as const
  ).filter(([, on]) => on === true);
  if (only.length > 1) throw new Error(`${only.map(([flag]) => flag).join(' and ')}: give at most one --only-* option`);
  const none = only.length === 0;
  return {
    single: none || o.onlySingle === true,
    secure: (none && o.secure) || o.onlySecure === true,
    twoBackends: (none && o.twoBackends) || o.onlyTwoBackends === true,
    tracing: (none && o.tracing === true) || o.onlyTracing === true,
    zones: (none && o.zones === true) || o.onlyZones === true,
  };
}
