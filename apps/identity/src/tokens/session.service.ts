import { createHash, randomBytes } from 'node:crypto';
import { Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import type { Logger } from 'pino';
import { DataSource, type EntityManager } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import type { AccessClaims } from '@hoso/auth';
import { audit, recordAudit, type AuditEntry } from '@hoso/nest-kit';
import { CLOCK, type Clock } from '../clock';
import type { Config } from '../config';
import { CONFIG, ROOT_LOGGER } from '../core';
import { totpRequiredFor } from '../auth/staff/second-factor';
import { findCitizen, type Sql } from '../registry/citizen.repository';
import { TokenSigner } from './token-signer.service';

export type Subject = { type: 'citizen'; id: string } | { type: 'staff'; id: string };

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
  tokenType: 'Bearer';
}

interface StaffClaimsRow {
  username: string;
  role: 'officer' | 'operator';
  agency_code: string | null;
  display_name: string;
}

interface RefreshRow {
  id: string;
  family_id: string;
  subject_type: Subject['type'];
  subject_id: string;
  expires_at: Date;
  revoked_at: Date | null;
  session_started_at: Date;
}

/** Refresh tokens are 256 random bits, so a plain SHA-256 is enough to make a stolen table useless. */
export const hashRefreshToken = (token: string): string => createHash('sha256').update(token).digest('hex');

/** Who a subject is right now; null when they may no longer sign in (citizen deceased, account disabled…). */
export async function claimsFor(sql: Sql, subject: Subject): Promise<AccessClaims | null> {
  if (subject.type === 'citizen') {
    const c = await findCitizen(sql, subject.id);
    if (!c || c.deceased || c.vneidLevel === 0) return null;
    return {
      sub: `citizen:${c.personalId}`,
      role: 'citizen',
      name: c.fullName,
      pid: c.personalId,
      vneid: c.vneidLevel,
    };
  }
  const rows: StaffClaimsRow[] = await sql.query(
    'SELECT username, role, agency_code, display_name FROM staff_accounts WHERE id = $1 AND disabled_at IS NULL',
    [subject.id],
  );
  const s = rows[0];
  if (!s) return null;
  return {
    sub: `${s.role}:${s.username}`,
    role: s.role,
    name: s.display_name,
    ...(s.agency_code ? { agency: s.agency_code } : {}),
  };
}

/**
 * Sign-in sessions: a short-lived access JWT plus an opaque refresh token. Refresh tokens rotate on every use and
 * belong to a family (one sign-in); presenting one that was already rotated means it was copied, so the whole family
 * is revoked and both the thief and the citizen must sign in again. Each token lives REFRESH_TOKEN_TTL_SEC, but never
 * past SESSION_MAX_LIFETIME_SEC after the sign-in: a stolen token kept fresh by refreshing dies with the session.
 */
@Injectable()
export class SessionService {
  constructor(
    @Inject(DataSource) private readonly ds: DataSource,
    @Inject(TokenSigner) private readonly signer: TokenSigner,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(CONFIG) private readonly config: Config,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {}

  /** Opens a session; `manager` is the sign-in's transaction, so the refresh token exists only if it commits. */
  async open(manager: EntityManager, subject: Subject, claims: AccessClaims): Promise<TokenPair> {
    const refreshToken = await this.insertRefreshToken(manager, subject, uuidv7(), this.clock.now());
    return this.pair(claims, refreshToken);
  }

  async refresh(token: string, correlationId: string): Promise<TokenPair> {
    const now = this.clock.now();
    // A refused refresh (a reused token revokes its whole session) is recorded in this transaction, which commits;
    // a granted one is only logged: it happens every access-token lifetime of every session and changes no right.
    const outcome = await this.ds.transaction(async (m) => {
      const decided = await this.decideRefresh(m, token, now);
      if (decided.kind !== 'ok') await recordAudit(m, this.logger, refusedRefresh(decided, correlationId));
      return decided;
    });
    if (outcome.kind === 'ok') {
      audit(this.logger, {
        action: 'token.refresh',
        outcome: 'allowed',
        actor: { sub: outcome.claims.sub, role: outcome.claims.role },
        correlationId,
      });
      return this.pair(outcome.claims, outcome.refreshToken);
    }
    throw new UnauthorizedException(
      outcome.kind === 'reused'
        ? 'refresh token already used: the session has been revoked, sign in again'
        : outcome.kind === 'session-ended'
          ? 'the session has reached its maximum lifetime, sign in again'
          : outcome.kind === 'totp-required'
            ? 'an authenticator app (TOTP) is now required for this account: sign in again to set it up'
            : 'invalid or expired refresh token',
    );
  }

  /** The refresh's decision under the token's row lock (a reused token revokes its family). */
  private async decideRefresh(m: EntityManager, token: string, now: Date) {
    const rows: RefreshRow[] = await m.query(
      `SELECT id, family_id, subject_type, subject_id, expires_at, revoked_at, session_started_at
         FROM refresh_tokens WHERE token_hash = $1 FOR UPDATE`,
      [hashRefreshToken(token)],
    );
    const row = rows[0];
    if (!row) return { kind: 'unknown' as const };
    const subject: Subject = { type: row.subject_type, id: row.subject_id };
    if (row.revoked_at) {
      await this.revokeFamily(m, row.family_id, now);
      return { kind: 'reused' as const, subject };
    }
    // Before expires_at (which never passes the session's end): the answer says that signing in again is the way,
    // and a SESSION_MAX_LIFETIME_SEC shortened since the token was issued applies to it too.
    if (this.sessionEnd(row.session_started_at).getTime() <= now.getTime()) {
      return { kind: 'session-ended' as const, subject };
    }
    if (row.expires_at.getTime() <= now.getTime()) return { kind: 'expired' as const, subject };
    const claims = await claimsFor(m, subject);
    if (!claims) {
      await this.revokeFamily(m, row.family_id, now);
      return { kind: 'ineligible' as const, subject };
    }
    // A session begun before STAFF_TOTP_REQUIRED applied to this account, or before a reset removed its TOTP, is
    // not kept alive without a second factor: the owner signs in again and enrols.
    if (
      (claims.role === 'officer' || claims.role === 'operator') &&
      !(await this.hasRequiredTotp(m, subject, claims.role))
    ) {
      await this.revokeFamily(m, row.family_id, now);
      return { kind: 'totp-required' as const, subject };
    }
    const next = await this.insertRefreshToken(m, subject, row.family_id, row.session_started_at);
    await m.query(
      `UPDATE refresh_tokens SET revoked_at = $2, replaced_by = (SELECT id FROM refresh_tokens WHERE token_hash = $3)
        WHERE id = $1`,
      [row.id, now, hashRefreshToken(next)],
    );
    return { kind: 'ok' as const, subject, claims, refreshToken: next };
  }

  /** Whether a staff account may hold a session under STAFF_TOTP_REQUIRED: not required for its role, or enrolled. */
  private async hasRequiredTotp(m: EntityManager, subject: Subject, role: 'officer' | 'operator'): Promise<boolean> {
    if (!totpRequiredFor(this.config.staffTotpRequired, role)) return true;
    const rows: unknown[] = await m.query(
      'SELECT 1 FROM staff_accounts WHERE id = $1 AND totp_enabled_at IS NOT NULL',
      [subject.id],
    );
    return rows.length > 0;
  }

  /** Ends the session the token belongs to. Idempotent: an unknown or already revoked token changes nothing. */
  async logout(token: string, correlationId: string): Promise<void> {
    const now = this.clock.now();
    const revoked = await this.ds.transaction(async (m) => {
      const rows: { family_id: string }[] = await m.query(
        'SELECT family_id FROM refresh_tokens WHERE token_hash = $1',
        [hashRefreshToken(token)],
      );
      const family = rows[0]?.family_id;
      if (!family) return false;
      await this.revokeFamily(m, family, now);
      await recordAudit(m, this.logger, { action: 'logout', outcome: 'allowed', actor: null, correlationId });
      return true;
    });
    // An unknown token ends nothing: logged, not recorded (anyone may send one, it changes no right).
    if (!revoked) audit(this.logger, { action: 'logout', outcome: 'failed', actor: null, correlationId });
  }

  private async revokeFamily(m: EntityManager, familyId: string, now: Date): Promise<void> {
    await m.query('UPDATE refresh_tokens SET revoked_at = $2 WHERE family_id = $1 AND revoked_at IS NULL', [
      familyId,
      now,
    ]);
  }

  /** When a session begun at `startedAt` ends, refreshes or not. */
  private sessionEnd(startedAt: Date): Date {
    return new Date(startedAt.getTime() + this.config.SESSION_MAX_LIFETIME_SEC * 1000);
  }

  private async insertRefreshToken(
    m: EntityManager,
    subject: Subject,
    familyId: string,
    sessionStartedAt: Date,
  ): Promise<string> {
    const token = randomBytes(32).toString('base64url');
    const now = this.clock.now();
    const idleEnd = now.getTime() + this.config.REFRESH_TOKEN_TTL_SEC * 1000;
    await m.query(
      `INSERT INTO refresh_tokens
         (id, token_hash, family_id, subject_type, subject_id, created_at, expires_at, session_started_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [
        uuidv7(),
        hashRefreshToken(token),
        familyId,
        subject.type,
        subject.id,
        now,
        new Date(Math.min(idleEnd, this.sessionEnd(sessionStartedAt).getTime())),
        sessionStartedAt,
      ],
    );
    return token;
  }

  private async pair(claims: AccessClaims, refreshToken: string): Promise<TokenPair> {
    return {
      accessToken: await this.signer.accessToken(claims),
      refreshToken,
      expiresIn: this.signer.accessTokenTtlSec,
      tokenType: 'Bearer',
    };
  }
}

/** The audit entry of a refused refresh. */
function refusedRefresh(
  outcome:
    | { kind: 'unknown' }
    | { kind: 'reused' | 'session-ended' | 'expired' | 'ineligible' | 'totp-required'; subject: Subject },
  correlationId: string,
): AuditEntry {
  return {
    action: 'token.refresh',
    outcome: 'denied',
    actor: null,
    reason:
      outcome.kind === 'reused'
        ? 'refresh token reused: session revoked'
        : outcome.kind === 'session-ended'
          ? 'session past its absolute lifetime'
          : outcome.kind,
    ...(outcome.kind !== 'unknown' ? { resource: `${outcome.subject.type}-session` } : {}),
    correlationId,
  };
}
