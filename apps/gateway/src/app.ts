import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Logger as NestPinoLogger } from 'nestjs-pino';
import type { Logger } from 'pino';
import { answerClientErrors, CORRELATION_HEADER, HttpErrorFilter } from '@hoso/nest-kit';
import { gatewayApp } from './app.module';
import type { Config } from './config';
import { securityHeaders } from './security';

/**
 * The gateway's HTTP application. Unlike a service's (`createServiceApp`), it never parses bodies: they stream
 * through to the services untouched, counted against the size limits on the way.
 */
export async function createGatewayApp(config: Config, logger: Logger): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(gatewayApp(config, logger), {
    bufferLogs: true,
    bodyParser: false,
  });
  app.useLogger(app.get(NestPinoLogger));
  app.disable('x-powered-by');
  app.set('trust proxy', config.TRUST_PROXY);
  app.use(
    securityHeaders({ paymentGatewayPublicUrl: config.PAYMENT_GATEWAY_PUBLIC_URL, production: config.production }),
  );
  if (config.CORS_ORIGINS.length) {
    app.enableCors({
      origin: [...config.CORS_ORIGINS],
      methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
      // x-device-id: the citizen sign-in's device id (identity's limits never hold back a device known for the ID).
      allowedHeaders: ['authorization', 'content-type', 'idempotency-key', 'x-device-id', CORRELATION_HEADER],
      exposedHeaders: [
        CORRELATION_HEADER,
        'retry-after',
        'ratelimit-limit',
        'ratelimit-remaining',
        'ratelimit-reset',
        'ratelimit-policy',
        'content-disposition',
      ],
      maxAge: 600,
    });
  }
  app.useGlobalFilters(new HttpErrorFilter(logger));
  answerClientErrors(app.getHttpServer());
  return app;
}

/** main.ts: build, listen, and exit non-zero (loudly) if start-up fails. */
export async function runGateway(config: Config, logger: Logger): Promise<NestExpressApplication> {
  try {
    const app = await createGatewayApp(config, logger);
    app.enableShutdownHooks();
    await app.listen(config.PORT, config.HOST);
    const server = app.getHttpServer();
    // Longer than the idle timeout of a load balancer in front (60 s is common), so it never reuses a
    // connection the gateway is closing.
    server.keepAliveTimeout = 65_000;
    server.headersTimeout = 66_000;
    logger.info(
      { port: config.PORT, upstreams: config.upstreams },
      `gateway listening on http://${config.HOST}:${config.PORT} (API docs at /api/docs)`,
    );
    return app;
  } catch (e) {
    logger.fatal({ err: e }, 'gateway failed to start');
    process.exit(1);
  }
}
