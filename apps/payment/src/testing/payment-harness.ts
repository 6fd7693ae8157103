import { Writable } from 'node:stream';
import type { INestApplication } from '@nestjs/common';
import pino from 'pino';
import { v7 as uuidv7 } from 'uuid';
import { catalog, createEvent, samplePayloads, type Payload, type Topic } from '@hoso/contracts';
import { EventProducer } from '@hoso/messaging';
import { createServiceApp } from '@hoso/nest-kit';
import { createTestEnvironment, EventTap, type TestEnvironment } from '@hoso/nest-kit/testing';
import { testEnv } from '@hoso/testing';
// The gateway simulator stands in for an external system; tests start it in-process so callbacks travel over
// real HTTP between two real servers. Production code never imports it.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { rootModule as gatewayRoot } from '../../../payment-gateway/src/app.module';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { loadConfig as loadGatewayConfig } from '../../../payment-gateway/src/config';
import { rootModule } from '../app.module';
import { loadConfig } from '../config';

export const API_KEY = 'test-api-key-0123456789abcdef';
export const WEBHOOK_SECRET = 'test-webhook-secret-0123456789';

export interface Harness {
  env: TestEnvironment;
  payment: INestApplication;
  gateway: INestApplication;
  paymentUrl: string;
  gatewayUrl: string;
  tap: EventTap;
  producer: EventProducer;
  /** Log lines of the payment service (audit lines among them). */
  logLines: Record<string, unknown>[];
  publish<T extends Topic>(topic: T, payload: Payload<T>, eventId?: string): Promise<string>;
  close(): Promise<void>;
}

const urlOf = (app: INestApplication) => {
  const address = (app.getHttpServer() as { address(): { port: number } }).address();
  return `http://127.0.0.1:${address.port}`;
};

export async function startHarness(extraEnv: Record<string, string> = {}): Promise<Harness> {
  const env = await createTestEnvironment(['payment', 'paygw']);
  const quiet = pino({ level: 'silent' });
  const gatewayConfig = loadGatewayConfig({
    // The simulator starts in development mode only; the payment service below runs without it, on its own secrets.
    HOSO_DEV_MODE: '1',
    DATABASE_URL: testEnv.DATABASE_URL,
    PAYMENT_GATEWAY_DATABASE_URL: env.databases['paygw'],
    PAYMENT_GATEWAY_API_KEY: API_KEY,
    PAYMENT_GATEWAY_WEBHOOK_SECRET: WEBHOOK_SECRET,
    GATEWAY_CALLBACK_BACKOFF_MS: '50',
    LOG_LEVEL: 'silent',
  });
  const gateway = await createServiceApp(gatewayRoot(gatewayConfig, quiet), {
    name: 'payment-gateway',
    title: 'gw',
    description: 'test',
    logger: quiet,
  });
  await gateway.listen(0, '127.0.0.1');
  const gatewayUrl = urlOf(gateway);

  const logLines: Record<string, unknown>[] = [];
  const capture = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) {
        logLines.push(JSON.parse(line) as Record<string, unknown>);
      }
      done();
    },
  });
  const logger = pino({ level: 'warn', base: { service: 'payment' } }, capture);
  // Outside development mode, as in production: the pool works as the database's runtime role (data rights only) and
  // the migrations run as its owner; the test itself reads and sets up rows over env.databases (the superuser).
  const roles = await env.databaseRoles('payment');
  const config = loadConfig({
    DATABASE_URL: testEnv.DATABASE_URL,
    PAYMENT_DATABASE_URL: roles.appUrl,
    PAYMENT_DATABASE_MIGRATION_URL: roles.ownerUrl,
    ...env.kafkaEnv('payment'),
    KAFKA_BROKERS: env.brokers.join(','),
    REDIS_URL: env.redisUrl,
    AUTH_JWKS_URL: env.issuer.jwksUrl,
    KAFKA_TOPIC_PREFIX: env.topicPrefix,
    // A group of this run only: with the default `payment`, concurrent runs (or a running service) would share the
    // group and take this run's partitions away.
    KAFKA_GROUP_ID: `${env.topicPrefix}payment`,
    PAYMENT_GATEWAY_URL: gatewayUrl,
    PAYMENT_GATEWAY_API_KEY: API_KEY,
    PAYMENT_GATEWAY_WEBHOOK_SECRET: WEBHOOK_SECRET,
    RECONCILE_EVERY_SEC: '3600',
    LOG_LEVEL: 'warn',
    ...extraEnv,
  });
  const payment = await createServiceApp(rootModule(config, logger), {
    name: 'payment',
    title: 'payment',
    description: 'test',
    logger,
  });
  await payment.listen(0, '127.0.0.1');
  const tap = await new EventTap(env, [
    'payment.requested.v1',
    'payment.waived.v1',
    'payment.completed.v1',
    'payment.failed.v1',
    'payment.refunded.v1',
  ]).start();
  const producer = new EventProducer(env.kafka);
  await producer.connect();
  return {
    env,
    payment,
    gateway,
    paymentUrl: urlOf(payment),
    gatewayUrl,
    tap,
    producer,
    logLines,
    async publish(topic, payload, eventId) {
      const event = createEvent(catalog, topic, payload, {
        dossierId: (payload as { dossierId: string }).dossierId,
        correlationId: `test-${uuidv7()}`,
        producer: 'test',
        ...(eventId ? { eventId } : {}),
      });
      await producer.sendBatch([
        { topic: `${env.topicPrefix}${topic}`, key: event.dossierId ?? '', value: JSON.stringify(event) },
      ]);
      return event.eventId;
    },
    async close() {
      await tap.stop();
      await producer.disconnect();
      await payment.close();
      await gateway.close();
      await env.close();
    },
  };
}

/** A dossier.submitted.v1 payload for a fresh dossier (sample fields, overridable). */
export function submitted(over: Partial<Payload<'dossier.submitted.v1'>> = {}): Payload<'dossier.submitted.v1'> {
  return { ...samplePayloads['dossier.submitted.v1'], dossierId: uuidv7(), ...over };
}

export function verified(s: Payload<'dossier.submitted.v1'>): Payload<'identity.verified.v1'> {
  return {
    dossierId: s.dossierId,
    personalId: s.applicant.personalId,
    vneidLevel: 2,
    verifiedAt: new Date().toISOString(),
  };
}
