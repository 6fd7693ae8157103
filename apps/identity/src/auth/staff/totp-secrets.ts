import type { DataSource } from 'typeorm';
import { kekProblem, type ResealCount } from '@hoso/nest-kit';
import type { TotpSecretBox } from './second-factor';

/** A sealed TOTP secret that opens with neither STAFF_TOTP_KEY nor STAFF_TOTP_KEY_PREVIOUS. */
export class TotpSecretUnreadable extends Error {}

interface SealedRow {
  id: string;
  username: string;
  totp_secret_enc: string | null;
  totp_pending_enc: string | null;
}

const SEALED_ROWS = `SELECT id, username, totp_secret_enc, totp_pending_enc FROM staff_accounts
  WHERE totp_secret_enc IS NOT NULL OR totp_pending_enc IS NOT NULL ORDER BY id`;

function unreadable(row: SealedRow, column: string, error: unknown, box: TotpSecretBox): TotpSecretUnreadable {
  return new TotpSecretUnreadable(
    `the ${column === 'totp_secret_enc' ? 'TOTP secret' : 'pending TOTP enrolment'} of staff account ` +
      `${row.username} ${kekProblem(error, 'STAFF_TOTP_KEY', box.box)}`,
  );
}

/**
 * Opens every stored TOTP secret (enrolled and pending) once at start: a STAFF_TOTP_KEY that does not match the one
 * that sealed them stops the start, naming the variable, instead of turning every enrolled account's codes into
 * "wrong code" one sign-in at a time.
 */
export async function checkTotpSecrets(ds: DataSource, box: TotpSecretBox): Promise<void> {
  for (const row of await ds.query<SealedRow[]>(SEALED_ROWS)) {
    for (const column of ['totp_secret_enc', 'totp_pending_enc'] as const) {
      const sealed = row[column];
      if (sealed === null) continue;
      try {
        box.open(row.id, sealed);
      } catch (e) {
        throw unreadable(row, column, e, box);
      }
    }
  }
}

/**
 * Re-seals every TOTP secret (enrolled and pending) under the current STAFF_TOTP_KEY, each opened with whichever of
 * STAFF_TOTP_KEY and STAFF_TOTP_KEY_PREVIOUS sealed it. One transaction, the rows locked (a sign-in or an enrolment
 * at the same time waits); a secret that opens with neither stops it, naming the variable, and nothing is changed.
 * Counts secrets, not accounts; running it again re-seals nothing.
 */
export async function resealTotpSecrets(ds: DataSource, box: TotpSecretBox): Promise<ResealCount> {
  return ds.transaction(async (m) => {
    const rows = await m.query<SealedRow[]>(`${SEALED_ROWS} FOR UPDATE`);
    let resealed = 0;
    let current = 0;
    for (const row of rows) {
      const next: Partial<Record<'totp_secret_enc' | 'totp_pending_enc', string>> = {};
      for (const column of ['totp_secret_enc', 'totp_pending_enc'] as const) {
        const sealed = row[column];
        if (sealed === null) continue;
        let value: string | null;
        try {
          value = box.box.reseal(row.id, sealed);
        } catch (e) {
          throw new TotpSecretUnreadable(`${unreadable(row, column, e, box).message}; nothing re-sealed`);
        }
        if (value === null) current += 1;
        else next[column] = value;
      }
      if (Object.keys(next).length === 0) continue;
      await m.query(
        `UPDATE staff_accounts SET totp_secret_enc = coalesce($2, totp_secret_enc),
           totp_pending_enc = coalesce($3, totp_pending_enc) WHERE id = $1`,
        [row.id, next.totp_secret_enc ?? null, next.totp_pending_enc ?? null],
      );
      resealed += Object.keys(next).length;
    }
    return { table: 'staff_accounts', resealed, current };
  });
}
