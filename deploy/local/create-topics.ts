/** `npm run topics`: creates every contract topic and its DLQ on KAFKA_BROKERS (idempotent). */
import { infraEnvSchema, parseEnv } from '@hoso/config';
import { ensureTopics } from './topics';

const env = parseEnv(infraEnvSchema);
ensureTopics(env.KAFKA_BROKERS).then(
  (r) => {
    console.log(`${r.total} topics ready (${r.created.length} created, ${r.grown.length} grown)`);
  },
  (e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  },
);
