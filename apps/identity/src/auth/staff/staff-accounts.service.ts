import {
  ConflictException,
  HttpException,
  HttpStatus,
  Inject,
  Injectable,
  UnauthorizedException,
  type OnModuleInit,
} from '@nestjs/common';
import { hash, verify } from '@node-rs/argon2';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import type { AuthUser } from '@hoso/auth';
import { audit } from '@hoso/nest-kit';
import { CLOCK, type Clock } from '../../clock';
import type { Config } from '../../config';
import { CONFIG, ROOT_LOGGER } from '../../core';
import { claimsFor, SessionService, type TokenPair } from '../../tokens/session.service';
import { seedStaffAccounts } from './staff-policy';

export const STAFF_MAX_FAILURES = 5;
export const STAFF_LOCK_SEC = 15 * 60;
const INVALID_CREDENTIALS = 'invalid username or password';

interface StaffRow {
  id: string;
  role: 'officer' | 'operator';
  password_hash: string;
  locked_until: Date | null;
}

export interface CreatedStaff {
  id: string;
  username: string;
  role: 'officer';
  agencyCode: string;
  name: string;
}

/** argon2id with the library's defaults (19 MiB, 2 passes: the OWASP baseline). */
export const hashPassword = (password: string): Promise<string> => hash(password);

/**
 * Officer and operator accounts: password sign-in with lockout, seeding, creation by operators.
 */
@Injectable()
export class StaffAccountsService implements OnModuleInit {
  /** Verified against when the username is unknown, so both failures take as long. */
  private dummyHash: Promise<string> | null = null;

  constructor(
    @Inject(DataSource) private readonly ds: DataSource,
    @Inject(SessionService) private readonly sessions: SessionService,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(CONFIG) private readonly config: Config,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {}

  /** Seeds the staff of every province centre and ministry, and the operator, when there is no account at all. */
  async onModuleInit(): Promise<void> {
    this.dummyHash = hashPassword('not-a-real-password-only-for-timing');
    const [{ n } = { n: 0 }] = await this.ds.query<{ n: number }[]>('SELECT count(*)::int AS n FROM staff_accounts');
    if (n > 0) return;
    const accounts = seedStaffAccounts();
    const hashes = await Promise.all(accounts.map(() => hashPassword(this.config.seedStaffPassword)));
    const inserted = await this.ds.transaction(async (m) => {
      await m.query(`SELECT pg_advisory_xact_lock(hashtext('identity:seed-staff'))`);
      const rows: unknown[] = await m.query('SELECT 1 FROM staff_accounts LIMIT 1');
      if (rows.length > 0) return 0;
      await m.query(
        `INSERT INTO staff_accounts (id, username, password_hash, role, agency_code, display_name)
         SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[])`,
        [
          accounts.map(() => uuidv7()),
          accounts.map((a) => a.username),
          hashes,
          accounts.map((a) => a.role),
          accounts.map((a) => a.agencyCode),
          accounts.map((a) => a.displayName),
        ],
      );
      return accounts.length;
    });
    if (inserted) this.logger.info({ accounts: inserted }, 'staff accounts seeded');
  }

  async signIn(username: string, password: string, correlationId: string): Promise<TokenPair> {
    const now = this.clock.now();
    const [row] = await this.ds.query<StaffRow[]>(
      'SELECT id, role, password_hash, locked_until FROM staff_accounts WHERE username = $1',
      [username],
    );
    const actor = row ? { sub: `${row.role}:${username}`, role: row.role } : null;
    if (!row) {
      await verify(await (this.dummyHash ?? hashPassword('x')), password).catch(() => false);
      audit(this.logger, {
        action: 'signin.staff',
        outcome: 'denied',
        actor: null,
        reason: 'unknown username',
        correlationId,
      });
      throw new UnauthorizedException(INVALID_CREDENTIALS);
    }
    if (row.locked_until && row.locked_until.getTime() > now.getTime()) {
      audit(this.logger, { action: 'signin.staff', outcome: 'denied', actor, reason: 'account locked', correlationId });
      throw this.locked(row.locked_until, now);
    }
    if (!(await verify(row.password_hash, password).catch(() => false))) {
      const lockUntil = new Date(now.getTime() + STAFF_LOCK_SEC * 1000);
      // One statement, so concurrent failures all count; a lock that has run out starts the count afresh.
      const [rows] = await this.ds.query<[{ failed_attempts: number; locked_until: Date | null }[], number]>(
        `UPDATE staff_accounts SET
           failed_attempts = CASE WHEN locked_until IS NOT NULL AND locked_until <= $2 THEN 1 ELSE failed_attempts + 1 END,
           locked_until = CASE
             WHEN (CASE WHEN locked_until IS NOT NULL AND locked_until <= $2 THEN 1 ELSE failed_attempts + 1 END) >= $4
             THEN $3::timestamptz ELSE NULL END
         WHERE id = $1 RETURNING failed_attempts, locked_until`,
        [row.id, now, lockUntil, STAFF_MAX_FAILURES],
      );
      const after = rows[0];
      audit(this.logger, { action: 'signin.staff', outcome: 'denied', actor, reason: 'wrong password', correlationId });
      if (after?.locked_until) {
        audit(this.logger, {
          action: 'signin.staff.lockout',
          outcome: 'denied',
          actor,
          reason: `${after.failed_attempts} consecutive failures: locked for ${STAFF_LOCK_SEC / 60} minutes`,
          correlationId,
        });
        throw this.locked(after.locked_until, now);
      }
      throw new UnauthorizedException(INVALID_CREDENTIALS);
    }
    const subject = { type: 'staff' as const, id: row.id };
    const pair = await this.ds.transaction(async (m) => {
      // Re-checked under a row lock: a lockout by concurrent failures wins over a success racing with it.
      const [current] = await m.query<{ locked_until: Date | null }[]>(
        'SELECT locked_until FROM staff_accounts WHERE id = $1 FOR UPDATE',
        [row.id],
      );
      if (current?.locked_until && current.locked_until.getTime() > now.getTime()) return null;
      await m.query('UPDATE staff_accounts SET failed_attempts = 0, locked_until = NULL WHERE id = $1', [row.id]);
      const claims = await claimsFor(m, subject);
      return claims ? this.sessions.open(m, subject, claims) : null;
    });
    if (!pair) throw new UnauthorizedException(INVALID_CREDENTIALS);
    audit(this.logger, { action: 'signin.staff', outcome: 'allowed', actor, correlationId });
    return pair;
  }

  async create(
    input: { username: string; password: string; agencyCode: string; name: string },
    by: AuthUser,
    correlationId: string,
  ): Promise<CreatedStaff> {
    const id = uuidv7();
    const passwordHash = await hashPassword(input.password);
    // ON CONFLICT rather than catching the unique violation: a taken name is an expected answer, not a database error.
    const inserted = await this.ds.query<{ id: string }[]>(
      `INSERT INTO staff_accounts (id, username, password_hash, role, agency_code, display_name)
       VALUES ($1, $2, $3, 'officer', $4, $5) ON CONFLICT (username) DO NOTHING RETURNING id`,
      [id, input.username, passwordHash, input.agencyCode, input.name],
    );
    if (inserted.length === 0) throw new ConflictException(`username ${input.username} is taken`);
    audit(this.logger, {
      action: 'staff.create',
      outcome: 'allowed',
      actor: { sub: by.sub, role: by.role },
      resource: `staff:${input.username}@${input.agencyCode}`,
      correlationId,
    });
    return { id, username: input.username, role: 'officer', agencyCode: input.agencyCode, name: input.name };
  }

  private locked(until: Date, now: Date): HttpException {
    const minutes = Math.max(1, Math.ceil((until.getTime() - now.getTime()) / 60_000));
    return new HttpException(
      {
        statusCode: 423,
        error: 'Locked',
        message: `account locked after ${STAFF_MAX_FAILURES} failed sign-ins: try again in ${minutes} minute(s)`,
        lockedUntil: until.toISOString(),
      },
      HttpStatus.LOCKED,
    );
  }
}
