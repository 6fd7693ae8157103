import { HttpException, HttpStatus, Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { CLOCK, type Clock } from '../../clock';

/** One rule: how many attempts pass freely, then the delay before the next one doubles each time, up to a ceiling. */
export interface ThrottleRule {
  free: number;
  baseSec: number;
  maxSec: number;
  /** A key quiet this long starts again from zero. */
  windowSec: number;
}

/**
 * Per (username as typed, source address): five attempts, then 5 s, 10 s, 20 s… up to 15 minutes between attempts.
 * It concerns one address only, so the account's owner elsewhere is never held back by it.
 */
export const PAIR_RULE: ThrottleRule = { free: 5, baseSec: 5, maxSec: 15 * 60, windowSec: 3600 };
/** Per source address, failures for any username: password spraying from one address slows down the same way. */
export const SOURCE_RULE: ThrottleRule = { free: 20, baseSec: 5, maxSec: 15 * 60, windowSec: 3600 };
/**
 * Per username, failures from every address together: guessing spread over many addresses slows down too. It never
 * holds back an address the account has signed in from before, and its wait stays short, so a stranger cannot keep
 * the owner out: from a known address there is no wait at all, from a new one at most a minute between attempts.
 */
export const ACCOUNT_RULE: ThrottleRule = { free: 30, baseSec: 2, maxSec: 60, windowSec: 3600 };

const pairKey = (username: string, source: string) => `u:${username.toLowerCase()}|s:${source}`;
const sourceKey = (source: string) => `s:${source}`;
const accountKey = (username: string) => `u:${username.toLowerCase()}`;

/** SQL for the end of the wait after the `n`-th counted attempt ($now, then the rule's free/base/max from `at`). */
const blockedUntilSql = (n: string, at: number) =>
  `CASE WHEN ${n} >= $${at} THEN $2::timestamptz + make_interval(secs => least($${at + 2}::float8, ` +
  `$${at + 1}::float8 * power(2::float8, (${n} - $${at})::float8))) ELSE NULL END`;

/** The refusal: one shape, the same for every username, known, unknown or disabled (it never tells which). */
export class SignInThrottled extends HttpException {
  constructor(readonly retryAfterSec: number) {
    super(
      {
        statusCode: 429,
        error: 'Too Many Requests',
        message: `too many failed sign-ins; try again in ${retryAfterSec} s`,
        retryAfterSec,
      },
      HttpStatus.TOO_MANY_REQUESTS,
    );
  }
}

/**
 * Slows password guessing without a lock anybody could set off: counters per (username, source), per source and per
 * username, each a growing delay (exponential backoff) rather than a lockout, stored in PostgreSQL so every instance
 * of the service shares them. A stranger hammering a username from their address delays only themselves; guesses
 * spread over many addresses delay new addresses a little, never one the owner has signed in from.
 *
 * The (username, source) attempt is counted before the password is checked, in the statement that checks the wait,
 * so concurrent guesses cannot all slip through before the first failure is written; a success (or an answer that is
 * not a failure, such as "second factor needed") gives it back.
 */
@Injectable()
export class SignInThrottle {
  constructor(
    @Inject(DataSource) private readonly ds: DataSource,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /**
   * Refuses (429) while a wait is running for this source, this (username, source), or, from an address the username
   * has never signed in from, this username; else counts the attempt.
   */
  async begin(username: string, source: string): Promise<void> {
    const now = this.clock.now();
    const blocked = await this.ds.query<{ blocked_until: Date }[]>(
      `SELECT max(blocked_until) AS blocked_until FROM staff_signin_throttle
        WHERE blocked_until > $3 AND (key = $1 OR (key = $2 AND NOT EXISTS (
          SELECT 1 FROM staff_known_sources WHERE username = $4 AND source = $5)))
       HAVING count(*) > 0`,
      [sourceKey(source), accountKey(username), now, username.toLowerCase(), source],
    );
    if (blocked[0]) throw this.refusal(blocked[0].blocked_until, now);
    const counted = await this.count(pairKey(username, source), PAIR_RULE, now, true);
    if (!counted.ok) throw this.refusal(counted.blockedUntil, now);
  }

  /** The attempt failed: the (username, source) attempt stays counted; the source's and username's failures grow. */
  async failed(username: string, source: string): Promise<void> {
    const now = this.clock.now();
    await this.count(sourceKey(source), SOURCE_RULE, now, false);
    await this.count(accountKey(username), ACCOUNT_RULE, now, false);
  }

  /** Signed in: this (username, source) starts again from zero, and the address is known for the username. */
  async succeeded(username: string, source: string): Promise<void> {
    await this.ds.query('DELETE FROM staff_signin_throttle WHERE key = $1', [pairKey(username, source)]);
    await this.ds.query(
      `INSERT INTO staff_known_sources (username, source, last_success_at) VALUES ($1, $2, $3)
       ON CONFLICT (username, source) DO UPDATE SET last_success_at = excluded.last_success_at`,
      [username.toLowerCase(), source, this.clock.now()],
    );
  }

  /** Right password, but the answer is "another step is needed": the attempt is given back, nothing else changes. */
  async released(username: string, source: string): Promise<void> {
    const r = PAIR_RULE;
    await this.ds.query(
      `UPDATE staff_signin_throttle SET failures = greatest(failures - 1, 0),
         blocked_until = CASE WHEN failures - 1 < $3 THEN NULL ELSE blocked_until END
       WHERE key = $1 AND last_at > $2::timestamptz - make_interval(secs => $4::float8)`,
      [pairKey(username, source), this.clock.now(), r.free, r.windowSec],
    );
  }

  /** Clears every counter of a username (an operator reset its password: the owner starts afresh). */
  async forget(username: string): Promise<void> {
    await this.ds.query(`DELETE FROM staff_signin_throttle WHERE key = $1 OR starts_with(key, $2)`, [
      accountKey(username),
      `u:${username.toLowerCase()}|`,
    ]);
  }

  /**
   * Counts one attempt under `key` in one statement (row-locked by the upsert, so concurrent attempts all count).
   * `onlyIfFree`: not while a wait is running (nothing is counted then, so waiting is never extended by asking).
   */
  private async count(
    key: string,
    rule: ThrottleRule,
    now: Date,
    onlyIfFree: boolean,
  ): Promise<{ ok: true } | { ok: false; blockedUntil: Date }> {
    const n = `(CASE WHEN t.last_at <= $2::timestamptz - make_interval(secs => $6::float8) THEN 1 ELSE t.failures + 1 END)`;
    const rows = await this.ds.query<{ key: string }[]>(
      `INSERT INTO staff_signin_throttle AS t (key, failures, last_at, blocked_until)
       VALUES ($1, 1, $2, ${blockedUntilSql('1', 3)})
       ON CONFLICT (key) DO UPDATE SET failures = ${n}, last_at = $2, blocked_until = ${blockedUntilSql(n, 3)}
       ${onlyIfFree ? 'WHERE t.blocked_until IS NULL OR t.blocked_until <= $2' : ''}
       RETURNING key`,
      [key, now, rule.free, rule.baseSec, rule.maxSec, rule.windowSec],
    );
    if (rows.length > 0) return { ok: true };
    const [row] = await this.ds.query<{ blocked_until: Date | null }[]>(
      'SELECT blocked_until FROM staff_signin_throttle WHERE key = $1',
      [key],
    );
    return { ok: false, blockedUntil: row?.blocked_until ?? now };
  }

  private refusal(until: Date, now: Date): SignInThrottled {
    return new SignInThrottled(Math.max(1, Math.ceil((until.getTime() - now.getTime()) / 1000)));
  }
}

/**
 * The client's address: the TCP peer, or with `trustedHops` proxies in front (the gateway), the address the
 * outermost trusted proxy saw, read that many entries from the right of X-Forwarded-For (entries further left are
 * written by the client and are never believed). IPv4-mapped IPv6 addresses are written as IPv4.
 */
export function clientAddress(
  peer: string | undefined,
  forwardedFor: string | string[] | undefined,
  trustedHops: number,
): string {
  const header = Array.isArray(forwardedFor) ? forwardedFor.join(',') : (forwardedFor ?? '');
  const forwarded = header
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .reverse();
  const chain = [peer ?? 'unknown', ...forwarded];
  const address = chain[Math.min(trustedHops, chain.length - 1)] ?? 'unknown';
  return address.replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/i, '$1');
}
