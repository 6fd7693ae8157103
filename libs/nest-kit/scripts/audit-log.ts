/** `npm run audit-log -- verify [--service NAME]...`: checks every service's audit trail hash chain. */
import { parseArgs } from 'node:util';
import { Client } from 'pg';
import { infraEnvSchema, parseEnv, withDatabase } from '@hoso/config';
import { verifyAuditTrail, type AuditVerification } from '../src/audit-trail';

const USAGE = `usage: npm run audit-log -- verify [--service NAME]... [--json]
       npm run audit-log -- tail --service NAME [--limit N]

  verify   walks each service's audit trail from its first entry and checks every hash link and the head;
           exits 1 when a trail is broken (the first broken entry is named) or cannot be read
  tail     prints the last entries of one service's trail (default 20), newest last

  services: identity, intake, payment, case-tracking, metrics (default: all);
  each service's database: <SERVICE>_DATABASE_URL, else DATABASE_URL's server with the service's database`;

/** The services that keep an audit trail, their database by default, and the env variable that overrides it. */
export const AUDITED_SERVICES: Record<string, { database: string; env: string }> = {
  identity: { database: 'hoso_identity', env: 'IDENTITY_DATABASE_URL' },
  intake: { database: 'hoso_intake', env: 'INTAKE_DATABASE_URL' },
  payment: { database: 'hoso_payment', env: 'PAYMENT_DATABASE_URL' },
  'case-tracking': { database: 'hoso_case', env: 'CASE_DATABASE_URL' },
  metrics: { database: 'hoso_metrics', env: 'METRICS_DATABASE_URL' },
};

class UsageError extends Error {}

function databaseUrl(service: string): string {
  const s = AUDITED_SERVICES[service];
  if (!s) throw new UsageError(`unknown service "${service}"`);
  return process.env[s.env] || withDatabase(parseEnv(infraEnvSchema).DATABASE_URL, s.database);
}

async function withClient<T>(service: string, work: (c: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: databaseUrl(service), application_name: 'hoso-audit-log' });
  await client.connect();
  try {
    // One snapshot for the whole walk: entries appended meanwhile neither break nor extend the check.
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } finally {
    await client.end();
  }
}

const manager = (c: Client) => ({
  query: async <R>(sql: string, params?: unknown[]) => (await c.query(sql, params)).rows as R,
});

async function verify(services: string[], json: boolean): Promise<boolean> {
  let allOk = true;
  for (const service of services) {
    let result: AuditVerification | { ok: false; error: string };
    try {
      result = await withClient(service, (c) => verifyAuditTrail(manager(c)));
    } catch (e) {
      result = { ok: false, error: e instanceof Error ? e.message : String(e) };
    }
    allOk &&= result.ok;
    if (json) console.log(JSON.stringify({ service, ...result }));
    else if (result.ok) console.log(`✔ ${service.padEnd(14)} ${result.entries} entries, head ${result.headHash}`);
    else if ('error' in result) console.log(`✘ ${service.padEnd(14)} cannot be read: ${result.error}`);
    else console.log(`✘ ${service.padEnd(14)} BROKEN at entry ${result.brokenAt}: ${result.reason}`);
  }
  return allOk;
}

async function tail(service: string, limit: number): Promise<void> {
  const rows = await withClient(
    service,
    async (c) =>
      (
        await c.query<{ seq: string; entry: string }>(
          `SELECT seq::text AS seq, entry FROM (SELECT seq, entry FROM audit_trail ORDER BY seq DESC LIMIT $1) t ORDER BY t.seq`,
          [limit],
        )
      ).rows,
  );
  for (const r of rows) console.log(`${r.seq}\t${r.entry}`);
}

async function main(): Promise<number> {
  const { positionals, values } = parseArgs({
    args: process.argv.slice(2),
    options: { service: { type: 'string', multiple: true }, limit: { type: 'string' }, json: { type: 'boolean' } },
    allowPositionals: true,
    strict: true,
  });
  const services = values.service ?? Object.keys(AUDITED_SERVICES);
  for (const s of services) if (!AUDITED_SERVICES[s]) throw new UsageError(`unknown service "${s}"`);
  switch (positionals[0]) {
    case 'verify':
      return (await verify(services, values.json ?? false)) ? 0 : 1;
    case 'tail': {
      if (services.length !== 1 || !values.service) throw new UsageError('tail takes exactly one --service');
      const limit = values.limit === undefined ? 20 : Number(values.limit);
      if (!Number.isInteger(limit) || limit <= 0) throw new UsageError(`--limit must be a positive integer`);
      await tail(services[0] as string, limit);
      return 0;
    }
    case undefined:
      throw new UsageError('missing command');
    default:
      throw new UsageError(`unknown command "${positionals[0]}"`);
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    const usage = e instanceof UsageError || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    console.error(usage ? `${(e as Error).message}\n\n${USAGE}` : e instanceof Error ? e.message : e);
    process.exit(usage ? 2 : 1);
  },
);
