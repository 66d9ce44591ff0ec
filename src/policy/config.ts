// Turnout's configuration: the YAML schema, its defaults, and loading with errors that name
// the offending field. Every field is documented in config/turnout.example.yaml. Backends,
// domains and their cross-checks live in policy-schema.ts, shared with the policy store; zones
// and the client CIDR map in zone-schema.ts.
import { readFile } from 'node:fs/promises';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { z } from 'zod';
import { adminAuthSchema } from './admin-auth-schema.js';
import { authorizationField } from './authorization-schema.js';
import { authenticationField, checkAuthentication, listenerSaslSchema } from './authentication-schema.js';
import { ConfigError, formatPath } from './config-error.js';
import { cutoverField } from './cutover-schema.js';
import { listenerTlsSchema } from './listener-tls-schema.js';
import { checkProcesses, processesField } from './processes-schema.js';
import { checkPolicy, envVarNameSchema, policyFields } from './policy-schema.js';
import { checkZones, zoneFields, zoneNameSchema } from './zone-schema.js';
import { checkZoneRouting, MAX_NODES_PER_GROUP, nodeIdBaseSchema, presentationSchema, zoneRoutingField } from './zone-routing-schema.js';
import { tracingField } from './tracing-schema.js';

export { ConfigError, type ConfigIssue } from './config-error.js';
export type { BackendConfig, DomainConfig, PolicyDocument } from './policy-schema.js';
export { presentationOf, type PeerConfig, type Presentation, type ZoneRoutingConfig } from './zone-routing-schema.js';

const MiB = 1024 * 1024;

const port = z.number().int().min(0).max(65535);
const host = z.string().min(1);

const listenerSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9._-]+$/, 'must be letters, digits, ".", "_" or "-"').default('default'),
    bindHost: host.default('0.0.0.0'),
    advertisedHost: host.default('localhost'),
    bootstrapPort: port,
    nodePortBase: port,
    /** Turnout's own nodes on this listener with the turnout-nodes presentation (one per backend broker otherwise). */
    nodes: z.number().int().min(1).max(MAX_NODES_PER_GROUP).default(3),
    /** Id of this listener's first node (turnout-nodes): ids nodeIdBase..nodeIdBase+nodes-1, unique across zones and peers. */
    nodeIdBase: nodeIdBaseSchema.default(0),
    /** Availability zone this listener (and the Turnout instance behind it) is in; one of `zones`. */
    zone: zoneNameSchema.optional(),
    /** SASL on this listener (authentication-schema.ts); absent: no SASL, clients are User:ANONYMOUS. */
    sasl: listenerSaslSchema.optional(),
    /** Terminate TLS on this listener's ports (listener-tls-schema.ts); plaintext when absent. */
    tls: listenerTlsSchema.optional(),
  })
  .strict();

const limitsSchema = z
  .object({
    maxFrameBytes: z.number().int().min(1024).max(2 ** 31 - 1).default(100 * MiB),
    maxInFlightRequests: z.number().int().min(1).max(10_000).default(100),
    writeHighWaterBytes: z.number().int().min(1024).default(MiB),
    upstreamConnectTimeoutMs: z.number().int().min(1).default(10_000),
    upstreamRequestTimeoutMs: z.number().int().min(1).default(360_000),
  })
  .strict();

const redisStoreSchema = z
  .object({
    url: z.string().regex(/^rediss?:\/\/\S+$/, 'must be a redis:// or rediss:// URL'),
    passwordEnv: envVarNameSchema.optional(),
    keyPrefix: z.string().min(1).optional(),
    pollIntervalMs: z.number().int().min(100).max(3_600_000).default(1_000),
    connectTimeoutMs: z.number().int().min(100).max(600_000).default(5_000),
  })
  .strict();

const storeSchema = z
  .object({
    type: z.enum(['file', 'redis']).default('file'),
    watchFile: z.boolean().default(true),
    reloadDebounceMs: z.number().int().min(0).max(60_000).default(200),
    /** Folder of the state files Turnout writes while running (see state-dir.ts). */
    stateDir: z.string().min(1).optional(),
    redis: redisStoreSchema.optional(),
  })
  .strict()
  .superRefine((store, ctx) => {
    if (store.type === 'redis' && store.redis === undefined) {
      ctx.addIssue({ code: 'custom', path: ['redis'], message: 'required when store.type is redis' });
    }
  });

function configSchemaFor(severalBackends: boolean) {
  return z
    .object({
      virtualCluster: z
        .object({
          clusterId: z.string().min(1).max(128),
          /** Default: turnout-nodes with several backends or with zones, else broker-per-node (see presentationOf). */
          presentation: presentationSchema.optional(),
        })
        .strict(),
      listeners: z
        .array(listenerSchema)
        .min(1, 'needs at least one listener')
        .refine((ls) => new Set(ls.map((l) => l.name)).size === ls.length, 'listener names must be unique'),
      backends: severalBackends ? policyFields.backends : policyFields.backends.length(1, 'exactly one backend is supported for now'),
      domains: policyFields.domains,
      defaultDomain: policyFields.defaultDomain,
      zones: zoneFields.zones,
      clientZones: zoneFields.clientZones,
      zoneRouting: zoneRoutingField,
      authorization: authorizationField,
      store: storeSchema.default(storeSchema.parse({})),
      authentication: authenticationField,
      /** Cutovers of domains between backends (cutover-schema.ts). */
      cutover: cutoverField,
      admin: z
        .object({
          host: host.default('127.0.0.1'),
          port: port.default(9190),
          /** The bearer token the /v1 API requires; without it the API is read-only. */
          auth: adminAuthSchema.optional(),
        })
        .strict()
        .default({ host: '127.0.0.1', port: 9190 }),
      limits: limitsSchema.default(limitsSchema.parse({})),
      topology: z
        .object({
          refreshIntervalMs: z.number().int().min(100).default(30_000),
        })
        .strict()
        .default({ refreshIntervalMs: 30_000 }),
      logging: z
        .object({
          level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
        })
        .strict()
        .default({ level: 'info' }),
      tracing: tracingField,
      /** Processes serving the listeners (processes-schema.ts). */
      processes: processesField,
    })
    .strict()
    .superRefine((config, ctx) => {
      const addIssue = (path: PropertyKey[], message: string): void => ctx.addIssue({ code: 'custom', path, message });
      checkPolicy(config, addIssue);
      checkZones(config, addIssue);
      checkZoneRouting(config, addIssue);
      checkAuthentication(config, addIssue);
      checkProcesses(config, addIssue);
    });
}

const configSchema = configSchemaFor(true);
const singleBackendConfigSchema = configSchemaFor(false);

export type TurnoutConfig = z.output<typeof configSchema>;
/** What a caller may pass to `parseConfig`: defaults filled in for missing fields. */
export type TurnoutConfigInput = z.input<typeof configSchema>;
export type ListenerConfig = TurnoutConfig['listeners'][number];
export type { ListenerTlsConfig } from './listener-tls-schema.js';
export type LimitsConfig = TurnoutConfig['limits'];
export type StoreConfig = TurnoutConfig['store'];
export type { AuthenticationConfig, ListenerSaslConfig } from './authentication-schema.js';
export type { TracingConfig } from './tracing-schema.js';
export type RedisStoreConfig = NonNullable<StoreConfig['redis']>;
export type ClientZonesConfig = TurnoutConfig['clientZones'];
export type DomainLocality = NonNullable<TurnoutConfig['domains'][number]['locality']>;

export interface ParseConfigOptions {
  /**
   * Accept several backends. The policy layer (domains, policy store, admin API) and
   * `startProxy` handle any number; callers that forward to one backend only keep the
   * default, which refuses a second. (default: false)
   */
  severalBackends?: boolean;
}

/** Validates an already-parsed object (from YAML or built in code) and fills in defaults. */
export function parseConfig(input: unknown, source = 'config', opts: ParseConfigOptions = {}): TurnoutConfig {
  const schema = opts.severalBackends === true ? configSchema : singleBackendConfigSchema;
  const result = schema.safeParse(input);
  if (!result.success) {
    throw new ConfigError(
      source,
      result.error.issues.map((issue) => ({ path: formatPath(issue.path), reason: issue.message })),
    );
  }
  return result.data;
}

/** Parses YAML text and validates it. */
export function parseConfigYaml(text: string, source = 'config', opts: ParseConfigOptions = {}): TurnoutConfig {
  let doc: unknown;
  try {
    doc = parseYaml(text, { prettyErrors: true });
  } catch (err) {
    const reason = err instanceof YAMLParseError ? err.message : String(err);
    throw new ConfigError(source, [{ path: '', reason: `not valid YAML: ${reason}` }]);
  }
  return parseConfig(doc ?? {}, source, opts);
}

/** Reads and validates a YAML configuration file. */
export async function loadConfigFile(file: string, opts: ParseConfigOptions = {}): Promise<TurnoutConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new ConfigError(file, [{ path: '', reason: `cannot read file: ${reason}` }]);
  }
  return parseConfigYaml(text, file, opts);
}

/** Splits `host:port` (IPv6 in brackets) into its parts. */
export function splitHostPort(hostPort: string): { host: string; port: number } {
  const i = hostPort.lastIndexOf(':');
  let h = hostPort.slice(0, i);
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
  return { host: h, port: Number(hostPort.slice(i + 1)) };
}

/** `host:port` as clients take it in bootstrap.servers: an IPv6 address in brackets. */
export function joinHostPort(host: string, port: number): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;
}
