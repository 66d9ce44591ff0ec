// Config requests over several backends: topic resources go to the backend of the topic's
// domain (split and merged when they span backends). Broker and broker-logger resources are
// refused with INVALID_REQUEST and a message: a Turnout node is no backend broker, and the
// configs of some backend's broker shown or changed under a virtual node id would be a lie
// about which machine they belong to.
import {
  createDescribeConfigsResult,
  decodeDescribeConfigsRequest,
  decodeDescribeConfigsResponse,
  encodeDescribeConfigsRequest,
  encodeDescribeConfigsResponse,
  type DescribeConfigsResult,
} from '../../codec/generated/describe-configs.js';
import {
  createAlterConfigsResourceResponse,
  decodeAlterConfigsRequest,
  decodeAlterConfigsResponse,
  encodeAlterConfigsRequest,
  encodeAlterConfigsResponse,
  type AlterConfigsResourceResponse,
} from '../../codec/generated/alter-configs.js';
import {
  decodeIncrementalAlterConfigsRequest,
  decodeIncrementalAlterConfigsResponse,
  encodeIncrementalAlterConfigsRequest,
  encodeIncrementalAlterConfigsResponse,
} from '../../codec/generated/incremental-alter-configs.js';
import { ApiKey, type DecodedRequestHeader } from '../../codec/index.js';
import type { ClientSession, RequestExchange } from '../../net/request-router.js';
import type { PolicySnapshot } from '../../policy/policy-snapshot.js';
import { decodeRequestFrame, decodeResponseFrame, encodeRequestFrame, encodeResponseFrame, type BodyDecoder, type BodyEncoder } from '../../codec/message-frames.js';
import type { RouteError } from '../split-route.js';
import { CONFIG_RESOURCE_TOPIC, INVALID_REQUEST } from './multi-codes.js';
import type { MultiContext } from './multi-context.js';
import { scatterGather, ThrottleTime } from './scatter-gather.js';
import { backendUnanswered } from './topic-requests.js';

interface ConfigResource {
  resourceType: number;
  resourceName: string;
}

/** The backend a config resource goes to, or why it is refused. */
export function configResourceBackend(ctx: MultiContext, r: ConfigResource, policy: PolicySnapshot, verb: string): string | RouteError {
  if (r.resourceType !== CONFIG_RESOURCE_TOPIC) {
    return { errorCode: INVALID_REQUEST, errorMessage: `resource type ${r.resourceType} is not ${verb} over several backends: Turnout's nodes are not backend brokers` };
  }
  return ctx.backendOfTopic(r.resourceName, policy);
}

/** A config resource's key in a backend's answer (topic resources only are ever sent). */
export function configResourceKey(r: ConfigResource): string {
  return `${r.resourceType}:${r.resourceName}`;
}

export async function describeConfigs(ctx: MultiContext, session: ClientSession, ex: RequestExchange): Promise<Buffer> {
  const v = ex.apiVersion;
  const { header, body } = decodeRequestFrame(ex.frame, decodeDescribeConfigsRequest);
  const policy = ctx.policy();
  const throttle = new ThrottleTime();
  const refused = (r: ConfigResource, err: RouteError): DescribeConfigsResult => ({
    ...createDescribeConfigsResult(),
    errorCode: err.errorCode,
    errorMessage: err.errorMessage ?? null,
    resourceType: r.resourceType,
    resourceName: r.resourceName,
  });
  const results = await scatterGather({
    items: body.resources,
    keyOf: configResourceKey,
    route: (r) => {
      const backend = configResourceBackend(ctx, r, policy, 'described');
      return typeof backend === 'string' ? backend : refused(r, backend);
    },
    send: async (backend, resources) => {
      const frame = encodeRequestFrame(header, { ...body, resources }, encodeDescribeConfigsRequest);
      const answer = decodeResponseFrame(await ctx.send(session, ctx.anyBrokerOf(backend), frame), ApiKey.DescribeConfigs, v, decodeDescribeConfigsResponse).body;
      throttle.observe(answer.throttleTimeMs);
      return answer.results.map((r): [string, DescribeConfigsResult] => [configResourceKey(r), r]);
    },
    unanswered: (r, failure) => refused(r, backendUnanswered(failure)),
  });
  return encodeResponseFrame(ApiKey.DescribeConfigs, v, { correlationId: ex.correlationId }, { throttleTimeMs: throttle.ms, results }, encodeDescribeConfigsResponse);
}

interface AlterRequest<R extends ConfigResource> {
  resources: R[];
}

interface AlterResponse {
  throttleTimeMs: number;
  responses: AlterConfigsResourceResponse[];
}

interface AlterCodec<Req> {
  apiKey: number;
  encodeRequest: BodyEncoder<Req>;
  decodeResponse: BodyDecoder<AlterResponse>;
  encodeResponse: BodyEncoder<AlterResponse>;
}

/** AlterConfigs and IncrementalAlterConfigs: the same resources and answers, different config entries. */
async function alterConfigResources<R extends ConfigResource, Req extends AlterRequest<R>>(
  ctx: MultiContext,
  session: ClientSession,
  ex: RequestExchange,
  header: DecodedRequestHeader,
  body: Req,
  codec: AlterCodec<Req>,
): Promise<Buffer> {
  const v = ex.apiVersion;
  const policy = ctx.policy();
  const throttle = new ThrottleTime();
  const refused = (r: ConfigResource, err: RouteError): AlterConfigsResourceResponse => ({
    ...createAlterConfigsResourceResponse(),
    errorCode: err.errorCode,
    errorMessage: err.errorMessage ?? null,
    resourceType: r.resourceType,
    resourceName: r.resourceName,
  });
  const responses = await scatterGather({
    items: body.resources,
    keyOf: configResourceKey,
    route: (r) => {
      const backend = configResourceBackend(ctx, r, policy, 'altered');
      return typeof backend === 'string' ? backend : refused(r, backend);
    },
    send: async (backend, resources) => {
      const frame = encodeRequestFrame(header, { ...body, resources }, codec.encodeRequest);
      const answer = decodeResponseFrame(await ctx.send(session, ctx.anyBrokerOf(backend), frame), codec.apiKey, v, codec.decodeResponse).body;
      throttle.observe(answer.throttleTimeMs);
      return answer.responses.map((r): [string, AlterConfigsResourceResponse] => [configResourceKey(r), r]);
    },
    unanswered: (r, failure) => refused(r, backendUnanswered(failure)),
  });
  return encodeResponseFrame(codec.apiKey, v, { correlationId: ex.correlationId }, { throttleTimeMs: throttle.ms, responses }, codec.encodeResponse);
}

export function alterConfigs(ctx: MultiContext, session: ClientSession, ex: RequestExchange): Promise<Buffer> {
  const { header, body } = decodeRequestFrame(ex.frame, decodeAlterConfigsRequest);
  return alterConfigResources(ctx, session, ex, header, body, {
    apiKey: ApiKey.AlterConfigs,
    encodeRequest: encodeAlterConfigsRequest,
    decodeResponse: decodeAlterConfigsResponse,
    encodeResponse: encodeAlterConfigsResponse,
  });
}

export function incrementalAlterConfigs(ctx: MultiContext, session: ClientSession, ex: RequestExchange): Promise<Buffer> {
  const { header, body } = decodeRequestFrame(ex.frame, decodeIncrementalAlterConfigsRequest);
  return alterConfigResources(ctx, session, ex, header, body, {
    apiKey: ApiKey.IncrementalAlterConfigs,
    encodeRequest: encodeIncrementalAlterConfigsRequest,
    decodeResponse: decodeIncrementalAlterConfigsResponse,
    encodeResponse: encodeIncrementalAlterConfigsResponse,
  });
}
