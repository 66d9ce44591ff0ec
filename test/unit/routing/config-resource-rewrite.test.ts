import { describe, expect, it } from 'vitest';
import {
  ApiKey,
  createDescribeConfigsRequest,
  createDescribeConfigsResponse,
  createIncrementalAlterConfigsRequest,
  createIncrementalAlterConfigsResponse,
  decodeDescribeConfigsRequest,
  decodeIncrementalAlterConfigsRequest,
  encodeRequestFrame,
} from '../../../src/codec/index.js';
import { decodeRequestFrame } from '../../../src/codec/message-frames.js';
import { BACKEND_HOST, NODE_PORT_BASE, TURNOUT_HOST, decodeResponse, exchangeFor, makeRouter, responseFrame } from './router-fixture.js';

const BROKER = 4;
const TOPIC = 2;

function describeConfigsRequest(version: number, names: Array<[number, string]>): Buffer {
  const m = createDescribeConfigsRequest();
  m.resources = names.map(([resourceType, resourceName]) => ({ resourceType, resourceName, configurationKeys: null }));
  return encodeRequestFrame({ apiKey: ApiKey.DescribeConfigs, apiVersion: version, correlationId: 42, clientId: 'test' }, m);
}

describe('config resource rewrite', () => {
  it('translates a virtual broker resource name to the backend broker id on the request', () => {
    const { router, session } = makeRouter();
    const ex = exchangeFor(ApiKey.DescribeConfigs, 4, describeConfigsRequest(4, [[BROKER, '1'], [TOPIC, 'orders'], [BROKER, '']]));
    router.routeRequest(session, ex);
    const { body } = decodeRequestFrame(ex.frame, decodeDescribeConfigsRequest);
    expect(body.resources.map((r) => r.resourceName)).toEqual(['102', 'orders', '']);
    expect(ex.frame.readInt32BE(0)).toBe(ex.frame.length - 4);
    // the client id survived the re-encoding
    expect(ex.frame.includes('test')).toBe(true);
  });

  it('restores the client resource name and hides broker addresses in the response', () => {
    const { router, session } = makeRouter();
    const ex = exchangeFor(ApiKey.DescribeConfigs, 4, describeConfigsRequest(4, [[BROKER, '1']]));
    router.routeRequest(session, ex);
    const m = createDescribeConfigsResponse();
    const entry = (name: string, value: string | null) => ({
      name,
      value,
      readOnly: true,
      isDefault: false,
      configSource: 4,
      isSensitive: false,
      synonyms: [{ name, value, source: 4 }],
      configType: 0,
      documentation: null,
    });
    m.results = [
      {
        errorCode: 0,
        errorMessage: null,
        resourceType: BROKER,
        resourceName: '102',
        configs: [
          entry('advertised.listeners', `PLAINTEXT://${BACKEND_HOST}:9102`),
          entry('listeners', `PLAINTEXT://0.0.0.0:9102,CONTROLLER://${BACKEND_HOST}:9200`),
          entry('controller.quorum.bootstrap.servers', `${BACKEND_HOST}:9200`),
          entry('node.id', '102'),
          entry('log.retention.hours', '168'),
        ],
      },
    ];
    const out = router.rewriteResponse(session, ex, responseFrame(ApiKey.DescribeConfigs, 4, m));
    expect(out.includes(BACKEND_HOST)).toBe(false);
    const d = decodeResponse(ApiKey.DescribeConfigs, 4, out) as any;
    const r = d.results[0];
    expect(r.resourceName).toBe('1');
    const values = Object.fromEntries(r.configs.map((c: any) => [c.name, c.value]));
    expect(values).toEqual({
      'advertised.listeners': `PLAINTEXT://${TURNOUT_HOST}:${NODE_PORT_BASE + 1}`,
      listeners: `PLAINTEXT://${TURNOUT_HOST}:${NODE_PORT_BASE + 1}`,
      'controller.quorum.bootstrap.servers': null,
      'node.id': '1',
      'log.retention.hours': '168',
    });
    expect(r.configs[0].synonyms[0].value).toBe(`PLAINTEXT://${TURNOUT_HOST}:${NODE_PORT_BASE + 1}`);
  });

  it('maps broker ids in topic throttled-replica lists', () => {
    const { router, session } = makeRouter();
    const ex = exchangeFor(ApiKey.DescribeConfigs, 4, describeConfigsRequest(4, [[TOPIC, 'orders']]));
    router.routeRequest(session, ex);
    const m = createDescribeConfigsResponse();
    m.results = [
      {
        errorCode: 0,
        errorMessage: null,
        resourceType: TOPIC,
        resourceName: 'orders',
        configs: [
          {
            name: 'leader.replication.throttled.replicas',
            value: '0:101,1:103',
            readOnly: false,
            isDefault: false,
            configSource: 1,
            isSensitive: false,
            synonyms: [],
            configType: 0,
            documentation: null,
          },
        ],
      },
    ];
    const d = decodeResponse(ApiKey.DescribeConfigs, 4, router.rewriteResponse(session, ex, responseFrame(ApiKey.DescribeConfigs, 4, m))) as any;
    expect(d.results[0].configs[0].value).toBe('0:0,1:2');
  });

  it('restores broker resource names in IncrementalAlterConfigs responses', () => {
    const { router, session } = makeRouter();
    const ex = exchangeFor(ApiKey.IncrementalAlterConfigs, 1);
    ex.routeState = new Map([['4/103', '2']]);
    const m = createIncrementalAlterConfigsResponse();
    m.responses = [{ errorCode: 0, errorMessage: null, resourceType: BROKER, resourceName: '103' }];
    const d = decodeResponse(ApiKey.IncrementalAlterConfigs, 1, router.rewriteResponse(session, ex, responseFrame(ApiKey.IncrementalAlterConfigs, 1, m))) as any;
    expect(d.responses[0].resourceName).toBe('2');
  });

  it('translates broker ids in throttled replica lists being set', () => {
    const { router, session } = makeRouter();
    const m = createIncrementalAlterConfigsRequest();
    m.resources = [
      {
        resourceType: TOPIC,
        resourceName: 'orders',
        configs: [
          { name: 'leader.replication.throttled.replicas', configOperation: 0, value: '0:0,1:2' },
          { name: 'retention.ms', configOperation: 0, value: '1000' },
        ],
      },
    ];
    const ex = exchangeFor(
      ApiKey.IncrementalAlterConfigs,
      1,
      encodeRequestFrame({ apiKey: ApiKey.IncrementalAlterConfigs, apiVersion: 1, correlationId: 42, clientId: 'c' }, m),
    );
    router.routeRequest(session, ex);
    const { body } = decodeRequestFrame(ex.frame, decodeIncrementalAlterConfigsRequest);
    expect(body.resources[0].configs.map((c) => c.value)).toEqual(['0:101,1:103', '1000']);
  });
});
