/**
 * The first module `@hoso/nest-kit` loads (see index.ts), and so the first of every service's main.ts: when tracing
 * is on, the HTTP instrumentation must be in place before Nest, Express and the HTTP clients are loaded, since it
 * patches the `http` module as it is required. With tracing off this file loads nothing else and patches nothing.
 *
 * Only the environment is read here; the SDK itself (provider, exporter, service name) is started by
 * `startTracing`, which runService calls with the service's name.
 */
import type { Span } from '@opentelemetry/api';
import type { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import type { ClientRequest, IncomingMessage, ServerResponse } from 'node:http';

/** The exporters a service sends its spans to; none: tracing is off. */
export type TraceExporterName = 'otlp' | 'console';

export interface TracingSettings {
  exporters: TraceExporterName[];
}

const OFF: TracingSettings = { exporters: [] };

/**
 * Whether tracing is on, from the standard OpenTelemetry variables, off by default:
 *
 * - `OTEL_SDK_DISABLED=true` turns it off whatever else is set;
 * - `OTEL_TRACES_EXPORTER` names the exporters (`otlp`, `console`, both comma-separated, or `none`);
 * - unset, an OTLP endpoint (`OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` or `OTEL_EXPORTER_OTLP_ENDPOINT`) turns OTLP on.
 *   (The specification's default exporter is `otlp`; here nothing is sent until a destination is named, so a
 *   service never tries a collector nobody runs.)
 *
 * An exporter or OTLP protocol this build does not have fails the start rather than run untraced unnoticed.
 */
export function tracingSettings(env: NodeJS.ProcessEnv = process.env): TracingSettings {
  if (env['OTEL_SDK_DISABLED']?.trim().toLowerCase() === 'true') return OFF;
  const named = env['OTEL_TRACES_EXPORTER']?.trim();
  let exporters: TraceExporterName[];
  if (named) {
    const names = named
      .split(',')
      .map((n) => n.trim().toLowerCase())
      .filter((n) => n !== '');
    if (names.includes('none')) return OFF;
    for (const n of names) {
      if (n !== 'otlp' && n !== 'console') {
        throw new Error(`OTEL_TRACES_EXPORTER: "${n}" is not available (otlp, console or none)`);
      }
    }
    exporters = [...new Set(names as TraceExporterName[])];
  } else if (env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'] || env['OTEL_EXPORTER_OTLP_ENDPOINT']) {
    exporters = ['otlp'];
  } else {
    return OFF;
  }
  if (exporters.includes('otlp')) {
    const protocol = env['OTEL_EXPORTER_OTLP_TRACES_PROTOCOL'] ?? env['OTEL_EXPORTER_OTLP_PROTOCOL'] ?? 'http/protobuf';
    if (protocol !== 'http/protobuf') {
      throw new Error(`OTEL_EXPORTER_OTLP_PROTOCOL: "${protocol}" is not available (http/protobuf)`);
    }
  }
  return { exporters };
}

let http: HttpInstrumentation | null = null;

/** Paths polled every few seconds by probes and Prometheus: as traces they would bury the requests worth reading. */
function isHousekeeping(url: string | undefined): boolean {
  const path = url?.split('?', 1)[0] ?? '';
  return path === '/metrics' || path === '/health' || path.startsWith('/health/');
}

/**
 * Names a server span after its Express route (`POST /dossiers`, not the raw URL with ids in it) and tags it with
 * the request's correlation id. Called by the instrumentation when the response finishes, once routing is done.
 */
function describeServerSpan(
  span: Span,
  request: ClientRequest | IncomingMessage,
  response: IncomingMessage | ServerResponse,
): void {
  const r = request as { method?: string; baseUrl?: string; route?: { path?: unknown } };
  if (typeof r.route?.path === 'string') {
    const route = `${r.baseUrl ?? ''}${r.route.path}`;
    span.updateName(`${r.method ?? 'GET'} ${route}`);
    span.setAttribute('http.route', route);
  }
  // The header correlationIdOf echoes on every answer (nest-kit's correlation.ts; not imported: it loads Nest).
  const id = 'getHeader' in response ? response.getHeader('x-correlation-id') : undefined;
  if (typeof id === 'string') span.setAttribute('hoso.correlation_id', id);
}

/**
 * The HTTP instrumentation, created (and so enabled) on first call: patches `http`/`https` for server spans and
 * for client spans inside a trace. Its spans go to whatever tracer provider is registered later.
 */
export function httpInstrumentation(): HttpInstrumentation {
  if (http === null) {
    // Required here, not imported: a service with tracing off never loads the instrumentation (≈0.3 s at start).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const m = require('@opentelemetry/instrumentation-http') as typeof import('@opentelemetry/instrumentation-http');
    http = new m.HttpInstrumentation({
      ignoreIncomingRequestHook: (req) => isHousekeeping(req.url),
      // A client call outside any trace (a JWKS refresh, a timer's request) would start a trace of one span.
      requireParentforOutgoingSpans: true,
      applyCustomAttributesOnSpan: describeServerSpan,
    });
  }
  return http;
}

/** Stops patching (a test that started tracing in its own process). */
export function disableHttpInstrumentation(): void {
  http?.disable();
  http = null;
}

if (tracingSettings().exporters.length > 0) httpInstrumentation();
