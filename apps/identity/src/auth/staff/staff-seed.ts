import { hash } from '@node-rs/argon2';
import type { DataSource } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import { oneTimePassword, seedStaffAccounts, type SeedStaff } from './staff-policy';

/** argon2id with the library's defaults (19 MiB, 2 passes: the OWASP baseline). */
export const hashPassword = (password: string): Promise<string> => hash(password);

export type StaffSeedMode =
  /** Development: every account gets this password, no forced change, so bots and tests sign in unattended. */
  | { kind: 'shared'; password: string }
  /** Otherwise: each account its own one-time password, to be changed at the first sign-in. */
  | { kind: 'one-time' };

export interface StaffSeedResult {
  /** 0 when there already were staff accounts (nothing is done then). */
  inserted: number;
  /** One-time mode only: each new account and its password, to be handed to its owner and never stored in clear. */
  credentials: { username: string; role: SeedStaff['role']; agencyCode: string | null; password: string }[];
}

/**
 * Seeds the staff of every province centre and ministry, and the operator, when there is no staff account at all
 * (under an advisory lock, so two instances starting together seed once). Returns the one-time passwords to the
 * caller and logs nothing: printing them is the seed command's job, to its standard output only.
 */
export async function seedStaff(ds: DataSource, mode: StaffSeedMode): Promise<StaffSeedResult> {
  const [{ n } = { n: 0 }] = await ds.query<{ n: number }[]>('SELECT count(*)::int AS n FROM staff_accounts');
  if (n > 0) return { inserted: 0, credentials: [] };
  const accounts = seedStaffAccounts();
  const passwords = accounts.map((a) => (mode.kind === 'shared' ? mode.password : oneTimePassword(a.username)));
  const hashes = await Promise.all(passwords.map(hashPassword));
  const inserted = await ds.transaction(async (m) => {
    await m.query(`SELECT pg_advisory_xact_lock(hashtext('identity:seed-staff'))`);
    const rows: unknown[] = await m.query('SELECT 1 FROM staff_accounts LIMIT 1');
    if (rows.length > 0) return 0;
    await m.query(
      `INSERT INTO staff_accounts (id, username, password_hash, role, agency_code, display_name, must_change_password)
       SELECT *, $7::boolean FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[])`,
      [
        accounts.map(() => uuidv7()),
        accounts.map((a) => a.username),
        hashes,
        accounts.map((a) => a.role),
        accounts.map((a) => a.agencyCode),
        accounts.map((a) => a.displayName),
        mode.kind === 'one-time',
      ],
    );
    return accounts.length;
  });
  return {
    inserted,
    credentials:
      inserted && mode.kind === 'one-time'
        ? accounts.map((a, i) => ({
            username: a.username,
            role: a.role,
            agencyCode: a.agencyCode,
            password: passwords[i] as string,
          }))
        : [],
  };
}

/** The seed command's table of new accounts: a header line, then `username<TAB>role<TAB>agency<TAB>password`. */
export function credentialsTable(credentials: StaffSeedResult['credentials']): string {
  return [
    '# New staff accounts and their one-time passwords (each must be changed at its first sign-in).',
    '# Hand each to its owner; this is the only copy.',
    'username\trole\tagency\tone-time password',
    ...credentials.map((c) => [c.username, c.role, c.agencyCode ?? '-', c.password].join('\t')),
  ].join('\n');
}
