/**
 * The services of the platform, their default ports, databases and consumer groups, and the environment each
 * one needs to find the others: the one place that knows how the processes are wired together.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { brokerKafkaPassword, KAFKA_SERVICE_USERS, type KafkaServiceUser } from '@hoso/config';

export const BACKEND_SERVICES = [
  'identity',
  'intake',
  'payment',
  'payment-gateway',
  'case-tracking',
  'metrics',
] as const;
export const ALL_SERVICES = ['gateway', ...BACKEND_SERVICES] as const;
export type ServiceName = (typeof ALL_SERVICES)[number];

export const DEFAULT_PORTS: Readonly<Record<ServiceName, number>> = {
  gateway: 3000,
  intake: 3001,
  identity: 3002,
  payment: 3003,
  'case-tracking': 3004,
  metrics: 3005,
  'payment-gateway': 3006,
};

/** Per service: the variable naming its own database and the database name deploy/local creates. */
export const DATABASES: Readonly<Partial<Record<ServiceName, { variable: string; name: string; key: string }>>> = {
  identity: { variable: 'IDENTITY_DATABASE_URL', name: 'hoso_identity', key: 'identity' },
  intake: { variable: 'INTAKE_DATABASE_URL', name: 'hoso_intake', key: 'intake' },
  payment: { variable: 'PAYMENT_DATABASE_URL', name: 'hoso_payment', key: 'payment' },
  'payment-gateway': { variable: 'PAYMENT_GATEWAY_DATABASE_URL', name: 'hoso_paygw', key: 'paygw' },
  'case-tracking': { variable: 'CASE_DATABASE_URL', name: 'hoso_case', key: 'case' },
  metrics: { variable: 'METRICS_DATABASE_URL', name: 'hoso_metrics', key: 'metrics' },
};

/** Services that consume from Kafka, with their default consumer group (groups are not prefixed by the services). */
export const CONSUMER_GROUPS: Readonly<Partial<Record<ServiceName, string>>> = {
  intake: 'intake',
  identity: 'identity',
  payment: 'payment',
  'case-tracking': 'case-tracking',
  metrics: 'metrics',
};

/** The public entry (portal + API proxy) exists once apps/gateway does. */
export function gatewayPresent(root: string): boolean {
  return existsSync(join(root, 'apps/gateway/src/main.ts'));
}

export function portalPresent(root: string): boolean {
  return existsSync(join(root, 'apps/portal/project.json'));
}

export interface WiringInput {
  ports: Readonly<Record<ServiceName, number>>;
  brokers: string;
  databaseUrl: string;
  redisUrl: string;
  /** Database URL per service (fresh databases); default: the service's own default database. */
  databases: Partial<Record<ServiceName, string>>;
  topicPrefix: string;
  /** Prefix of consumer group ids; a run on its own topics needs its own groups too. */
  groupPrefix: string;
  logLevel: string;
  otpDir: string;
  attachmentDir: string;
  resultDir: string;
  portalDir: string;
  registrySeedCount?: number | undefined;
}

const url = (port: number) => `http://127.0.0.1:${port}`;

/** The environment of each service, as `nx serve` would need it to join this platform. */
export function serviceEnv(name: ServiceName, w: WiringInput): Record<string, string> {
  const common: Record<string, string> = {
    PORT: String(w.ports[name]),
    NODE_ENV: 'development',
    // The platform is the demo, the benchmarks and the browser tests: development secrets, one-time codes written
    // to OTP_DEV_DIR (the simulator reads them there) and the payment-gateway simulator. Nothing else turns it on.
    HOSO_DEV_MODE: '1',
    LOG_LEVEL: w.logLevel,
    DATABASE_URL: w.databaseUrl,
    KAFKA_BROKERS: w.brokers,
    REDIS_URL: w.redisUrl,
    AUTH_JWKS_URL: `${url(w.ports.identity)}/.well-known/jwks.json`,
    KAFKA_TOPIC_PREFIX: w.topicPrefix,
    // BullMQ queue names may not contain ':'; a prefixed run keeps its own queues.
    QUEUE_PREFIX: w.topicPrefix.replace(/\W/g, ''),
  };
  const db = DATABASES[name];
  const dbUrl = w.databases[name];
  if (db && dbUrl) common[db.variable] = dbUrl;
  const group = CONSUMER_GROUPS[name];
  if (group) common['KAFKA_GROUP_ID'] = `${w.groupPrefix}${group}`;
  // Each service as its own Kafka user: the broker's password when the environment gives it, else the development one.
  const kafkaUser = (KAFKA_SERVICE_USERS as readonly string[]).includes(name) ? (name as KafkaServiceUser) : null;
  if (kafkaUser) {
    common['KAFKA_USERNAME'] = kafkaUser;
    common['KAFKA_PASSWORD'] = brokerKafkaPassword(kafkaUser);
  }
  if (name === 'metrics') {
    common['KAFKA_OPERATOR_USERNAME'] = 'operator';
    common['KAFKA_OPERATOR_PASSWORD'] = brokerKafkaPassword('operator');
  }
  switch (name) {
    case 'identity':
      return {
        ...common,
        OTP_DEV_DIR: w.otpDir,
        ...(w.registrySeedCount === undefined ? {} : { REGISTRY_SEED_COUNT: String(w.registrySeedCount) }),
      };
    case 'intake':
      return { ...common, ATTACHMENT_DIR: w.attachmentDir };
    case 'payment':
      return {
        ...common,
        PAYMENT_GATEWAY_URL: url(w.ports['payment-gateway']),
        PAYMENT_CALLBACK_URL: `${url(w.ports.payment)}/payments/gateway/callbacks`,
        // The citizen pays on the simulator's page and comes back to the portal, which the gateway serves.
        PAYMENT_RETURN_ORIGINS: url(w.ports.gateway),
        PAYMENT_RETURN_URL: `${url(w.ports.gateway)}/dossiers`,
      };
    case 'payment-gateway':
      return { ...common, GATEWAY_PUBLIC_URL: url(w.ports['payment-gateway']) };
    case 'case-tracking':
      // QR codes on results link to this platform's portal, whatever port its gateway got.
      return { ...common, RESULT_DIR: w.resultDir, PORTAL_PUBLIC_URL: url(w.ports.gateway) };
    case 'metrics':
      return {
        ...common,
        KNOWN_GROUPS: Object.values(CONSUMER_GROUPS)
          .map((g) => `${w.groupPrefix}${g}`)
          .join(','),
      };
    case 'gateway':
      return {
        ...common,
        IDENTITY_URL: url(w.ports.identity),
        INTAKE_URL: url(w.ports.intake),
        PAYMENT_URL: url(w.ports.payment),
        CASE_TRACKING_URL: url(w.ports['case-tracking']),
        METRICS_URL: url(w.ports.metrics),
        PAYMENT_GATEWAY_PUBLIC_URL: url(w.ports['payment-gateway']),
        PORTAL_DIR: w.portalDir,
      };
  }
}
