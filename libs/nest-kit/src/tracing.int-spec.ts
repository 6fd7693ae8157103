/**
 * One trace from an HTTP request across three Kafka hops, on the real servers: three applications built the way
 * every service is (createServiceApp + platformModules: the HTTP server, the outbox and its relay, the idempotent
 * consumer behind @EventPattern), each with its own database, Kafka user and consumer group, in this process, with
 * an in-memory exporter.
 *
 * The applications stand for intake, identity and case-tracking with the shape of their real handlers (a per-event
 * handler, then a batch handler, each writing its next event with the consumed event as causation), not with their
 * business code: a library cannot import a service (module boundaries), and what carries the trace is the code
 * under test here — the HTTP instrumentation, the outbox, the relay and the consumer — which every service runs as is.
 */
import { Body, Controller, Module, Post, type INestApplication } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { SpanKind, type SpanContext } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import pino from 'pino';
import request from 'supertest';
import { v7 as uuidv7 } from 'uuid';
import { Public } from '@hoso/auth';
import { brokerKafkaPassword, KAFKA_SASL_MECHANISM, type KafkaUser } from '@hoso/config';
import { samplePayloads, type Catalog, type EventOf } from '@hoso/contracts';
import { EventPattern, MessagingService, type EventContext } from '@hoso/messaging';
import { eventually } from '@hoso/testing';
import { createServiceApp } from './bootstrap';
import { CorrelationId } from './correlation';
import { PLATFORM_MIGRATIONS, platformModules } from './platform';
import { createTestEnvironment, type TestEnvironment } from './testing';
import { startTracing, type Tracing } from './tracing';
import { httpInstrumentation } from './tracing-preload';

type Ev<T extends keyof Catalog> = EventOf<Catalog, T>;

@Controller('dossiers')
class SubmitController {
  constructor(private readonly messaging: MessagingService) {}

  @Public()
  @Post()
  async submit(@Body() _body: unknown, @CorrelationId() correlationId: string): Promise<{ dossierId: string }> {
    const dossierId = uuidv7();
    await this.messaging.transaction((m) =>
      this.messaging.outbox.add(
        m,
        'dossier.submitted.v1',
        { ...samplePayloads['dossier.submitted.v1'], dossierId },
        { dossierId, correlationId, causationId: null },
      ),
    );
    return { dossierId };
  }
}

@Controller()
class IdentityHandlers {
  constructor(private readonly messaging: MessagingService) {}

  @EventPattern('dossier.submitted.v1')
  async onSubmitted(@Payload() e: Ev<'dossier.submitted.v1'>, @Ctx() ctx: EventContext): Promise<void> {
    const dossierId = e.payload.dossierId;
    await this.messaging.outbox.add(
      ctx.manager,
      'identity.verified.v1',
      { ...samplePayloads['identity.verified.v1'], dossierId },
      { dossierId, correlationId: e.correlationId, causationId: e.eventId },
    );
  }
}

@Controller()
class CaseHandlers {
  constructor(private readonly messaging: MessagingService) {}

  @EventPattern('identity.verified.v1', { batch: true })
  async onVerified(@Payload() events: readonly Ev<'identity.verified.v1'>[], @Ctx() ctx: EventContext): Promise<void> {
    await this.messaging.outbox.addMany(
      ctx.manager,
      events.map((e) => ({
        topic: 'case.received.v1' as const,
        payload: { ...samplePayloads['case.received.v1'], dossierId: e.payload.dossierId },
        meta: { dossierId: e.payload.dossierId, correlationId: e.correlationId, causationId: e.eventId },
      })),
    );
  }
}

@Controller()
class IntakeHandlers {
  @EventPattern('case.received.v1', { batch: true })
  onReceived(@Payload() _events: readonly Ev<'case.received.v1'>[]): Promise<void> {
    return Promise.resolve();
  }
}

describe('tracing: POST /dossiers to case received in one trace (real Kafka, PostgreSQL, Redis)', () => {
  const exporter = new InMemorySpanExporter();
  const logger = pino({ level: 'silent' });
  let tracing: Tracing | undefined;
  let env: TestEnvironment | undefined;
  const apps: INestApplication[] = [];

  async function serviceApp(
    env: TestEnvironment,
    service: KafkaUser & ('intake' | 'identity' | 'case-tracking'),
    controllers: unknown[],
  ) {
    const db = service === 'case-tracking' ? 'case' : service;
    @Module({
      imports: platformModules({
        service,
        logger,
        auth: { jwks: env.issuer.jwksUrl },
        database: { url: env.databases[db] as string, migrations: PLATFORM_MIGRATIONS, devMode: true },
        kafka: {
          brokers: env.brokers,
          sasl: { mechanism: KAFKA_SASL_MECHANISM, username: service, password: brokerKafkaPassword(service) },
          topicPrefix: env.topicPrefix,
          groupId: `${env.topicPrefix}${service}`,
          instance: `${service}-tracing-test`,
        },
        redisUrl: env.redisUrl,
      }),
      controllers: controllers as never[],
    })
    class ServiceModule {}
    const app = await createServiceApp(ServiceModule, { name: service, title: service, description: 'test', logger });
    apps.push(app);
    await app.init();
    return app;
  }

  beforeAll(async () => {
    const started = startTracing('tracing-test', { spanProcessors: [new SimpleSpanProcessor(exporter)] });
    if (!started) throw new Error('tracing did not start');
    tracing = started;
    // Jest loads modules through a registry of its own, which the instrumentation's require hook does not see (a
    // service loads `http` through Node's, where tracing-preload's hook patches it: tracing-preload.int-spec.ts):
    // patch the process's one `http` module by hand; disabling the instrumentation unpatches it.
    const httpModule = jest.requireActual<typeof import('node:http')>('node:http');
    const definition = httpInstrumentation()
      .getModuleDefinitions()
      .find((d) => d.name === 'http');
    if (!definition?.patch) throw new Error('the HTTP instrumentation has no definition for http');
    definition.moduleExports = httpModule;
    definition.patch(httpModule);
    env = await createTestEnvironment(['intake', 'identity', 'case']);
    await serviceApp(env, 'identity', [IdentityHandlers]);
    await serviceApp(env, 'case-tracking', [CaseHandlers]);
    await serviceApp(env, 'intake', [SubmitController, IntakeHandlers]);
  }, 120_000);

  afterAll(async () => {
    for (const app of apps.reverse()) await app.close();
    await tracing?.shutdown();
    await env?.close();
  });

  it('links the HTTP request, each relay publish and each consumer’s handling as parent and child', async () => {
    const prefix = (env as TestEnvironment).topicPrefix;
    const intake = apps[apps.length - 1] as INestApplication;
    const res = await request(intake.getHttpServer() as Parameters<typeof request>[0])
      .post('/dossiers')
      .set('X-Correlation-Id', 'trace-it-1')
      .send({});
    expect(res.status).toBe(201);
    const dossierId = (res.body as { dossierId: string }).dossierId;
    const topic = (t: string) => `${prefix}${t}`;
    const spans = () => exporter.getFinishedSpans();
    const ofDossier = (kind: SpanKind, name: string) =>
      spans().find(
        (s) =>
          s.kind === kind &&
          s.name === name &&
          (s.attributes['hoso.dossier_id'] === dossierId || s.attributes['messaging.kafka.message.key'] === dossierId),
      );
    // The last hop: intake's consumer handled case.received.v1 (its span ends once its flush committed).
    await eventually(
      'intake’s span of case.received.v1',
      () => Promise.resolve(ofDossier(SpanKind.CONSUMER, `process ${topic('case.received.v1')}`)),
      60_000,
    );

    const http = spans().find((s) => s.kind === SpanKind.SERVER && s.name === 'POST /dossiers');
    expect(http?.attributes).toMatchObject({ 'http.route': '/dossiers', 'hoso.correlation_id': 'trace-it-1' });
    const chain: [string, ReadableSpan | undefined][] = [
      ['http', http],
      ['send submitted', ofDossier(SpanKind.PRODUCER, `send ${topic('dossier.submitted.v1')}`)],
      ['identity', ofDossier(SpanKind.CONSUMER, `process ${topic('dossier.submitted.v1')}`)],
      ['send verified', ofDossier(SpanKind.PRODUCER, `send ${topic('identity.verified.v1')}`)],
      ['case-tracking', ofDossier(SpanKind.CONSUMER, `process ${topic('identity.verified.v1')}`)],
      ['send received', ofDossier(SpanKind.PRODUCER, `send ${topic('case.received.v1')}`)],
      ['intake', ofDossier(SpanKind.CONSUMER, `process ${topic('case.received.v1')}`)],
    ];
    for (const [hop, span] of chain) {
      if (!span)
        throw new Error(
          `no span for ${hop}; spans: ${spans()
            .map((s) => s.name)
            .join(', ')}`,
        );
    }
    const found = chain.map(([, s]) => s as ReadableSpan);
    const traceId = found[0]?.spanContext().traceId;
    expect(found.map((s) => s.spanContext().traceId)).toEqual(found.map(() => traceId));
    // Each hop is the child of the one before: the request, then publish → handle → publish … down the flow.
    const parentOf = (s: ReadableSpan): SpanContext | undefined => s.parentSpanContext;
    for (let i = 1; i < found.length; i++) {
      expect({ hop: chain[i]?.[0], parent: parentOf(found[i] as ReadableSpan)?.spanId }).toEqual({
        hop: chain[i]?.[0],
        parent: found[i - 1]?.spanContext().spanId,
      });
    }
    expect(found[2]?.attributes['messaging.consumer.group.name']).toBe(`${prefix}identity`);
    expect(found[4]?.attributes['messaging.consumer.group.name']).toBe(`${prefix}case-tracking`);
    expect(found[6]?.attributes['messaging.consumer.group.name']).toBe(`${prefix}intake`);
    expect(found[6]?.attributes['hoso.correlation_id']).toBe('trace-it-1');
  });
});
