// Command-line values the bench programs share, parsed for commander.
import { InvalidArgumentError } from 'commander';

/** A commander parser for an integer option of at least 1; the error names the option. */
export function positiveInt(what: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${what} must be a positive integer`);
    return n;
  };
}
