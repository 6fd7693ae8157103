import { DEV_MODE_VAR } from './dev-mode';
import { ConfigError } from './env';

/**
 * The Kafka principals of one hoso environment (SASL/SCRAM-SHA-512 users): one per service that talks to Kafka,
 * `operator` for the operator's dead-letter replays (the only principal besides a topic's producer that may write
 * to it), and `admin`, a super user for topic and ACL management, the tests and the operator's tools. What each may
 * do is derived from libs/contracts in deploy/local/kafka-acl.ts. The payment-gateway simulator, the gateway and the
 * portal use no Kafka.
 */
export const KAFKA_SERVICE_USERS = ['intake', 'identity', 'payment', 'case-tracking', 'metrics'] as const;
export const KAFKA_USERS = [...KAFKA_SERVICE_USERS, 'operator', 'admin'] as const;
export type KafkaServiceUser = (typeof KAFKA_SERVICE_USERS)[number];
export type KafkaUser = (typeof KAFKA_USERS)[number];

export const KAFKA_SASL_MECHANISM = 'scram-sha-512';

/** What kafkajs takes as `sasl`. */
export interface KafkaSasl {
  mechanism: typeof KAFKA_SASL_MECHANISM;
  username: string;
  password: string;
}

/** `KAFKA_PASSWORD_CASE_TRACKING` for `case-tracking`: the broker side's variable (deploy/local, compose). */
export function kafkaPasswordVariable(user: KafkaUser): string {
  return `KAFKA_PASSWORD_${user.toUpperCase().replace(/-/g, '_')}`;
}

/** Published development passwords: a service takes one only with HOSO_DEV_MODE=1. */
export function devKafkaPassword(user: KafkaUser): string {
  return `hoso-dev-kafka-${user}`;
}

/**
 * The password the local broker (`npm run infra -- up`) and the isolated platform give `user`: its
 * KAFKA_PASSWORD_<USER> variable, else its development password.
 */
export function brokerKafkaPassword(user: KafkaUser, env: Record<string, string | undefined> = process.env): string {
  return env[kafkaPasswordVariable(user)] || devKafkaPassword(user);
}

/**
 * The SASL settings of a service: KAFKA_USERNAME and KAFKA_PASSWORD, or in development mode `devUser` with its
 * development password. Throws a ConfigError naming the variables otherwise.
 */
export function kafkaSasl(
  c: { HOSO_DEV_MODE: boolean; KAFKA_USERNAME?: string | undefined; KAFKA_PASSWORD?: string | undefined },
  devUser: KafkaUser,
): KafkaSasl {
  const problems = kafkaCredentialProblems(c);
  if (problems.length) throw new ConfigError(problems);
  return c.KAFKA_USERNAME
    ? { mechanism: KAFKA_SASL_MECHANISM, username: c.KAFKA_USERNAME, password: c.KAFKA_PASSWORD ?? '' }
    : { mechanism: KAFKA_SASL_MECHANISM, username: devUser, password: devKafkaPassword(devUser) };
}

/** kafkaSasl's refusals, in parseEnv's `NAME: message` form, for a config check that reports every problem at once. */
export function kafkaCredentialProblems(
  c: { HOSO_DEV_MODE: boolean; KAFKA_USERNAME?: string | undefined; KAFKA_PASSWORD?: string | undefined },
  names: { username: string; password: string } = { username: 'KAFKA_USERNAME', password: 'KAFKA_PASSWORD' },
): string[] {
  if (c.KAFKA_USERNAME && !c.KAFKA_PASSWORD) return [`${names.password}: required with ${names.username}`];
  if (!c.KAFKA_USERNAME && c.KAFKA_PASSWORD) return [`${names.username}: required with ${names.password}`];
  if (!c.KAFKA_USERNAME && !c.HOSO_DEV_MODE)
    return [
      `${names.username}: required, with ${names.password} (the Kafka user; its development default applies only with ${DEV_MODE_VAR}=1)`,
    ];
  return [];
}

/**
 * The operator principal's settings for a service that acts for the operator (metrics' dead-letter console):
 * KAFKA_OPERATOR_USERNAME and KAFKA_OPERATOR_PASSWORD, or in development mode `operator` with its development password.
 */
export const KAFKA_OPERATOR_VARS = {
  username: 'KAFKA_OPERATOR_USERNAME',
  password: 'KAFKA_OPERATOR_PASSWORD',
} as const;

export function operatorKafkaCredentialProblems(c: {
  HOSO_DEV_MODE: boolean;
  KAFKA_OPERATOR_USERNAME?: string | undefined;
  KAFKA_OPERATOR_PASSWORD?: string | undefined;
}): string[] {
  return kafkaCredentialProblems(
    {
      HOSO_DEV_MODE: c.HOSO_DEV_MODE,
      KAFKA_USERNAME: c.KAFKA_OPERATOR_USERNAME,
      KAFKA_PASSWORD: c.KAFKA_OPERATOR_PASSWORD,
    },
    KAFKA_OPERATOR_VARS,
  );
}

export function operatorKafkaSasl(c: {
  HOSO_DEV_MODE: boolean;
  KAFKA_OPERATOR_USERNAME?: string | undefined;
  KAFKA_OPERATOR_PASSWORD?: string | undefined;
}): KafkaSasl {
  const problems = operatorKafkaCredentialProblems(c);
  if (problems.length) throw new ConfigError(problems);
  return c.KAFKA_OPERATOR_USERNAME
    ? {
        mechanism: KAFKA_SASL_MECHANISM,
        username: c.KAFKA_OPERATOR_USERNAME,
        password: c.KAFKA_OPERATOR_PASSWORD ?? '',
      }
    : { mechanism: KAFKA_SASL_MECHANISM, username: 'operator', password: devKafkaPassword('operator') };
}

/**
 * Credentials of the operator's tools and the tests (topic and ACL management, benches, the fault checks):
 * KAFKA_USERNAME and KAFKA_PASSWORD when given, else the `admin` user with KAFKA_PASSWORD_ADMIN or its development
 * password — the one a broker of `npm run infra -- up` has unless told otherwise.
 */
export function toolKafkaSasl(env: Record<string, string | undefined> = process.env): KafkaSasl {
  const username = env['KAFKA_USERNAME']?.trim();
  if (username) {
    const password = env['KAFKA_PASSWORD'];
    if (!password) throw new ConfigError(['KAFKA_PASSWORD: required with KAFKA_USERNAME']);
    return { mechanism: KAFKA_SASL_MECHANISM, username, password };
  }
  return {
    mechanism: KAFKA_SASL_MECHANISM,
    username: 'admin',
    password: brokerKafkaPassword('admin', env),
  };
}
