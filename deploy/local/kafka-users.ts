import { createHash } from 'node:crypto';
import { z } from 'zod';
import {
  DEV_MODE_VAR,
  devKafkaPassword,
  devModeShape,
  kafkaPasswordVariable,
  KAFKA_USERS,
  parseEnv,
  type KafkaUser,
} from '@hoso/config';

/**
 * The SCRAM users of the local broker and their passwords: KAFKA_PASSWORD_<USER> for each, or with HOSO_DEV_MODE=1
 * the development passwords the services and tests take by default. Outside development mode every one must be given.
 */
export interface KafkaUserSettings {
  passwords: Record<KafkaUser, string>;
}

/**
 * What `StorageTool --add-scram` and the JAAS line of server.properties can carry unquoted: printable ASCII without
 * space, quote, backslash, comma, brackets or '='.
 */
const SAFE_PASSWORD = /^[!#-+\--<>-Z^-~]+$/;

export function kafkaUserSettings(env: Record<string, string | undefined> = process.env): KafkaUserSettings {
  const { HOSO_DEV_MODE: devMode } = parseEnv(z.object(devModeShape), env);
  const problems: string[] = [];
  const passwords = {} as Record<KafkaUser, string>;
  for (const user of KAFKA_USERS) {
    const variable = kafkaPasswordVariable(user);
    const given = env[variable];
    if (given === undefined || given === '') {
      if (devMode) passwords[user] = devKafkaPassword(user);
      else problems.push(`${variable}: required (development passwords apply only with ${DEV_MODE_VAR}=1)`);
      continue;
    }
    if (given.length < 16) problems.push(`${variable}: must be at least 16 characters`);
    else if (!SAFE_PASSWORD.test(given))
      problems.push(`${variable}: printable ASCII without space, quote, backslash, comma, '=' or brackets`);
    else passwords[user] = given;
  }
  if (problems.length) throw new Error(`Kafka users:\n  ${problems.join('\n  ')}`);
  return { passwords };
}

/** `--add-scram` arguments of `StorageTool format` for every user. */
export function scramFormatArgs(s: KafkaUserSettings): string[] {
  return KAFKA_USERS.flatMap((user) => ['--add-scram', `SCRAM-SHA-512=[name=${user},password=${s.passwords[user]}]`]);
}

/**
 * A fingerprint of the users and passwords a storage was formatted with, kept beside it: SCRAM credentials live in
 * the cluster metadata, so a changed password (or a storage formatted before SASL) needs a reset, and `up` says so
 * instead of starting a broker nobody can sign in to. A salted hash: the file never holds a password.
 */
export function credentialsFingerprint(s: KafkaUserSettings, salt: string): string {
  const h = createHash('sha256').update(salt);
  for (const user of KAFKA_USERS) h.update(`\0${user}\0${s.passwords[user]}`);
  return h.digest('hex');
}
