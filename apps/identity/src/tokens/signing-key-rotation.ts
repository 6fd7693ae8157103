import type { DataSource } from 'typeorm';
import { kekProblem, type KekRing, type ResealCount } from '@hoso/nest-kit';
import type { JWK } from 'jose';
import { addSigningKey, signingKeyBox, SigningKeyUnreadable } from './signing-key.store';
import { PREFILL_TOKEN_TTL_SEC } from './token-signer.service';

export interface SigningKeyState {
  kid: string;
  createdAt: Date;
  notBefore: Date;
  retiredAt: Date | null;
  /** signing: the key new tokens get; published: in the JWKS, not signing yet; previous: still verifies; retired. */
  role: 'signing' | 'published' | 'previous' | 'retired';
}

const LOCK = `SELECT pg_advisory_xact_lock(hashtext('identity:signing-keys'))`;

export async function listSigningKeys(ds: DataSource, now: Date): Promise<SigningKeyState[]> {
  const rows = await ds.query<{ kid: string; created_at: Date; not_before: Date; retired_at: Date | null }[]>(
    'SELECT kid, created_at, not_before, retired_at FROM signing_keys ORDER BY not_before DESC, created_at DESC, kid',
  );
  const signer = rows.find((r) => r.retired_at === null && r.not_before <= now);
  return rows.map((r) => ({
    kid: r.kid,
    createdAt: r.created_at,
    notBefore: r.not_before,
    retiredAt: r.retired_at,
    role: r.retired_at !== null ? 'retired' : r === signer ? 'signing' : r.not_before > now ? 'published' : 'previous',
  }));
}

/**
 * Adds a key that is published in the JWKS at once and signs from `now + publishSec`: by then every verifier's JWKS
 * cache and every identity instance (which reload their keys every minute) know it. Refused while another rotation
 * is still in its publication period.
 */
export async function rotateSigningKey(
  ds: DataSource,
  kek: string,
  now: Date,
  publishSec: number,
): Promise<{ kid: string; signsFrom: Date }> {
  return ds.transaction(async (m) => {
    await m.query(LOCK);
    const pending = await m.query<{ kid: string }[]>(
      'SELECT kid FROM signing_keys WHERE retired_at IS NULL AND not_before > $1',
      [now],
    );
    if (pending.length > 0) {
      throw new Error(`key ${pending[0]?.kid ?? ''} is still being published; rotate again once it signs`);
    }
    const signsFrom = new Date(now.getTime() + publishSec * 1000);
    return { kid: await addSigningKey(m, signingKeyBox(kek), signsFrom), signsFrom };
  });
}

/**
 * Retires every key that a newer key replaced long enough ago that no token it signed is still valid: the newest
 * signing key has signed for longer than the longest token lifetime (access tokens, prefill tokens). The signing key
 * and keys still being published are never retired. Returns the retired key ids.
 */
export async function retireSigningKeys(ds: DataSource, now: Date, accessTokenTtlSec: number): Promise<string[]> {
  const longestTokenMs = Math.max(accessTokenTtlSec, PREFILL_TOKEN_TTL_SEC) * 1000;
  return ds.transaction(async (m) => {
    await m.query(LOCK);
    const [signer] = await m.query<{ kid: string; not_before: Date }[]>(
      `SELECT kid, not_before FROM signing_keys WHERE retired_at IS NULL AND not_before <= $1
        ORDER BY not_before DESC, created_at DESC, kid LIMIT 1`,
      [now],
    );
    if (!signer || now.getTime() - signer.not_before.getTime() < longestTokenMs) return [];
    // Through a CTE: TypeORM answers a bare UPDATE … RETURNING with [rows, count] rather than the rows.
    const retired = await m.query<{ kid: string }[]>(
      `WITH r AS (
         UPDATE signing_keys SET retired_at = $1
          WHERE retired_at IS NULL AND kid <> $2 AND not_before <= $3 RETURNING kid)
       SELECT kid FROM r`,
      [now, signer.kid, signer.not_before],
    );
    return retired.map((r) => r.kid).sort();
  });
}

/**
 * Re-seals the private half of every signing key, retired ones included, under the current SIGNING_KEY_KEK: each
 * opens with whichever of SIGNING_KEY_KEK and SIGNING_KEY_KEK_PREVIOUS sealed it (a plain key left from before the
 * keys were sealed is sealed too). One transaction under the rotation lock; a key that opens with neither stops it,
 * naming the variable, and nothing is changed. Running it again re-seals nothing.
 */
export async function resealSigningKeys(ds: DataSource, kek: KekRing): Promise<ResealCount> {
  const box = signingKeyBox(kek);
  return ds.transaction(async (m) => {
    await m.query(LOCK);
    const rows = await m.query<{ kid: string; private_jwk: JWK | null; private_sealed: string | null }[]>(
      'SELECT kid, private_jwk, private_sealed FROM signing_keys ORDER BY kid FOR UPDATE',
    );
    let resealed = 0;
    for (const r of rows) {
      let next: string | null;
      try {
        next =
          r.private_sealed === null
            ? box.seal(r.kid, JSON.stringify(r.private_jwk))
            : box.reseal(r.kid, r.private_sealed);
      } catch (e) {
        throw new SigningKeyUnreadable(
          `signing key ${r.kid} ${kekProblem(e, 'SIGNING_KEY_KEK', box)}; nothing re-sealed`,
        );
      }
      if (next === null) continue;
      await m.query('UPDATE signing_keys SET private_sealed = $2, private_jwk = NULL WHERE kid = $1', [r.kid, next]);
      resealed += 1;
    }
    return { table: 'signing_keys', resealed, current: rows.length - resealed };
  });
}
