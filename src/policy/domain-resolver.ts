// Which service domain a topic, consumer group or transactional id belongs to. Patterns of
// different domains never overlap (the config check guarantees it), so the first pattern that
// matches names the one domain: literals through a map, prefixes through a character trie,
// globs one by one; results past the literal map are cached (bounded).
//
// A name no pattern matches belongs to the default domain when one is configured, and is
// otherwise refused with a Kafka authorization error:
//   topic            TOPIC_AUTHORIZATION_FAILED (29)
//   group            GROUP_AUTHORIZATION_FAILED (30)
//   transactional id TRANSACTIONAL_ID_AUTHORIZATION_FAILED (53)
// These are not retriable, and that is the point: no retry can succeed until the policy
// changes, and every client library reports them at once with the names involved. The
// retriable UNKNOWN_TOPIC_OR_PARTITION would instead keep producers blocked until their
// delivery timeout and leave consumers waiting silently. When a client lists all topics
// (Metadata with a null topic list), refused topics are left out, as Kafka leaves out topics
// a client may not describe.
import type { NameKind, NamePattern } from './name-pattern.js';
import { globMatches } from './name-pattern.js';

/** What the resolver needs of a domain; the policy snapshot passes its DomainPolicy objects. */
export interface ResolvableDomain {
  readonly name: string;
  readonly topics: readonly NamePattern[];
  readonly groups: readonly NamePattern[];
  readonly transactionalIds: readonly NamePattern[];
}

export interface DomainMatch<D> {
  readonly ok: true;
  readonly domain: D;
  /** True when no pattern matched and the name fell to the default domain. */
  readonly viaDefault: boolean;
}

export interface DomainRefusal {
  readonly ok: false;
  readonly kind: NameKind;
  readonly name: string;
  /** The Kafka error code to answer with for this name. */
  readonly errorCode: number;
  readonly errorName: string;
  /** For logs and the admin API. */
  readonly reason: string;
}

export type DomainResolution<D> = DomainMatch<D> | DomainRefusal;

/** The Kafka error each kind of unresolvable name is refused with; see the file comment. */
export const REFUSAL_ERRORS: Readonly<Record<NameKind, { code: number; name: string }>> = {
  topic: { code: 29, name: 'TOPIC_AUTHORIZATION_FAILED' },
  group: { code: 30, name: 'GROUP_AUTHORIZATION_FAILED' },
  transactionalId: { code: 53, name: 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED' },
};

const MAX_CACHED_NAME_CHARS = 256;

const KIND_WORDS: Record<NameKind, string> = { topic: 'topic', group: 'group', transactionalId: 'transactional id' };

interface TrieNode<D> {
  next: Map<number, TrieNode<D>> | null;
  match: DomainMatch<D> | null;
}

/** Lookup structures for one kind of name. */
class KindIndex<D> {
  readonly literals = new Map<string, DomainMatch<D>>();
  readonly prefixes: TrieNode<D> = { next: null, match: null };
  hasPrefixes = false;
  readonly globs: Array<{ glob: string; match: DomainMatch<D> }> = [];
  readonly cache = new Map<string, DomainResolution<D>>();

  add(pattern: NamePattern, match: DomainMatch<D>): void {
    switch (pattern.kind) {
      case 'literal':
        if (!this.literals.has(pattern.text)) this.literals.set(pattern.text, match);
        return;
      case 'prefix': {
        let node = this.prefixes;
        for (let i = 0; i < pattern.text.length; i++) {
          const c = pattern.text.charCodeAt(i);
          node.next ??= new Map();
          let child = node.next.get(c);
          if (child === undefined) {
            child = { next: null, match: null };
            node.next.set(c, child);
          }
          node = child;
        }
        node.match ??= match;
        this.hasPrefixes = true;
        return;
      }
      case 'glob':
        this.globs.push({ glob: pattern.text, match });
    }
  }

  /** The first prefix or glob that matches, or null. */
  search(name: string): DomainMatch<D> | null {
    if (this.hasPrefixes) {
      let node: TrieNode<D> | undefined = this.prefixes;
      if (node.match !== null) return node.match;
      for (let i = 0; i < name.length && node.next !== null; i++) {
        node = node.next.get(name.charCodeAt(i));
        if (node === undefined) break;
        if (node.match !== null) return node.match;
      }
    }
    for (const g of this.globs) if (globMatches(g.glob, name)) return g.match;
    return null;
  }
}

export interface DomainResolverOptions {
  /** Names remembered per kind beyond the literal map; the cache is emptied when full. (default: 10000) */
  cacheSize?: number;
}

export class DomainResolver<D extends ResolvableDomain = ResolvableDomain> {
  private readonly indexes: Record<NameKind, KindIndex<D>>;
  private readonly defaultMatch: DomainMatch<D> | null;
  private readonly cacheSize: number;

  /**
   * `domains` in configuration order; `defaultDomain` (one of them) takes names no pattern
   * matches, or null to refuse them.
   */
  constructor(domains: Iterable<D>, defaultDomain: D | null, opts: DomainResolverOptions = {}) {
    this.cacheSize = opts.cacheSize ?? 10_000;
    this.indexes = { topic: new KindIndex(), group: new KindIndex(), transactionalId: new KindIndex() };
    for (const d of domains) {
      const match: DomainMatch<D> = Object.freeze({ ok: true, domain: d, viaDefault: false });
      for (const p of d.topics) this.indexes.topic.add(p, match);
      for (const p of d.groups) this.indexes.group.add(p, match);
      for (const p of d.transactionalIds) this.indexes.transactionalId.add(p, match);
    }
    this.defaultMatch = defaultDomain === null ? null : Object.freeze({ ok: true, domain: defaultDomain, viaDefault: true });
  }

  resolve(kind: NameKind, name: string): DomainResolution<D> {
    const index = this.indexes[kind];
    const literal = index.literals.get(name);
    if (literal !== undefined) return literal;
    const cached = index.cache.get(name);
    if (cached !== undefined) return cached;
    const found: DomainResolution<D> = index.search(name) ?? this.defaultMatch ?? this.refusal(kind, name);
    // Long names (group ids may be 32 KiB) are not worth the memory they would pin.
    if (name.length <= MAX_CACHED_NAME_CHARS) {
      if (index.cache.size >= this.cacheSize) index.cache.clear();
      index.cache.set(name, found);
    }
    return found;
  }

  resolveTopic(name: string): DomainResolution<D> {
    return this.resolve('topic', name);
  }

  resolveGroup(name: string): DomainResolution<D> {
    return this.resolve('group', name);
  }

  resolveTransactionalId(name: string): DomainResolution<D> {
    return this.resolve('transactionalId', name);
  }

  private refusal(kind: NameKind, name: string): DomainRefusal {
    const error = REFUSAL_ERRORS[kind];
    return Object.freeze({
      ok: false,
      kind,
      name,
      errorCode: error.code,
      errorName: error.name,
      reason: `${KIND_WORDS[kind]} ${JSON.stringify(name)} belongs to no domain and no defaultDomain is configured`,
    });
  }
}
