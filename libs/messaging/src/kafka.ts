import { Kafka, logLevel, type Admin, type KafkaConfig, type LogEntry } from 'kafkajs';
import type { KafkaSasl } from '@hoso/config';
import type { Logger } from './logger';

export interface KafkaOptions {
  clientId: string;
  brokers: string[];
  logger: Logger;
  /** Connection attempts before a client gives up; see docs/operations.md. */
  retries?: number;
  /** The process's Kafka user (SASL/SCRAM-SHA-512, `kafkaSasl` of @hoso/config); omitted only for a broker without SASL. */
  sasl?: KafkaSasl | undefined;
}

/** A kafkajs client whose logs go through the service's JSON logger. */
export function createKafka(opts: KafkaOptions): Kafka {
  const config: KafkaConfig = {
    clientId: opts.clientId,
    brokers: opts.brokers,
    ...(opts.sasl ? { sasl: { ...opts.sasl } } : {}),
    connectionTimeout: 3000,
    requestTimeout: 30000,
    retry: { retries: opts.retries ?? 8, initialRetryTime: 200, maxRetryTime: 5000 },
    logLevel: logLevel.WARN,
    logCreator: () => (entry: LogEntry) => {
      const { message, ...rest } = entry.log;
      const fields = { kafka: { namespace: entry.namespace, ...rest } };
      switch (entry.level) {
        case logLevel.ERROR:
        case logLevel.NOTHING:
          opts.logger.error(fields, message);
          break;
        case logLevel.WARN:
          opts.logger.warn(fields, message);
          break;
        case logLevel.INFO:
          opts.logger.info(fields, message);
          break;
        case logLevel.DEBUG:
          opts.logger.debug(fields, message);
          break;
      }
    },
  };
  return new Kafka(config);
}

/** Runs `work` with a connected admin client of `kafka`, disconnected afterwards whatever happens. */
export async function withKafkaAdmin<T>(kafka: Kafka, work: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return await work(admin);
  } finally {
    await admin.disconnect();
  }
}
