// An OTLP/HTTP trace receiver for tests: a node:http server that takes what an OpenTelemetry
// exporter POSTs to /v1/traces (protobuf, gzip or not), decodes it with protobufjs against the
// part of the OTLP trace schema written below (opentelemetry-proto's trace.proto and
// common.proto: the field numbers are the protocol's), and keeps the spans, flattened.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import protobuf from 'protobufjs';

/** The messages of an ExportTraceServiceRequest that the tests read. */
const OTLP_TRACE_SCHEMA = `
syntax = "proto3";
package otlp;
message ExportTraceServiceRequest { repeated ResourceSpans resource_spans = 1; }
message ResourceSpans { Resource resource = 1; repeated ScopeSpans scope_spans = 2; string schema_url = 3; }
message Resource { repeated KeyValue attributes = 1; uint32 dropped_attributes_count = 2; }
message ScopeSpans { InstrumentationScope scope = 1; repeated Span spans = 2; string schema_url = 3; }
message InstrumentationScope { string name = 1; string version = 2; repeated KeyValue attributes = 3; }
message Span {
  bytes trace_id = 1;
  bytes span_id = 2;
  string trace_state = 3;
  bytes parent_span_id = 4;
  string name = 5;
  int32 kind = 6;
  fixed64 start_time_unix_nano = 7;
  fixed64 end_time_unix_nano = 8;
  repeated KeyValue attributes = 9;
  uint32 dropped_attributes_count = 10;
  repeated Event events = 11;
  Status status = 15;
  fixed32 flags = 16;
}
message Event { fixed64 time_unix_nano = 1; string name = 2; repeated KeyValue attributes = 3; }
message Status { string message = 2; int32 code = 3; }
message KeyValue { string key = 1; AnyValue value = 2; }
message AnyValue {
  oneof value {
    string string_value = 1;
    bool bool_value = 2;
    int64 int_value = 3;
    double double_value = 4;
    ArrayValue array_value = 5;
    KeyValueList kvlist_value = 6;
    bytes bytes_value = 7;
  }
}
message ArrayValue { repeated AnyValue values = 1; }
message KeyValueList { repeated KeyValue values = 1; }
`;

const ExportTraceServiceRequest = protobuf.parse(OTLP_TRACE_SCHEMA, { keepCase: true }).root.lookupType('otlp.ExportTraceServiceRequest');

/** OTLP's span kinds (not the JS API's numbering). */
export const OTLP_SPAN_KIND = { internal: 1, server: 2, client: 3 } as const;
/** OTLP's status codes. */
export const OTLP_STATUS = { unset: 0, ok: 1, error: 2 } as const;

export type AttributeValue = string | number | boolean | AttributeValue[] | null;

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  /** Empty for a root span. */
  parentSpanId: string;
  name: string;
  kind: number;
  startNanos: bigint;
  endNanos: bigint;
  attributes: Record<string, AttributeValue>;
  events: Array<{ name: string; attributes: Record<string, AttributeValue> }>;
  status: { code: number; message: string };
  resource: Record<string, AttributeValue>;
  scope: string;
}

interface WireAnyValue {
  string_value?: string;
  bool_value?: boolean;
  /** int64, as text (toObject longs: String). */
  int_value?: string;
  double_value?: number;
  array_value?: { values?: WireAnyValue[] };
  bytes_value?: Uint8Array;
}
interface WireKeyValue {
  key: string;
  value?: WireAnyValue;
}
interface WireSpan {
  trace_id: Uint8Array;
  span_id: Uint8Array;
  parent_span_id?: Uint8Array;
  name: string;
  kind?: number;
  start_time_unix_nano: string;
  end_time_unix_nano: string;
  attributes?: WireKeyValue[];
  events?: Array<{ name: string; attributes?: WireKeyValue[] }>;
  status?: { code?: number; message?: string };
}
interface WireRequest {
  resource_spans?: Array<{ resource?: { attributes?: WireKeyValue[] }; scope_spans?: Array<{ scope?: { name?: string }; spans?: WireSpan[] }> }>;
}

function valueOf(v: WireAnyValue | undefined): AttributeValue {
  if (v === undefined) return null;
  if (v.string_value !== undefined) return v.string_value;
  if (v.bool_value !== undefined) return v.bool_value;
  if (v.int_value !== undefined) return Number(v.int_value);
  if (v.double_value !== undefined) return v.double_value;
  if (v.array_value !== undefined) return (v.array_value.values ?? []).map(valueOf);
  if (v.bytes_value !== undefined) return Buffer.from(v.bytes_value).toString('hex');
  return null;
}

function attributesOf(kvs: WireKeyValue[] | undefined): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {};
  for (const kv of kvs ?? []) out[kv.key] = valueOf(kv.value);
  return out;
}

const hex = (b: Uint8Array | undefined): string => (b === undefined ? '' : Buffer.from(b).toString('hex'));

/** Flattens one decoded export request into its spans. */
export function decodeTraceExport(body: Buffer): ReceivedSpan[] {
  const message = ExportTraceServiceRequest.decode(body);
  const req = ExportTraceServiceRequest.toObject(message, { longs: String, defaults: false, arrays: true }) as WireRequest;
  const spans: ReceivedSpan[] = [];
  for (const rs of req.resource_spans ?? []) {
    const resource = attributesOf(rs.resource?.attributes);
    for (const ss of rs.scope_spans ?? []) {
      for (const s of ss.spans ?? []) {
        spans.push({
          traceId: hex(s.trace_id),
          spanId: hex(s.span_id),
          parentSpanId: hex(s.parent_span_id),
          name: s.name,
          kind: s.kind ?? 0,
          startNanos: BigInt(s.start_time_unix_nano),
          endNanos: BigInt(s.end_time_unix_nano),
          attributes: attributesOf(s.attributes),
          events: (s.events ?? []).map((e) => ({ name: e.name, attributes: attributesOf(e.attributes) })),
          status: { code: s.status?.code ?? 0, message: s.status?.message ?? '' },
          resource,
          scope: ss.scope?.name ?? '',
        });
      }
    }
  }
  return spans;
}

export interface ReceivedExport {
  path: string;
  headers: IncomingHttpHeaders;
  spans: ReceivedSpan[];
}

export class OtlpReceiver {
  readonly exports: ReceivedExport[] = [];
  private readonly server: Server;
  private port = 0;

  constructor() {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        try {
          if (req.method !== 'POST' || req.headers['content-type'] !== 'application/x-protobuf') {
            res.writeHead(415).end();
            return;
          }
          let body = Buffer.concat(chunks);
          if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
          this.exports.push({ path: req.url ?? '', headers: req.headers, spans: decodeTraceExport(body) });
          // An empty ExportTraceServiceResponse: everything accepted.
          res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
        } catch {
          res.writeHead(400).end();
        }
      });
    });
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', () => resolve()));
    this.port = (this.server.address() as AddressInfo).port;
  }

  /** The traces URL to configure as `tracing.endpoint`. */
  get endpoint(): string {
    return `http://127.0.0.1:${this.port}/v1/traces`;
  }

  get spans(): ReceivedSpan[] {
    return this.exports.flatMap((e) => e.spans);
  }

  /** The received spans of `traceId` below `parent`. */
  childrenOf(parent: ReceivedSpan): ReceivedSpan[] {
    return this.spans.filter((s) => s.traceId === parent.traceId && s.parentSpanId === parent.spanId);
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
  }
}
