import { Injectable, type DynamicModule, type OnApplicationShutdown, type Type } from '@nestjs/common';
import { context, propagation, trace } from '@opentelemetry/api';
import type { SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { disableMessagingTracing, enableMessagingTracing } from '@hoso/messaging';
import { disableHttpInstrumentation, httpInstrumentation, tracingSettings } from './tracing-preload';

export { tracingSettings, type TraceExporterName, type TracingSettings } from './tracing-preload';

export interface TracingOptions {
  env?: NodeJS.ProcessEnv;
  /**
   * Where the spans go instead of the exporters the environment names; given, tracing starts whatever the
   * environment says (a test's in-memory exporter).
   */
  spanProcessors?: SpanProcessor[];
}

export interface Tracing {
  /** Exports the spans still buffered, then stops tracing in this process. */
  shutdown(): Promise<void>;
}

let current: Tracing | null = null;

/* eslint-disable @typescript-eslint/no-require-imports -- required when tracing starts, not imported: a service with
   tracing off never loads the SDK and its exporter (≈0.3 s and a few MB at every start). */
function loadSdk() {
  return {
    node: require('@opentelemetry/sdk-trace-node') as typeof import('@opentelemetry/sdk-trace-node'),
    base: require('@opentelemetry/sdk-trace-base') as typeof import('@opentelemetry/sdk-trace-base'),
    resources: require('@opentelemetry/resources') as typeof import('@opentelemetry/resources'),
    core: require('@opentelemetry/core') as typeof import('@opentelemetry/core'),
  };
}

function loadOtlpExporter() {
  return require('@opentelemetry/exporter-trace-otlp-proto') as typeof import('@opentelemetry/exporter-trace-otlp-proto');
}
/* eslint-enable @typescript-eslint/no-require-imports */

/**
 * Starts OpenTelemetry tracing in this process, once, when the environment turns it on (see `tracingSettings`):
 * a tracer provider whose resource names the service (`OTEL_SERVICE_NAME` and `OTEL_RESOURCE_ATTRIBUTES` win over
 * `service`), the W3C trace-context propagator, the HTTP instrumentation, and the messaging library's spans and
 * Kafka headers. The sampler (`OTEL_TRACES_SAMPLER`, `_ARG`; default parent-based always-on), the batch processor
 * (`OTEL_BSP_*`) and the OTLP exporter (`OTEL_EXPORTER_OTLP_*`) read their own variables. Returns null, having
 * loaded nothing, when tracing is off.
 */
export function startTracing(service: string, opts: TracingOptions = {}): Tracing | null {
  if (current) return current;
  const settings = tracingSettings(opts.env ?? process.env);
  if (!opts.spanProcessors && settings.exporters.length === 0) return null;
  const { node, base, resources, core } = loadSdk();
  const spanProcessors =
    opts.spanProcessors ??
    settings.exporters.map((name) =>
      name === 'console'
        ? new base.SimpleSpanProcessor(new base.ConsoleSpanExporter())
        : new base.BatchSpanProcessor(new (loadOtlpExporter().OTLPTraceExporter)()),
    );
  const resource = resources
    .defaultResource()
    .merge(resources.resourceFromAttributes({ 'service.name': service }))
    .merge(resources.detectResources({ detectors: [resources.envDetector] }));
  const provider: NodeTracerProvider = new node.NodeTracerProvider({ resource, spanProcessors });
  // Trace context only (traceparent, tracestate): hoso carries no baggage, and every header costs on each message.
  provider.register({ propagator: new core.W3CTraceContextPropagator() });
  httpInstrumentation().setTracerProvider(provider);
  enableMessagingTracing(provider.getTracer('@hoso/messaging'));
  const tracing: Tracing = {
    shutdown: async () => {
      if (current !== tracing) return;
      current = null;
      disableMessagingTracing();
      disableHttpInstrumentation();
      await provider.shutdown();
      trace.disable();
      context.disable();
      propagation.disable();
    },
  };
  current = tracing;
  return tracing;
}

/** Whether tracing runs in this process. */
export function tracingActive(): boolean {
  return current !== null;
}

/** Exports what is buffered when the application shuts down, after the messaging module has drained. */
@Injectable()
class TracingShutdown implements OnApplicationShutdown {
  async onApplicationShutdown(): Promise<void> {
    await current?.shutdown();
  }
}

/** `module` with a provider that flushes the spans at shutdown (the root module: it is the same either way). */
export function withTracingShutdown(module: Type | DynamicModule): DynamicModule {
  const root: DynamicModule = typeof module === 'function' ? { module } : module;
  return { ...root, providers: [...(root.providers ?? []), TracingShutdown] };
}
