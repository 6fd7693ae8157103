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
import { Client, escapeLiteral } from 'pg';
import { z } from 'zod';
import { ConfigError, devModeProblems, devModeShape, parseEnv, withDatabase } from '@hoso/config';

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
export type DbRole = 'owner' | 'app';

/**
 * Tables no runtime role may rewrite (UPDATE, DELETE; TRUNCATE is never granted). The audit trail's migration
 * revokes the same on a new database; this list does it for a database whose tables existed before its roles did.
 */
const APPEND_ONLY_TABLES = ['audit_trail'];

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,56}$/;

/** `hoso_identity_owner` and `hoso_identity_app` for `hoso_identity`. */
export function dbRoleNames(database: string): Record<DbRole, string> {
  if (!IDENTIFIER.test(database)) throw new Error(`invalid database name "${database}"`);
  return { owner: `${database}_owner`, app: `${database}_app` };
}

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

/** One service database and the passwords of its two roles. */
export interface DbRolesPlan {
  database: string;
  ownerPassword: string;
  appPassword: string;
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

/** A role created when missing (concurrent runs included) and set to exactly these attributes. */
function roleStatements(role: string, pw: string): string[] {
  return [
    `DO $$ BEGIN
       IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${role}') THEN CREATE ROLE "${role}"; END IF;
     EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
     END $$`,
    `ALTER ROLE "${role}" WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT PASSWORD ${escapeLiteral(pw)}`,
  ];
}

/**
 * The statements for one service database: `server` on any database of the server (roles and the database itself
 * are server-wide), then `database` connected to that database (its schema and objects). Every statement can run
 * again with the same result.
 */
export function dbRolesStatements(p: DbRolesPlan): { server: string[]; database: string[] } {
  const { owner, app } = dbRoleNames(p.database);
  const db = `"${p.database}"`;
  return {
    server: [
      ...roleStatements(owner, p.ownerPassword),
      ...roleStatements(app, p.appPassword),
      `ALTER DATABASE ${db} OWNER TO "${owner}"`,
      // PUBLIC's default CONNECT and TEMPORARY would let every role in: other services' runtime roles included.
      `REVOKE ALL ON DATABASE ${db} FROM PUBLIC`,
      `GRANT CONNECT ON DATABASE ${db} TO "${app}"`,
    ],
    database: [
      `ALTER SCHEMA public OWNER TO "${owner}"`,
      `REVOKE ALL ON SCHEMA public FROM PUBLIC`,
      `GRANT USAGE ON SCHEMA public TO "${app}"`,
      `ALTER DEFAULT PRIVILEGES FOR ROLE "${owner}" IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO "${app}"`,
      `ALTER DEFAULT PRIVILEGES FOR ROLE "${owner}" IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO "${app}"`,
      // A database migrated before its roles existed (as postgres): its objects go to the owner, so the next
      // migration, run as the owner, may alter them. A table's own sequences and indexes follow the table.
      `DO $$
       DECLARE r record;
       BEGIN
         FOR r IN SELECT c.oid::regclass AS name, c.relkind FROM pg_class c
                   WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p', 'f', 'v', 'm')
                     AND c.relowner <> '${owner}'::regrole
         LOOP
           EXECUTE format(CASE r.relkind WHEN 'v' THEN 'ALTER VIEW %s OWNER TO %I'
                                          WHEN 'm' THEN 'ALTER MATERIALIZED VIEW %s OWNER TO %I'
                                          ELSE 'ALTER TABLE %s OWNER TO %I' END, r.name, '${owner}');
         END LOOP;
         FOR r IN SELECT c.oid::regclass AS name FROM pg_class c
                   WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'S' AND c.relowner <> '${owner}'::regrole
         LOOP
           EXECUTE format('ALTER SEQUENCE %s OWNER TO %I', r.name, '${owner}');
         END LOOP;
         FOR r IN SELECT p.oid::regprocedure AS name FROM pg_proc p
                   WHERE p.pronamespace = 'public'::regnamespace AND p.proowner <> '${owner}'::regrole
         LOOP
           EXECUTE format('ALTER ROUTINE %s OWNER TO %I', r.name, '${owner}');
         END LOOP;
         FOR r IN SELECT t.oid::regtype AS name FROM pg_type t
                   WHERE t.typnamespace = 'public'::regnamespace AND t.typtype IN ('e', 'd', 'r') AND t.typowner <> '${owner}'::regrole
         LOOP
           EXECUTE format('ALTER TYPE %s OWNER TO %I', r.name, '${owner}');
         END LOOP;
       END $$`,
      `GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO "${app}"`,
      `GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO "${app}"`,
      ...APPEND_ONLY_TABLES.map(
        (t) => `DO $$ BEGIN
                  IF to_regclass('public.${t}') IS NOT NULL THEN
                    REVOKE UPDATE, DELETE, TRUNCATE ON public.${t} FROM "${app}";
                  END IF;
                END $$`,
      ),
    ],
  };
}

/**
 * Creates or updates the roles of `plans` on the server of `adminUrl` (a superuser, or a role with CREATEROLE that
 * owns the databases), one database after another. Each database must exist (`npm run infra -- up` creates them).
 */
export async function applyDbRoles(adminUrl: string, plans: readonly DbRolesPlan[]): Promise<void> {
  for (const plan of plans) {
    const statements = dbRolesStatements(plan);
    for (const [url, list] of [
      [adminUrl, statements.server],
      [withDatabase(adminUrl, plan.database), statements.database],
    ] as const) {
      const client = new Client({ connectionString: url });
      await client.connect();
      try {
        await client.query('BEGIN');
        for (const sql of list) await client.query(sql);
        await client.query('COMMIT');
      } catch (e) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw e;
      } finally {
        await client.end();
      }
    }
  }
}

/** `url`'s server with `database`, as `role` with `password` (percent-encoded): a service's database URL. */
export function dbRoleUrl(url: string, database: string, role: string, password: string): string {
  const u = new URL(withDatabase(url, database));
  u.username = encodeURIComponent(role);
  u.password = encodeURIComponent(password);
  return u.toString();
}
