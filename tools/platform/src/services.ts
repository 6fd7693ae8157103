/**
 * The services of the platform, their default ports, databases and consumer groups, and the environment each
 * one needs to find the others: the one place that knows how the processes are wired together.
 */
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
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

/**
 * Replica k (from 0) of a service listens on its port + k × this step: 3001, 3101, 3201 … for intake, so the
 * replicas of the seven services (3000–3006) never take each other's ports, nor any other port the platform uses.
 */
export const REPLICA_PORT_STEP = 100;
/** At most this many replicas of one service (the last one's ports end at 3906). */
export const MAX_REPLICAS = 9;

/** The process name of replica `index` of `service`: the service's own name for the first, `<service>.<index>` after. */
export function replicaName(service: ServiceName, index: number): string {
  return index === 0 ? service : `${service}.${index}`;
}

/** The port of replica `index` when replica 0 listens on `base`. */
export function replicaPort(base: number, index: number): number {
  return base + REPLICA_PORT_STEP * index;
}

/**
 * The name of replica `index` among its consumer group's members (HOSO_INSTANCE): stable per replica slot, so a
 * process started again in the same slot removes the member its killed predecessor left in the group.
 */
export function replicaInstance(service: ServiceName, index: number): string {
  return `${hostname()}/${replicaName(service, index)}`;
}

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
  /**
   * The base URL of every replica slot per service (replica 0's first); a service not listed has one, at its port.
   * The gateway balances over these lists.
   */
  replicaUrls?: Partial<Record<ServiceName, readonly string[]>>;
  /** The gateway is part of this platform (its URL is the one of `ports.gateway`). */
  viaGateway?: boolean;
}

/** Where replica `index` of `name` runs: its port and its instance name among its group's members. */
export interface ReplicaSlot {
  index: number;
  port: number;
}

const url = (port: number) => `http://127.0.0.1:${port}`;

/** The environment of each service, as `nx serve` would need it to join this platform. */
export function serviceEnv(name: ServiceName, w: WiringInput, replica?: ReplicaSlot): Record<string, string> {
  const urlsOf = (s: ServiceName) => w.replicaUrls?.[s] ?? [url(w.ports[s])];
  const replicated = (s: ServiceName) => urlsOf(s).length > 1;
  const gateway = url(w.ports.gateway);
  const common: Record<string, string> = {
    PORT: String(replica?.port ?? w.ports[name]),
    NODE_ENV: 'development',
    // The platform is the demo, the benchmarks and the browser tests: development secrets, one-time codes written
    // to OTP_DEV_DIR (the simulator reads them there) and the payment-gateway simulator. Nothing else turns it on.
    HOSO_DEV_MODE: '1',
    LOG_LEVEL: w.logLevel,
    DATABASE_URL: w.databaseUrl,
    KAFKA_BROKERS: w.brokers,
    REDIS_URL: w.redisUrl,
    // With identity replicated, its key set is fetched through the gateway, which skips a replica that is down:
    // a process started while identity's first replica is down could not verify a token otherwise.
    AUTH_JWKS_URL:
      w.viaGateway && replicated('identity')
        ? `${gateway}/api/identity/.well-known/jwks.json`
        : `${url(w.ports.identity)}/.well-known/jwks.json`,
    KAFKA_TOPIC_PREFIX: w.topicPrefix,
    // BullMQ queue names may not contain ':'; a prefixed run keeps its own queues.
    QUEUE_PREFIX: w.topicPrefix.replace(/\W/g, ''),
  };
  // Two processes on one host must never share a member name (a restart in one slot would remove the other).
  if (replica) common['HOSO_INSTANCE'] = replicaInstance(name, replica.index);
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
        // The payment platform stands for an outside provider reached at one address: its first replica (a run with
        // more of them puts its own balancer there, through this variable).
        PAYMENT_GATEWAY_URL: url(w.ports['payment-gateway']),
        // With payment replicated, the payment platform calls back through the gateway, which skips a replica that is
        // down (the route is public there: the callback carries its own signature).
        PAYMENT_CALLBACK_URL:
          w.viaGateway && replicated('payment')
            ? `${gateway}/api/payment/payments/gateway/callbacks`
            : `${url(w.ports.payment)}/payments/gateway/callbacks`,
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
        // Every replica of each service, comma-separated: the gateway balances over them.
        IDENTITY_URL: urlsOf('identity').join(','),
        INTAKE_URL: urlsOf('intake').join(','),
        PAYMENT_URL: urlsOf('payment').join(','),
        CASE_TRACKING_URL: urlsOf('case-tracking').join(','),
        METRICS_URL: urlsOf('metrics').join(','),
        PAYMENT_GATEWAY_PUBLIC_URL: url(w.ports['payment-gateway']),
        PORTAL_DIR: w.portalDir,
      };
  }
}
