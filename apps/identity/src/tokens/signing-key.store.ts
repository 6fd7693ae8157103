import {
  calculateJwkThumbprint,
  errors,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JWK,
  type JWSHeaderParameters,
  type KeyLike,
} from 'jose';
import type { DataSource, EntityManager } from 'typeorm';
import { TOKEN_ALGORITHM } from '@hoso/auth';
import { kekProblem, SecretBox, type KekRing, type KekSecret } from '@hoso/nest-kit';

/** What the verifiers pin (TOKEN_ALGORITHM): a change here is a change of every verifier too. */
export const SIGNING_ALG = TOKEN_ALGORITHM;

interface LoadedKey {
  kid: string;
  publicJwk: JWK;
  publicKey: KeyLike | Uint8Array;
  privateKey: KeyLike | Uint8Array;
  /** Published in the JWKS from the start; signs only from this time on. */
  notBefore: number;
}

interface KeyRow {
  kid: string;
  public_jwk: JWK;
  private_sealed: string;
  not_before: Date;
}

/** Another instance may have added a key: look in the database again at most this often when a kid is unknown. */
const RELOAD_COOLDOWN_MS = 30_000;
/** A key added by `signing-keys rotate` is seen by every instance within this long (it is published for longer). */
const RELOAD_EVERY_MS = 60_000;
const LOCK = `SELECT pg_advisory_xact_lock(hashtext('identity:signing-keys'))`;

/**
 * The box that seals private signing keys under SIGNING_KEY_KEK (and, during a rotation of it, opens those that
 * SIGNING_KEY_KEK_PREVIOUS sealed); the key id is the associated data.
 */
export const signingKeyBox = (kek: KekSecret | KekRing) =>
  new SecretBox(kek, { salt: 'hoso-identity', info: 'token signing key v1' });

export class SigningKeyUnreadable extends Error {}

/** Generates a key pair and stores it with its private half sealed; `notBefore` is when it may start to sign. */
export async function addSigningKey(m: EntityManager, box: SecretBox, notBefore: Date): Promise<string> {
  const { publicKey, privateKey } = await generateKeyPair(SIGNING_ALG, { crv: 'Ed25519', extractable: true });
  const publicJwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  const sealed = box.seal(kid, JSON.stringify(await exportJWK(privateKey)));
  await m.query(
    'INSERT INTO signing_keys (kid, alg, public_jwk, private_sealed, not_before) VALUES ($1, $2, $3, $4, $5)',
    [kid, SIGNING_ALG, publicJwk, sealed, notBefore],
  );
  return kid;
}

/**
 * The service's Ed25519 signing keys, kept in its database so restarts and every instance sign and verify with the
 * same keys; the private halves are sealed under SIGNING_KEY_KEK (AES-256-GCM, bound to the key id), so the
 * database alone cannot sign. Every non-retired key is published in the JWKS; the newest key whose `not_before` has
 * passed signs. Rotation (`nx run identity:signing-keys -- rotate`) adds a key that is published first and signs
 * only later, and retires the old one once the tokens it signed have expired.
 */
export class SigningKeyStore {
  private keys: LoadedKey[] = [];
  private ds: DataSource | null = null;
  private box: SecretBox | null = null;
  private lastReload = 0;
  private reloading: Promise<void> | null = null;

  /**
   * Seals any key still stored in plain form (written before the keys were encrypted), then loads the keys,
   * generating the first one when there is none — under a lock, so two instances agree. Fails the start when a key
   * opens with neither the KEK nor, during a rotation, the previous one.
   */
  async init(ds: DataSource, kek: KekRing): Promise<void> {
    this.ds = ds;
    const box = signingKeyBox(kek);
    this.box = box;
    await ds.transaction(async (m) => {
      await m.query(LOCK);
      const plain = await m.query<{ kid: string; private_jwk: JWK }[]>(
        'SELECT kid, private_jwk FROM signing_keys WHERE private_jwk IS NOT NULL',
      );
      for (const k of plain) {
        await m.query('UPDATE signing_keys SET private_sealed = $2, private_jwk = NULL WHERE kid = $1', [
          k.kid,
          box.seal(k.kid, JSON.stringify(k.private_jwk)),
        ]);
      }
      const active: unknown[] = await m.query('SELECT 1 FROM signing_keys WHERE retired_at IS NULL LIMIT 1');
      if (active.length === 0) await addSigningKey(m, box, new Date());
    });
    await this.reload();
  }

  private async reload(): Promise<void> {
    if (!this.ds || !this.box) throw new Error('signing keys not initialised');
    const box = this.box;
    this.lastReload = Date.now();
    const rows: KeyRow[] = await this.ds.query(
      `SELECT kid, public_jwk, private_sealed, not_before FROM signing_keys
        WHERE retired_at IS NULL ORDER BY not_before DESC, created_at DESC, kid`,
    );
    this.keys = await Promise.all(
      rows.map(async (r) => {
        let privateJwk: JWK;
        try {
          privateJwk = JSON.parse(box.open(r.kid, r.private_sealed).toString('utf8')) as JWK;
        } catch (e) {
          throw new SigningKeyUnreadable(`signing key ${r.kid} ${kekProblem(e, 'SIGNING_KEY_KEK', box)}`);
        }
        return {
          kid: r.kid,
          publicJwk: r.public_jwk,
          publicKey: await importJWK(r.public_jwk, SIGNING_ALG),
          privateKey: await importJWK(privateJwk, SIGNING_ALG),
          notBefore: r.not_before.getTime(),
        };
      }),
    );
  }

  /** Reloads in the background once the keys are older than RELOAD_EVERY_MS (a rotation by another process). */
  private refreshSoon(): void {
    if (!this.ds || this.reloading || Date.now() - this.lastReload < RELOAD_EVERY_MS) return;
    this.reloading = this.reload()
      .catch(() => undefined)
      .finally(() => (this.reloading = null));
  }

  /** The key that signs new tokens: the newest one whose publication period is over. */
  signingKey(): { kid: string; key: KeyLike | Uint8Array } {
    this.refreshSoon();
    const now = Date.now();
    const current = this.keys.find((k) => k.notBefore <= now);
    if (!current) throw new Error('no active signing key');
    return { kid: current.kid, key: current.privateKey };
  }

  /** The public JWKS (`/.well-known/jwks.json`): every key not retired, including one not signing yet. */
  jwks(): { keys: JWK[] } {
    this.refreshSoon();
    return { keys: this.keys.map((k) => ({ ...k.publicJwk, kid: k.kid, alg: SIGNING_ALG, use: 'sig' })) };
  }

  /** Key resolver for `jwtVerify`: this service verifies its own tokens without fetching its own JWKS over HTTP. */
  readonly getKey = async (header: JWSHeaderParameters): Promise<KeyLike | Uint8Array> => {
    let found = this.keys.find((k) => k.kid === header.kid);
    if (!found && this.ds && Date.now() - this.lastReload > RELOAD_COOLDOWN_MS) {
      await this.reload();
      found = this.keys.find((k) => k.kid === header.kid);
    }
    if (!found) throw new errors.JWKSNoMatchingKey();
    return found.publicKey;
  };
}
