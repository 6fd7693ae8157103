import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { randomUUID } from 'node:crypto';
import { eventually } from '@hoso/testing';
import { NonRetriableError, type HandlerContext, type IdempotentConsumer } from './consumer';
import { readDlq } from './dlq';
import { Outbox } from './outbox';
import { OutboxRelay } from './relay';
import { createHarness, type Harness } from './testing/harness';
import { makeConsumer } from './testing/helpers';
import { disableMessagingTracing, enableMessagingTracing } from './tracing';

/**
 * The consumer's slow path with tracing on (real Kafka and PostgreSQL): an event whose handler failed in the flush's
 * set-based pass and then once on its own keeps one CONSUMER span across its attempts, and the row it finally writes
 * continues that span; an event that is dead-lettered ends its span as an error, and its dead letter keeps the trace
 * header.
 */
describe('tracing through retries and dead letters', () => {
  const exporter = new InMemorySpanExporter();
  const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const tracer = provider.getTracer('spec');
  let h: Harness;
  let consumer: IdempotentConsumer<Harness['catalog']> | undefined;

  beforeAll(async () => {
    provider.register({ propagator: new W3CTraceContextPropagator() });
    enableMessagingTracing(tracer);
    h = await createHarness();
  });

  afterAll(async () => {
    await consumer?.stop();
    disableMessagingTracing();
    await provider.shutdown();
    trace.disable();
    context.disable();
    propagation.disable();
    await h.close();
  });

  it('keeps one span per event across attempts, continues it in the outbox, and marks a dead letter', async () => {
    const outbox = new Outbox(h.catalog, 'test');
    const topic = h.topic as keyof Harness['catalog'];
    const [flaky, refused] = [randomUUID(), randomUUID()];
    const request = tracer.startSpan('POST /things', { kind: SpanKind.SERVER });
    const ids = await context.with(trace.setSpan(ROOT_CONTEXT, request), () =>
      Promise.all(
        [flaky, refused].map((dossierId, seq) =>
          h.ds.transaction((m) => outbox.add(m, topic, { seq, note: 'x' }, { dossierId, correlationId: 'c-trace' })),
        ),
      ),
    );
    request.end();
    const [flakyEvent, refusedEvent] = ids as [string, string];
    const relay = new OutboxRelay({ dataSource: h.ds, producer: h.producer, logger: h.logger });
    expect(await relay.runOnce()).toBe(2);

    // The flaky event fails in the set-based pass and on its first attempt alone, then writes its next event.
    let flakyCalls = 0;
    consumer = makeConsumer(h, `g-${h.id}`, {
      handlers: {
        [h.topic]: async (event: { eventId: string; dossierId: string | null }, ctx: HandlerContext) => {
          if (event.eventId === refusedEvent) throw new NonRetriableError('refused by a business rule');
          if (++flakyCalls <= 2) throw new Error(`flaky ${flakyCalls}`);
          await outbox.add(
            ctx.manager,
            topic,
            { seq: 9, note: 'next' },
            {
              dossierId: event.dossierId,
              correlationId: 'c-trace',
              causationId: event.eventId,
            },
          );
        },
      },
    });
    await consumer.start();
    await eventually('both events settled', () =>
      Promise.resolve((consumer?.stats.processed ?? 0) + (consumer?.stats.deadLettered ?? 0) >= 2),
    );

    const spans = exporter.getFinishedSpans();
    const send = (eventId: string) =>
      spans.find((s) => s.kind === SpanKind.PRODUCER && s.attributes['messaging.message.id'] === eventId);
    const processed = (eventId: string) =>
      spans.filter((s) => s.kind === SpanKind.CONSUMER && s.attributes['messaging.message.id'] === eventId);
    const traceId = request.spanContext().traceId;

    // The set-based pass's span ended with its rolled-back flush; the slow path's one span saw the failed attempts
    // (one or two: the set-based pass stops at whichever event fails first) and succeeded.
    // (A rebalance in between would add rolled-back ones: only the last span may have succeeded.)
    const flakySpans = processed(flakyEvent);
    expect(flakySpans.map((s) => s.status.code)).toEqual([
      ...flakySpans.slice(1).map(() => SpanStatusCode.ERROR),
      SpanStatusCode.UNSET,
    ]);
    expect(flakySpans.length).toBeGreaterThanOrEqual(2);
    const handled = flakySpans.at(-1) as ReadableSpan;
    expect(handled.events.filter((e) => e.name === 'exception').length).toBeGreaterThanOrEqual(1);
    expect(handled.parentSpanContext?.spanId).toBe(send(flakyEvent)?.spanContext().spanId);
    expect(handled.spanContext().traceId).toBe(traceId);
    const [next] = await h.ds.query<{ headers: Record<string, string> }[]>(
      `SELECT headers FROM messaging_outbox WHERE value::jsonb ->> 'causationId' = $1`,
      [flakyEvent],
    );
    expect(next?.headers['traceparent']).toBe(`00-${traceId}-${handled.spanContext().spanId}-01`);

    const refusedSpan = processed(refusedEvent).at(-1);
    expect(refusedSpan?.status).toEqual({
      code: SpanStatusCode.ERROR,
      message: 'dead-lettered: refused by a business rule',
    });
    const [dead] = await readDlq(h.kafka, h.dlq);
    expect(dead?.headers['traceparent']).toBe(`00-${traceId}-${send(refusedEvent)?.spanContext().spanId}-01`);
  });
});
