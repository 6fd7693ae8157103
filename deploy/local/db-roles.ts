/**
 * The PostgreSQL roles of one hoso environment, defined once: `npm run infra -- db-roles` creates them on the server
 * at DATABASE_URL (the one `up` uses, or the one of deploy/docker-compose.yml) and hands each service database to its
 * owner role. Nothing uses the roles until a service is given their URLs, so running the command changes no running
 * service; it is idempotent, and run again after a password change.
 *
 * Two roles per service database, instead of every service as the `postgres` superuser:
 * - `<database>_owner` owns the database, its schema and everything in it: migrations run as this role
 *   (`<SERVICE>_DATABASE_MIGRATION_URL`), on a connection held only while migrating.
 * - `<database>_app` is what the service's pool works as (`<SERVICE>_DATABASE_URL`): CONNECT to its own database only,
 *   USAGE on the schema, SELECT/INSERT/UPDATE/DELETE on the tables and USAGE/SELECT on the sequences — granted on
 *   every table the owner creates later through the owner's default privileges. No CREATE, ALTER, DROP or TRUNCATE,
 *   and no UPDATE or DELETE on the audit trail (libs/nest-kit/src/audit-trail.ts revokes them in a migration).
 * No database is open to PUBLIC: a role connects only to the database it was granted.
 */
import { z } from 'zod';
import { ConfigError, devModeProblems, devModeShape, parseEnv } from '@hoso/config';
import type { DbRole, DbRolesPlan } from '@hoso/persistence';

// The roles' statements live in @hoso/persistence, where the tests that need a service's runtime role find them too.
export {
  applyDbRoles,
  dbRoleNames,
  dbRolesStatements,
  dbRoleUrl,
  dropDbRoles,
  type DbRole,
  type DbRolesPlan,
} from '@hoso/persistence';

/** Each service's own database (deploy/local/infra.ts creates them, deploy/docker/init-databases.sql too). */
export const DB_SERVICE_DATABASES = {
  identity: 'hoso_identity',
  intake: 'hoso_intake',
  payment: 'hoso_payment',
  'payment-gateway': 'hoso_paygw',
  'case-tracking': 'hoso_case',
  metrics: 'hoso_metrics',
} as const;
export type DbService = keyof typeof DB_SERVICE_DATABASES;
export const DB_SERVICES = Object.keys(DB_SERVICE_DATABASES) as DbService[];

/** `DB_PASSWORD_CASE_TRACKING` (the runtime role) and `DB_PASSWORD_CASE_TRACKING_OWNER` for `case-tracking`. */
export function dbPasswordVariable(service: DbService, role: DbRole): string {
  return `DB_PASSWORD_${service.toUpperCase().replace(/-/g, '_')}${role === 'owner' ? '_OWNER' : ''}`;
}

/** Published development passwords: accepted only with HOSO_DEV_MODE=1. */
export function devDbPassword(service: DbService, role: DbRole): string {
  return `hoso-dev-db-${service}-${role}`;
}

const password = z.string().min(16, 'must be at least 16 characters');
const PASSWORD_VARIABLES = DB_SERVICES.flatMap((s) => [dbPasswordVariable(s, 'owner'), dbPasswordVariable(s, 'app')]);

export const dbRolesEnvSchema = z.object({
  ...devModeShape,
  ...(Object.fromEntries(PASSWORD_VARIABLES.map((v) => [v, password.optional()])) as Record<
    string,
    z.ZodOptional<typeof password>
  >),
});

export interface DbRolesSettings {
  /** Each role's password: its variable, else (development mode only) its development default. */
  passwords: Partial<Record<DbService, Partial<Record<DbRole, string>>>>;
  /** Why no role may be created: passwords unset outside development mode, development mode in production. */
  problems: string[];
}

/** The passwords from `env`; a malformed value throws a ConfigError at once, a missing one is a problem. */
export function dbRolesSettings(env: Record<string, string | undefined> = process.env): DbRolesSettings {
  const c = parseEnv(dbRolesEnvSchema, env);
  const given = c as unknown as Record<string, string | undefined>;
  const passwords: DbRolesSettings['passwords'] = {};
  for (const service of DB_SERVICES) {
    for (const role of ['owner', 'app'] as const) {
      const value =
        given[dbPasswordVariable(service, role)] ?? (c.HOSO_DEV_MODE ? devDbPassword(service, role) : undefined);
      if (value !== undefined) (passwords[service] ??= {})[role] = value;
    }
  }
  return {
    passwords,
    problems: devModeProblems(c, Object.fromEntries(PASSWORD_VARIABLES.map((v) => [v, given[v]]))),
  };
}

/** The plans of every service database; throws a ConfigError naming every variable at fault. */
export function dbRolesPlans(s: DbRolesSettings): DbRolesPlan[] {
  if (s.problems.length) throw new ConfigError(s.problems);
  const missing = DB_SERVICES.flatMap((service) =>
    (['owner', 'app'] as const)
      .filter((r) => s.passwords[service]?.[r] === undefined)
      .map((r) => dbPasswordVariable(service, r)),
  );
  if (missing.length) throw new ConfigError(missing.map((v) => `${v}: required`));
  return DB_SERVICES.map((service) => ({
    database: DB_SERVICE_DATABASES[service],
    ownerPassword: s.passwords[service]?.owner ?? '',
    appPassword: s.passwords[service]?.app ?? '',
  }));
}
