/**
 * Results of token verification, by token string: a service sees the same bearer token on every request of a
 * session, and an EdDSA/RS256 signature check plus claim parsing costs far more than a map lookup.
 *
 * An entry lives until the token's own `exp` (never past it: an expired token is verified again, and refused) or
 * `maxAgeMs`, whichever comes first; at most `maxEntries` are kept, the least recently used dropped first. Only
 * successful verifications are kept. A key withdrawn from the JWKS does not end the entries of tokens it signed before
 * their `exp` or `maxAgeMs`; that bound is what the cache trades for not checking signatures again.
 */
export class VerifiedTokenCache<V> {
  // A Map iterates in insertion order: re-inserting on every hit makes the first key the least recently used.
  private readonly entries = new Map<string, { value: V; expiresAt: number }>();

  constructor(
    private readonly maxEntries = 10_000,
    private readonly maxAgeMs = 5 * 60_000,
    private readonly now: () => number = Date.now,
  ) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new RangeError('maxEntries must be at least 1');
  }

  get size(): number {
    return this.entries.size;
  }

  get(token: string): V | undefined {
    const entry = this.entries.get(token);
    if (!entry) return undefined;
    this.entries.delete(token);
    if (entry.expiresAt <= this.now()) return undefined;
    this.entries.set(token, entry);
    return entry.value;
  }

  /** `expSec`: the token's `exp` claim (seconds since the epoch); a token without one is not cached. */
  set(token: string, value: V, expSec: number | undefined): void {
    if (typeof expSec !== 'number' || !Number.isFinite(expSec)) return;
    const now = this.now();
    const expiresAt = Math.min(expSec * 1000, now + this.maxAgeMs);
    if (expiresAt <= now) return;
    this.entries.delete(token);
    this.entries.set(token, { value, expiresAt });
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }
}
