/**
 * The two PostgreSQL roles of one service database, defined once (`npm run infra -- db-roles` applies them to the
 * environment's databases; tests apply them to their own): `<database>_owner` owns the database, its schema and
 * everything in it, and runs the migrations; `<database>_app` is the service's pool, with data rights only (no DDL, no
 * TRUNCATE, no UPDATE or DELETE on the audit trail) and CONNECT to its own database alone.
 */
import { Client, escapeLiteral } from 'pg';
import type { DataSource } from 'typeorm';
import { withDatabase } from '@hoso/config';

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

/** One service database and the passwords of its two roles. */
export interface DbRolesPlan {
  database: string;
  ownerPassword: string;
  appPassword: string;
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

/** Drops the two roles of `database` (after the database itself: a role that owns one cannot be dropped). */
export async function dropDbRoles(adminUrl: string, database: string): Promise<void> {
  const { owner, app } = dbRoleNames(database);
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`DROP ROLE IF EXISTS "${app}"`);
    await client.query(`DROP ROLE IF EXISTS "${owner}"`);
  } finally {
    await client.end();
  }
}

/**
 * Why a service's pool may not run as the role it connected with, outside development mode: a superuser, or any role
 * that may change the schema (the database's owner, CREATE on the schema), would let a compromised service drop the
 * audit trail's trigger or rewrite another table's definition. Empty when the role holds data rights only.
 */
export async function runtimeRoleProblems(ds: DataSource): Promise<string[]> {
  const [r] = await ds.query<{ role: string; superuser: boolean; owns_database: boolean; creates: boolean }[]>(
    `SELECT current_user AS role,
            r.rolsuper AS superuser,
            d.datdba = r.oid AS owns_database,
            has_schema_privilege(current_user, current_schema(), 'CREATE') AS creates
       FROM pg_roles r, pg_database d
      WHERE r.rolname = current_user AND d.datname = current_database()`,
  );
  if (!r) return [];
  const why = r.superuser
    ? 'a superuser'
    : r.owns_database
      ? "the database's owner"
      : r.creates
        ? 'allowed to create objects in the schema'
        : null;
  return why ? [`connects as "${r.role}", ${why}`] : [];
}
