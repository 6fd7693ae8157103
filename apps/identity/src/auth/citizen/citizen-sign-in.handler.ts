import { randomUUID } from 'node:crypto';
import { HttpException, HttpStatus, Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import type { Logger } from 'pino';
import { DataSource, type EntityManager } from 'typeorm';
import { audit, recordAudit } from '@hoso/nest-kit';
import { CLOCK, type Clock } from '../../clock';
import type { Config } from '../../config';
import { CONFIG, ROOT_LOGGER } from '../../core';
import { findCitizen } from '../../registry/citizen.repository';
import { claimsFor, SessionService, type TokenPair } from '../../tokens/session.service';
import {
  generateOtp,
  hashOtp,
  maskPersonalId,
  OTP_MAX_ATTEMPTS,
  OTP_MAX_CHALLENGES_PER_WINDOW,
  OTP_RATE_WINDOW_SEC,
  otpMatches,
} from './otp';
import { OTP_DELIVERY, type OtpDelivery } from './otp-delivery';

export interface ChallengeCreated {
  challengeId: string;
  expiresAt: string;
}

interface ChallengeRow {
  personal_id: string;
  code_hash: string | null;
  attempts: number;
  expires_at: Date;
  consumed_at: Date | null;
}

const INVALID_CODE = 'invalid or expired code';

/**
 * VNeID-style citizen sign-in: a one-time code sent to the citizen, exchanged for tokens.
 *
 * An ID that cannot sign in (not in the registry, deceased, or without a VNeID account) gets the same 202 and a
 * challenge row like any other, but no code is generated or sent: the answer does not tell a caller whether an ID
 * exists, and such a challenge fails exactly like a wrong code, attempts and rate limit included.
 */
@Injectable()
export class CitizenSignInHandler {
  constructor(
    @Inject(DataSource) private readonly ds: DataSource,
    @Inject(SessionService) private readonly sessions: SessionService,
    @Inject(OTP_DELIVERY) private readonly delivery: OtpDelivery,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(CONFIG) private readonly config: Config,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {}

  async startChallenge(personalId: string, correlationId: string): Promise<ChallengeCreated> {
    const now = this.clock.now();
    const expiresAt = new Date(now.getTime() + this.config.OTP_TTL_SEC * 1000);
    const actor = { sub: `citizen:${maskPersonalId(personalId)}`, role: 'citizen' };
    // Every outcome commits (a refusal returns rather than throws), so a refusal is recorded in this transaction,
    // last. A code sent is only logged: it is a step of the sign-in, which the exchange records (one append per
    // citizen sign-in, not two, on the path of every dossier).
    const outcome = await this.ds.transaction(async (m) => {
      // Serialises challenges for one ID, so two concurrent requests cannot both slip under the limit.
      await m.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`identity:otp:${personalId}`]);
      const since = new Date(now.getTime() - OTP_RATE_WINDOW_SEC * 1000);
      const [recent] = await m.query<{ n: number; oldest: Date | null }[]>(
        `SELECT count(*)::int AS n, min(created_at) AS oldest FROM otp_challenges
          WHERE personal_id = $1 AND created_at > $2`,
        [personalId, since],
      );
      if (recent && recent.n >= OTP_MAX_CHALLENGES_PER_WINDOW) {
        const retryAt = new Date((recent.oldest ?? now).getTime() + OTP_RATE_WINDOW_SEC * 1000);
        await recordAudit(m, this.logger, {
          action: 'signin.otp-challenge',
          outcome: 'denied',
          actor,
          reason: 'rate limited',
          correlationId,
        });
        return {
          kind: 'limited' as const,
          retryAfterSec: Math.max(1, Math.ceil((retryAt.getTime() - now.getTime()) / 1000)),
        };
      }
      const citizen = await findCitizen(m, personalId);
      const eligible = citizen !== null && !citizen.deceased && citizen.vneidLevel > 0;
      const challengeId = randomUUID();
      const code = eligible ? generateOtp() : null;
      await m.query(
        `INSERT INTO otp_challenges (id, personal_id, code_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)`,
        [challengeId, personalId, code ? hashOtp(this.config.otpSecret, challengeId, code) : null, now, expiresAt],
      );
      const entry = {
        action: 'signin.otp-challenge',
        actor,
        resource: `otp-challenge:${challengeId}`,
        correlationId,
      };
      if (code) audit(this.logger, { ...entry, outcome: 'allowed' });
      else {
        await recordAudit(m, this.logger, {
          ...entry,
          outcome: 'denied',
          reason: 'not eligible (unknown, deceased or no VNeID account): no code sent',
        });
      }
      return { kind: 'created' as const, challengeId, code, phone: citizen?.phone ?? null };
    });
    if (outcome.kind === 'limited') {
      throw new HttpException(
        {
          statusCode: 429,
          error: 'Too Many Requests',
          message: `too many codes requested for this personal ID: at most ${OTP_MAX_CHALLENGES_PER_WINDOW} every ${OTP_RATE_WINDOW_SEC / 60} minutes; try again in ${outcome.retryAfterSec} s`,
          retryAfterSec: outcome.retryAfterSec,
        },
        HttpStatus.TOO_MANY_REQUESTS,
      );
    }
    if (outcome.code) {
      await this.delivery.deliver({
        personalId,
        challengeId: outcome.challengeId,
        code: outcome.code,
        expiresAt,
        phone: outcome.phone,
      });
    }
    return { challengeId: outcome.challengeId, expiresAt: expiresAt.toISOString() };
  }

  async exchange(challengeId: string, code: string, correlationId: string): Promise<TokenPair> {
    const now = this.clock.now();
    // Every outcome commits (a refusal returns rather than throws: the attempt count must stay), so the sign-in and
    // its failures are recorded in this transaction, as its last statement (one append per sign-in: on the path of
    // every citizen's dossier, but a sign-in is exactly what the trail is for).
    const outcome = await this.ds.transaction(async (m) => {
      const decided = await this.decideExchange(m, challengeId, code, now);
      await recordAudit(
        m,
        this.logger,
        decided.kind === 'ok'
          ? {
              action: 'signin.citizen',
              outcome: 'allowed',
              actor: decided.actor,
              resource: `otp-challenge:${challengeId}`,
              correlationId,
            }
          : {
              action: 'signin.citizen',
              outcome: 'denied',
              actor: decided.kind === 'unknown' ? null : decided.actor,
              reason: decided.kind,
              resource: `otp-challenge:${challengeId}`,
              correlationId,
            },
      );
      return decided;
    });
    if (outcome.kind === 'ok') return outcome.pair;
    if (outcome.kind === 'wrong') {
      throw new UnauthorizedException(
        outcome.left > 0
          ? `wrong code: ${outcome.left} attempt(s) left`
          : 'wrong code: no attempts left, request a new code',
      );
    }
    throw new UnauthorizedException(
      outcome.kind === 'expired' ? 'code expired: request a new code' : `${INVALID_CODE}: request a new code`,
    );
  }

  /** The exchange's decision under the challenge's row lock (a wrong code is counted, a right one consumed). */
  private async decideExchange(m: EntityManager, challengeId: string, code: string, now: Date) {
    const [c] = await m.query<ChallengeRow[]>(
      `SELECT personal_id, code_hash, attempts, expires_at, consumed_at FROM otp_challenges WHERE id = $1 FOR UPDATE`,
      [challengeId],
    );
    if (!c) return { kind: 'unknown' as const };
    const actor = { sub: `citizen:${maskPersonalId(c.personal_id)}`, role: 'citizen' };
    if (c.consumed_at || c.attempts >= OTP_MAX_ATTEMPTS) return { kind: 'dead' as const, actor };
    if (c.expires_at.getTime() <= now.getTime()) return { kind: 'expired' as const, actor };
    if (!c.code_hash || !otpMatches(this.config.otpSecret, challengeId, code, c.code_hash)) {
      // An UPDATE through TypeORM answers [rows, affected count].
      const [row] = await m.query<[{ attempts: number }[], number]>(
        'UPDATE otp_challenges SET attempts = attempts + 1 WHERE id = $1 RETURNING attempts',
        [challengeId],
      );
      const attempts = row[0]?.attempts ?? OTP_MAX_ATTEMPTS;
      return { kind: 'wrong' as const, actor, left: Math.max(0, OTP_MAX_ATTEMPTS - attempts) };
    }
    await m.query('UPDATE otp_challenges SET consumed_at = $2 WHERE id = $1', [challengeId, now]);
    const subject = { type: 'citizen' as const, id: c.personal_id };
    // Checked again at exchange: the registry may have changed since the code was sent.
    const claims = await claimsFor(m, subject);
    if (!claims) return { kind: 'dead' as const, actor };
    return { kind: 'ok' as const, actor, pair: await this.sessions.open(m, subject, claims) };
  }
}
