import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import type { Server } from 'node:http';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { createRootLogger, createServiceApp } from '@hoso/nest-kit';
import { createTestEnvironment, type TestEnvironment } from '@hoso/nest-kit/testing';
import { testEnv } from '@hoso/testing';
import { identityApp } from '../app.module';
import type { Clock } from '../clock';
import { loadConfig, type Config } from '../config';

/** A clock tests move forward; otherwise it follows real time. */
export class TestClock implements Clock {
  private offsetMs = 0;

  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }

  advance(seconds: number): void {
    this.offsetMs += seconds * 1000;
  }
}

export const TEST_REGISTRY_SIZE = 3000;

export interface IdentityTestApp {
  env: TestEnvironment;
  app: INestApplication;
  ds: DataSource;
  clock: TestClock;
  config: Config;
  baseUrl: string;
  jwksUrl: string;
  http: () => ReturnType<typeof request>;
  /** The code the dev delivery wrote for this citizen, or null when none was sent. */
  otpFor(personalId: string): Promise<{ challengeId: string; code: string } | null>;
  /** A second instance of the service: same database, same consumer group (`env` overrides variables). */
  startAnother(env?: Record<string, string>): Promise<INestApplication>;
  close(): Promise<void>;
}

/** The identity service on real servers: a fresh database, topics under a random prefix, a small registry. */
export const TEST_SIGNING_KEY_KEK = 'identity-test-signing-key-kek-0123456789';

export async function startIdentity(): Promise<IdentityTestApp> {
  const env = await createTestEnvironment(['identity']);
  const otpDir = await mkdtemp(join(tmpdir(), 'hoso-otp-'));
  const clock = new TestClock();
  const baseEnv: Record<string, string | undefined> = {
    NODE_ENV: 'test',
    // The development delivery writes each code where `otpFor` reads it; `startAnother` can turn the mode off.
    HOSO_DEV_MODE: '1',
    DATABASE_URL: testEnv.DATABASE_URL,
    IDENTITY_DATABASE_URL: env.databases['identity'],
    ...env.kafkaEnv('identity'),
    KAFKA_BROKERS: env.brokers.join(','),
    REDIS_URL: env.redisUrl,
    KAFKA_TOPIC_PREFIX: env.topicPrefix,
    KAFKA_GROUP_ID: `${env.topicPrefix}identity-${randomBytes(4).toString('hex')}`,
    LOG_LEVEL: 'silent',
    REGISTRY_SEED_COUNT: String(TEST_REGISTRY_SIZE),
    OTP_DEV_DIR: otpDir,
    // Every instance on one database shares the key that seals its signing keys (a second one in production mode too).
    SIGNING_KEY_KEK: TEST_SIGNING_KEY_KEK,
  };
  const config = loadConfig(baseEnv);
  const logger = createRootLogger('identity-test', process.env['TEST_LOG_LEVEL'] ?? 'silent');
  const build = async (cfg: Config) => {
    const app = await createServiceApp(identityApp(cfg, logger, { clock }), {
      name: 'identity',
      title: 'identity',
      description: 'test',
      logger,
    });
    await app.listen(0, '127.0.0.1');
    return app;
  };
  const app = await build(config);
  const others: INestApplication[] = [];
  const { port } = (app.getHttpServer() as Server).address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}`;
  return {
    env,
    app,
    ds: app.get(DataSource),
    clock,
    config,
    baseUrl,
    jwksUrl: `${baseUrl}/.well-known/jwks.json`,
    http: () => request(app.getHttpServer() as Server),
    otpFor: async (personalId) => {
      try {
        return JSON.parse(await readFile(join(otpDir, `${personalId}.json`), 'utf8')) as {
          challengeId: string;
          code: string;
        };
      } catch {
        return null;
      }
    },
    startAnother: async (overrides) => {
      // Outside development mode the service refuses the superuser the test database was made with: it gets the
      // database's runtime role, and its owner role for migrations, as a production deployment does.
      const roles =
        overrides?.['HOSO_DEV_MODE'] === '0'
          ? await env.databaseRoles('identity').then((r) => ({
              IDENTITY_DATABASE_URL: r.appUrl,
              IDENTITY_DATABASE_MIGRATION_URL: r.ownerUrl,
            }))
          : {};
      const other = await build(overrides ? loadConfig({ ...baseEnv, ...roles, ...overrides }) : config);
      others.push(other);
      return other;
    },
    close: async () => {
      for (const o of others) await o.close();
      await app.close();
      await env.close();
      await rm(otpDir, { recursive: true, force: true });
    },
  };
}
