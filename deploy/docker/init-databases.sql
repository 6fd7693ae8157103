-- One database per service (each service owns its data; none reads another's tables).
-- Run by the postgres image only when its data volume is empty, i.e. on the first start.
-- The same list is in deploy/local/infra.ts (SERVICE_DATABASES); keep them in step.
-- Each database's owner and runtime roles are not created here (their passwords come from the environment):
-- run `npm run infra -- db-roles` against this server once it is up (deploy/local/db-roles.ts).
CREATE DATABASE hoso_intake;
CREATE DATABASE hoso_identity;
CREATE DATABASE hoso_payment;
CREATE DATABASE hoso_paygw;
CREATE DATABASE hoso_case;
CREATE DATABASE hoso_metrics;
