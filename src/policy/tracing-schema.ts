// `tracing`: OpenTelemetry spans of client requests, exported over OTLP/HTTP (protobuf).
// Documented in config/turnout.example.yaml; carried out by src/observability/request-tracer.ts.
// Off by default: then nothing about tracing runs on the request path.
import { z } from 'zod';
import { ConfigError } from './config-error.js';
import { envVarNameSchema } from './backend-security-schema.js';

/** The service name spans carry when none is configured. */
export const DEFAULT_TRACING_SERVICE_NAME = 'turnout';

/** An HTTP header name as RFC 9110 allows it. */
const headerNameSchema = z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'must be an HTTP header name');

/** A header's value: written out, or the name of the environment variable holding it (a token is a secret). */
const headerValueSchema = z.union([
  z.string(),
  z
    .object({
      /** Environment variable holding the value; read when Turnout starts. */
      valueEnv: envVarNameSchema,
    })
    .strict(),
]);

export const tracingSchema = z
  .object({
    enabled: z.boolean().default(false),
    /** The OTLP/HTTP traces URL, e.g. http://collector:4318/v1/traces. */
    endpoint: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }).optional(),
    /** Sent with every export (an API key, a tenant). */
    headers: z.record(headerNameSchema, headerValueSchema).default({}),
    /** Share of client requests traced, decided per request (a trace's children follow their parent). */
    samplingRatio: z.number().min(0).max(1).default(1),
    serviceName: z.string().min(1).default(DEFAULT_TRACING_SERVICE_NAME),
  })
  .strict()
  .superRefine((t, ctx) => {
    if (t.enabled && t.endpoint === undefined) ctx.addIssue({ code: 'custom', path: ['endpoint'], message: 'required when tracing is enabled' });
  });

export const tracingField = tracingSchema.default(tracingSchema.parse({}));

export type TracingConfig = z.output<typeof tracingSchema>;

/**
 * The export headers with their values read: a value named by `valueEnv` comes from `env`.
 * Throws a ConfigError naming the header when its variable is not set.
 */
export function tracingHeadersOf(tracing: TracingConfig, source: string, env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(tracing.headers)) {
    if (typeof value === 'string') {
      out[name] = value;
      continue;
    }
    const fromEnv = env[value.valueEnv];
    if (fromEnv === undefined) {
      throw new ConfigError(source, [{ path: `tracing.headers.${name}.valueEnv`, reason: `environment variable ${value.valueEnv} is not set` }]);
    }
    out[name] = fromEnv;
  }
  return out;
}
