// Kafka's `ssl.principal.mapping.rules`: how a client certificate's subject (RFC 2253, see
// x500-name.ts) becomes a principal name, so that ACLs written for a broker carry over.
//
//   RULE:pattern/replacement/[L|U], RULE:..., DEFAULT
//
// Rules are tried in order; the first whose pattern matches the whole subject gives the name:
// every match of the pattern in the subject is replaced (Java's String.replaceAll, `$n` group
// references, `\` escapes), then lower- or upper-cased with L or U. DEFAULT gives the subject
// unchanged. A subject no rule matches has no principal (the connection is refused). The text
// is split and parsed with the same expressions as Kafka's SslPrincipalMapper, so what Kafka
// accepts or refuses, Turnout does too. Patterns are Java regular expressions as far as
// JavaScript shares their syntax (possessive quantifiers, inline flags and \p{Alpha}-style
// classes are refused at load).
//
// Unlike Kafka, a replacement that could never be applied (a trailing `\`, `$` without a
// group, a group the pattern lacks) is refused when the rules are loaded, not at the first
// client whose subject matches.

/** The rules text does not parse. */
export class PrincipalMappingRuleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PrincipalMappingRuleError';
  }
}

/** No rule matched a subject (Kafka's NoMatchingRule): the client has no principal. */
export class NoMatchingRuleError extends Error {
  readonly subject: string;
  constructor(subject: string, rules: string) {
    super(`no principal mapping rule applies to ${subject}, rules ${rules}`);
    this.name = 'NoMatchingRuleError';
    this.subject = subject;
  }
}

export const DEFAULT_PRINCIPAL_MAPPING_RULES = 'DEFAULT';

const RULE_PATTERN = String.raw`(DEFAULT)|RULE:((\\.|[^\\/])*)/((\\.|[^\\/])*)/([LU]?).*?|(.*?)`;
const RULE_SPLITTER = new RegExp(String.raw`\s*(${RULE_PATTERN})\s*(,\s*|$)`, 'g');
const RULE_PARSER = new RegExp(RULE_PATTERN, 'y');
const BACK_REFERENCE = /\$(\d+)/g;
const MAX_GROUP_REFERENCE = 2 ** 31 - 1;

/** Java's String.trim: removes every char up to U+0020 at both ends. */
function javaTrim(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && text.charCodeAt(start) <= 0x20) start++;
  while (end > start && text.charCodeAt(end - 1) <= 0x20) end--;
  return text.slice(start, end);
}

type ReplacementPart = string | { group: number } | { name: string };

interface MappingRule {
  /** Kafka's way of writing the rule (its toString), for logs and errors. */
  readonly written: string;
  apply(subject: string): string | null;
}

const DEFAULT_RULE: MappingRule = { written: 'DEFAULT', apply: (subject) => subject };

function compile(pattern: string, flags: string, rule: string): RegExp {
  try {
    return new RegExp(pattern, flags);
  } catch (err) {
    throw new PrincipalMappingRuleError(`invalid pattern in rule \`${rule}\`: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/**
 * Kafka writes `$n` for a group the pattern lacks as a literal (a `$12` with one group reads
 * as group 1 then "2"): a backslash goes before such a `$`, at the position Kafka computes.
 */
function escapeLiteralReferences(replacement: string, groupCount: number): string {
  if (groupCount === 0) return replacement;
  let value = replacement;
  for (const m of replacement.matchAll(BACK_REFERENCE)) {
    const digits = m[1];
    if (digits.startsWith('0')) continue;
    let index = Number(digits);
    if (index > MAX_GROUP_REFERENCE) throw new PrincipalMappingRuleError(`group reference $${digits} is too large`);
    while (index > groupCount && index >= 10) index = Math.floor(index / 10);
    if (index > groupCount) {
      // At the reference's offset in the original text, as Kafka does even once earlier
      // insertions have moved it.
      const at = m.index ?? 0;
      value = `${value.slice(0, at)}\\${value.slice(at)}`;
    }
  }
  return value;
}

/** Java's Matcher replacement syntax, checked once against the pattern's groups. */
function parseReplacement(replacement: string, groupCount: number, groupNames: ReadonlySet<string>, rule: string): ReplacementPart[] {
  const fail = (why: string): never => {
    throw new PrincipalMappingRuleError(`invalid replacement in rule \`${rule}\`: ${why}`);
  };
  const parts: ReplacementPart[] = [];
  let literal = '';
  for (let i = 0; i < replacement.length; ) {
    const c = replacement[i++];
    if (c === '\\') {
      if (i === replacement.length) fail('character to be escaped is missing');
      literal += replacement[i++];
    } else if (c === '$') {
      if (i === replacement.length) fail('group index is missing after $');
      if (literal !== '') parts.push(literal);
      literal = '';
      if (replacement[i] === '{') {
        const close = replacement.indexOf('}', i);
        const name = close < 0 ? '' : replacement.slice(i + 1, close);
        if (!/^[A-Za-z][A-Za-z0-9]*$/.test(name)) fail('named group reference is malformed');
        if (!groupNames.has(name)) fail(`no group named ${name}`);
        parts.push({ name });
        i = close + 1;
      } else {
        let group = replacement.charCodeAt(i) - 48;
        if (group < 0 || group > 9) fail('$ must be followed by a group number or {name}');
        i++;
        // The longest reference the pattern has groups for.
        while (i < replacement.length) {
          const digit = replacement.charCodeAt(i) - 48;
          if (digit < 0 || digit > 9 || group * 10 + digit > groupCount) break;
          group = group * 10 + digit;
          i++;
        }
        if (group > groupCount) fail(`the pattern has no group ${group}`);
        parts.push({ group });
      }
    } else {
      literal += c;
    }
  }
  if (literal !== '') parts.push(literal);
  return parts;
}

function regexRule(pattern: string, replacement: string, toLower: boolean, toUpper: boolean): MappingRule {
  const written = `RULE:${pattern}/${replacement}${toLower ? '/L' : toUpper ? '/U' : ''}`;
  const whole = compile(`^(?:${pattern})$`, '', written);
  const every = compile(pattern, 'g', written);
  const groupCount = (compile(`${pattern}|`, '', written).exec('') as RegExpExecArray).length - 1;
  const groupNames = new Set([...pattern.matchAll(/\(\?<([A-Za-z][A-Za-z0-9]*)>/g)].map((m) => m[1]));
  const parts = parseReplacement(escapeLiteralReferences(replacement, groupCount), groupCount, groupNames, written);
  const expand = (match: RegExpExecArray): string => {
    let out = '';
    for (const part of parts) {
      if (typeof part === 'string') out += part;
      else if ('group' in part) out += match[part.group] ?? '';
      else out += match.groups?.[part.name] ?? '';
    }
    return out;
  };
  return {
    written,
    apply(subject) {
      if (!whole.test(subject)) return null;
      let result = '';
      let last = 0;
      every.lastIndex = 0;
      for (let m = every.exec(subject); m !== null; m = every.exec(subject)) {
        result += subject.slice(last, m.index) + expand(m);
        last = m.index + m[0].length;
        // An empty match moves on by one char, as Java's find() does.
        if (m[0].length === 0) every.lastIndex++;
      }
      result += subject.slice(last);
      if (toLower) return result.toLowerCase();
      if (toUpper) return result.toUpperCase();
      return result;
    },
  };
}

/** Kafka's splitting: each comma-separated piece, blanks included (they are dropped later). */
function splitRules(text: string): string[] {
  return [...javaTrim(text).matchAll(RULE_SPLITTER)].map((m) => m[1]);
}

function parseRule(text: string): MappingRule | null {
  RULE_PARSER.lastIndex = 0;
  const m = RULE_PARSER.exec(text);
  if (m === null) throw new PrincipalMappingRuleError(`invalid rule: ${text}`);
  if (m[0].length !== text.length) {
    throw new PrincipalMappingRuleError(`invalid rule: \`${text}\`, unmatched substring: \`${text.slice(m[0].length)}\``);
  }
  if (m[1] !== undefined) return DEFAULT_RULE;
  if (m[2] !== undefined) return regexRule(m[2], m[4] ?? '', m[6] === 'L', m[6] === 'U');
  return null;
}

/** Parsed `ssl.principal.mapping.rules`. */
export class PrincipalMappingRules {
  private readonly rules: readonly MappingRule[];

  private constructor(rules: readonly MappingRule[]) {
    this.rules = rules;
  }

  /** Parses the rules text (Kafka's default is `DEFAULT`). Throws PrincipalMappingRuleError. */
  static parse(text: string = DEFAULT_PRINCIPAL_MAPPING_RULES): PrincipalMappingRules {
    const rules: MappingRule[] = [];
    for (const piece of splitRules(text)) {
      const rule = parseRule(piece);
      if (rule !== null) rules.push(rule);
    }
    return new PrincipalMappingRules(rules);
  }

  /** The principal name for an RFC 2253 subject. Throws NoMatchingRuleError. */
  map(subject: string): string {
    for (const rule of this.rules) {
      const name = rule.apply(subject);
      if (name !== null) return name;
    }
    throw new NoMatchingRuleError(subject, this.toString());
  }

  /** The rules as Kafka lists them: `[RULE:^CN=(.*?),OU=.*$/$1/L, DEFAULT]`. */
  toString(): string {
    return `[${this.rules.map((r) => r.written).join(', ')}]`;
  }
}
