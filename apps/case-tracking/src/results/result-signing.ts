import {
  createDecipheriv,
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign,
  verify,
  type KeyObject,
} from 'node:crypto';
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { DataSource } from 'typeorm';
import { SecretBox, type ResealCount } from '@hoso/nest-kit';
import type { Config } from '../config';
import { CASE_CONFIG } from '../tokens';

/** What a result's signature covers, field by field (the verification code is the record's key). */
export interface SignedFields {
  code: string;
  documentHash: string;
  agencyCode: string;
  procedureCode: string;
  issuedAt: string;
  receiptCode: string | null;
  kid: string;
}

/** Tells a result signature from any other Ed25519 signature an agency key could ever make. */
const SIGNATURE_TYPE = 'hoso.result.v1';

/** The signed bytes: the fields and their type as JSON with sorted keys and no whitespace. */
export function signedPayload(f: SignedFields): Buffer {
  const fields: Record<string, string | null> = { ...f, typ: SIGNATURE_TYPE };
  const sorted = Object.fromEntries(Object.entries(fields).sort(([a], [b]) => (a < b ? -1 : 1)));
  return Buffer.from(JSON.stringify(sorted), 'utf8');
}

/** RFC 7638 thumbprint of an Ed25519 public key (base64url SHA-256 of its canonical JWK): the key id. */
export function keyThumbprint(publicKey: KeyObject): string {
  const jwk = publicKey.export({ format: 'jwk' });
  const canonical = JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x });
  return createHash('sha256').update(canonical).digest('base64url');
}

/**
 * The id the first format stored beside each sealed key (`kek_id`): names a KEK without revealing it, so a key sealed
 * under another KEK is a configuration error, not a forgery.
 */
export function legacyKekId(kek: Buffer): string {
  return createHash('sha256').update('hoso result-signing KEK id').update(kek).digest('hex').slice(0, 16);
}

const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * The first format, written before the keys moved onto SecretBox and only ever read now: AES-256-GCM with the KEK
 * itself as the key, `iv ‖ tag ‖ ciphertext` in `sealed_private_key`, the KEK's `legacyKekId` in `kek_id`, and the
 * kid, agency and public key (DER) as associated data. Null when the bytes or their row were changed.
 */
export function openLegacyPrivateKey(kek: Buffer, sealed: Buffer, aad: Buffer): Buffer | null {
  if (sealed.length <= IV_BYTES + TAG_BYTES) return null;
  try {
    const decipher = createDecipheriv('aes-256-gcm', kek, sealed.subarray(0, IV_BYTES), { authTagLength: TAG_BYTES });
    decipher.setAAD(aad);
    decipher.setAuthTag(sealed.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    return Buffer.concat([decipher.update(sealed.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
  } catch {
    return null;
  }
}

/** The first format's associated data: opened with another row's kid, agency or public key, the tag does not match. */
export const legacyAssociatedData = (kid: string, agencyCode: string, publicKeyDer: Buffer) =>
  Buffer.concat([Buffer.from(`${kid}\n${agencyCode}\n`, 'utf8'), publicKeyDer]);

/** The same binding in SecretBox's format: the row's kid, agency and public key. */
const associatedData = (kid: string, agencyCode: string, publicKeyDer: Buffer) =>
  `${kid}\n${agencyCode}\n${publicKeyDer.toString('base64')}`;

/** A result-signing key row: sealed in SecretBox's format (`private_sealed`) or, written before it, the first one. */
export interface KeyRow {
  kid: string;
  agency_code: string;
  public_key: Buffer;
  private_sealed: string | null;
  sealed_private_key: Buffer | null;
  kek_id: string | null;
}

const KEY_COLUMNS = 'kid, agency_code, public_key, private_sealed, sealed_private_key, kek_id';

/** A stored key checked to be one this service made: the seal opens and the private half matches the public one. */
interface TrustedKey {
  kid: string;
  agencyCode: string;
  publicKey: KeyObject;
  privateKey: KeyObject;
}

/**
 * A key sealed under a KEK that is neither RESULT_SIGNING_KEK nor RESULT_SIGNING_KEK_PREVIOUS: the service is
 * misconfigured (it refuses to start; 500 should one appear later), nothing is forged.
 */
export class WrongKekError extends Error {
  constructor(kid: string, names: string, sealedUnder: string) {
    super(
      `result-signing key ${kid} does not open with ${names}: it was sealed under another key-encryption key ` +
        `(id ${sealedUnder})`,
    );
    this.name = 'WrongKekError';
  }
}

/**
 * RESULT_SIGNING_KEK, and during a rotation RESULT_SIGNING_KEK_PREVIOUS, over both formats of a sealed key: new keys
 * are sealed with SecretBox under the current KEK; keys of either format open with whichever KEK sealed them, and
 * `reseal` moves any of them to SecretBox under the current KEK.
 */
export class ResultKeyRing {
  readonly box: SecretBox;
  readonly names: string;
  private readonly legacy: { id: string; kek: Buffer }[];

  constructor(keks: { current: Buffer; previous?: Buffer | null }) {
    this.box = new SecretBox(keks, { salt: 'hoso-case-tracking', info: 'result signing key v1' });
    this.legacy = [keks.current, ...(keks.previous ? [keks.previous] : [])].map((kek) => ({
      id: legacyKekId(kek),
      kek,
    }));
    this.names = keks.previous ? 'RESULT_SIGNING_KEK or RESULT_SIGNING_KEK_PREVIOUS' : 'RESULT_SIGNING_KEK';
  }

  seal(kid: string, agencyCode: string, publicKeyDer: Buffer, privateKeyDer: Buffer): string {
    return this.box.seal(associatedData(kid, agencyCode, publicKeyDer), privateKeyDer);
  }

  /** Throws WrongKekError when the row names a KEK that is neither configured one (no decryption needed). */
  assertKnownKek(row: KeyRow): void {
    if (row.private_sealed !== null) {
      let id: string | null;
      try {
        id = this.box.kekIdOf(row.private_sealed);
      } catch {
        return; // Not a sealed value at all: an edited row, which `open` reports as untrusted.
      }
      if (id !== null && id !== this.box.kekId && id !== this.box.previousKekId) {
        throw new WrongKekError(row.kid, this.names, id);
      }
      return;
    }
    if (!this.legacy.some((l) => l.id === row.kek_id)) {
      throw new WrongKekError(row.kid, this.names, row.kek_id ?? 'none');
    }
  }

  /** The private key (PKCS#8 DER), or null when the row was edited or forged; WrongKekError for an unknown KEK. */
  open(row: KeyRow): Buffer | null {
    this.assertKnownKek(row);
    if (row.private_sealed !== null) {
      try {
        return this.box.open(associatedData(row.kid, row.agency_code, row.public_key), row.private_sealed);
      } catch {
        return null;
      }
    }
    const legacy = this.legacy.find((l) => l.id === row.kek_id);
    if (!legacy || !row.sealed_private_key) return null;
    return openLegacyPrivateKey(
      legacy.kek,
      row.sealed_private_key,
      legacyAssociatedData(row.kid, row.agency_code, row.public_key),
    );
  }

  /**
   * The row's key sealed in SecretBox's format under the current KEK, or null when it already is. Throws when the
   * key does not open (an unknown KEK, or an edited or forged row), so such a row is never replaced.
   */
  reseal(row: KeyRow): string | null {
    if (row.private_sealed !== null && this.box.isCurrent(row.private_sealed)) return null;
    const der = this.open(row);
    if (!der) {
      throw new Error(
        `result-signing key ${row.kid} does not open with ${this.names}: the row was changed or forged ` +
          '(its seal, agency or public key is not the one the service wrote)',
      );
    }
    return this.seal(row.kid, row.agency_code, row.public_key, der);
  }
}

/**
 * Opens every result-signing key's KEK id once at start: a RESULT_SIGNING_KEK (or _PREVIOUS) that did not seal them
 * stops the start, naming the variable, rather than failing each agency's next result. A row whose KEK is known but
 * whose seal does not open was edited or forged: it is reported untrusted when used, and does not stop the service.
 */
export async function checkResultKeyKeks(m: Pick<EntityManager, 'query'>, ring: ResultKeyRing): Promise<void> {
  for (const row of await m.query<KeyRow[]>(`SELECT ${KEY_COLUMNS} FROM result_signing_keys ORDER BY kid`)) {
    ring.assertKnownKek(row);
  }
}

/**
 * Re-seals every result-signing key, retired ones included, in SecretBox's format under the current
 * RESULT_SIGNING_KEK: keys of the first format and keys RESULT_SIGNING_KEK_PREVIOUS sealed. One transaction, the
 * rows locked; a key that does not open stops it and nothing is changed. Running it again re-seals nothing.
 */
export async function resealResultKeys(ds: DataSource, ring: ResultKeyRing): Promise<ResealCount> {
  return ds.transaction(async (m) => {
    const rows = await m.query<KeyRow[]>(`SELECT ${KEY_COLUMNS} FROM result_signing_keys ORDER BY kid FOR UPDATE`);
    let resealed = 0;
    for (const row of rows) {
      let next: string | null;
      try {
        next = ring.reseal(row);
      } catch (e) {
        throw new Error(`${e instanceof Error ? e.message : String(e)}; nothing re-sealed`);
      }
      if (next === null) continue;
      await m.query(
        `UPDATE result_signing_keys SET private_sealed = $2, sealed_private_key = NULL, kek_id = NULL WHERE kid = $1`,
        [row.kid, next],
      );
      resealed += 1;
    }
    return { table: 'result_signing_keys', resealed, current: rows.length - resealed };
  });
}

/**
 * The agencies' result-signing keys: one Ed25519 key per agency, made on the agency's first result, kept in this
 * service's database with the private half sealed (AES-256-GCM, SecretBox) under RESULT_SIGNING_KEK. The database
 * alone cannot sign: a copy of it, or a writer to it, lacks the KEK. During a rotation of the KEK, keys sealed under
 * RESULT_SIGNING_KEK_PREVIOUS still open until `nx run case-tracking:rekey` has re-sealed them.
 */
@Injectable()
export class ResultSigner implements OnModuleInit {
  private readonly ring: ResultKeyRing;
  /** Keys already checked, by their row's exact content: an edited row misses and is checked (and refused) anew. */
  private readonly trusted = new Map<string, TrustedKey>();

  constructor(
    private readonly ds: DataSource,
    @Inject(CASE_CONFIG) config: Pick<Config, 'resultSigningKek' | 'resultSigningKekPrevious'>,
  ) {
    this.ring = new ResultKeyRing({ current: config.resultSigningKek, previous: config.resultSigningKekPrevious });
  }

  async onModuleInit(): Promise<void> {
    await checkResultKeyKeks(this.ds, this.ring);
  }

  /** The agency's current key, made (and stored) on first use. */
  async currentKey(agencyCode: string): Promise<TrustedKey> {
    for (let attempt = 0; attempt < 2; attempt++) {
      const row = await this.loadCurrent(agencyCode);
      if (row) {
        const key = this.trust(row);
        if (!key) throw new Error(`the current result-signing key of ${agencyCode} (${row.kid}) fails its check`);
        return key;
      }
      const { publicKey, privateKey } = generateKeyPairSync('ed25519');
      const kid = keyThumbprint(publicKey);
      const publicDer = publicKey.export({ format: 'der', type: 'spki' });
      const sealed = this.ring.seal(kid, agencyCode, publicDer, privateKey.export({ format: 'der', type: 'pkcs8' }));
      // Two first results of an agency at once: one key wins the unique index, both then use it.
      await this.ds.query(
        `INSERT INTO result_signing_keys (kid, agency_code, public_key, private_sealed)
         VALUES ($1, $2, $3, $4)
         ON CONFLICT (agency_code) WHERE retired_at IS NULL DO NOTHING`,
        [kid, agencyCode, publicDer, sealed],
      );
    }
    throw new Error(`no result-signing key could be made for ${agencyCode}`);
  }

  sign(key: TrustedKey, fields: SignedFields): Buffer {
    if (fields.kid !== key.kid || fields.agencyCode !== key.agencyCode)
      throw new Error('a result is signed with its own agency key, named in the signed fields');
    return sign(null, signedPayload(fields), key.privateKey);
  }

  /**
   * Whether `signature` is the signature of `fields` by the key `fields.kid` of `fields.agencyCode`, made by this
   * service. False for a changed field, a signature by another key, a key of another agency, and a key row that
   * was inserted or edited without the KEK.
   */
  async verify(m: Pick<EntityManager, 'query'>, fields: SignedFields, signature: Buffer): Promise<boolean> {
    const [row] = await m.query<KeyRow[]>(`SELECT ${KEY_COLUMNS} FROM result_signing_keys WHERE kid = $1`, [
      fields.kid,
    ]);
    if (!row || row.agency_code !== fields.agencyCode) return false;
    const key = this.trust(row);
    if (!key || keyThumbprint(key.publicKey) !== fields.kid) return false;
    try {
      return verify(null, signedPayload(fields), key.publicKey, signature);
    } catch {
      return false;
    }
  }

  private async loadCurrent(agencyCode: string): Promise<KeyRow | undefined> {
    const rows = await this.ds.query<KeyRow[]>(
      `SELECT ${KEY_COLUMNS} FROM result_signing_keys WHERE agency_code = $1 AND retired_at IS NULL`,
      [agencyCode],
    );
    return rows[0];
  }

  /** The row's key if its seal opens under a configured KEK and its halves match; null for a forged or edited row. */
  private trust(row: KeyRow): TrustedKey | null {
    const cacheKey = [
      row.kid,
      row.agency_code,
      row.public_key.toString('base64'),
      row.private_sealed ?? '',
      row.sealed_private_key?.toString('base64') ?? '',
      row.kek_id ?? '',
    ].join('|');
    const known = this.trusted.get(cacheKey);
    if (known) return known;
    const der = this.ring.open(row);
    if (!der) return null;
    const privateKey = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
    const publicKey = createPublicKey({ key: row.public_key, format: 'der', type: 'spki' });
    const derived = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
    if (!derived.equals(row.public_key)) return null;
    const key = { kid: row.kid, agencyCode: row.agency_code, publicKey, privateKey };
    this.trusted.set(cacheKey, key);
    return key;
  }
}
