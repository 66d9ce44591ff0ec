// One immutable version of the policy: backends, domains with the backend each lives on now,
// and the resolver over their patterns. Stores build a new snapshot for every change and hand
// it to their subscribers; routing reads the current one per decision and never mutates it.
import type { BackendConfig, DomainConfig, PolicyDocument } from './policy-schema.js';
import { IMPLICIT_DOMAIN } from './policy-schema.js';
import { parsePattern, type NameKind, type NamePattern } from './name-pattern.js';
import { DomainResolver, type DomainResolution } from './domain-resolver.js';

export interface BackendPolicy {
  readonly name: string;
  readonly bootstrapServers: readonly string[];
  /** Broker rack id → availability zone. */
  readonly rackZones: ReadonlyMap<string, string>;
  /** Validated but not used yet: Turnout connects to backends without authentication. */
  readonly credentials: BackendConfig['credentials'] | null;
}

export interface DomainPolicy {
  readonly name: string;
  readonly owner: string;
  readonly topics: readonly NamePattern[];
  readonly groups: readonly NamePattern[];
  readonly transactionalIds: readonly NamePattern[];
  /** The backend the domain lives on now: where its traffic goes. */
  readonly backend: string;
  /** The backend the policy document names; differs from `backend` after `setDomainBackend`. */
  readonly configuredBackend: string;
  readonly migrationTarget: string | null;
  /** True for the domain Turnout makes up when the configuration declares none. */
  readonly implicit: boolean;
}

export class PolicySnapshot {
  /** Grows with every change a store applies. */
  readonly version: number;
  /** The validated document the snapshot was built from (what a store shares). */
  readonly document: PolicyDocument;
  readonly backends: ReadonlyMap<string, BackendPolicy>;
  /** In configuration order. */
  readonly domains: ReadonlyMap<string, DomainPolicy>;
  readonly defaultDomain: DomainPolicy | null;
  /** Domain → backend set through the store where it differs from the document. */
  readonly backendOverrides: ReadonlyMap<string, string>;
  readonly resolver: DomainResolver<DomainPolicy>;

  constructor(document: PolicyDocument, version: number, overrides: ReadonlyMap<string, string>) {
    this.version = version;
    this.document = document;
    const backends = new Map<string, BackendPolicy>();
    for (const b of document.backends) {
      backends.set(b.name, {
        name: b.name,
        bootstrapServers: b.bootstrapServers,
        rackZones: new Map(Object.entries(b.rackZones)),
        credentials: b.credentials ?? null,
      });
    }
    this.backends = backends;

    const applied = new Map<string, string>();
    const domains = new Map<string, DomainPolicy>();
    const declared: DomainConfig[] =
      document.domains.length > 0
        ? document.domains
        : // Before domains existed a configuration had one backend and no domains: everything
          // keeps going to that backend, through a domain that owns every name by default.
          [{ name: IMPLICIT_DOMAIN, owner: '', topics: [], groups: [], transactionalIds: [], backend: document.backends[0].name }];
    for (const d of declared) {
      const wanted = overrides.get(d.name);
      const backend = wanted !== undefined && backends.has(wanted) ? wanted : d.backend;
      if (backend !== d.backend) applied.set(d.name, backend);
      domains.set(d.name, {
        name: d.name,
        owner: d.owner,
        topics: d.topics.map(parsePattern),
        groups: d.groups.map(parsePattern),
        transactionalIds: d.transactionalIds.map(parsePattern),
        backend,
        configuredBackend: d.backend,
        migrationTarget: d.migrationTarget ?? null,
        implicit: document.domains.length === 0,
      });
    }
    this.domains = domains;
    this.backendOverrides = applied;
    const defaultName = document.domains.length > 0 ? document.defaultDomain : IMPLICIT_DOMAIN;
    this.defaultDomain = defaultName === undefined ? null : (domains.get(defaultName) ?? null);
    this.resolver = new DomainResolver(domains.values(), this.defaultDomain);
  }

  /** The domain a topic, group or transactional id belongs to, or the refusal to answer with. */
  resolve(kind: NameKind, name: string): DomainResolution<DomainPolicy> {
    return this.resolver.resolve(kind, name);
  }

  /** Same document and same domain backends: a store applying it would change nothing. */
  samePolicyAs(other: PolicySnapshot): boolean {
    return policyFingerprint(this.document, this.backendOverrides) === policyFingerprint(other.document, other.backendOverrides);
  }
}

function policyFingerprint(document: PolicyDocument, overrides: ReadonlyMap<string, string>): string {
  return JSON.stringify([document, [...overrides].sort((a, b) => (a[0] < b[0] ? -1 : 1))]);
}

/** The policy part of a validated configuration. */
export function policyDocumentOf(config: PolicyDocument): PolicyDocument {
  const doc: PolicyDocument = { backends: config.backends, domains: config.domains };
  if (config.defaultDomain !== undefined) doc.defaultDomain = config.defaultDomain;
  return doc;
}
