import { randomUUID } from 'node:crypto';
import { Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import type { Logger } from 'pino';
import { DataSource, type EntityManager } from 'typeorm';
import { audit, recordAudit } from '@hoso/nest-kit';
import { CLOCK, type Clock } from '../../clock';
import type { Config } from '../../config';
import { CONFIG, ROOT_LOGGER } from '../../core';
import { findCitizen } from '../../registry/citizen.repository';
import { claimsFor, SessionService, type TokenPair } from '../../tokens/session.service';
import { generateOtp, hashOtp, maskPersonalId, OTP_MAX_ATTEMPTS, otpMatches } from './otp';
import { OTP_DELIVERY, type OtpDelivery } from './otp-delivery';
import {
  bucketsFor,
  CitizenSignInLimits,
  limitedReason,
  SignInLimited,
  type LimitScope,
  type SignInOrigin,
} from './sign-in-limits';

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

type Actor = { sub: string; role: string };

type ExchangeDecision =
  | { kind: 'ok'; actor: Actor; pair: TokenPair }
  | { kind: 'limited'; actor: Actor | null; retryAfterSec: number; scopes: LimitScope[] }
  | { kind: 'unknown'; actor: null }
  | { kind: 'dead' | 'expired'; actor: Actor }
  | { kind: 'wrong'; actor: Actor; left: number };

/**
 * VNeID-style citizen sign-in: a one-time code sent to the citizen, exchanged for tokens.
 *
 * An ID that cannot sign in (not in the registry, deceased, or without a VNeID account) gets the same 202 and a
 * challenge row like any other, but no code is generated or sent: the answer does not tell a caller whether an ID
 * exists, and such a challenge fails exactly like a wrong code, attempts and rate limits included.
 *
 * Requests are limited per (personal ID, device), personal ID, device and address (`sign-in-limits.ts`); the per-ID
 * limit never applies to a device the citizen has signed in from, so a stranger who knows an ID cannot lock its
 * citizen out. A limited request answers 429 and changes nothing: no challenge, no code, no attempt counted.
 */
@Injectable()
export class CitizenSignInHandler {
  constructor(
    @Inject(DataSource) private readonly ds: DataSource,
    @Inject(SessionService) private readonly sessions: SessionService,
    @Inject(OTP_DELIVERY) private readonly delivery: OtpDelivery,
    @Inject(CitizenSignInLimits) private readonly limits: CitizenSignInLimits,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(CONFIG) private readonly config: Config,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {}

  async startChallenge(personalId: string, from: SignInOrigin, correlationId: string): Promise<ChallengeCreated> {
    const now = this.clock.now();
    const expiresAt = new Date(now.getTime() + this.config.OTP_TTL_SEC * 1000);
    const actor = { sub: `citizen:${maskPersonalId(personalId)}`, role: 'citizen' };
    // Every outcome commits (a refusal returns rather than throws), so a refusal is recorded in this transaction,
    // last. A code sent is only logged: it is a step of the sign-in, which the exchange records (one append per
    // citizen sign-in, not two, on the path of every dossier).
    const outcome = await this.ds.transaction(async (m) => {
      const known = await this.limits.isKnownDevice(m, personalId, from.device);
      const taken = await this.limits.take(m, bucketsFor('challenge', personalId, from, known), now);
      if (!taken.ok) {
        await recordAudit(m, this.logger, {
          action: 'signin.otp-challenge',
          outcome: 'denied',
          actor,
          reason: limitedReason(taken.scopes),
          correlationId,
        });
        return { kind: 'limited' as const, retryAfterSec: taken.retryAfterSec };
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
    if (outcome.kind === 'limited') throw new SignInLimited(outcome.retryAfterSec, 'challenge');
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

  async exchange(challengeId: string, code: string, from: SignInOrigin, correlationId: string): Promise<TokenPair> {
    const now = this.clock.now();
    // Every outcome commits (a refusal returns rather than throws: the attempt count must stay), so the sign-in and
    // its failures are recorded in this transaction, as its last statement (one append per sign-in: on the path of
    // every citizen's dossier, but a sign-in is exactly what the trail is for).
    const outcome = await this.ds.transaction(async (m) => {
      const decided = await this.decideExchange(m, challengeId, code, from, now);
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
              actor: decided.actor,
              reason: decided.kind === 'limited' ? limitedReason(decided.scopes) : decided.kind,
              resource: `otp-challenge:${challengeId}`,
              correlationId,
            },
      );
      return decided;
    });
    if (outcome.kind === 'ok') return outcome.pair;
    if (outcome.kind === 'limited') throw new SignInLimited(outcome.retryAfterSec, 'exchange');
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

  /**
   * The exchange's decision under the challenge's row lock. The attempt is counted in the failure limits before the
   * code is compared (so concurrent guesses cannot slip past, and a refusal says nothing about the code), then given
   * back unless it failed: a wrong code, or a challenge id that does not exist. A wrong code is also counted on the
   * challenge; a right one consumes it.
   */
  private async decideExchange(
    m: EntityManager,
    challengeId: string,
    code: string,
    from: SignInOrigin,
    now: Date,
  ): Promise<ExchangeDecision> {
    const [c] = await m.query<ChallengeRow[]>(
      `SELECT personal_id, code_hash, attempts, expires_at, consumed_at FROM otp_challenges WHERE id = $1 FOR UPDATE`,
      [challengeId],
    );
    const personalId = c?.personal_id ?? null;
    const actor = personalId === null ? null : { sub: `citizen:${maskPersonalId(personalId)}`, role: 'citizen' };
    const known = personalId !== null && (await this.limits.isKnownDevice(m, personalId, from.device));
    const failures = bucketsFor('exchange', personalId, from, known);
    const taken = await this.limits.take(m, failures, now);
    if (!taken.ok) return { kind: 'limited', actor, retryAfterSec: taken.retryAfterSec, scopes: taken.scopes };
    if (!c || !actor) return { kind: 'unknown', actor: null };
    if (c.consumed_at || c.attempts >= OTP_MAX_ATTEMPTS || c.expires_at.getTime() <= now.getTime()) {
      await this.limits.giveBack(m, failures, now);
      return { kind: c.consumed_at || c.attempts >= OTP_MAX_ATTEMPTS ? 'dead' : 'expired', actor };
    }
    if (!c.code_hash || !otpMatches(this.config.otpSecret, challengeId, code, c.code_hash)) {
      // An UPDATE through TypeORM answers [rows, affected count].
      const [row] = await m.query<[{ attempts: number }[], number]>(
        'UPDATE otp_challenges SET attempts = attempts + 1 WHERE id = $1 RETURNING attempts',
        [challengeId],
      );
      const attempts = row[0]?.attempts ?? OTP_MAX_ATTEMPTS;
      return { kind: 'wrong', actor, left: Math.max(0, OTP_MAX_ATTEMPTS - attempts) };
    }
    await this.limits.giveBack(m, failures, now);
    await m.query('UPDATE otp_challenges SET consumed_at = $2 WHERE id = $1', [challengeId, now]);
    const subject = { type: 'citizen' as const, id: c.personal_id };
    // Checked again at exchange: the registry may have changed since the code was sent.
    const claims = await claimsFor(m, subject);
    if (!claims) return { kind: 'dead', actor };
    await this.limits.signedIn(m, c.personal_id, failures, from, now);
    return { kind: 'ok', actor, pair: await this.sessions.open(m, subject, claims) };
  }
}
