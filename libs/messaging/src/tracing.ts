import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Span,
  type TextMapGetter,
  type Tracer,
} from '@opentelemetry/api';
import type { IHeaders, KafkaMessage } from 'kafkajs';
import type { EntityManager, QueryRunner } from 'typeorm';

/**
 * Tracing of the outbox, the relay and the consumer. Off unless a process turns it on (nest-kit's `startTracing`,
 * once the OpenTelemetry SDK runs): every hot path asks `messagingTracer()` once and does nothing else when it is
 * null — no span, no header, no context lookup.
 *
 * How a trace crosses Kafka: the outbox writes the W3C `traceparent` (and `tracestate`) of the transaction's context
 * into the row's `headers`, next to `hoso-event-id`; the relay starts a PRODUCER span as the child of that context
 * and sends the span's own context in the message headers; the consumer starts a CONSUMER span per event as the
 * child of the context in the headers, and the outbox rows a handler writes for that event carry the CONSUMER span's
 * context, so the next hop continues the same trace.
 */
let tracer: Tracer | null = null;

/** Called once the SDK runs; spans are made with `t`. */
export function enableMessagingTracing(t: Tracer = trace.getTracer('@hoso/messaging')): void {
  tracer = t;
}

export function disableMessagingTracing(): void {
  tracer = null;
}

/** The tracer while tracing is on, else null: the one check every hot path makes. */
export function messagingTracer(): Tracer | null {
  return tracer;
}

/** kafkajs header values are strings, Buffers or lists of them; W3C headers are single ASCII values. */
export const kafkaHeaderGetter: TextMapGetter<IHeaders> = {
  keys: (headers) => Object.keys(headers),
  get: (headers, key) => {
    const v = headers[key];
    const one = Array.isArray(v) ? v[0] : v;
    return one === undefined ? undefined : one.toString();
  },
};

/** Where a flush keeps the context of each event it hands to a handler, on the transaction's query runner. */
const FLUSH_TRACE = 'hosoFlushTrace';

/**
 * The CONSUMER spans of one flush transaction, and each event's context by event id. The outbox looks a row's
 * `causationId` up here: a batch handler writes the rows of many events in one call, so the active context cannot
 * say which event caused a row, but every handler names the event it reacts to as the causation.
 */
export class FlushTrace {
  private readonly contexts = new Map<string, Context>();
  private readonly spans: Span[] = [];

  constructor(
    private readonly t: Tracer,
    private readonly group: string,
  ) {}

  /** Opens the CONSUMER span of one event, the child of the context its message carries; returns its context. */
  start(physicalTopic: string, partition: number, message: KafkaMessage, event: EventIds): Context {
    const parent = propagation.extract(ROOT_CONTEXT, message.headers ?? {}, kafkaHeaderGetter);
    const attributes: Attributes = {
      'messaging.system': 'kafka',
      'messaging.operation.type': 'process',
      'messaging.operation.name': 'process',
      'messaging.destination.name': physicalTopic,
      'messaging.destination.partition.id': String(partition),
      'messaging.consumer.group.name': this.group,
      'messaging.kafka.offset': Number(message.offset),
      'messaging.message.id': event.eventId,
      'hoso.correlation_id': event.correlationId,
    };
    if (event.dossierId !== null) attributes['hoso.dossier_id'] = event.dossierId;
    const span = this.t.startSpan(`process ${physicalTopic}`, { kind: SpanKind.CONSUMER, attributes }, parent);
    const ctx = trace.setSpan(parent, span);
    this.contexts.set(event.eventId, ctx);
    this.spans.push(span);
    return ctx;
  }

  contextOf(eventId: string): Context | undefined {
    return this.contexts.get(eventId);
  }

  /** Ends every span once the transaction is over: committed (`error` undefined) or rolled back. */
  end(error?: unknown): void {
    for (const span of this.spans) {
      if (error !== undefined) {
        span.setStatus({ code: SpanStatusCode.ERROR, message: 'the flush was rolled back' });
        if (error instanceof Error) span.recordException(error);
      }
      span.end();
    }
    this.spans.length = 0;
    this.contexts.clear();
  }

  attach(qr: QueryRunner): void {
    qr.data = { ...qr.data, [FLUSH_TRACE]: this };
  }
}

interface EventIds {
  eventId: string;
  correlationId: string;
  dossierId: string | null;
}

/**
 * The context an outbox row written with `manager` continues: the CONSUMER span of the event named as its
 * causation when a flush handles that event, else the active context (the HTTP request's span, a per-event
 * handler's span). Only called while tracing is on.
 */
export function writerContext(manager: EntityManager, causationId: string | null | undefined): Context {
  const flush = manager.queryRunner?.data[FLUSH_TRACE] as FlushTrace | undefined;
  return (causationId ? flush?.contextOf(causationId) : undefined) ?? context.active();
}

/**
 * The relay's PRODUCER span of one outbox row, the child of the writer's context found in the row's headers; null
 * for a row written without one (tracing off at the writer, or no span active). `headers` is changed in place: its
 * W3C headers now name the PRODUCER span, so the consumer's span is that span's child.
 */
export function startPublishSpan(t: Tracer, topic: string, key: string, headers: Record<string, string>): Span | null {
  const parent = propagation.extract(ROOT_CONTEXT, headers);
  if (trace.getSpanContext(parent) === undefined) return null;
  const attributes: Attributes = {
    'messaging.system': 'kafka',
    'messaging.operation.type': 'send',
    'messaging.operation.name': 'send',
    'messaging.destination.name': topic,
    'messaging.kafka.message.key': key,
  };
  const eventId = headers['hoso-event-id'];
  if (eventId !== undefined) attributes['messaging.message.id'] = eventId;
  const span = t.startSpan(`send ${topic}`, { kind: SpanKind.PRODUCER, attributes }, parent);
  propagation.inject(trace.setSpan(parent, span), headers);
  return span;
}

/** Ends the relay's spans of one batch: acknowledged by Kafka, or failed with `error`. */
export function endSpans(spans: readonly Span[], error?: unknown): void {
  for (const span of spans) {
    if (error !== undefined) {
      if (error instanceof Error) {
        span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
        span.recordException(error);
      } else {
        span.setStatus({ code: SpanStatusCode.ERROR });
      }
    }
    span.end();
  }
}
