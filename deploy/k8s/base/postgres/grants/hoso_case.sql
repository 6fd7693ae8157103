-- hoso_case: the server-wide part (on the postgres database), then the part inside hoso_case.
\connect postgres
ALTER DATABASE "hoso_case" OWNER TO "hoso_case_owner";
REVOKE ALL ON DATABASE "hoso_case" FROM PUBLIC;
GRANT CONNECT ON DATABASE "hoso_case" TO "hoso_case_app";
\connect hoso_case
ALTER SCHEMA public OWNER TO "hoso_case_owner";
REVOKE ALL ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO "hoso_case_app";
ALTER DEFAULT PRIVILEGES FOR ROLE "hoso_case_owner" IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO "hoso_case_app";
ALTER DEFAULT PRIVILEGES FOR ROLE "hoso_case_owner" IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO "hoso_case_app";
DO $$
       DECLARE r record;
       BEGIN
         FOR r IN SELECT c.oid::regclass AS name, c.relkind FROM pg_class c
                   WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p', 'f', 'v', 'm')
                     AND c.relowner <> 'hoso_case_owner'::regrole
         LOOP
           EXECUTE format(CASE r.relkind WHEN 'v' THEN 'ALTER VIEW %s OWNER TO %I'
                                          WHEN 'm' THEN 'ALTER MATERIALIZED VIEW %s OWNER TO %I'
                                          ELSE 'ALTER TABLE %s OWNER TO %I' END, r.name, 'hoso_case_owner');
         END LOOP;
         FOR r IN SELECT c.oid::regclass AS name FROM pg_class c
                   WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'S' AND c.relowner <> 'hoso_case_owner'::regrole
         LOOP
           EXECUTE format('ALTER SEQUENCE %s OWNER TO %I', r.name, 'hoso_case_owner');
         END LOOP;
         FOR r IN SELECT p.oid::regprocedure AS name FROM pg_proc p
                   WHERE p.pronamespace = 'public'::regnamespace AND p.proowner <> 'hoso_case_owner'::regrole
         LOOP
           EXECUTE format('ALTER ROUTINE %s OWNER TO %I', r.name, 'hoso_case_owner');
         END LOOP;
         FOR r IN SELECT t.oid::regtype AS name FROM pg_type t
                   WHERE t.typnamespace = 'public'::regnamespace AND t.typtype IN ('e', 'd', 'r') AND t.typowner <> 'hoso_case_owner'::regrole
         LOOP
           EXECUTE format('ALTER TYPE %s OWNER TO %I', r.name, 'hoso_case_owner');
         END LOOP;
       END $$;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO "hoso_case_app";
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO "hoso_case_app";
DO $$ BEGIN
                  IF to_regclass('public.audit_trail') IS NOT NULL THEN
                    REVOKE UPDATE, DELETE, TRUNCATE ON public.audit_trail FROM "hoso_case_app";
                  END IF;
                END $$;
