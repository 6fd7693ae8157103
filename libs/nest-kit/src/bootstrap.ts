import type { DynamicModule, INestApplication, Type } from '@nestjs/common';
import { ModulesContainer, NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { MessagingService } from '@hoso/messaging';
import { Logger as NestPinoLogger } from 'nestjs-pino';
import type { Logger } from 'pino';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { jsonBodyParser } from './body';
import { answerClientErrors } from './client-error';
import { correlationIdOf } from './correlation';
import { HttpErrorFilter } from './errors';
import { applyHeapGrowing } from './heap';
import { RequestInputInterceptor } from './input';
import { MetricsService } from './metrics';
import { startTracing, withTracingShutdown } from './tracing';

/** How long a service keeps an idle client connection open: longer than any proxy in front keeps it (see below). */
export const SERVICE_KEEP_ALIVE_MS = 65_000;

export interface ServiceAppOptions {
  name: string;
  title: string;
  description: string;
  logger: Logger;
  /** Request body limit (attachments use multipart and their own limit). */
  bodyLimit?: string;
}

/** Builds a service's HTTP application the same way everywhere: logs, errors, metrics, OpenAPI at /docs. */
export async function createServiceApp(
  module: Type | DynamicModule,
  opts: ServiceAppOptions,
): Promise<INestApplication> {
  // abortOnError false: a failing start-up (or a lookup of a provider the service lacks) throws to the caller —
  // runService exits non-zero, a test sees the error — instead of Nest calling process.exit itself.
  const app = await NestFactory.create<NestExpressApplication>(module, {
    bufferLogs: true,
    bodyParser: false,
    abortOnError: false,
  });
  app.useLogger(app.get(NestPinoLogger));
  // The correlation id first: a refusal of the body itself (malformed, too large) carries it like any other answer.
  app.use((req: IncomingMessage, res: ServerResponse, next: () => void) => {
    correlationIdOf(req, res);
    next();
  });
  app.use(jsonBodyParser(opts.bodyLimit ?? '256kb'));
  app.disable('x-powered-by');
  app.use(app.get(MetricsService).httpMiddleware);
  app.useGlobalFilters(new HttpErrorFilter(opts.logger));
  // After the guards, before every pipe: no handler sees a body it does not read or text that cannot be stored.
  app.useGlobalInterceptors(new RequestInputInterceptor());
  const server: Server = app.getHttpServer();
  answerClientErrors(server);
  // A proxy in front (the gateway, a load balancer) reuses idle connections. Closing one just as the proxy sends a
  // request on it breaks that request half-way (ECONNRESET, "socket hang up": a 502 for a write the proxy cannot
  // safely send again), so the service keeps idle connections open longer than any proxy keeps them: the gateway's
  // upstream agent drops its idle sockets after 4 s, common load balancers after 60 s.
  server.keepAliveTimeout = SERVICE_KEEP_ALIVE_MS;
  server.headersTimeout = SERVICE_KEEP_ALIVE_MS + 1000;
  // The controllers' @EventPattern handlers register with the messaging transport now; its consumer starts when
  // the application bootstraps (app.init / app.listen), after the database and the producer are ready.
  const messaging = has(app, MessagingService) ? app.get(MessagingService, { strict: false }) : null;
  if (messaging) app.connectMicroservice({ strategy: messaging.transport }, { inheritAppConfig: false });
  app.enableShutdownHooks();
  const doc = SwaggerModule.createDocument(
    app,
    new DocumentBuilder().setTitle(opts.title).setDescription(opts.description).setVersion('1').addBearerAuth().build(),
  );
  SwaggerModule.setup('docs', app, doc, { jsonDocumentUrl: 'docs/openapi.json' });
  return app;
}

/**
 * Whether any module of the application provides `token` (the payment-gateway simulator has no messaging). Looked up
 * in the module container: a failed `app.get` is logged by Nest as an exception before it throws.
 */
function has(app: INestApplication, token: Type): boolean {
  return [...app.get(ModulesContainer).values()].some((m) => m.providers.has(token));
}

/**
 * main.ts of every service: start tracing when the OTEL_* variables turn it on, build, listen, and exit non-zero
 * (loudly) if start-up fails.
 */
export async function runService(
  module: Type | DynamicModule,
  opts: ServiceAppOptions & { port: number; host?: string; heapGrowingPercent?: number },
): Promise<INestApplication> {
  try {
    applyHeapGrowing(opts.heapGrowingPercent ?? 0);
    // Before the application exists: its HTTP server and its messaging are traced from the first request on.
    const tracing = startTracing(opts.name);
    const app = await createServiceApp(tracing ? withTracingShutdown(module) : module, opts);
    await app.listen(opts.port, opts.host ?? '127.0.0.1');
    opts.logger.info(
      { port: opts.port },
      `${opts.name} listening on http://${opts.host ?? '127.0.0.1'}:${opts.port} (docs at /docs)`,
    );
    return app;
  } catch (e) {
    opts.logger.fatal({ err: e }, `${opts.name} failed to start`);
    process.exit(1);
  }
}
