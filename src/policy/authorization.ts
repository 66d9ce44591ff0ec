// Sets up what Turnout decides access with, from the configuration's `authorization` section:
// the ACL store that suits the policy store (Redis when the policy is in Redis, else a state
// file beside the configuration file, else memory), the authorizer over the stored bindings
// and the domains' grants, its audit and metrics. The proxy calls this once at start:
//
//   const authz = await createAuthorization(config, policyStore, log, metrics);
//   authz.authorizer.authorize({ principal, host, operation: 'WRITE', resourceType: 'TOPIC', resourceName });
//   await authz.close();
//
// Without `authorization` (or with `enabled: false`) the authorizer allows everything and
// there is no store: the ACL apis answer as a broker without an authorizer does.
import path from 'node:path';
import type { Logger } from '../observability/logger.js';
import type { ProxyMetrics } from '../observability/metrics.js';
import { AclAuthorizer, OPEN_AUTHORIZER } from './acl-authorizer.js';
import { DenialAudit } from './acl-audit.js';
import type { AclBindingStore, AclStoreHealth } from './acl-binding-store.js';
import type { AclExplanation, ExplainQuestion } from './acl-explain.js';
import { defaultAclStateFile, openFileAclStore } from './acl-file-store.js';
import { memoryAclStore } from './acl-local-store.js';
import type { Authorizer, DomainGrant } from './acl-model.js';
import { reasonText } from './acl-reason-text.js';
import { seedBindingsOf, type AuthorizationConfig } from './authorization-schema.js';
import { ConfigError } from './config-error.js';
import type { TurnoutConfig } from './config.js';
import { domainGrantRules, domainGrants, type GrantingDomain } from './domain-access.js';
import { FilePolicyStore } from './file-policy-store.js';
import type { PolicyStore } from './policy-store.js';
import { defaultRedisKeyPrefix } from './redis-key-prefix.js';

export interface Authorization {
  /** What the request pipeline asks; `enabled` is false when authorization is off. */
  readonly authorizer: Authorizer;
  /** Where the ACL apis read and write bindings; null when authorization is off. */
  readonly store: AclBindingStore | null;
  /** The decision for a question with the rules behind it (admin API, CLI). */
  explain(q: ExplainQuestion): AclExplanation;
  /** The grants the domains' `access` make now; with a name, those whose pattern covers it. */
  domainGrants(coveringName?: string): DomainGrant[];
  /** The store's health for /readyz, or null without a store. */
  health(): AclStoreHealth | null;
  close(): Promise<void>;
}

export interface CreateAuthorizationOptions {
  /** Environment to read `store.redis.passwordEnv` from. (default: process.env) */
  env?: NodeJS.ProcessEnv;
  /** The configuration file, when there is no file policy store to name it (places the state file). */
  configFile?: string;
}

function domainsOf(config: TurnoutConfig, policyStore: PolicyStore | null): () => readonly GrantingDomain[] {
  return policyStore === null ? () => config.domains : () => policyStore.current().document.domains;
}

export async function createAuthorization(
  config: TurnoutConfig,
  policyStore: PolicyStore | null,
  log: Logger,
  metrics: ProxyMetrics,
  opts: CreateAuthorizationOptions = {},
): Promise<Authorization> {
  const settings = config.authorization;
  const domains = domainsOf(config, policyStore);
  if (settings === undefined || !settings.enabled) {
    if (domains().some((d) => d.access !== undefined)) {
      log.warn('domains grant access but authorization is off: every client may do everything (set authorization to decide ACLs)');
    }
    return offAuthorization(domains);
  }
  const authLog = log.child({ component: 'authorization' });
  const store = await openAclStore(config, settings, policyStore, authLog, opts);
  const authorizer = new AclAuthorizer({
    settings: { superUsers: new Set(settings.superUsers), allowEveryoneIfNoAclFound: settings.allowEveryoneIfNoAclFound },
    bindings: store,
    domainRules: () => domainGrantRules(domains()),
    cacheSize: settings.decisionCacheSize,
    audit: new DenialAudit({ log: authLog, intervalMs: settings.auditIntervalMs }),
    metrics: metrics.authz,
  });
  // Domain grants follow the policy: any policy change drops the decisions made under the old one.
  const unsubscribe = policyStore?.subscribe(() => authorizer.invalidate()) ?? (() => undefined);
  authLog.info(
    {
      store: store.kind,
      bindings: store.health().bindings,
      domainGrants: domainGrantRules(domains()).length,
      superUsers: settings.superUsers,
      allowEveryoneIfNoAclFound: settings.allowEveryoneIfNoAclFound,
    },
    'authorization on',
  );
  return {
    authorizer,
    store,
    explain: (q) => authorizer.explain(q),
    domainGrants: (name) => domainGrants(domains(), name),
    health: () => store.health(),
    close: async () => {
      unsubscribe();
      authorizer.close();
      await store.close();
    },
  };
}

function offAuthorization(domains: () => readonly GrantingDomain[]): Authorization {
  const reason = { kind: 'authorization-off' } as const;
  return {
    authorizer: OPEN_AUTHORIZER,
    store: null,
    explain: (q) => ({ ...q, allowed: true, reason, rule: reasonText(reason), resourceHasAcls: false, allowEveryoneIfNoAclFound: false, rules: [] }),
    domainGrants: (name) => domainGrants(domains(), name),
    health: () => null,
    close: async () => undefined,
  };
}

async function openAclStore(
  config: TurnoutConfig,
  settings: AuthorizationConfig,
  policyStore: PolicyStore | null,
  log: Logger,
  opts: CreateAuthorizationOptions,
): Promise<AclBindingStore> {
  const seed = seedBindingsOf(settings);
  const redis = config.store.redis;
  if (policyStore?.kind === 'redis' && redis !== undefined) {
    let password: string | undefined;
    if (redis.passwordEnv !== undefined) {
      password = (opts.env ?? process.env)[redis.passwordEnv];
      if (password === undefined) {
        throw new ConfigError(opts.configFile ?? 'config', [{ path: 'store.redis.passwordEnv', reason: `environment variable ${redis.passwordEnv} is not set` }]);
      }
    }
    const { RedisAclStore } = await import('./acl-redis-store.js');
    return RedisAclStore.open({
      url: redis.url,
      password,
      keyPrefix: redis.keyPrefix ?? defaultRedisKeyPrefix(config.virtualCluster.clusterId),
      seed,
      log,
      pollIntervalMs: redis.pollIntervalMs,
      connectTimeoutMs: redis.connectTimeoutMs,
    });
  }
  const configFile = policyStore instanceof FilePolicyStore ? policyStore.file : opts.configFile;
  const stateFile =
    settings.stateFile === undefined
      ? configFile === undefined
        ? null
        : defaultAclStateFile(configFile, config.store.stateDir)
      : path.resolve(configFile === undefined ? '.' : path.dirname(configFile), settings.stateFile);
  if (stateFile === null) return memoryAclStore(seed, log);
  return openFileAclStore({ seed, stateFile, log });
}
