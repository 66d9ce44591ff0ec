// The `tracing` section: off by default, what it needs when on, and export headers whose
// values come from the environment.
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig, parseConfigYaml } from '../../../src/policy/config.js';
import { tracingHeadersOf } from '../../../src/policy/tracing-schema.js';
import { configIssuesOf } from './config-issues.js';

const base = {
  virtualCluster: { clusterId: 'turnout-test' },
  listeners: [{ bootstrapPort: 9192, nodePortBase: 9193 }],
  backends: [{ name: 'main', bootstrapServers: ['localhost:9092'] }],
};

const ENDPOINT = 'http://collector.example:4318/v1/traces';

describe('tracing configuration', () => {
  it('is off by default, sampling everything with the service name turnout once on', () => {
    expect(parseConfig(base).tracing).toEqual({ enabled: false, headers: {}, samplingRatio: 1, serviceName: 'turnout' });
    expect(parseConfig({ ...base, tracing: { enabled: true, endpoint: ENDPOINT } }).tracing).toEqual({
      enabled: true,
      endpoint: ENDPOINT,
      headers: {},
      samplingRatio: 1,
      serviceName: 'turnout',
    });
  });

  it('reads every field from YAML', () => {
    const yaml = [
      'virtualCluster: { clusterId: turnout-test }',
      'listeners: [{ bootstrapPort: 9192, nodePortBase: 9193 }]',
      'backends: [{ name: main, bootstrapServers: ["localhost:9092"] }]',
      'tracing:',
      '  enabled: true',
      `  endpoint: ${ENDPOINT}`,
      '  samplingRatio: 0.01',
      '  serviceName: turnout-eu-1',
      '  headers:',
      '    x-tenant: platform',
      '    authorization: { valueEnv: OTLP_TOKEN }',
    ].join('\n');
    expect(parseConfigYaml(yaml).tracing).toEqual({
      enabled: true,
      endpoint: ENDPOINT,
      samplingRatio: 0.01,
      serviceName: 'turnout-eu-1',
      headers: { 'x-tenant': 'platform', authorization: { valueEnv: 'OTLP_TOKEN' } },
    });
  });

  it('needs an endpoint when on, and only then', () => {
    expect(configIssuesOf({ ...base, tracing: { enabled: true } })).toEqual([{ path: 'tracing.endpoint', reason: 'required when tracing is enabled' }]);
    expect(parseConfig({ ...base, tracing: { enabled: false, samplingRatio: 0.5 } }).tracing.endpoint).toBeUndefined();
  });

  it('refuses an endpoint that is not an http URL, a ratio outside 0..1, and unknown fields', () => {
    expect(configIssuesOf({ ...base, tracing: { enabled: true, endpoint: 'grpc://collector:4317' } })).toEqual([
      { path: 'tracing.endpoint', reason: 'must be an http:// or https:// URL' },
    ]);
    expect(configIssuesOf({ ...base, tracing: { enabled: true, endpoint: ENDPOINT, samplingRatio: 1.5 } }).map((i) => i.path)).toEqual(['tracing.samplingRatio']);
    expect(configIssuesOf({ ...base, tracing: { enabled: true, endpoint: ENDPOINT, samplingRatio: -0.1 } }).map((i) => i.path)).toEqual(['tracing.samplingRatio']);
    expect(configIssuesOf({ ...base, tracing: { enabled: true, endpoint: ENDPOINT, protocol: 'grpc' } }).map((i) => i.path)).toEqual(['tracing']);
  });

  it('refuses a header value that is neither text nor an environment variable name', () => {
    const issues = configIssuesOf({ ...base, tracing: { enabled: true, endpoint: ENDPOINT, headers: { authorization: { valueEnv: 'not a name' } } } });
    expect(issues.map((i) => i.path)).toEqual(['tracing.headers.authorization.valueEnv']);
  });

  it('reads header values from the environment when the tracer starts', () => {
    const tracing = parseConfig({ ...base, tracing: { enabled: true, endpoint: ENDPOINT, headers: { 'x-tenant': 'platform', authorization: { valueEnv: 'OTLP_TOKEN' } } } }).tracing;
    expect(tracingHeadersOf(tracing, 'turnout.yaml', { OTLP_TOKEN: 'Bearer s3cret' })).toEqual({ 'x-tenant': 'platform', authorization: 'Bearer s3cret' });
  });

  it('names the header whose environment variable is not set', () => {
    const tracing = parseConfig({ ...base, tracing: { enabled: true, endpoint: ENDPOINT, headers: { authorization: { valueEnv: 'OTLP_TOKEN' } } } }).tracing;
    let thrown: unknown;
    try {
      tracingHeadersOf(tracing, 'turnout.yaml', {});
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as ConfigError).source).toBe('turnout.yaml');
    expect((thrown as ConfigError).issues).toEqual([{ path: 'tracing.headers.authorization.valueEnv', reason: 'environment variable OTLP_TOKEN is not set' }]);
  });
});
