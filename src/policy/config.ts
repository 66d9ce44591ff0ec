// Turnout's configuration: the YAML schema, its defaults, and loading with errors that name
// the offending field. Every field is documented in config/turnout.example.yaml.
import { readFile } from 'node:fs/promises';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { z } from 'zod';

const MiB = 1024 * 1024;

const port = z.number().int().min(0).max(65535);
const host = z.string().min(1);

const hostPort = z
  .string()
  .regex(/^(\[[0-9a-fA-F:.]+\]|[^\s:[\]]+):\d{1,5}$/, 'must be host:port')
  .refine((s) => Number(s.slice(s.lastIndexOf(':') + 1)) <= 65535, 'port must be at most 65535');

const listenerSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9._-]+$/, 'must be letters, digits, ".", "_" or "-"').default('default'),
    bindHost: host.default('0.0.0.0'),
    advertisedHost: host.default('localhost'),
    bootstrapPort: port,
    nodePortBase: port,
  })
  .strict();

const backendSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9._-]+$/, 'must be letters, digits, ".", "_" or "-"'),
    bootstrapServers: z.array(hostPort).min(1, 'needs at least one host:port'),
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

const configSchema = z
  .object({
    virtualCluster: z
      .object({
        clusterId: z.string().min(1).max(128),
      })
      .strict(),
    listeners: z
      .array(listenerSchema)
      .min(1, 'needs at least one listener')
      .refine((ls) => new Set(ls.map((l) => l.name)).size === ls.length, 'listener names must be unique'),
    backends: z
      .array(backendSchema)
      .length(1, 'exactly one backend is supported for now'),
    admin: z
      .object({
        host: host.default('127.0.0.1'),
        port: port.default(9190),
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
  })
  .strict();

export type TurnoutConfig = z.output<typeof configSchema>;
/** What a caller may pass to `parseConfig`: defaults filled in for missing fields. */
export type TurnoutConfigInput = z.input<typeof configSchema>;
export type ListenerConfig = TurnoutConfig['listeners'][number];
export type BackendConfig = TurnoutConfig['backends'][number];
export type LimitsConfig = TurnoutConfig['limits'];

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

function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out;
}

/** Validates an already-parsed object (from YAML or built in code) and fills in defaults. */
export function parseConfig(input: unknown, source = 'config'): TurnoutConfig {
  const result = configSchema.safeParse(input);
  if (!result.success) {
    throw new ConfigError(
      source,
      result.error.issues.map((issue) => ({ path: formatPath(issue.path), reason: issue.message })),
    );
  }
  return result.data;
}

/** Parses YAML text and validates it. */
export function parseConfigYaml(text: string, source = 'config'): TurnoutConfig {
  let doc: unknown;
  try {
    doc = parseYaml(text, { prettyErrors: true });
  } catch (err) {
    const reason = err instanceof YAMLParseError ? err.message : String(err);
    throw new ConfigError(source, [{ path: '', reason: `not valid YAML: ${reason}` }]);
  }
  return parseConfig(doc ?? {}, source);
}

/** Reads and validates a YAML configuration file. */
export async function loadConfigFile(file: string): Promise<TurnoutConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new ConfigError(file, [{ path: '', reason: `cannot read file: ${reason}` }]);
  }
  return parseConfigYaml(text, file);
}

/** Splits `host:port` (IPv6 in brackets) into its parts. */
export function splitHostPort(hostPort: string): { host: string; port: number } {
  const i = hostPort.lastIndexOf(':');
  let h = hostPort.slice(0, i);
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
  return { host: h, port: Number(hostPort.slice(i + 1)) };
}
