import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/** A key-encryption secret as the environment gives it: text (identity) or raw bytes (case-tracking). */
export type KekSecret = string | Buffer;

/**
 * The key-encryption secrets of one purpose during a rotation: values are sealed under `current`; values that
 * `previous` sealed still open until they are re-sealed, after which `previous` can be dropped.
 */
export interface KekRing {
  current: KekSecret;
  previous?: KekSecret | null | undefined;
}

/** A value names the key-encryption secret that sealed it, and that secret is neither the current nor the previous. */
export class UnknownKekError extends Error {
  constructor(readonly kekId: string) {
    super(`sealed under another key-encryption key (id ${kekId})`);
    this.name = 'UnknownKekError';
  }
}

const CURRENT_VERSION = 'v2';
/** Bytes of a KEK's identifier: enough to tell two secrets apart, far too few to be worth anything else. */
const KEK_ID_BYTES = 8;

interface DerivedKey {
  id: string;
  key: Buffer;
}

/**
 * Encrypts small secrets at rest (TOTP secrets, private signing keys) with AES-256-GCM under a key derived by HKDF
 * from a key-encryption secret held in the environment, one derived key per purpose. Each sealed value is bound to
 * its row through the associated data (an account id, a key id): a ciphertext copied to another row does not open.
 *
 * Format: `v2.<kekId>.<iv>.<tag>.<ciphertext>`, base64url parts. The KEK id is a second HKDF output of the same
 * secret and purpose (another `info`), so it says which secret sealed the value and nothing about the key itself:
 * a value sealed under a secret that is not configured is told apart from an edited one, and a rotation opens each
 * value with the secret that sealed it. Values of the first format, `v1.<iv>.<tag>.<ciphertext>`, carry no id: they
 * are tried under the current secret, then the previous one, and re-sealing turns them into `v2`.
 */
export class SecretBox {
  /** The id of the current KEK: every value sealed now carries it. */
  readonly kekId: string;
  /** The previous KEK's id, or null when there is none. */
  readonly previousKekId: string | null;
  /** Current first: v1 values, which carry no id, are tried in this order. */
  private readonly keys: readonly DerivedKey[];

  constructor(secret: KekSecret | KekRing, purpose: { salt: string; info: string }) {
    const ring: KekRing = typeof secret === 'string' || Buffer.isBuffer(secret) ? { current: secret } : secret;
    const derive = (s: KekSecret): DerivedKey => ({
      id: Buffer.from(hkdfSync('sha256', s, purpose.salt, `${purpose.info} kek id`, KEK_ID_BYTES)).toString(
        'base64url',
      ),
      key: Buffer.from(hkdfSync('sha256', s, purpose.salt, purpose.info, 32)),
    });
    const current = derive(ring.current);
    const previous = ring.previous ? derive(ring.previous) : null;
    this.kekId = current.id;
    this.previousKekId = previous && previous.id !== current.id ? previous.id : null;
    this.keys = previous && previous.id !== current.id ? [current, previous] : [current];
  }

  seal(associatedData: string, plaintext: string | Buffer): string {
    const current = this.keys[0] as DerivedKey;
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', current.key, iv);
    cipher.setAAD(Buffer.from(associatedData));
    const data = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return [CURRENT_VERSION, current.id, ...[iv, cipher.getAuthTag(), data].map((p) => p.toString('base64url'))].join(
      '.',
    );
  }

  /**
   * Opens a value sealed under the current or the previous KEK. Throws UnknownKekError when the value names another
   * KEK, and a plain Error when it is not a sealed value or does not open (another row, edited, or — for a v1 value,
   * which names no KEK — sealed under neither secret).
   */
  open(associatedData: string, sealed: string): Buffer {
    const parsed = parse(sealed);
    if (parsed.kekId === null) {
      for (const k of this.keys) {
        const plain = decrypt(k.key, associatedData, parsed);
        if (plain) return plain;
      }
      throw new Error('the sealed value does not open');
    }
    const k = this.keys.find((c) => c.id === parsed.kekId);
    if (!k) throw new UnknownKekError(parsed.kekId);
    const plain = decrypt(k.key, associatedData, parsed);
    if (!plain) throw new Error('the sealed value does not open');
    return plain;
  }

  /** The id of the KEK that sealed a value; null for a v1 value (it names none). Throws for a malformed value. */
  kekIdOf(sealed: string): string | null {
    return parse(sealed).kekId;
  }

  /** Whether a value is sealed in the current format under the current KEK (re-sealing would change nothing). */
  isCurrent(sealed: string): boolean {
    try {
      return parse(sealed).kekId === this.kekId;
    } catch {
      return false;
    }
  }

  /**
   * The value sealed anew under the current KEK, or null when it already is. Throws as `open` does, so a value that
   * opens under neither secret is never replaced.
   */
  reseal(associatedData: string, sealed: string): string | null {
    if (this.isCurrent(sealed)) return null;
    return this.seal(associatedData, this.open(associatedData, sealed));
  }
}

interface ParsedValue {
  kekId: string | null;
  iv: Buffer;
  tag: Buffer;
  data: Buffer;
}

function parse(sealed: string): ParsedValue {
  const parts = sealed.split('.');
  const b = (s: string) => Buffer.from(s, 'base64url');
  if (parts[0] === 'v1' && parts.length === 4 && parts.every(Boolean)) {
    const [, iv, tag, data] = parts as [string, string, string, string];
    return { kekId: null, iv: b(iv), tag: b(tag), data: b(data) };
  }
  if (parts[0] === CURRENT_VERSION && parts.length === 5 && parts.every(Boolean)) {
    const [, kekId, iv, tag, data] = parts as [string, string, string, string, string];
    return { kekId, iv: b(iv), tag: b(tag), data: b(data) };
  }
  throw new Error('not a sealed value');
}

/** The plaintext, or null when the tag does not match (another key, another row, or edited). */
function decrypt(key: Buffer, associatedData: string, v: ParsedValue): Buffer | null {
  try {
    // A full-length tag only: GCM would otherwise accept a truncated one, far easier to forge.
    const decipher = createDecipheriv('aes-256-gcm', key, v.iv, { authTagLength: 16 });
    decipher.setAAD(Buffer.from(associatedData));
    decipher.setAuthTag(v.tag);
    return Buffer.concat([decipher.update(v.data), decipher.final()]);
  } catch {
    return null;
  }
}

/**
 * Why a value does not open, naming the variable an operator sets (and its `_PREVIOUS` companion when one is
 * given): the start-up refusal and the re-seal command say it the same way.
 */
export function kekProblem(error: unknown, variable: string, box: SecretBox): string {
  const previous = box.previousKekId;
  const names = previous ? `${variable} or ${variable}_PREVIOUS` : variable;
  if (error instanceof UnknownKekError) {
    return (
      `does not open with ${names}: it was sealed under another key-encryption key (id ${error.kekId}; ` +
      `${variable} has id ${box.kekId}${previous ? `, ${variable}_PREVIOUS ${previous}` : ''})`
    );
  }
  return `does not open with ${names}: the variable differs from the one that sealed it, or the row was changed`;
}

/** What a re-seal did to one table: values sealed anew under the current KEK, and values that already were. */
export interface ResealCount {
  table: string;
  resealed: number;
  current: number;
}
