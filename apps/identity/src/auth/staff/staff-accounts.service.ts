import { createHash, randomBytes } from 'node:crypto';
import {
  BadRequestException,
  ConflictException,
  ForbiddenException,
  HttpException,
  Inject,
  Injectable,
  NotFoundException,
  UnauthorizedException,
  type OnModuleInit,
} from '@nestjs/common';
import { verify } from '@node-rs/argon2';
import type { Logger } from 'pino';
import { DataSource, type EntityManager } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import type { AuthUser } from '@hoso/auth';
import { recordAudit, recordAuditApart, type AuditEntry } from '@hoso/nest-kit';
import { CLOCK, type Clock } from '../../clock';
import type { Config } from '../../config';
import { CONFIG, ROOT_LOGGER } from '../../core';
import { claimsFor, SessionService, type TokenPair } from '../../tokens/session.service';
import {
  hashRecoveryCode,
  newRecoveryCodes,
  newTotpSecret,
  totpRequiredFor,
  totpStep,
  TotpSecretBox,
} from './second-factor';
import { SignInThrottle } from './signin-throttle';
import { oneTimePassword, passwordProblem } from './staff-policy';
import { hashPassword, seedStaff } from './staff-seed';
import { checkTotpSecrets } from './totp-secrets';

export { hashPassword } from './staff-seed';

/** The one answer for an unknown username, a wrong password and a disabled account. */
export const INVALID_CREDENTIALS = 'invalid username or password';

/**
 * How long the enrolment token of a sign-in that must first set up TOTP is valid: time to install an authenticator
 * app and scan the key, not a session.
 */
export const TOTP_ENROLMENT_TTL_SEC = 600;

/** Enrolment tokens are 256 random bits: a plain SHA-256 makes a stolen table useless. */
const hashEnrolmentToken = (token: string): string => createHash('sha256').update(token).digest('hex');

/** Unknown, expired, spent, or its account disabled or reset since: the way on is a new sign-in. */
const ENROLMENT_INVALID = 'the enrolment has expired or is not valid: sign in again';

type StaffRole = 'officer' | 'operator';

interface StaffRow {
  id: string;
  username: string;
  role: StaffRole;
  agency_code: string | null;
  display_name: string;
  password_hash: string;
  must_change_password: boolean;
  disabled_at: Date | null;
  totp_secret_enc: string | null;
  totp_pending_enc: string | null;
  totp_enabled_at: Date | null;
  created_at: Date;
}

/** An account as operators see it (never a hash, never a secret). */
export interface StaffAccount {
  id: string;
  username: string;
  role: StaffRole;
  agencyCode: string | null;
  name: string;
  disabled: boolean;
  mustChangePassword: boolean;
  totpEnabled: boolean;
  createdAt: string;
}

export interface OwnAccount extends StaffAccount {
  recoveryCodesLeft: number;
}

export interface SignInInput {
  username: string;
  password: string;
  totpCode?: string | undefined;
  recoveryCode?: string | undefined;
  newPassword?: string | undefined;
}

const view = (r: StaffRow): StaffAccount => ({
  id: r.id,
  username: r.username,
  role: r.role,
  agencyCode: r.agency_code,
  name: r.display_name,
  disabled: r.disabled_at !== null,
  mustChangePassword: r.must_change_password,
  totpEnabled: r.totp_enabled_at !== null,
  createdAt: r.created_at.toISOString(),
});

const STAFF_COLUMNS = `id, username, role, agency_code, display_name, password_hash, must_change_password, disabled_at,
  totp_secret_enc, totp_pending_enc, totp_enabled_at, created_at`;

/** The rows an UPDATE … RETURNING changed (the driver answers `[rows, count]` for an UPDATE). */
async function updatedRows(m: EntityManager, sql: string, params: unknown[]): Promise<unknown[]> {
  const [rows] = await m.query<[unknown[], number]>(sql, params);
  return rows;
}

/** A sign-in that needs one more step; `next` tells the client which (the message says it to a person). */
class NextStepRequired extends HttpException {
  constructor(
    status: 401 | 403,
    message: string,
    next: 'totp' | 'change-password' | 'enrol-totp',
    extra: Record<string, unknown> = {},
  ) {
    super(
      { statusCode: status, error: status === 401 ? 'Unauthorized' : 'Forbidden', message, next, ...extra },
      status,
    );
  }
}

/** The answer of an enrolment finished at sign-in: the session it opens and the recovery codes, once. */
export type EnrolledSignIn = TokenPair & { recoveryCodes: string[] };

/**
 * Officer and operator accounts: password sign-in with throttling (never a lock anybody could set off), one-time
 * passwords with a forced change, TOTP with recovery codes, and the operators' account management.
 */
@Injectable()
export class StaffAccountsService implements OnModuleInit {
  /** Verified against when the username is unknown, so both failures take as long. */
  private dummyHash: Promise<string> | null = null;
  private readonly box: TotpSecretBox;

  constructor(
    @Inject(DataSource) private readonly ds: DataSource,
    @Inject(SessionService) private readonly sessions: SessionService,
    @Inject(SignInThrottle) private readonly throttle: SignInThrottle,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(CONFIG) private readonly config: Config,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {
    this.box = new TotpSecretBox({ current: config.staffTotpKey, previous: config.staffTotpKeyPrevious });
  }

  /**
   * Development mode seeds the staff with the shared development password at start-up. Otherwise nothing is seeded
   * here: one-time passwords must reach the operator's terminal, not a log, so `nx run identity:seed` does it.
   */
  async onModuleInit(): Promise<void> {
    await checkTotpSecrets(this.ds, this.box);
    this.dummyHash = hashPassword('not-a-real-password-only-for-timing');
    if (this.config.seedStaffPassword !== null) {
      const { inserted } = await seedStaff(this.ds, { kind: 'shared', password: this.config.seedStaffPassword });
      if (inserted) this.logger.info({ accounts: inserted }, 'staff accounts seeded with the development password');
      return;
    }
    const [{ n } = { n: 0 }] = await this.ds.query<{ n: number }[]>('SELECT count(*)::int AS n FROM staff_accounts');
    if (n === 0) {
      this.logger.warn('no staff account exists: run `nx run identity:seed` to create them with one-time passwords');
    }
  }

  async signIn(input: SignInInput, source: string, correlationId: string): Promise<TokenPair> {
    const { username } = input;
    await this.throttle.begin(username, source);
    const row = await this.byUsername(this.ds.manager, username);
    const actor = row ? { sub: `${row.role}:${row.username}`, role: row.role } : null;
    const deny = async (reason: string): Promise<never> => {
      await this.throttle.failed(username, source);
      // The request fails, so the record is a transaction of its own (nothing of the sign-in is written).
      await this.auditApart({ action: 'signin.staff', outcome: 'denied', actor, reason, correlationId });
      throw new UnauthorizedException(INVALID_CREDENTIALS);
    };
    // The password is checked (or a dummy hash, for an unknown name) before anything else, so every refusal takes
    // as long, and a disabled account answers exactly as an unknown one.
    const passwordOk = await verify(row?.password_hash ?? (await this.dummy()), input.password).catch(() => false);
    if (!row) return deny('unknown username');
    if (!passwordOk) return deny('wrong password');
    if (row.disabled_at) return deny('account disabled');

    let recoveryCodeHash: string | null = null;
    let totpStepUsed: number | null = null;
    if (row.totp_enabled_at && row.totp_secret_enc) {
      if (!input.totpCode && !input.recoveryCode) {
        await this.throttle.released(username, source);
        throw new NextStepRequired(401, 'a code from the authenticator app (or a recovery code) is required', 'totp');
      }
      if (input.totpCode) {
        const secret = this.openSecret(row.id, row.totp_secret_enc);
        totpStepUsed = secret === null ? null : totpStep(row.username, secret, input.totpCode, this.clock.now());
        if (totpStepUsed === null) return this.denySecondFactor(row, source, 'wrong TOTP code', correlationId);
      } else {
        recoveryCodeHash = hashRecoveryCode(input.recoveryCode ?? '');
      }
    }
    if (row.must_change_password) {
      if (!input.newPassword) {
        await this.throttle.released(username, source);
        throw new NextStepRequired(403, 'the password must be changed before the first sign-in', 'change-password');
      }
      try {
        this.checkNewPassword(input.newPassword, input.password, row.username);
      } catch (e) {
        // The password was right: a refused new one is not a failed guess.
        await this.throttle.released(username, source);
        throw e;
      }
    }

    // STAFF_TOTP_REQUIRED: the password (changed first if it must be) is right, but no session opens before the
    // account has a second factor; the answer carries a token that can do nothing but enrol one.
    const mustEnrol = row.totp_enabled_at === null && totpRequiredFor(this.config.staffTotpRequired, row.role);

    const now = this.clock.now();
    const subject = { type: 'staff' as const, id: row.id };
    const outcome = await this.ds.transaction(async (m) => {
      // Under the row lock: a disable, a reset, an enrolment or another use of the same code racing with this
      // sign-in wins.
      const current = await this.byId(m, row.id, true);
      if (
        !current ||
        current.disabled_at ||
        current.password_hash !== row.password_hash ||
        (current.totp_enabled_at === null) !== (row.totp_enabled_at === null)
      ) {
        return 'changed' as const;
      }
      if (totpStepUsed !== null) {
        const fresh = await updatedRows(
          m,
          `UPDATE staff_accounts SET totp_last_step = $2
            WHERE id = $1 AND (totp_last_step IS NULL OR totp_last_step < $2) RETURNING id`,
          [row.id, totpStepUsed],
        );
        if (fresh.length === 0) return 'code-reused' as const;
      }
      if (recoveryCodeHash !== null) {
        const used = await updatedRows(
          m,
          `UPDATE staff_recovery_codes SET used_at = $3
            WHERE staff_id = $1 AND code_hash = $2 AND used_at IS NULL RETURNING staff_id`,
          [row.id, recoveryCodeHash, now],
        );
        if (used.length === 0) return 'code-reused' as const;
      }
      if (row.must_change_password && input.newPassword) {
        await m.query(
          `UPDATE staff_accounts SET password_hash = $2, must_change_password = false, password_changed_at = $3
            WHERE id = $1`,
          [row.id, await hashPassword(input.newPassword), now],
        );
      }
      if (mustEnrol) {
        const enrolmentToken = randomBytes(32).toString('base64url');
        await m.query(
          'UPDATE staff_accounts SET totp_enrol_token_hash = $2, totp_enrol_expires_at = $3 WHERE id = $1',
          [row.id, hashEnrolmentToken(enrolmentToken), new Date(now.getTime() + TOTP_ENROLMENT_TTL_SEC * 1000)],
        );
        if (row.must_change_password) {
          await recordAudit(m, this.logger, {
            action: 'staff.password.change',
            outcome: 'allowed',
            actor,
            reason: 'first sign-in',
            correlationId,
          });
        }
        return { enrolmentToken };
      }
      const claims = await claimsFor(m, subject);
      if (!claims) return 'changed' as const;
      const pair = await this.sessions.open(m, subject, claims);
      // Recorded with the session they open, last (the trail's head lock is held only until the commit).
      if (row.must_change_password) {
        await recordAudit(m, this.logger, {
          action: 'staff.password.change',
          outcome: 'allowed',
          actor,
          reason: 'first sign-in',
          correlationId,
        });
      }
      if (recoveryCodeHash) {
        await recordAudit(m, this.logger, {
          action: 'signin.staff.recovery-code',
          outcome: 'allowed',
          actor,
          correlationId,
        });
      }
      await recordAudit(m, this.logger, { action: 'signin.staff', outcome: 'allowed', actor, correlationId });
      return pair;
    });
    if (outcome === 'changed') return deny('account changed during sign-in');
    if (outcome === 'code-reused') {
      return this.denySecondFactor(
        row,
        source,
        recoveryCodeHash ? 'unknown or used recovery code' : 'TOTP code already used',
        correlationId,
      );
    }
    if ('enrolmentToken' in outcome) {
      await this.throttle.released(username, source);
      throw new NextStepRequired(
        403,
        'an authenticator app (TOTP) must be set up for this account before it signs in',
        'enrol-totp',
        { enrolmentToken: outcome.enrolmentToken, enrolmentExpiresInSec: TOTP_ENROLMENT_TTL_SEC },
      );
    }
    await this.throttle.succeeded(username, source);
    return outcome;
  }

  /**
   * The first half of an enrolment at sign-in (STAFF_TOTP_REQUIRED): the enrolment token stands in for a session.
   * A new secret is kept (encrypted) as pending until a code from it is confirmed; it is returned here, once.
   */
  async startEnrolment(enrolmentToken: string, correlationId: string): Promise<{ otpauthUri: string; secret: string }> {
    const { secret, uri } = await this.ds.transaction(async (m) => {
      const row = await this.byEnrolmentToken(m, enrolmentToken);
      if (row.totp_enabled_at) throw new ConflictException('TOTP is already on for this account: sign in with a code');
      const fresh = newTotpSecret(row.username);
      await m.query('UPDATE staff_accounts SET totp_pending_enc = $2 WHERE id = $1', [
        row.id,
        this.box.seal(row.id, fresh.secret),
      ]);
      await recordAudit(m, this.logger, {
        action: 'staff.totp.enrol',
        outcome: 'allowed',
        actor: { sub: `${row.role}:${row.username}`, role: row.role },
        reason: 'started at sign-in',
        correlationId,
      });
      return fresh;
    });
    return { otpauthUri: uri, secret };
  }

  /**
   * The second half: a first code from the app turns TOTP on, and — password and code both proven — opens the
   * session the sign-in withheld. The enrolment token is spent; the recovery codes are returned once.
   */
  async confirmEnrolment(
    enrolmentToken: string,
    code: string,
    source: string,
    correlationId: string,
  ): Promise<EnrolledSignIn> {
    const now = this.clock.now();
    const codes = newRecoveryCodes();
    const result = await this.ds.transaction(async (m) => {
      const row = await this.byEnrolmentToken(m, enrolmentToken);
      const actor = { sub: `${row.role}:${row.username}`, role: row.role };
      const confirmed = await this.confirmPending(m, row, code, codes, now, {
        actor,
        reason: 'confirmed at sign-in',
        correlationId,
      });
      if (confirmed !== 'ok') return confirmed;
      const subject = { type: 'staff' as const, id: row.id };
      const claims = await claimsFor(m, subject);
      if (!claims) throw new UnauthorizedException(ENROLMENT_INVALID);
      const pair = await this.sessions.open(m, subject, claims);
      await recordAudit(m, this.logger, { action: 'signin.staff', outcome: 'allowed', actor, correlationId });
      return { pair, username: row.username };
    });
    if (result === 'enabled') throw new ConflictException('TOTP is already on for this account: sign in with a code');
    if (result === 'not-started') throw new ConflictException('no TOTP enrolment is in progress: start one first');
    if (result === 'wrong') {
      throw new BadRequestException('wrong code: check the time on the phone and enter the current code');
    }
    await this.throttle.succeeded(result.username, source);
    return { ...result.pair, recoveryCodes: codes };
  }

  async list(): Promise<StaffAccount[]> {
    const rows = await this.ds.query<StaffRow[]>(
      `SELECT ${STAFF_COLUMNS} FROM staff_accounts ORDER BY role DESC, username`,
    );
    return rows.map(view);
  }

  /** A new officer with a one-time password, returned in this answer only (it is stored as an argon2id hash). */
  async create(
    input: { username: string; agencyCode: string; name: string },
    by: AuthUser,
    correlationId: string,
  ): Promise<StaffAccount & { oneTimePassword: string }> {
    const password = oneTimePassword(input.username);
    const passwordHash = await hashPassword(password);
    const row = await this.ds.transaction(async (m) => {
      // ON CONFLICT rather than catching the unique violation: a taken name is an expected answer, not a database
      // error.
      const inserted = await m.query<StaffRow[]>(
        `INSERT INTO staff_accounts (id, username, password_hash, role, agency_code, display_name, must_change_password)
         VALUES ($1, $2, $3, 'officer', $4, $5, true) ON CONFLICT (username) DO NOTHING RETURNING ${STAFF_COLUMNS}`,
        [uuidv7(), input.username, passwordHash, input.agencyCode, input.name],
      );
      const created = inserted[0];
      if (!created) throw new ConflictException(`username ${input.username} is taken`);
      await recordAudit(
        m,
        this.logger,
        {
          action: 'staff.create',
          outcome: 'allowed',
          actor: { sub: by.sub, role: by.role },
          resource: `staff:${input.username}@${input.agencyCode}`,
          correlationId,
        },
        { role: created.role, agencyCode: created.agency_code },
      );
      return created;
    });
    return { ...view(row), oneTimePassword: password };
  }

  /** Disables (its sessions end at their next refresh: every refresh token is revoked) or re-enables an account. */
  async setDisabled(id: string, disabled: boolean, by: AuthUser, correlationId: string): Promise<StaffAccount> {
    const row = await this.ds.transaction(async (m) => {
      const target = await this.targetOf(m, id, by);
      await m.query('UPDATE staff_accounts SET disabled_at = $2 WHERE id = $1', [
        id,
        disabled ? (target.disabled_at ?? this.clock.now()) : null,
      ]);
      if (disabled) await this.revokeSessions(m, id);
      await recordAudit(m, this.logger, {
        action: disabled ? 'staff.disable' : 'staff.enable',
        outcome: 'allowed',
        actor: { sub: by.sub, role: by.role },
        resource: `staff:${target.username}`,
        correlationId,
      });
      return (await this.byId(m, id, false)) as StaffRow;
    });
    return view(row);
  }

  /**
   * A forgotten password or a lost phone: a new one-time password (to be changed at the next sign-in), TOTP and
   * recovery codes removed (the owner enrols again), every session ended, the username's throttling forgotten.
   */
  async reset(id: string, by: AuthUser, correlationId: string): Promise<StaffAccount & { oneTimePassword: string }> {
    const { row, password } = await this.ds.transaction(async (m) => {
      const target = await this.targetOf(m, id, by);
      const password = oneTimePassword(target.username);
      await m.query(
        `UPDATE staff_accounts SET password_hash = $2, must_change_password = true, password_changed_at = $3,
           totp_secret_enc = NULL, totp_pending_enc = NULL, totp_enabled_at = NULL, totp_last_step = NULL,
           totp_enrol_token_hash = NULL, totp_enrol_expires_at = NULL
         WHERE id = $1`,
        [id, await hashPassword(password), this.clock.now()],
      );
      await m.query('DELETE FROM staff_recovery_codes WHERE staff_id = $1', [id]);
      await this.revokeSessions(m, id);
      await recordAudit(m, this.logger, {
        action: 'staff.reset',
        outcome: 'allowed',
        actor: { sub: by.sub, role: by.role },
        resource: `staff:${target.username}`,
        correlationId,
      });
      return { row: (await this.byId(m, id, false)) as StaffRow, password };
    });
    await this.throttle.forget(row.username);
    return { ...view(row), oneTimePassword: password };
  }

  async me(user: AuthUser): Promise<OwnAccount> {
    const row = await this.own(this.ds.manager, user, false);
    const [{ n } = { n: 0 }] = await this.ds.query<{ n: number }[]>(
      'SELECT count(*)::int AS n FROM staff_recovery_codes WHERE staff_id = $1 AND used_at IS NULL',
      [row.id],
    );
    return { ...view(row), recoveryCodesLeft: n };
  }

  /** Changes one's own password, the current one proving it is the owner (throttled like a sign-in). */
  async changeOwnPassword(
    user: AuthUser,
    currentPassword: string,
    newPassword: string,
    source: string,
    correlationId: string,
  ): Promise<void> {
    const row = await this.reauthenticate(user, currentPassword, source, 'staff.password.change', correlationId);
    this.checkNewPassword(newPassword, currentPassword, row.username);
    const passwordHash = await hashPassword(newPassword);
    await this.ds.transaction(async (m) => {
      await m.query(
        `UPDATE staff_accounts SET password_hash = $2, must_change_password = false, password_changed_at = $3,
           totp_enrol_token_hash = NULL, totp_enrol_expires_at = NULL WHERE id = $1`,
        [row.id, passwordHash, this.clock.now()],
      );
      await recordAudit(m, this.logger, {
        action: 'staff.password.change',
        outcome: 'allowed',
        actor: this.actorOf(user),
        correlationId,
      });
    });
  }

  /**
   * Starts TOTP enrolment: a new secret, kept (encrypted) as pending until a code from it is confirmed. The secret is
   * returned here once; afterwards it is never returned or logged.
   */
  async startTotp(
    user: AuthUser,
    password: string,
    source: string,
    correlationId: string,
  ): Promise<{ otpauthUri: string; secret: string }> {
    const row = await this.reauthenticate(user, password, source, 'staff.totp.enrol', correlationId);
    if (row.totp_enabled_at) {
      throw new ConflictException('TOTP is already on for this account; an operator reset removes it');
    }
    const { secret, uri } = newTotpSecret(row.username);
    await this.ds.transaction(async (m) => {
      await m.query('UPDATE staff_accounts SET totp_pending_enc = $2 WHERE id = $1', [
        row.id,
        this.box.seal(row.id, secret),
      ]);
      await recordAudit(m, this.logger, {
        action: 'staff.totp.enrol',
        outcome: 'allowed',
        actor: this.actorOf(user),
        reason: 'started',
        correlationId,
      });
    });
    return { otpauthUri: uri, secret };
  }

  /** Turns TOTP on with a first code from the app; the recovery codes are returned once and stored hashed. */
  async confirmTotp(user: AuthUser, code: string, correlationId: string): Promise<{ recoveryCodes: string[] }> {
    const now = this.clock.now();
    const codes = newRecoveryCodes();
    const actor = this.actorOf(user);
    const result = await this.ds.transaction(async (m) => {
      const row = await this.own(m, user, true);
      return this.confirmPending(m, row, code, codes, now, { actor, reason: 'confirmed', correlationId });
    });
    if (result !== 'ok') {
      if (result === 'enabled') throw new ConflictException('TOTP is already on for this account');
      if (result === 'not-started') throw new ConflictException('no TOTP enrolment is in progress: start one first');
      throw new BadRequestException('wrong code: check the time on the phone and enter the current code');
    }
    return { recoveryCodes: codes };
  }

  /**
   * A first code for the account's pending secret: TOTP turns on (the enrolment is recorded as allowed with
   * `audit.reason`), or the refusal is recorded. A refusal changes nothing else but commits, so its record is written
   * in the caller's transaction `m`.
   */
  private async confirmPending(
    m: EntityManager,
    row: { id: string; username: string; totp_enabled_at: Date | null; totp_pending_enc: string | null },
    code: string,
    codes: string[],
    now: Date,
    audit: { actor: AuditEntry['actor']; reason: string; correlationId: string },
  ): Promise<'ok' | 'enabled' | 'not-started' | 'wrong'> {
    const { actor, correlationId } = audit;
    const refuse = async (reason: 'enabled' | 'not-started' | 'wrong') => {
      await recordAudit(m, this.logger, {
        action: 'staff.totp.enrol',
        outcome: 'denied',
        actor,
        reason,
        correlationId,
      });
      return reason;
    };
    if (row.totp_enabled_at) return refuse('enabled');
    if (!row.totp_pending_enc) return refuse('not-started');
    const secret = this.openSecret(row.id, row.totp_pending_enc);
    const step = secret === null ? null : totpStep(row.username, secret, code, now);
    if (step === null) return refuse('wrong');
    await this.turnTotpOn(m, row.id, step, codes, now);
    await recordAudit(m, this.logger, {
      action: 'staff.totp.enrol',
      outcome: 'allowed',
      actor,
      reason: audit.reason,
      correlationId,
    });
    return 'ok';
  }

  /**
   * The pending secret becomes the account's, the confirming code's step counts as used, the recovery codes are
   * replaced, and an outstanding enrolment token is spent.
   */
  private async turnTotpOn(m: EntityManager, id: string, step: number, codes: string[], now: Date): Promise<void> {
    await m.query(
      `UPDATE staff_accounts SET totp_secret_enc = totp_pending_enc, totp_pending_enc = NULL, totp_enabled_at = $2,
         totp_last_step = $3, totp_enrol_token_hash = NULL, totp_enrol_expires_at = NULL WHERE id = $1`,
      [id, now, step],
    );
    await m.query('DELETE FROM staff_recovery_codes WHERE staff_id = $1', [id]);
    await m.query(
      `INSERT INTO staff_recovery_codes (staff_id, code_hash, created_at) SELECT $1, h, $3 FROM unnest($2::text[]) h`,
      [id, codes.map(hashRecoveryCode), now],
    );
  }

  /** The account an enrolment token was issued to, locked; refused (401) once expired, spent, disabled or reset. */
  private async byEnrolmentToken(m: EntityManager, token: string): Promise<StaffRow> {
    const rows = await m.query<StaffRow[]>(
      `SELECT ${STAFF_COLUMNS} FROM staff_accounts
        WHERE totp_enrol_token_hash = $1 AND totp_enrol_expires_at > $2 FOR UPDATE`,
      [hashEnrolmentToken(token), this.clock.now()],
    );
    const row = rows[0];
    if (!row || row.disabled_at || row.must_change_password) throw new UnauthorizedException(ENROLMENT_INVALID);
    return row;
  }

  private async reauthenticate(
    user: AuthUser,
    password: string,
    source: string,
    action: string,
    correlationId: string,
  ): Promise<StaffRow> {
    const row = await this.own(this.ds.manager, user, false);
    await this.throttle.begin(row.username, source);
    if (!(await verify(row.password_hash, password).catch(() => false))) {
      await this.throttle.failed(row.username, source);
      await this.auditApart({
        action,
        outcome: 'denied',
        actor: this.actorOf(user),
        reason: 'wrong password',
        correlationId,
      });
      throw new ForbiddenException('the current password is wrong');
    }
    await this.throttle.succeeded(row.username, source);
    return row;
  }

  private checkNewPassword(newPassword: string, oldPassword: string, username: string): void {
    const problem =
      newPassword === oldPassword
        ? 'the new password must differ from the current one'
        : passwordProblem(newPassword, username);
    if (problem) {
      throw new BadRequestException({
        statusCode: 400,
        error: 'Bad Request',
        message: `newPassword: ${problem}`,
        issues: [{ path: ['newPassword'], message: problem }],
      });
    }
  }

  private async denySecondFactor(row: StaffRow, source: string, reason: string, correlationId: string): Promise<never> {
    await this.throttle.failed(row.username, source);
    await this.auditApart({
      action: 'signin.staff',
      outcome: 'denied',
      actor: { sub: `${row.role}:${row.username}`, role: row.role },
      reason,
      correlationId,
    });
    throw new NextStepRequired(401, 'wrong or already used code', 'totp');
  }

  /** The account an operator acts on: it must exist and must not be the operator's own (no locking oneself out). */
  private async targetOf(m: EntityManager, id: string, by: AuthUser): Promise<StaffRow> {
    const target = await this.byId(m, id, true);
    if (!target) throw new NotFoundException(`no staff account ${id}`);
    if (`${target.role}:${target.username}` === by.sub) {
      throw new ForbiddenException('operators cannot disable or reset their own account');
    }
    return target;
  }

  private async own(m: EntityManager, user: AuthUser, lock: boolean): Promise<StaffRow> {
    const username = user.sub.slice(user.sub.indexOf(':') + 1);
    const row = await this.byUsername(m, username, lock);
    // A token outlives a disable by up to its lifetime: such a token changes nothing here.
    if (!row || row.role !== user.role || row.disabled_at)
      throw new UnauthorizedException('this account is not active');
    return row;
  }

  private async byUsername(m: EntityManager, username: string, lock = false): Promise<StaffRow | undefined> {
    const rows = await m.query<StaffRow[]>(
      `SELECT ${STAFF_COLUMNS} FROM staff_accounts WHERE username = $1${lock ? ' FOR UPDATE' : ''}`,
      [username],
    );
    return rows[0];
  }

  private async byId(m: EntityManager, id: string, lock: boolean): Promise<StaffRow | undefined> {
    const rows = await m.query<StaffRow[]>(
      `SELECT ${STAFF_COLUMNS} FROM staff_accounts WHERE id = $1${lock ? ' FOR UPDATE' : ''}`,
      [id],
    );
    return rows[0];
  }

  private async revokeSessions(m: EntityManager, staffId: string): Promise<void> {
    await m.query(
      `UPDATE refresh_tokens SET revoked_at = $2 WHERE subject_type = 'staff' AND subject_id = $1 AND revoked_at IS NULL`,
      [staffId, this.clock.now()],
    );
  }

  /**
   * The TOTP secret, or null when it no longer opens (STAFF_TOTP_KEY was changed): the code is then refused like a
   * wrong one, the log says why (never the secret), and recovery codes or an operator reset get the owner back in.
   */
  private openSecret(staffId: string, sealed: string): string | null {
    try {
      return this.box.open(staffId, sealed);
    } catch {
      this.logger.error({ staffId }, 'a staff TOTP secret cannot be decrypted: was STAFF_TOTP_KEY changed?');
      return null;
    }
  }

  private dummy(): Promise<string> {
    this.dummyHash ??= hashPassword('not-a-real-password-only-for-timing');
    return this.dummyHash;
  }

  private actorOf(user: AuthUser): AuditEntry['actor'] {
    return { sub: user.sub, role: user.role };
  }

  /** A refusal: the request fails, so its record is a short transaction of its own that commits. */
  private auditApart(entry: AuditEntry): Promise<void> {
    return recordAuditApart(this.ds, this.logger, entry);
  }
}
