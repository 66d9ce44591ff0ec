// The attribute and event names of Turnout's spans, in one place. OpenTelemetry's semantic
// conventions where one fits (server.*, client.address, error.type, messaging.*); `kafka.*` for
// what the Kafka protocol names; `turnout.*` for what Turnout itself decided.
import { ATTR_CLIENT_ADDRESS, ATTR_ERROR_TYPE, ATTR_SERVER_ADDRESS, ATTR_SERVER_PORT } from '@opentelemetry/semantic-conventions';

export const SPAN_ATTR = {
  messagingSystem: 'messaging.system',
  clientId: 'messaging.client.id',
  clientAddress: ATTR_CLIENT_ADDRESS,
  serverAddress: ATTR_SERVER_ADDRESS,
  serverPort: ATTR_SERVER_PORT,
  errorType: ATTR_ERROR_TYPE,
  apiKey: 'kafka.api.key',
  apiName: 'kafka.api.name',
  apiVersion: 'kafka.api.version',
  correlationId: 'kafka.correlation_id',
  listener: 'turnout.listener',
  virtualNode: 'turnout.virtual_node',
  principal: 'turnout.principal',
  domain: 'turnout.domain',
  topicCount: 'turnout.topic_count',
  partitionCount: 'turnout.partition_count',
  backend: 'turnout.backend',
  brokerId: 'turnout.broker_id',
  upstreamCount: 'turnout.upstream_count',
  route: 'turnout.route',
  requestBytes: 'turnout.request_bytes',
  responseBytes: 'turnout.response_bytes',
  closeReason: 'turnout.close_reason',
  filter: 'turnout.filter',
  denied: 'turnout.denied',
} as const;

export const SPAN_EVENT = {
  /** A filter of the request pipeline held, denied, answered or closed (`turnout.filter.hold`, ...). */
  filterPrefix: 'turnout.filter.',
  /** A held request was handed back to the pipeline. */
  resumed: 'turnout.resumed',
} as const;

/** `turnout.route`: how the request was carried out. */
export type RouteKind = 'forwarded' | 'answered' | 'deferred';
