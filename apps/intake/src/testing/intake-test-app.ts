// Shared set-up of the intake integration tests: real PostgreSQL and Kafka (fresh database, prefixed topics),
// the whole application as in production, an audit-line capture and a controllable clock.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { INestApplication } from '@nestjs/common';
import pino from 'pino';
import { DataSource } from 'typeorm';
import request from 'supertest';
import { catalog } from '@hoso/contracts';
import { EventProducer, TypedPublisher } from '@hoso/messaging';
import { createServiceApp } from '@hoso/nest-kit';
import { createTestEnvironment, EventTap, type TestEnvironment } from '@hoso/nest-kit/testing';
import { testEnv } from '@hoso/testing';
import { intakeRootModule } from '../app.module';
import type { Clock } from '../clock';
import { loadConfig } from '../config';

export interface IntakeTestApp {
  env: TestEnvironment;
  app: INestApplication;
  http: () => ReturnType<typeof request>;
  tap: EventTap;
  /** Publishes events as the other services would (on the run's prefixed topics). */
  publisher: TypedPublisher<typeof catalog>;
  logLines: Record<string, unknown>[];
  attachmentDir: string;
  attachmentFiles: () => Promise<string[]>;
  clock: Clock & { set(d: Date | null): void };
  query: <T = Record<string, unknown>>(sql: string, params?: unknown[]) => Promise<T[]>;
  close: () => Promise<void>;
}

export const ATTACHMENT_LIMIT = 64 * 1024;

export async function startIntake(): Promise<IntakeTestApp> {
  const env = await createTestEnvironment(['intake']);
  const attachmentDir = await mkdtemp(join(tmpdir(), 'hoso-intake-attachments-'));
  const config = loadConfig({
    // Development mode: the pool connects as the test server's superuser (docs/security.md, "Database roles").
    HOSO_DEV_MODE: '1',
    DATABASE_URL: testEnv.DATABASE_URL,
    INTAKE_DATABASE_URL: env.databases['intake'],
    ...env.kafkaEnv('intake'),
    KAFKA_BROKERS: env.brokers.join(','),
    REDIS_URL: env.redisUrl,
    AUTH_JWKS_URL: env.issuer.jwksUrl,
    KAFKA_TOPIC_PREFIX: env.topicPrefix,
    LOG_LEVEL: 'info',
    ATTACHMENT_MAX_BYTES: String(ATTACHMENT_LIMIT),
    ATTACHMENT_DIR: attachmentDir,
  });
  const logLines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.trim()) logLines.push(JSON.parse(line) as Record<string, unknown>);
      }
      cb();
    },
  });
  const logger = pino({ name: 'intake', level: 'info', base: { service: 'intake' } }, sink);
  let fixed: Date | null = null;
  const clock = {
    now: () => fixed ?? new Date(),
    set: (d: Date | null) => {
      fixed = d;
    },
  };
  const app = await createServiceApp(intakeRootModule(config, logger, { clock }), {
    name: 'intake',
    title: 'intake',
    description: 'test',
    logger,
  });
  await app.init();
  const tap = await new EventTap(env, ['dossier.submitted.v1', 'dossier.withdrawn.v1']).start();
  const producer = new EventProducer(env.kafka);
  const publisher = new TypedPublisher(catalog, producer, 'test', env.topicPrefix);
  const ds = app.get(DataSource);
  return {
    env,
    app,
    http: () => request(app.getHttpServer() as Parameters<typeof request>[0]),
    tap,
    publisher,
    logLines,
    attachmentDir,
    attachmentFiles: () => readdir(attachmentDir),
    clock,
    query: async <T>(sql: string, params: unknown[] = []) => await ds.query<T[]>(sql, params),
    close: async () => {
      await tap.stop();
      await producer.disconnect();
      await app.close();
      await env.close();
      await rm(attachmentDir, { recursive: true, force: true });
    },
  };
}

/** A minimal valid PDF-looking file (magic bytes and some content). */
export function pdfBytes(size = 2048): Buffer {
  const b = Buffer.alloc(size, 0x20);
  b.write('%PDF-1.7\n', 0, 'latin1');
  return b;
}

export const TEST_PROCEDURE = '1.004873'; // Certificate of marital status: commune level, fee 5,000 VND.

/** A valid form of TEST_PROCEDURE for the applicant `pid`. */
export function maritalStatusForm(pid: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    applicantName: 'Nguyễn Văn An',
    applicantPersonalId: pid,
    applicantBirthDate: '1990-05-01',
    applicantGender: 'Nam',
    applicantPermanentAddress: 'Số 1 Tràng Tiền, Phường Hoàn Kiếm, Hà Nội',
    currentMaritalStatus: 'Chưa kết hôn',
    purpose: 'Đăng ký kết hôn',
    phone: '0912345678',
    ...overrides,
  };
}
