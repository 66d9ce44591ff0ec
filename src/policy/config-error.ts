// The error every configuration and policy check throws: where (a field path such as
// `domains[1].topics[0]`) and what, for each problem found.

/** One problem in a configuration: where (`listeners[0].bootstrapPort`) and what. */
export interface ConfigIssue {
  path: string;
  reason: string;
}

export class ConfigError extends Error {
  readonly source: string;
  readonly issues: ConfigIssue[];

  constructor(source: string, issues: ConfigIssue[]) {
    super(`invalid configuration in ${source}: ${issues.map((i) => `${i.path || '(root)'}: ${i.reason}`).join('; ')}`);
    this.name = 'ConfigError';
    this.source = source;
    this.issues = issues;
  }
}

/** `['domains', 1, 'topics', 0]` → `domains[1].topics[0]`. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out;
}
