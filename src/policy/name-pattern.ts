// Name patterns of service domains: which topics, consumer groups and transactional ids a
// domain owns. Three kinds, written in the configuration as a string or an explicit object:
//
//   "orders.created"          literal: exactly this name (no `*` or `?` in it)
//   "orders.*"                prefix: every name starting with "orders." (one trailing `*`,
//                             no other wildcard); the same as {prefix: "orders."}
//   "*.audit", "orders-v?.*"  glob: `*` any run of characters (also none, also dots),
//                             `?` exactly one character; anything else stands for itself
//   {literal: "a*b"}          explicit forms, for group and transactional ids that contain
//   {prefix: "a?"}            `*` or `?` themselves (topic names cannot)
//   {glob: "a*"}
//
// Two patterns overlap when some name matches both. That is decided exactly, by searching
// the product of the two patterns' automata for a common name, so the config check can
// quote an example name both patterns match.

export type NameKind = 'topic' | 'group' | 'transactionalId';
export type PatternKind = 'literal' | 'prefix' | 'glob';
export type PatternInput = string | { literal: string } | { prefix: string } | { glob: string };

export interface NamePattern {
  readonly kind: PatternKind;
  /** literal: the name; prefix: the prefix; glob: the glob (runs of `*` collapsed). */
  readonly text: string;
  /** As written in the configuration, for messages: `"orders.*"` or `{prefix: "orders."}`. */
  readonly written: string;
  /** As it came in the configuration, for the admin API. */
  readonly input: PatternInput;
}

/** Longest pattern text accepted; Kafka's topic names stop at 249 characters. */
export const MAX_PATTERN_CHARS = 1024;
export const MAX_TOPIC_NAME_CHARS = 249;

const STAR = 42; // '*'
const QMARK = 63; // '?'
const TOPIC_CHARS = /^[A-Za-z0-9._-]*$/;
const TOPIC_GLOB_CHARS = /^[A-Za-z0-9._*?-]*$/;

function collapseStars(glob: string): string {
  return glob.replace(/\*{2,}/g, '*');
}

/** Parses a pattern as written; never throws (check it first with `checkPattern`). */
export function parsePattern(input: PatternInput): NamePattern {
  if (typeof input === 'string') {
    const written = JSON.stringify(input);
    const firstWildcard = input.search(/[*?]/);
    if (firstWildcard < 0) return { kind: 'literal', text: input, written, input };
    const glob = collapseStars(input);
    if (glob.indexOf('*') === glob.length - 1 && !glob.includes('?')) {
      return { kind: 'prefix', text: glob.slice(0, -1), written, input };
    }
    return { kind: 'glob', text: glob, written, input };
  }
  if ('literal' in input) return { kind: 'literal', text: input.literal, written: `{literal: ${JSON.stringify(input.literal)}}`, input };
  if ('prefix' in input) return { kind: 'prefix', text: input.prefix, written: `{prefix: ${JSON.stringify(input.prefix)}}`, input };
  return { kind: 'glob', text: collapseStars(input.glob), written: `{glob: ${JSON.stringify(input.glob)}}`, input };
}

/** Why a pattern cannot be used for names of this kind, or null when it can. */
export function checkPattern(nameKind: NameKind, input: PatternInput): string | null {
  const p = parsePattern(input);
  if (p.text.length > MAX_PATTERN_CHARS) return `pattern longer than ${MAX_PATTERN_CHARS} characters`;
  if (p.kind === 'literal' && p.text === '') return 'a literal name cannot be empty';
  if (nameKind !== 'topic') return null;
  if (p.kind === 'glob') {
    if (!TOPIC_GLOB_CHARS.test(p.text)) return 'topic names only contain letters, digits, ".", "_" and "-" (plus * and ? in a glob)';
  } else if (!TOPIC_CHARS.test(p.text)) {
    return 'topic names only contain letters, digits, ".", "_" and "-"';
  }
  if (p.kind === 'literal' && p.text.length > MAX_TOPIC_NAME_CHARS) return `topic names have at most ${MAX_TOPIC_NAME_CHARS} characters`;
  if (p.kind !== 'literal' && minLength(p) > MAX_TOPIC_NAME_CHARS) {
    return `matches no topic: topic names have at most ${MAX_TOPIC_NAME_CHARS} characters`;
  }
  return null;
}

/** The length of the shortest name a pattern matches. */
function minLength(p: NamePattern): number {
  if (p.kind !== 'glob') return p.text.length;
  let n = 0;
  for (let i = 0; i < p.text.length; i++) if (p.text.charCodeAt(i) !== STAR) n++;
  return n;
}

export function patternMatches(p: NamePattern, name: string): boolean {
  switch (p.kind) {
    case 'literal':
      return name === p.text;
    case 'prefix':
      return name.startsWith(p.text);
    case 'glob':
      return globMatches(p.text, name);
  }
}

/**
 * Glob match in O(glob × name) at worst, without regular expressions (a hostile name must
 * not make a backtracking regex explode): on a mismatch, retry from the last `*` with it
 * swallowing one more character.
 */
export function globMatches(glob: string, name: string): boolean {
  let g = 0;
  let n = 0;
  let starG = -1;
  let starN = 0;
  while (n < name.length) {
    if (g < glob.length) {
      const c = glob.charCodeAt(g);
      if (c === STAR) {
        starG = g++;
        starN = n;
        continue;
      }
      if (c === QMARK || c === name.charCodeAt(n)) {
        g++;
        n++;
        continue;
      }
    }
    if (starG < 0) return false;
    g = starG + 1;
    n = ++starN;
  }
  while (g < glob.length && glob.charCodeAt(g) === STAR) g++;
  return g === glob.length;
}

// Tokens of a pattern as an automaton: a character code, ANY_ONE (`?`) or ANY_RUN (`*`).
const ANY_ONE = -1;
const ANY_RUN = -2;

function tokens(p: NamePattern): number[] {
  const out: number[] = [];
  for (let i = 0; i < p.text.length; i++) {
    const c = p.text.charCodeAt(i);
    if (p.kind === 'glob' && c === STAR) out.push(ANY_RUN);
    else if (p.kind === 'glob' && c === QMARK) out.push(ANY_ONE);
    else out.push(c);
  }
  if (p.kind === 'prefix') out.push(ANY_RUN);
  return out;
}

/** A character for a step where both sides accept anything: one that is valid in a topic. */
const FILLER = 'x'.charCodeAt(0);

/**
 * A name both patterns match, or null when their languages are disjoint. Literal and prefix
 * cases are string comparisons; anything with a glob is a breadth-first search over pairs
 * of positions (i in a, j in b), which finds a shortest common name.
 */
export function patternsOverlap(a: NamePattern, b: NamePattern): string | null {
  if (a.kind === 'glob' || b.kind === 'glob') {
    if (a.kind === 'literal') return globMatches(b.text, a.text) ? a.text : null;
    if (b.kind === 'literal') return globMatches(a.text, b.text) ? b.text : null;
    return productSearch(tokens(a), tokens(b));
  }
  if (a.kind === 'literal' && b.kind === 'literal') return a.text === b.text ? a.text : null;
  if (a.kind === 'literal') return a.text.startsWith(b.text) ? a.text : null;
  if (b.kind === 'literal') return b.text.startsWith(a.text) ? b.text : null;
  // Two prefixes: the longer one is a common name when the shorter starts it.
  const [short, long] = a.text.length <= b.text.length ? [a.text, b.text] : [b.text, a.text];
  return long.startsWith(short) ? long : null;
}

function productSearch(a: number[], b: number[]): string | null {
  const width = b.length + 1;
  const states = (a.length + 1) * width;
  const parent = new Int32Array(states).fill(-2); // -2 unvisited, -1 start
  const via = new Int32Array(states); // character consumed to get here, or -1 for none
  const queue = new Int32Array(states);
  let head = 0;
  let tail = 0;
  const goal = a.length * width + b.length;

  const visit = (from: number, to: number, ch: number): void => {
    if (parent[to] !== -2) return;
    parent[to] = from;
    via[to] = ch;
    queue[tail++] = to;
  };
  parent[0] = -1;
  queue[tail++] = 0;
  while (head < tail) {
    const s = queue[head++];
    if (s === goal) break;
    const i = Math.floor(s / width);
    const j = s - i * width;
    const ta = i < a.length ? a[i] : undefined;
    const tb = j < b.length ? b[j] : undefined;
    // A `*` may match nothing: move past it without consuming a character.
    if (ta === ANY_RUN) visit(s, s + width, -1);
    if (tb === ANY_RUN) visit(s, s + 1, -1);
    if (ta === undefined || tb === undefined) continue;
    // Consume one character on both sides; a `*` consuming stays where it is.
    if (ta >= 0 && tb >= 0 && ta !== tb) continue;
    const ch = ta >= 0 ? ta : tb >= 0 ? tb : FILLER;
    const ni = ta === ANY_RUN ? i : i + 1;
    const nj = tb === ANY_RUN ? j : j + 1;
    if (ni !== i || nj !== j) visit(s, ni * width + nj, ch);
  }
  if (parent[goal] === -2) return null;
  const chars: number[] = [];
  for (let s = goal; s !== 0; s = parent[s]) if (via[s] >= 0) chars.push(via[s]);
  return String.fromCharCode(...chars.reverse());
}
