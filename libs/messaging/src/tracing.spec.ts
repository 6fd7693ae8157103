import { context, propagation, ROOT_CONTEXT, SpanKind, trace, type Span } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import type { IHeaders, KafkaMessage } from 'kafkajs';
import type { DataSource, EntityManager } from 'typeorm';
import { catalog, samplePayloads } from '@hoso/contracts';
import { deadLetterMessage } from './dlq';
import { createLogger } from './logger';
import { Outbox } from './outbox';
import type { EventProducer, OutgoingMessage } from './producer';
import { OutboxRelay } from './relay';
import {
  disableMessagingTracing,
  enableMessagingTracing,
  FlushTrace,
  kafkaHeaderGetter,
  messagingTracer,
  startPublishSpan,
} from './tracing';

const exporter = new InMemorySpanExporter();
const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const tracer = provider.getTracer('spec');
const dossierId = '0193a0b0-7c1e-7000-8000-00000000d051';
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/;

beforeAll(() => {
  provider.register({ propagator: new W3CTraceContextPropagator() });
});

afterAll(async () => {
  await provider.shutdown();
  trace.disable();
  context.disable();
  propagation.disable();
});

afterEach(() => {
  disableMessagingTracing();
  exporter.reset();
});

/** An EntityManager that records the outbox INSERT instead of running it (inside a "transaction"). */
function recordingManager(data: Record<string, unknown> = {}) {
  const calls: { sql: string; params: unknown[] }[] = [];
  const manager = {
    queryRunner: { isTransactionActive: true, data },
    query: (sql: string, params: unknown[]) => {
      calls.push({ sql, params });
      return Promise.resolve([]);
    },
  } as unknown as EntityManager;
  return { manager, calls };
}

const outbox = new Outbox(catalog, 'intake');
const submitted = () => ({ ...samplePayloads['dossier.submitted.v1'], dossierId });

async function writeOne(manager: EntityManager, causationId: string | null = null) {
  await outbox.add(manager, 'dossier.submitted.v1', submitted(), { dossierId, correlationId: 'c-1', causationId });
}

const headersOf = (calls: { params: unknown[] }[]) => calls[0]?.params[4] as Record<string, string>;
const parsed = (traceparent: string | undefined) => {
  const m = TRACEPARENT.exec(traceparent ?? '');
  if (!m) throw new Error(`not a sampled traceparent: ${traceparent ?? '(none)'}`);
  return { traceId: m[1], spanId: m[2] };
};

describe('trace context in Kafka headers', () => {
  it('survives a round trip through kafkajs headers as the broker returns them (Buffers)', () => {
    const span = tracer.startSpan('writer');
    const carrier: Record<string, string> = {};
    propagation.inject(trace.setSpan(ROOT_CONTEXT, span), carrier);
    span.end();
    const received: IHeaders = Object.fromEntries(Object.entries(carrier).map(([k, v]) => [k, Buffer.from(v)]));
    const extracted = trace.getSpanContext(propagation.extract(ROOT_CONTEXT, received, kafkaHeaderGetter));
    expect(extracted).toMatchObject({
      traceId: span.spanContext().traceId,
      spanId: span.spanContext().spanId,
      traceFlags: 1,
      isRemote: true,
    });
  });

  it('reads a header given as a list, and finds no context in headers without one', () => {
    const ctx = propagation.extract(
      ROOT_CONTEXT,
      { traceparent: [Buffer.from('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01')] },
      kafkaHeaderGetter,
    );
    expect(trace.getSpanContext(ctx)?.spanId).toBe('b7ad6b7169203331');
    const none = propagation.extract(ROOT_CONTEXT, { 'hoso-event-id': Buffer.from('x') }, kafkaHeaderGetter);
    expect(trace.getSpanContext(none)).toBeUndefined();
  });
});

describe('the outbox row carries its writer’s context only while tracing is on', () => {
  it('tracing off: the row’s headers are the hoso ones only, even inside an active span', async () => {
    expect(messagingTracer()).toBeNull();
    const { manager, calls } = recordingManager();
    const span = tracer.startSpan('request');
    await context.with(trace.setSpan(ROOT_CONTEXT, span), () => writeOne(manager));
    span.end();
    expect(Object.keys(headersOf(calls)).sort()).toEqual(['hoso-correlation-id', 'hoso-event-id']);
  });

  it('tracing on: the active span’s context is written, and the INSERT keeps its shape', async () => {
    enableMessagingTracing(tracer);
    const { manager, calls } = recordingManager();
    const span = tracer.startSpan('POST /dossiers', { kind: SpanKind.SERVER });
    await context.with(trace.setSpan(ROOT_CONTEXT, span), () => writeOne(manager));
    span.end();
    expect(parsed(headersOf(calls).traceparent)).toEqual({
      traceId: span.spanContext().traceId,
      spanId: span.spanContext().spanId,
    });
    // Intake's single-statement submission renders this INSERT and refuses any other shape.
    expect(calls[0]?.sql).toMatch(
      /^INSERT INTO messaging_outbox \(event_id, topic, key, value, headers\) VALUES \(\$1, \$2, \$3, \$4, \$5\)$/,
    );
  });

  it('tracing on without an active span: nothing is added', async () => {
    enableMessagingTracing(tracer);
    const { manager, calls } = recordingManager();
    await writeOne(manager);
    expect(headersOf(calls).traceparent).toBeUndefined();
  });

  it('in a flush: a row continues the CONSUMER span of the event named as its causation', async () => {
    enableMessagingTracing(tracer);
    const upstream = tracer.startSpan('send dossier.submitted.v1', { kind: SpanKind.PRODUCER });
    const headers: Record<string, string> = {};
    propagation.inject(trace.setSpan(ROOT_CONTEXT, upstream), headers);
    upstream.end();
    const message = { offset: '41', key: Buffer.from(dossierId), headers } as unknown as KafkaMessage;
    const flush = new FlushTrace(tracer, 'identity');
    const { manager, calls } = recordingManager();
    flush.attach(manager.queryRunner as NonNullable<EntityManager['queryRunner']>);
    const consumed = { eventId: '0193a0b0-7c1e-7000-8000-0000000e0001', correlationId: 'c-1', dossierId };
    flush.start('dossier.submitted.v1', 3, message, consumed);
    // A batch handler's write: no span is active, the causation id says which event caused the row.
    await writeOne(manager, consumed.eventId);
    flush.end();
    const [process] = exporter.getFinishedSpans().filter((s) => s.kind === SpanKind.CONSUMER);
    expect(process?.parentSpanContext?.spanId).toBe(upstream.spanContext().spanId);
    expect(process?.attributes).toMatchObject({
      'messaging.consumer.group.name': 'identity',
      'messaging.message.id': consumed.eventId,
      'hoso.dossier_id': dossierId,
    });
    expect(parsed(headersOf(calls).traceparent)).toEqual({
      traceId: upstream.spanContext().traceId,
      spanId: process?.spanContext().spanId,
    });
  });
});

describe('the relay', () => {
  /** A relay over one outbox row, with the database and the producer faked; returns what it sent. */
  async function relayOne(headers: Record<string, string>): Promise<OutgoingMessage[]> {
    const sent: OutgoingMessage[] = [];
    const queryRunner = {
      isTransactionActive: true,
      connect: () => Promise.resolve(),
      startTransaction: () => Promise.resolve(),
      commitTransaction: () => Promise.resolve(),
      rollbackTransaction: () => Promise.resolve(),
      release: () => Promise.resolve(),
      query: (sql: string) => {
        if (sql.includes('pg_try_advisory_xact_lock')) return Promise.resolve([{ shard: 7 }]);
        if (sql.trimStart().startsWith('SELECT id, topic'))
          return Promise.resolve([{ id: '1', topic: 'dossier.submitted.v1', key: dossierId, value: '{}', headers }]);
        return Promise.resolve([]);
      },
    };
    const relay = new OutboxRelay({
      dataSource: { createQueryRunner: () => queryRunner } as unknown as DataSource,
      producer: {
        sendBatch: (messages: readonly OutgoingMessage[]) => {
          sent.push(...messages);
          return Promise.resolve();
        },
      } as unknown as EventProducer,
      logger: createLogger('spec', 'silent'),
    });
    expect(await relay.runOnce()).toBe(1);
    return sent;
  }

  const hosoHeaders = () => ({ 'hoso-event-id': 'e-1', 'hoso-correlation-id': 'c-1' });

  it('tracing off: sends the row’s headers as they are and makes no span', async () => {
    const [plain] = await relayOne(hosoHeaders());
    expect(plain?.headers).toEqual(hosoHeaders());
    // A row written by a traced writer (another replica) keeps its writer's context untouched.
    const traced = { ...hosoHeaders(), traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' };
    const [forwarded] = await relayOne({ ...traced });
    expect(forwarded?.headers).toEqual(traced);
    expect(exporter.getFinishedSpans()).toHaveLength(0);
  });

  it('tracing on: a PRODUCER span, child of the writer, named in the sent headers', async () => {
    enableMessagingTracing(tracer);
    const writer = tracer.startSpan('POST /dossiers');
    const headers: Record<string, string> = hosoHeaders();
    propagation.inject(trace.setSpan(ROOT_CONTEXT, writer), headers);
    writer.end();
    const [message] = await relayOne(headers);
    const [send] = exporter.getFinishedSpans().filter((s) => s.kind === SpanKind.PRODUCER);
    expect(send?.name).toBe('send dossier.submitted.v1');
    expect(send?.parentSpanContext?.spanId).toBe(writer.spanContext().spanId);
    expect(send?.attributes).toMatchObject({ 'messaging.message.id': 'e-1', 'messaging.kafka.message.key': dossierId });
    const sentHeaders = message?.headers as Record<string, string>;
    expect(parsed(sentHeaders.traceparent)).toEqual({
      traceId: writer.spanContext().traceId,
      spanId: send?.spanContext().spanId,
    });
    expect(sentHeaders['hoso-event-id']).toBe('e-1');
  });

  it('tracing on: a row written without a context gets no span and no trace header', async () => {
    enableMessagingTracing(tracer);
    const [message] = await relayOne(hosoHeaders());
    expect(message?.headers).toEqual(hosoHeaders());
    expect(exporter.getFinishedSpans()).toHaveLength(0);
    expect(startPublishSpan(tracer, 't', 'k', hosoHeaders())).toBeNull();
  });
});

describe('dead letters', () => {
  it('keep the trace headers of the message they copy, so a replay continues its trace', () => {
    const span: Span = tracer.startSpan('send');
    const headers: Record<string, string> = {};
    propagation.inject(trace.setSpan(ROOT_CONTEXT, span), headers);
    span.end();
    const dead = deadLetterMessage({
      topic: 'dossier.submitted.v1',
      partition: 0,
      message: { key: Buffer.from(dossierId), value: null, offset: '5', headers } as unknown as KafkaMessage,
      consumer: 'identity',
      reason: 'handler-failed',
      error: 'boom',
      attempts: 4,
    });
    expect(dead.headers?.['traceparent']).toBe(headers['traceparent']);
  });
});
