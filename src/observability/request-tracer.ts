// Turnout's tracing of client requests (config `tracing`, policy/tracing-schema.ts): an
// OpenTelemetry tracer provider of its own (never the process-wide one, so that several
// Turnouts in one process keep apart), a batch span processor, and an OTLP/HTTP protobuf
// exporter.
//
// Cost: with tracing off there is no RequestTracer at all, and the client connection's only
// work is a null check. With it on, a request is sampled first, at the configured ratio, with
// one random number: an unsampled request gets no span, no attributes, no context (the SDK's
// own sampler is parent-based, so a request's children follow it). Only a sampled request is
// run inside an AsyncLocalStorage scope, which is how `sendUpstream`, called from a router's
// promise chain, finds the span its child belongs to. Spans wait in the batch processor's
// bounded queue (spans beyond it are dropped) and are exported in batches off the request path.
import { AsyncLocalStorage } from 'node:async_hooks';
import { ROOT_CONTEXT, SpanKind, type Attributes, type Tracer } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import { AlwaysOnSampler, BasicTracerProvider, BatchSpanProcessor, ParentBasedSampler, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import { APIS } from '../codec/index.js';
import type { TracingConfig } from '../policy/tracing-schema.js';
import type { Logger } from './logger.js';
import { addRequestFacts, type DomainLookup } from './request-facts.js';
import { RequestSpan, spanClockMs, type SpanNames, type TracedSession } from './request-span.js';
import { SPAN_ATTR } from './span-attributes.js';

export type { DomainLookup } from './request-facts.js';

/** The instrumentation scope of Turnout's spans. */
const SCOPE = 'turnout';
/** How long stopping waits for the last spans to be exported. */
const SHUTDOWN_TIMEOUT_MS = 5_000;
/** A failing exporter is reported at most this often. */
const EXPORT_WARN_INTERVAL_MS = 60_000;

export interface RequestTracerOptions {
  config: TracingConfig;
  /** The export headers, values read (tracingHeadersOf). */
  headers: Record<string, string>;
  log: Logger;
  /** Where a span's topics find their domains; none without it. */
  domains?: DomainLookup;
  /** Where spans go instead of the configured OTLP endpoint (tests). */
  exporter?: SpanExporter;
}

/** `kafka.<Api>` span names, made once per api key. */
class ApiSpanNames implements SpanNames {
  private readonly spanNames: string[] = [];
  private readonly apiNames: string[] = [];

  constructor() {
    for (const a of APIS) {
      this.apiNames[a.apiKey] = a.name;
      this.spanNames[a.apiKey] = `kafka.${a.name}`;
    }
  }

  of(apiKey: number): string {
    return this.spanNames[apiKey] ?? `kafka.api_${apiKey}`;
  }

  api(apiKey: number): string {
    return this.apiNames[apiKey] ?? `api_${apiKey}`;
  }
}

/** Reports export failures to the log (the SDK's own diagnostics are silent by default). */
class LoggedSpanExporter implements SpanExporter {
  private readonly inner: SpanExporter;
  private readonly log: Logger;
  private lastWarnMs = -Infinity;
  private failedSinceWarn = 0;

  constructor(inner: SpanExporter, log: Logger) {
    this.inner = inner;
    this.log = log;
  }

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.inner.export(spans, (result) => {
      if (result.code !== ExportResultCode.SUCCESS) this.failed(spans.length, result.error);
      done(result);
    });
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }

  private failed(spans: number, err: Error | undefined): void {
    this.failedSinceWarn += spans;
    const now = Date.now();
    if (now - this.lastWarnMs < EXPORT_WARN_INTERVAL_MS) return;
    this.log.warn({ err, droppedSpans: this.failedSinceWarn }, 'cannot export trace spans');
    this.lastWarnMs = now;
    this.failedSinceWarn = 0;
  }
}

export class RequestTracer {
  readonly samplingRatio: number;
  private readonly provider: BasicTracerProvider;
  private readonly tracer: Tracer;
  private readonly names = new ApiSpanNames();
  private readonly domains: DomainLookup | null;
  /** The span of the request whose routing is running (sampled requests only). */
  private readonly active = new AsyncLocalStorage<RequestSpan | undefined>();
  private stopping: Promise<void> | null = null;

  constructor(opts: RequestTracerOptions) {
    const { config } = opts;
    this.samplingRatio = config.samplingRatio;
    this.domains = opts.domains ?? null;
    const exporter = opts.exporter ?? new OTLPTraceExporter({ url: config.endpoint, headers: opts.headers });
    this.provider = new BasicTracerProvider({
      resource: defaultResource().merge(resourceFromAttributes({ [ATTR_SERVICE_NAME]: config.serviceName })),
      // The ratio is applied before a span is started (startRequest); children follow their parent.
      sampler: new ParentBasedSampler({ root: new AlwaysOnSampler() }),
      spanProcessors: [new BatchSpanProcessor(new LoggedSpanExporter(exporter, opts.log))],
    });
    this.tracer = this.provider.getTracer(SCOPE);
  }

  /**
   * The span of a request whose frame was just read, or null when the request is not sampled.
   * `frameOf` gives the client's frame, size prefix included: asked only for a sampled request,
   * as a frame that arrived over several reads is joined to give it.
   */
  startRequest(session: TracedSession, frameOf: () => Buffer, apiKey: number, apiVersion: number, correlationId: number): RequestSpan | null {
    const ratio = this.samplingRatio;
    if (ratio < 1 && !(Math.random() < ratio)) return null;
    const frame = frameOf();
    const span = this.tracer.startSpan(this.names.of(apiKey), { kind: SpanKind.SERVER, startTime: spanClockMs() }, ROOT_CONTEXT);
    const attrs: Attributes = {
      [SPAN_ATTR.messagingSystem]: 'kafka',
      [SPAN_ATTR.apiKey]: apiKey,
      [SPAN_ATTR.apiName]: this.names.api(apiKey),
      [SPAN_ATTR.apiVersion]: apiVersion,
      [SPAN_ATTR.correlationId]: correlationId,
      [SPAN_ATTR.listener]: session.listenerName,
      [SPAN_ATTR.virtualNode]: session.virtualNodeId,
      [SPAN_ATTR.clientAddress]: session.clientHost,
      [SPAN_ATTR.requestBytes]: frame.length,
    };
    addRequestFacts(attrs, frame, apiKey, apiVersion, this.domains);
    span.setAttributes(attrs);
    return new RequestSpan(span, this.tracer, this.names, session);
  }

  /** Runs `fn(a, b, c)` with `span` as the active request: the upstream requests it makes, now or in promises it starts, are its children. */
  runWithin<A, B, C>(span: RequestSpan, fn: (a: A, b: B, c: C) => void, a: A, b: B, c: C): void {
    this.active.run(span, fn, a, b, c);
  }

  /**
   * The request whose routing is running, if it is sampled and not yet answered. Work a
   * request's routing left behind (a timer, a retry) runs in its scope after it has ended:
   * that is nobody's child.
   */
  activeRequest(): RequestSpan | undefined {
    const span = this.active.getStore();
    return span === undefined || span.isEnded ? undefined : span;
  }

  /**
   * Runs `fn` outside any request's scope: what it sets up (an upstream connection's socket
   * and its callbacks) serves later requests, and must not carry this one's span to them.
   */
  outside<R>(fn: () => R): R {
    return this.active.run(undefined, fn);
  }

  /** Exports every ended span now. */
  flush(): Promise<void> {
    return this.provider.forceFlush();
  }

  /** Exports what is left and stops; waits at most a few seconds for an unreachable endpoint. */
  shutdown(): Promise<void> {
    if (this.stopping === null) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, SHUTDOWN_TIMEOUT_MS);
        timer.unref();
      });
      this.stopping = Promise.race([this.provider.shutdown().catch(() => undefined), timeout]).finally(() => clearTimeout(timer));
    }
    return this.stopping;
  }
}

/** The tracer `tracing` asks for, or null when tracing is off (then nothing is traced at all). */
export function createRequestTracer(opts: RequestTracerOptions): RequestTracer | null {
  return opts.config.enabled ? new RequestTracer(opts) : null;
}
