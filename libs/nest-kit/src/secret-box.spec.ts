import { createCipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { kekProblem, SecretBox, UnknownKekError } from './secret-box';

const PURPOSE = { salt: 'hoso-test', info: 'test secret v1' };
const OLD = 'old-key-encryption-secret-0123456789abcdef';
const NEW = 'new-key-encryption-secret-0123456789abcdef';

/** A value as the first format wrote it (`v1.<iv>.<tag>.<data>`, no KEK id). */
function sealV1(secret: string, associatedData: string, plaintext: string): string {
  const key = Buffer.from(hkdfSync('sha256', secret, PURPOSE.salt, PURPOSE.info, 32));
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(associatedData));
  const data = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return ['v1', ...[iv, cipher.getAuthTag(), data].map((p) => p.toString('base64url'))].join('.');
}

describe('SecretBox', () => {
  it('seals under the current KEK, naming it, and opens only for the same row', () => {
    const box = new SecretBox(NEW, PURPOSE);
    const sealed = box.seal('row-1', 'the secret');
    expect(sealed).toMatch(/^v2\.[A-Za-z0-9_-]{11}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(box.kekIdOf(sealed)).toBe(box.kekId);
    expect(sealed).not.toContain(Buffer.from('the secret').toString('base64url'));
    expect(box.open('row-1', sealed).toString()).toBe('the secret');
    expect(() => box.open('row-2', sealed)).toThrow('does not open');
    expect(box.isCurrent(sealed)).toBe(true);
    expect(box.reseal('row-1', sealed)).toBeNull();
  });

  it('derives a KEK id per secret and purpose, the same every time', () => {
    const a = new SecretBox(NEW, PURPOSE);
    expect(new SecretBox(NEW, PURPOSE).kekId).toBe(a.kekId);
    expect(new SecretBox(OLD, PURPOSE).kekId).not.toBe(a.kekId);
    expect(new SecretBox(NEW, { ...PURPOSE, info: 'another purpose' }).kekId).not.toBe(a.kekId);
    // Raw bytes work as well as text (case-tracking's KEK is 32 random bytes).
    const raw = new SecretBox(randomBytes(32), PURPOSE);
    expect(raw.open('r', raw.seal('r', 'x')).toString()).toBe('x');
  });

  it('opens values of the previous KEK during a rotation and re-seals them under the current one', () => {
    const before = new SecretBox(OLD, PURPOSE);
    const oldValue = before.seal('row-1', 'kept across the rotation');
    const during = new SecretBox({ current: NEW, previous: OLD }, PURPOSE);
    expect(during.previousKekId).toBe(before.kekId);
    expect(during.open('row-1', oldValue).toString()).toBe('kept across the rotation');
    expect(during.isCurrent(oldValue)).toBe(false);
    const resealed = during.reseal('row-1', oldValue);
    expect(resealed).not.toBeNull();
    expect(during.kekIdOf(resealed!)).toBe(during.kekId);
    // Idempotent: a second pass changes nothing.
    expect(during.reseal('row-1', resealed!)).toBeNull();
    // After the rotation the previous KEK is no longer needed, and it no longer opens what was re-sealed.
    const after = new SecretBox(NEW, PURPOSE);
    expect(after.open('row-1', resealed!).toString()).toBe('kept across the rotation');
    expect(() => before.open('row-1', resealed!)).toThrow(UnknownKekError);
    // A value the rotation missed is named as sealed under an unknown KEK, not as forged.
    expect(() => after.open('row-1', oldValue)).toThrow(UnknownKekError);
    expect(() => after.open('row-1', oldValue)).toThrow(`id ${before.kekId}`);
  });

  it('opens first-format values (no KEK id) under the current or previous KEK, and upgrades them', () => {
    const v1 = sealV1(OLD, 'row-9', 'from an earlier release');
    expect(new SecretBox(OLD, PURPOSE).open('row-9', v1).toString()).toBe('from an earlier release');
    const during = new SecretBox({ current: NEW, previous: OLD }, PURPOSE);
    expect(during.kekIdOf(v1)).toBeNull();
    expect(during.isCurrent(v1)).toBe(false);
    expect(during.open('row-9', v1).toString()).toBe('from an earlier release');
    const upgraded = during.reseal('row-9', v1)!;
    expect(upgraded).toMatch(/^v2\./);
    expect(new SecretBox(NEW, PURPOSE).open('row-9', upgraded).toString()).toBe('from an earlier release');
    // Neither secret opens it: refused, and never replaced by a re-seal.
    const stranger = new SecretBox('a-third-secret-nobody-configured-012345', PURPOSE);
    expect(() => stranger.open('row-9', v1)).toThrow('does not open');
    expect(() => stranger.reseal('row-9', v1)).toThrow('does not open');
  });

  it('refuses malformed, edited and truncated-tag values', () => {
    const box = new SecretBox(NEW, PURPOSE);
    const sealed = box.seal('row-1', 'secret');
    for (const bad of ['', 'v2', 'v3.a.b.c.d', 'v2..b.c.d', sealed.split('.').slice(0, 4).join('.')]) {
      expect(() => box.open('row-1', bad)).toThrow();
    }
    const parts = sealed.split('.');
    const data = Buffer.from(parts[4]!, 'base64url');
    data[0] = (data[0] ?? 0) ^ 1;
    expect(() => box.open('row-1', [...parts.slice(0, 4), data.toString('base64url')].join('.'))).toThrow(
      'does not open',
    );
    // GCM would verify a 4-byte tag if asked to: only full tags are accepted.
    const shortTag = Buffer.from(parts[3]!, 'base64url').subarray(0, 4).toString('base64url');
    expect(() => box.open('row-1', [parts[0], parts[1], parts[2], shortTag, parts[4]].join('.'))).toThrow(
      'does not open',
    );
    expect(box.isCurrent('not sealed')).toBe(false);
  });

  it('names the variable, and its previous companion, when a value does not open', () => {
    const old = new SecretBox(OLD, PURPOSE);
    const sealed = old.seal('row-1', 'x');
    const rotated = new SecretBox({ current: NEW, previous: 'a-third-secret-nobody-configured-012345' }, PURPOSE);
    let error: unknown;
    try {
      rotated.open('row-1', sealed);
    } catch (e) {
      error = e;
    }
    expect(kekProblem(error, 'SOME_KEK', rotated)).toBe(
      `does not open with SOME_KEK or SOME_KEK_PREVIOUS: it was sealed under another key-encryption key (id ${old.kekId}; ` +
        `SOME_KEK has id ${rotated.kekId}, SOME_KEK_PREVIOUS ${rotated.previousKekId})`,
    );
    expect(kekProblem(new Error('does not open'), 'SOME_KEK', old)).toBe(
      'does not open with SOME_KEK: the variable differs from the one that sealed it, or the row was changed',
    );
  });
});
