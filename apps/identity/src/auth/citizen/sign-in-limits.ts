import { createHash } from 'node:crypto';
import { HttpException, HttpStatus, Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { Logger } from 'pino';
import { DataSource, type EntityManager } from 'typeorm';
import { CLOCK, type Clock } from '../../clock';
import { ROOT_LOGGER } from '../../core';

/**
 * A bucket per key: `burst` requests pass at once, then one more every `everySec` seconds. It drains continuously,
 * so a key that is used steadily below that pace (a busy counter's address) is never refused, however long it
 * stays busy; a counter that resets only after a quiet period would eventually hold such an address back for good.
 */
export interface BucketRule {
  burst: number;
  everySec: number;
}

/** What a bucket counts requests by. */
export type LimitScope = 'pair' | 'personalId' | 'device' | 'address';

/**
 * Codes requested (`POST /auth/citizen/challenges`), counted whether the ID exists or not:
 * - per (personal ID, device) — or (personal ID, address) for a client that sends no device id: a few codes, then
 *   one every 5 minutes;
 * - per personal ID across the devices it has never signed in from: never applied to a device the citizen signed in
 *   from before, and short, so a stranger filling it cannot keep the citizen out (a new device waits a minute at most);
 * - per device, every ID: a kiosk signs many citizens in, a script on one device does not get far;
 * - per source address, every ID and device: a high ceiling, so a counter or a carrier NAT where many citizens share
 *   one address is not held back.
 */
export const CHALLENGE_LIMITS: Readonly<Record<LimitScope, BucketRule>> = {
  pair: { burst: 3, everySec: 300 },
  personalId: { burst: 5, everySec: 60 },
  device: { burst: 30, everySec: 60 },
  address: { burst: 300, everySec: 2 },
};

/**
 * Failed code exchanges (`POST /auth/citizen/tokens`: a wrong code, or an unknown challenge id), checked before the
 * code is: a refused exchange never tells whether its code was right. Each challenge also dies after 5 wrong codes.
 */
export const EXCHANGE_FAILURE_LIMITS: Readonly<Record<LimitScope, BucketRule>> = {
  pair: { burst: 10, everySec: 180 },
  personalId: { burst: 10, everySec: 180 },
  device: { burst: 30, everySec: 60 },
  address: { burst: 100, everySec: 10 },
};

/** A device a citizen signed in from stays known this long after its last sign-in. */
export const KNOWN_DEVICE_TTL_DAYS = 365;

const PRUNE_EVERY_MS = 10 * 60_000;
const PRUNE_BATCH = 10_000;

export const DEVICE_ID_HEADER = 'x-device-id';
const DEVICE_ID = /^[A-Za-z0-9_-]{16,128}$/;
export const DEVICE_ID_PROBLEM = `${DEVICE_ID_HEADER}: 16 to 128 characters of A-Z, a-z, 0-9, "-" and "_"`;

/**
 * The device id a client sent: null when it sent none (or an empty one); undefined when it is malformed (a repeated
 * header arrives joined with commas, so it is malformed too).
 */
export function parseDeviceId(raw: string | string[] | undefined): string | null | undefined {
  if (raw === undefined || raw === '') return null;
  if (Array.isArray(raw) || !DEVICE_ID.test(raw)) return undefined;
  return raw;
}

/** Where a sign-in request comes from, as the limits see it. */
export interface SignInOrigin {
  /** SHA-256 of the client's device id (a leaked table does not let anyone pose as a known device), or null. */
  device: string | null;
  address: string;
}

export function signInOrigin(deviceId: string | null, address: string): SignInOrigin {
  return { device: deviceId === null ? null : createHash('sha256').update(deviceId).digest('hex'), address };
}

export interface Bucket {
  key: string;
  scope: LimitScope;
  rule: BucketRule;
}

/**
 * The buckets one request draws on. Keys: `<c|x>:pair:<id>|d:<device>` (or `|a:<address>` without a device id),
 * `<c|x>:id:<id>`, `<c|x>:device:<device>`, `<c|x>:address:<address>`; `c` counts codes requested, `x` failed
 * exchanges. The personal ID is the one typed (or the challenge's), whether it exists or not.
 */
export function bucketsFor(
  kind: 'challenge' | 'exchange',
  personalId: string | null,
  from: SignInOrigin,
  knownDevice: boolean,
): Bucket[] {
  const rules = kind === 'challenge' ? CHALLENGE_LIMITS : EXCHANGE_FAILURE_LIMITS;
  const p = kind === 'challenge' ? 'c' : 'x';
  const buckets: Bucket[] = [];
  if (personalId !== null) {
    const device = from.device === null ? `a:${from.address}` : `d:${from.device}`;
    buckets.push({ key: `${p}:pair:${personalId}|${device}`, scope: 'pair', rule: rules.pair });
    if (!knownDevice) buckets.push({ key: `${p}:id:${personalId}`, scope: 'personalId', rule: rules.personalId });
  }
  if (from.device !== null) buckets.push({ key: `${p}:device:${from.device}`, scope: 'device', rule: rules.device });
  buckets.push({ key: `${p}:address:${from.address}`, scope: 'address', rule: rules.address });
  return buckets;
}

const SCOPE_NAMES: Record<LimitScope, string> = {
  pair: 'personal ID on this device',
  personalId: 'personal ID',
  device: 'device',
  address: 'address',
};

/** The audit reason of a refusal: which limits were reached (never shown to the caller). */
export function limitedReason(scopes: readonly LimitScope[]): string {
  return `rate limited: ${scopes.map((s) => SCOPE_NAMES[s]).join(', ')}`;
}

export type TakeResult = { ok: true } | { ok: false; retryAfterSec: number; scopes: LimitScope[] };

/** The refusal: one shape and one message whatever limit was reached, and whether the ID exists or not. */
export class SignInLimited extends HttpException {
  constructor(
    readonly retryAfterSec: number,
    kind: 'challenge' | 'exchange',
  ) {
    super(
      {
        statusCode: 429,
        error: 'Too Many Requests',
        message: `${kind === 'challenge' ? 'too many codes requested' : 'too many wrong codes'}; try again in ${retryAfterSec} s`,
        retryAfterSec,
      },
      HttpStatus.TOO_MANY_REQUESTS,
    );
  }
}

/**
 * Citizen sign-in limits in PostgreSQL, shared by every instance. Each bucket is one row holding the instant it is
 * empty again (a counted request moves it `everySec` later; a request that would move it further than
 * `burst × everySec` ahead is refused): the generic cell rate algorithm, one upsert per bucket.
 *
 * The buckets of one request are taken together or not at all, inside the caller's transaction: each conditional
 * upsert row-locks its bucket until the commit (in key order, so two requests never wait on each other in a cycle),
 * so concurrent requests cannot slip past, and a refusal rolls back to a savepoint: a refused request counts nowhere.
 */
@Injectable()
export class CitizenSignInLimits implements OnModuleInit, OnModuleDestroy {
  private timer: NodeJS.Timeout | null = null;

  constructor(
    @Inject(DataSource) private readonly ds: DataSource,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {}

  onModuleInit(): void {
    this.timer = setInterval(() => {
      this.prune().catch((err: unknown) => {
        this.logger.warn({ err }, 'pruning citizen sign-in limits failed; retried at the next round');
      });
    }, PRUNE_EVERY_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  async isKnownDevice(m: EntityManager, personalId: string, device: string | null): Promise<boolean> {
    if (device === null) return false;
    const rows = await m.query<unknown[]>(
      'SELECT 1 FROM citizen_known_devices WHERE personal_id = $1 AND device_hash = $2',
      [personalId, device],
    );
    return rows.length > 0;
  }

  /** Counts one request in every bucket, or in none and answers how long to wait. */
  async take(m: EntityManager, buckets: readonly Bucket[], now: Date): Promise<TakeResult> {
    const ordered = [...buckets].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    await m.query('SAVEPOINT citizen_signin_limits');
    for (const b of ordered) {
      const taken = await m.query<{ key: string }[]>(
        `INSERT INTO citizen_signin_limits AS l (key, empty_at) VALUES ($1, $2::timestamptz + make_interval(secs => $3))
         ON CONFLICT (key) DO UPDATE SET empty_at = greatest(l.empty_at, $2) + make_interval(secs => $3)
          WHERE greatest(l.empty_at, $2) + make_interval(secs => $3) <= $2::timestamptz + make_interval(secs => $4)
         RETURNING key`,
        [b.key, now, b.rule.everySec, b.rule.burst * b.rule.everySec],
      );
      if (taken.length === 0) {
        await m.query('ROLLBACK TO SAVEPOINT citizen_signin_limits');
        await m.query('RELEASE SAVEPOINT citizen_signin_limits');
        return this.refusal(m, ordered, now);
      }
    }
    await m.query('RELEASE SAVEPOINT citizen_signin_limits');
    return { ok: true };
  }

  /** Gives back a request `take` counted (an exchange that turned out not to be a failure). */
  async giveBack(m: EntityManager, buckets: readonly Bucket[], now: Date): Promise<void> {
    if (buckets.length === 0) return;
    await m.query(
      `UPDATE citizen_signin_limits AS l SET empty_at = greatest($3::timestamptz, l.empty_at - make_interval(secs => g.every))
         FROM unnest($1::text[], $2::float8[]) AS g (key, every) WHERE l.key = g.key`,
      [buckets.map((b) => b.key), buckets.map((b) => b.rule.everySec), now],
    );
  }

  /** Signed in: the (ID, device) failures start again from zero, and the device is known for the ID. */
  async signedIn(
    m: EntityManager,
    personalId: string,
    failures: readonly Bucket[],
    from: SignInOrigin,
    now: Date,
  ): Promise<void> {
    const pair = failures.filter((b) => b.scope === 'pair').map((b) => b.key);
    if (pair.length) await m.query('DELETE FROM citizen_signin_limits WHERE key = ANY($1)', [pair]);
    if (from.device === null) return;
    await m.query(
      `INSERT INTO citizen_known_devices (personal_id, device_hash, last_success_at) VALUES ($1, $2, $3)
       ON CONFLICT (personal_id, device_hash) DO UPDATE SET last_success_at = excluded.last_success_at`,
      [personalId, from.device, now],
    );
  }

  /**
   * Deletes the buckets that are empty (a missing row is an empty bucket) and the devices nobody signed in from for
   * KNOWN_DEVICE_TTL_DAYS, in batches, so neither table grows with every address and device ever seen.
   */
  async prune(): Promise<{ buckets: number; devices: number }> {
    const now = this.clock.now();
    const forgetBefore = new Date(now.getTime() - KNOWN_DEVICE_TTL_DAYS * 24 * 3600 * 1000);
    const buckets = await this.deleteInBatches(
      `DELETE FROM citizen_signin_limits WHERE key IN (
         SELECT key FROM citizen_signin_limits WHERE empty_at <= $1 LIMIT ${PRUNE_BATCH})`,
      now,
    );
    const devices = await this.deleteInBatches(
      `DELETE FROM citizen_known_devices WHERE (personal_id, device_hash) IN (
         SELECT personal_id, device_hash FROM citizen_known_devices WHERE last_success_at < $1 LIMIT ${PRUNE_BATCH})`,
      forgetBefore,
    );
    if (buckets || devices) this.logger.debug({ buckets, devices }, 'pruned citizen sign-in limits');
    return { buckets, devices };
  }

  private async deleteInBatches(sql: string, before: Date): Promise<number> {
    let total = 0;
    for (;;) {
      // A DELETE through TypeORM answers [rows, affected count].
      const [, n] = await this.ds.query<[unknown[], number]>(sql, [before]);
      total += n;
      if (n < PRUNE_BATCH) return total;
    }
  }

  /** Every bucket that is full, and the longest wait among them (the state before this request: nothing counted). */
  private async refusal(m: EntityManager, buckets: readonly Bucket[], now: Date): Promise<TakeResult> {
    const rows = await m.query<{ key: string; empty_at: Date }[]>(
      'SELECT key, empty_at FROM citizen_signin_limits WHERE key = ANY($1)',
      [buckets.map((b) => b.key)],
    );
    const emptyAt = new Map(rows.map((r) => [r.key, r.empty_at.getTime()]));
    let waitMs = 0;
    const scopes: LimitScope[] = [];
    for (const b of buckets) {
      const wait =
        Math.max(emptyAt.get(b.key) ?? 0, now.getTime()) + (1 - b.rule.burst) * b.rule.everySec * 1000 - now.getTime();
      if (wait > 0) {
        scopes.push(b.scope);
        waitMs = Math.max(waitMs, wait);
      }
    }
    return { ok: false, retryAfterSec: Math.max(1, Math.ceil(waitMs / 1000)), scopes };
  }
}
