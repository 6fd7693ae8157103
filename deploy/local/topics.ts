import { Kafka, logLevel } from 'kafkajs';
import { toolKafkaSasl } from '@hoso/config';
import { ensureTopics as ensure, type TopicReport } from '@hoso/messaging';

export type { TopicReport };

/** Every contract topic and its DLQ on `brokers` (see libs/messaging ensureTopics). */
export function ensureTopics(brokers: string[]): Promise<TopicReport> {
  return ensure(new Kafka({ sasl: toolKafkaSasl(), clientId: 'hoso-topics', brokers, logLevel: logLevel.ERROR }));
}
