import { parseArgs } from 'node:util';
import { infraEnvSchema, parseEnv, toolKafkaSasl } from '@hoso/config';
import { createKafka } from '../src/kafka';
import { createLogger } from '../src/logger';

export class UsageError extends Error {}

/** Shared by the operator CLIs: env, a quiet Kafka client, and usage errors that exit 2. */
export function cliKafka(name: string) {
  const env = parseEnv(infraEnvSchema);
  const logger = createLogger(name, process.env['LOG_LEVEL'] ?? 'error');
  return createKafka({ clientId: name, brokers: env.KAFKA_BROKERS, sasl: toolKafkaSasl(), logger, retries: 2 });
}

export function positiveIntFlag(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw) || Number(raw) <= 0)
    throw new UsageError(`--${name} must be a positive integer, got "${raw}"`);
  return Number(raw);
}

export interface ParsedArgs {
  positionals: string[];
  values: Record<string, string | boolean | (string | boolean)[] | undefined>;
}

type FlagOptions = Record<string, { type: 'string' | 'boolean'; multiple?: boolean }>;

export function runCli(usage: string, main: (args: ParsedArgs) => Promise<void>, options: FlagOptions): void {
  let args: ParsedArgs;
  try {
    const parsed = parseArgs({ args: process.argv.slice(2), options, allowPositionals: true, strict: true });
    args = { positionals: parsed.positionals, values: parsed.values };
  } catch (e) {
    console.error(`${(e as Error).message}\n\n${usage}`);
    process.exit(2);
  }
  main(args).then(
    () => process.exit(0),
    (e: unknown) => {
      if (e instanceof UsageError) {
        console.error(`${e.message}\n\n${usage}`);
        process.exit(2);
      }
      console.error(e instanceof Error ? e.message : e);
      process.exit(1);
    },
  );
}
