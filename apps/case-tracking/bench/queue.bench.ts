/**
 * Queue listing at scale: 100,000 open cases in a fresh database, then 50 calls of an agency's queue over HTTP
 * (the real server, auth included). Prints seed time and p50/p95 latency. Run: `nx run case-tracking:bench`.
 */
import pino from 'pino';
import { Client } from 'pg';
import { createServiceApp } from '@hoso/nest-kit';
import { createTestEnvironment } from '@hoso/nest-kit/testing';
import { testEnv } from '@hoso/testing';
import { AppModule } from '../src/app.module';
import { loadConfig } from '../src/config';

const CASES = 100_000;
const CALLS = 50;

async function main(): Promise<void> {
  const env = await createTestEnvironment(['case_bench']);
  const logger = pino({ level: 'silent' });
  const config = loadConfig({
    // Development mode: the development result-signing KEK and portal address.
    HOSO_DEV_MODE: '1',
    DATABASE_URL: testEnv.DATABASE_URL,
    CASE_DATABASE_URL: env.databases['case_bench'],
    ...env.kafkaEnv('case-tracking'),
    KAFKA_BROKERS: env.brokers.join(','),
    REDIS_URL: env.redisUrl,
    AUTH_JWKS_URL: env.issuer.jwksUrl,
    KAFKA_TOPIC_PREFIX: env.topicPrefix,
    LOG_LEVEL: 'silent',
  });
  const app = await createServiceApp(AppModule.forRoot(config, logger), {
    name: 'bench',
    title: 'b',
    description: 'b',
    logger,
  });
  await app.listen(0, '127.0.0.1');
  const port = (app.getHttpServer() as { address(): { port: number } }).address().port;
  const db = new Client({ connectionString: env.databases['case_bench'] });
  await db.connect();
  try {
    const t0 = performance.now();
    // 20 agencies; P01 holds half of all cases (the worst queue); 2 % overdue; statuses spread over open ones.
    await db.query(
      `INSERT INTO cases (id, dossier_id, receipt_code, procedure_code, province_code, agency_code, applicant_personal_id,
         status, processing_working_days, received_at, due_at, sla_ledger, overdue, fully_online)
       SELECT gen_random_uuid(), gen_random_uuid(), 'R-' || i, '1.001193', '01',
         CASE WHEN i % 2 = 0 THEN 'P01' ELSE 'P' || lpad((i % 19 + 2)::text, 2, '0') END,
         '001099000123', (ARRAY['RECEIVED','IN_PROCESS','SUPPLEMENT_REQUESTED','TRANSFERRED'])[i % 4 + 1], 3,
         now() - (i % 1000) * interval '1 hour', now() + (i % 5000) * interval '1 minute', '[]', i % 50 = 0, true
       FROM generate_series(1, $1) AS i`,
      [CASES],
    );
    await db.query('ANALYZE cases');
    const seedMs = performance.now() - t0;
    const token = await env.issuer.officer('P01');
    const time = async (path: string) => {
      const ms: number[] = [];
      for (let i = 0; i < CALLS; i++) {
        const s = performance.now();
        const res = await fetch(`http://127.0.0.1:${port}${path}`, { headers: { authorization: `Bearer ${token}` } });
        if (res.status !== 200) throw new Error(`${path}: ${res.status}`);
        await res.arrayBuffer();
        ms.push(performance.now() - s);
      }
      ms.sort((a, b) => a - b);
      const at = (p: number) => (ms[Math.min(ms.length - 1, Math.floor(p * ms.length))] ?? 0).toFixed(1);
      return { path, p50: at(0.5), p95: at(0.95) };
    };
    const results = [
      await time('/queues/P01/cases?pageSize=50'),
      await time('/queues/P01/cases?status=IN_PROCESS&pageSize=50'),
      await time('/queues/P01/cases?overdue=true&pageSize=50'),
      await time('/queues/P01/cases?pageSize=50&page=100'),
    ];
    console.log(`seeded ${CASES} open cases in ${(seedMs / 1000).toFixed(1)} s`);
    for (const r of results) console.log(`${r.path.padEnd(52)} p50 ${r.p50} ms  p95 ${r.p95} ms  (${CALLS} calls)`);
  } finally {
    await db.end();
    await app.close();
    await env.close();
  }
}

void main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
