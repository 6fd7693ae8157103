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
import type { DataSource } from 'typeorm';
import { TOKEN_ALGORITHM } from '@hoso/auth';

/** What the verifiers pin (TOKEN_ALGORITHM): a change here is a change of every verifier too. */
export const SIGNING_ALG = TOKEN_ALGORITHM;

interface LoadedKey {
  kid: string;
  publicJwk: JWK;
  publicKey: KeyLike | Uint8Array;
  privateKey: KeyLike | Uint8Array;
}

interface KeyRow {
  kid: string;
  public_jwk: JWK;
  private_jwk: JWK;
}

/** Another instance may have added a key: look in the database again at most this often when a kid is unknown. */
const RELOAD_COOLDOWN_MS = 30_000;

/**
 * The service's Ed25519 signing keys, kept in its database so restarts and every instance sign and verify with the
 * same keys. The newest non-retired key signs; every non-retired key is published in the JWKS, so a key can be
 * added, published for a while, and only then used, and tokens signed by an older key stay valid until retired.
 */
export class SigningKeyStore {
  private keys: LoadedKey[] = [];
  private ds: DataSource | null = null;
  private lastReload = 0;

  /** Loads the keys, generating the first one when there is none (under a lock, so two instances agree). */
  async init(ds: DataSource): Promise<void> {
    this.ds = ds;
    await ds.transaction(async (m) => {
      await m.query(`SELECT pg_advisory_xact_lock(hashtext('identity:signing-keys'))`);
      const active: unknown[] = await m.query('SELECT 1 FROM signing_keys WHERE retired_at IS NULL LIMIT 1');
      if (active.length > 0) return;
      const { publicKey, privateKey } = await generateKeyPair(SIGNING_ALG, { crv: 'Ed25519', extractable: true });
      const publicJwk = await exportJWK(publicKey);
      const privateJwk = await exportJWK(privateKey);
      const kid = await calculateJwkThumbprint(publicJwk);
      await m.query('INSERT INTO signing_keys (kid, alg, public_jwk, private_jwk) VALUES ($1, $2, $3, $4)', [
        kid,
        SIGNING_ALG,
        publicJwk,
        privateJwk,
      ]);
    });
    await this.reload();
  }

  private async reload(): Promise<void> {
    if (!this.ds) throw new Error('signing keys not initialised');
    this.lastReload = Date.now();
    const rows: KeyRow[] = await this.ds.query(
      'SELECT kid, public_jwk, private_jwk FROM signing_keys WHERE retired_at IS NULL ORDER BY created_at DESC, kid',
    );
    this.keys = await Promise.all(
      rows.map(async (r) => ({
        kid: r.kid,
        publicJwk: r.public_jwk,
        publicKey: await importJWK(r.public_jwk, SIGNING_ALG),
        privateKey: await importJWK(r.private_jwk, SIGNING_ALG),
      })),
    );
  }

  /** The key that signs new tokens. */
  signingKey(): { kid: string; key: KeyLike | Uint8Array } {
    const newest = this.keys[0];
    if (!newest) throw new Error('no active signing key');
    return { kid: newest.kid, key: newest.privateKey };
  }

  /** The public JWKS (`/.well-known/jwks.json`). */
  jwks(): { keys: JWK[] } {
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
