import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
  sign,
  verify,
  type KeyObject,
} from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { DataSource } from 'typeorm';
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

/** Names a KEK without revealing it: a key sealed under another KEK is a configuration error, not a forgery. */
export function kekId(kek: Buffer): string {
  return createHash('sha256').update('hoso result-signing KEK id').update(kek).digest('hex').slice(0, 16);
}

const IV_BYTES = 12;
const TAG_BYTES = 16;

/** Binds a sealed key to its row: opened with another row's kid, agency or public key, the tag does not match. */
const associatedData = (kid: string, agencyCode: string, publicKeyDer: Buffer) =>
  Buffer.concat([Buffer.from(`${kid}\n${agencyCode}\n`, 'utf8'), publicKeyDer]);

export function sealPrivateKey(kek: Buffer, privateKeyDer: Buffer, aad: Buffer): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', kek, iv);
  cipher.setAAD(aad);
  const body = Buffer.concat([cipher.update(privateKeyDer), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]);
}

/** The private key, or null when the sealed bytes or their row were changed (or sealed under another KEK). */
export function openPrivateKey(kek: Buffer, sealed: Buffer, aad: Buffer): Buffer | null {
  if (sealed.length <= IV_BYTES + TAG_BYTES) return null;
  try {
    const decipher = createDecipheriv('aes-256-gcm', kek, sealed.subarray(0, IV_BYTES));
    decipher.setAAD(aad);
    decipher.setAuthTag(sealed.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    return Buffer.concat([decipher.update(sealed.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
  } catch {
    return null;
  }
}

interface KeyRow {
  kid: string;
  agency_code: string;
  public_key: Buffer;
  sealed_private_key: Buffer;
  kek_id: string;
}

/** A stored key checked to be one this service made: the seal opens and the private half matches the public one. */
interface TrustedKey {
  kid: string;
  agencyCode: string;
  publicKey: KeyObject;
  privateKey: KeyObject;
}

/** A key sealed under a KEK other than the configured one: the service is misconfigured (500), nothing is forged. */
export class WrongKekError extends Error {
  constructor(kid: string) {
    super(`result-signing key ${kid} is sealed under another RESULT_SIGNING_KEK than the one configured`);
    this.name = 'WrongKekError';
  }
}

/**
 * The agencies' result-signing keys: one Ed25519 key per agency, made on the agency's first result, kept in this
 * service's database with the private half sealed (AES-256-GCM) under RESULT_SIGNING_KEK. The database alone
 * cannot sign: a copy of it, or a writer to it, lacks the KEK.
 */
@Injectable()
export class ResultSigner {
  private readonly kek: Buffer;
  private readonly kekId: string;
  /** Keys already checked, by their row's exact content: an edited row misses and is checked (and refused) anew. */
  private readonly trusted = new Map<string, TrustedKey>();

  constructor(
    private readonly ds: DataSource,
    @Inject(CASE_CONFIG) config: Pick<Config, 'resultSigningKek'>,
  ) {
    this.kek = config.resultSigningKek;
    this.kekId = kekId(this.kek);
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
      const sealed = sealPrivateKey(
        this.kek,
        privateKey.export({ format: 'der', type: 'pkcs8' }),
        associatedData(kid, agencyCode, publicDer),
      );
      // Two first results of an agency at once: one key wins the unique index, both then use it.
      await this.ds.query(
        `INSERT INTO result_signing_keys (kid, agency_code, public_key, sealed_private_key, kek_id)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (agency_code) WHERE retired_at IS NULL DO NOTHING`,
        [kid, agencyCode, publicDer, sealed, this.kekId],
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
    const [row] = await m.query<KeyRow[]>(
      `SELECT kid, agency_code, public_key, sealed_private_key, kek_id FROM result_signing_keys WHERE kid = $1`,
      [fields.kid],
    );
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
      `SELECT kid, agency_code, public_key, sealed_private_key, kek_id FROM result_signing_keys
        WHERE agency_code = $1 AND retired_at IS NULL`,
      [agencyCode],
    );
    return rows[0];
  }

  /** The row's key if its seal opens under this KEK and its halves match; null for a forged or edited row. */
  private trust(row: KeyRow): TrustedKey | null {
    const cacheKey = [
      row.kid,
      row.agency_code,
      row.public_key.toString('base64'),
      row.sealed_private_key.toString('base64'),
    ].join('|');
    const known = this.trusted.get(cacheKey);
    if (known) return known;
    if (row.kek_id !== this.kekId) throw new WrongKekError(row.kid);
    const der = openPrivateKey(
      this.kek,
      row.sealed_private_key,
      associatedData(row.kid, row.agency_code, row.public_key),
    );
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
