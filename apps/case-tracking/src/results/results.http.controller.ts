import { createHash } from 'node:crypto';
import {
  Body,
  Controller,
  Get,
  HttpCode,
  Inject,
  NotFoundException,
  Param,
  Post,
  Res,
  ConflictException,
} from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { DataSource } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import { z } from 'zod';
import { CurrentUser, Roles, type AuthUser } from '@hoso/auth';
import { MessagingService } from '@hoso/messaging';
import type { Logger } from 'pino';
import { ApiZodBody, CorrelationId, recordAudit, zodBody } from '@hoso/nest-kit';
import { CaseAccess } from '../cases/case-access';
import { CaseMoves } from '../cases/case-moves';
import { caseView } from '../cases/case.store';
import { CaseQueues } from '../jobs/case-queues';
import { CommittedEffects } from '../jobs/committed-effects';
import { decideNotification } from '../notifications/case-notifications';
import type { Config } from '../config';
import { CASE_CONFIG, CLOCK, ROOT_LOGGER, type Clock } from '../tokens';
import { renderResultPdf, type ResultData } from './result-pdf';
import { ResultSigner, type SignedFields } from './result-signing';
import { RESULT_STORAGE, type ResultStorage } from './result-storage';
import { newVerificationCode, verificationUrl } from './verification-code';

const Rating = z.strictObject({
  score: z.number().int().min(1).max(5),
  comment: z.string().trim().max(2000).optional(),
});

const Revocation = z.strictObject({
  reason: z.string().trim().min(3).max(1000),
});

/** Issuing and delivering the result, completion, and the citizen's rating. */
@ApiTags('cases')
@ApiBearerAuth()
@Controller('cases')
export class ResultsController {
  constructor(
    private readonly messaging: MessagingService,
    private readonly effects: CommittedEffects,
    private readonly moves: CaseMoves,
    private readonly access: CaseAccess,
    private readonly queues: CaseQueues,
    private readonly ds: DataSource,
    @Inject(RESULT_STORAGE) private readonly storage: ResultStorage,
    private readonly signer: ResultSigner,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(CASE_CONFIG) private readonly config: Config,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {}

  @Post(':id/result')
  @HttpCode(200)
  @Roles('officer')
  async issue(@Param('id') id: string, @CurrentUser() user: AuthUser, @CorrelationId() correlationId: string) {
    const c = await this.access.forAgency(this.ds, id, user, 'case.issue-result');
    if (!c.outcome || (c.status !== 'APPROVED' && c.status !== 'REJECTED'))
      throw new ConflictException(
        `cannot issue the result of a case that is ${c.status}: a decision must be taken first`,
      );
    const [decision] = await this.ds.query<{ reason: string | null }[]>(
      `SELECT reason FROM case_history WHERE case_id = $1 AND kind = 'MOVE' AND to_status = $2 ORDER BY id DESC LIMIT 1`,
      [c.id, c.outcome],
    );
    const code = newVerificationCode();
    const url = verificationUrl(this.config.portalPublicUrl, code);
    const data: ResultData = {
      caseId: c.id,
      dossierId: c.dossier_id,
      receiptCode: c.receipt_code,
      procedureCode: c.procedure_code,
      agencyCode: c.agency_code,
      outcome: c.outcome,
      reason: decision?.reason ?? null,
      issuedAt: this.clock.now().toISOString(),
      verification: { code, url },
    };
    // The agency's key first (made on its first result): a key that cannot be had stops the issue before any file.
    const key = await this.signer.currentKey(c.agency_code);
    // The file is written before the move; if the move loses a race the orphan file is harmless (never linked).
    const pdf = await renderResultPdf(data);
    const resultId = uuidv7();
    await this.storage.put(resultId, pdf);
    // The hash covers the stored bytes as they are; the signature covers the hash and the result's public facts
    // and lives in the database, outside the hashed bytes.
    const sha256 = createHash('sha256').update(pdf).digest('hex');
    const fields: SignedFields = {
      code,
      documentHash: sha256,
      agencyCode: c.agency_code,
      procedureCode: c.procedure_code,
      issuedAt: data.issuedAt,
      receiptCode: c.receipt_code,
      kid: key.kid,
    };
    const signature = this.signer.sign(key, fields);
    const updated = await this.effects.transaction(async (m, defer) => {
      const moved = await this.moves.move(
        m,
        c,
        { kind: 'issue-result' },
        {
          actor: { kind: 'officer', id: user.sub },
          reason: null,
          correlationId,
          causationId: null,
          set: { result_id: resultId, result_sha256: sha256, verification_code: code },
          defer,
        },
      );
      // Written with the move: a move that loses its race leaves no record that would verify an unlinked file.
      await m.query(
        `INSERT INTO signed_results (code, case_id, result_id, document_hash, agency_code, procedure_code,
           receipt_code, issued_at, kid, signature)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
        [
          code,
          c.id,
          resultId,
          sha256,
          fields.agencyCode,
          fields.procedureCode,
          fields.receiptCode,
          fields.issuedAt,
          key.kid,
          signature,
        ],
      );
      // Decided with the move, sent after its commit: a move that loses its race tells the citizen nothing.
      const notification = await decideNotification(m, {
        caseId: c.id,
        recipientPersonalId: c.applicant_personal_id,
        dossierId: c.dossier_id,
        channel: 'EMAIL',
        kind: 'RESULT_ISSUED',
        subject: `Hồ sơ ${c.receipt_code} đã có kết quả`,
        body: `Kết quả: ${c.outcome}. Mã xác thực: ${code} (kiểm tra tại ${url})`,
      });
      defer(() => this.queues.enqueueNotification(notification));
      // In the move's transaction, last: a result that loses its race leaves no record of an issue.
      await recordAudit(
        m,
        this.logger,
        {
          action: 'case.issue-result',
          outcome: 'allowed',
          actor: { sub: user.sub, role: user.role },
          resource: `case:${c.id}`,
          correlationId,
        },
        { dossierId: c.dossier_id, outcome: c.outcome, verificationCode: code, documentHash: sha256, kid: key.kid },
      );
      return moved;
    });
    return caseView(updated);
  }

  @Get(':id/result')
  async download(@Param('id') id: string, @CurrentUser() user: AuthUser, @Res() res: Response) {
    const c = await this.access.forReader(this.ds, id, user, 'case.result.download');
    const bytes = c.result_id ? await this.storage.get(c.result_id) : null;
    if (!bytes || !c.result_sha256) throw new NotFoundException('no result issued for this case');
    res
      .status(200)
      .set({
        'content-type': 'application/pdf',
        'content-disposition': `attachment; filename="${c.receipt_code}.pdf"`,
        'x-content-sha256': c.result_sha256,
        // Results issued before signing began have no code (and no public verification).
        ...(c.verification_code ? { 'x-verification-code': c.verification_code } : {}),
      })
      .send(bytes);
  }

  /**
   * Withdraws the trust in an issued result (issued in error, superseded, obtained by fraud): the public
   * verification then answers `revoked`. Officers of the issuing agency only; the reason is kept and audited.
   */
  @Post(':id/result/revocation')
  @HttpCode(200)
  @Roles('officer')
  @ApiZodBody(Revocation)
  async revoke(
    @Param('id') id: string,
    @Body(zodBody(Revocation)) body: z.output<typeof Revocation>,
    @CurrentUser() user: AuthUser,
    @CorrelationId() correlationId: string,
  ) {
    const c = await this.access.forAgency(this.ds, id, user, 'case.result.revoke');
    const revoked = await this.ds.transaction(async (m) => {
      // The issuing agency is the record's, not the case's current one: only it vouches for the document.
      const [row] = await m.query<{ code: string; agency_code: string; revoked_at: Date | null }[]>(
        `SELECT code, agency_code, revoked_at FROM signed_results WHERE case_id = $1 ORDER BY issued_at DESC LIMIT 1
         FOR UPDATE`,
        [c.id],
      );
      if (!row) throw new ConflictException('this case has no signed result to revoke');
      if (row.agency_code !== user.agencyCode) await this.access.deny(user, c.id, 'case.result.revoke', c);
      if (row.revoked_at) throw new ConflictException(`the result ${row.code} was already revoked`);
      const now = this.clock.now();
      await m.query(`UPDATE signed_results SET revoked_at = $2, revoked_by = $3, revoke_reason = $4 WHERE code = $1`, [
        row.code,
        now,
        user.sub,
        body.reason,
      ]);
      // Recorded with the revocation (its log line follows the append): never a record of one that rolled back.
      await recordAudit(m, this.logger, {
        action: 'case.result.revoke',
        outcome: 'allowed',
        actor: { sub: user.sub, role: user.role },
        resource: `${c.id}/result/${row.code}`,
        reason: body.reason,
        correlationId,
      });
      return { caseId: c.id, verificationCode: row.code, status: 'revoked' as const, revokedAt: now.toISOString() };
    });
    return revoked;
  }

  @Post(':id/complete')
  @HttpCode(200)
  @Roles('officer')
  async complete(@Param('id') id: string, @CurrentUser() user: AuthUser, @CorrelationId() correlationId: string) {
    return this.effects.transaction(async (m, defer) => {
      const c = await this.access.forAgency(m, id, user, 'case.complete');
      const now = this.clock.now();
      const done = await this.moves.move(
        m,
        c,
        { kind: 'complete' },
        {
          actor: { kind: 'officer', id: user.sub },
          reason: null,
          correlationId,
          causationId: null,
          set: { completed_at: now },
          defer,
        },
      );
      await this.messaging.outbox.add(
        m,
        'case.completed.v1',
        {
          dossierId: c.dossier_id,
          caseId: c.id,
          agencyCode: c.agency_code,
          procedureCode: c.procedure_code,
          provinceCode: c.province_code,
          outcome: c.outcome ?? 'REJECTED',
          receivedAt: new Date(c.received_at).toISOString(),
          dueAt: new Date(done.due_at).toISOString(),
          completedAt: now.toISOString(),
          onTime: now.getTime() <= new Date(done.due_at).getTime(),
          fullyOnline: c.fully_online,
          resultDocument: c.result_id && c.result_sha256 ? { id: c.result_id, sha256: c.result_sha256 } : null,
        },
        { dossierId: c.dossier_id, correlationId, causationId: null },
      );
      await recordAudit(
        m,
        this.logger,
        {
          action: 'case.complete',
          outcome: 'allowed',
          actor: { sub: user.sub, role: user.role },
          resource: `case:${c.id}`,
          correlationId,
        },
        { dossierId: c.dossier_id, outcome: c.outcome ?? null },
      );
      return caseView(done);
    });
  }

  @Post(':id/rating')
  @HttpCode(200)
  @Roles('citizen')
  @ApiZodBody(Rating)
  async rate(
    @Param('id') id: string,
    @Body(zodBody(Rating)) body: z.output<typeof Rating>,
    @CurrentUser() user: AuthUser,
    @CorrelationId() correlationId: string,
  ) {
    return this.messaging.transaction(async (m) => {
      const c = await this.access.forApplicant(m, id, user, 'case.rate');
      if (c.status !== 'COMPLETED')
        throw new ConflictException(`only a completed case can be rated; this one is ${c.status}`);
      const now = this.clock.now();
      // An UPDATE through the query runner answers [rows, affected count].
      const [rows] = await m.query<[unknown[], number]>(
        `UPDATE cases SET rating_score = $2, rating_comment = $3, rated_at = $4, version = version + 1
         WHERE id = $1 AND rating_score IS NULL RETURNING id`,
        [c.id, body.score, body.comment ?? null, now],
      );
      if (!rows.length) throw new ConflictException('this case has already been rated');
      await this.messaging.outbox.add(
        m,
        'case.rated.v1',
        {
          dossierId: c.dossier_id,
          caseId: c.id,
          agencyCode: c.agency_code,
          procedureCode: c.procedure_code,
          provinceCode: c.province_code,
          score: body.score,
          comment: body.comment ?? null,
          ratedAt: now.toISOString(),
        },
        { dossierId: c.dossier_id, correlationId, causationId: null },
      );
      return { caseId: c.id, score: body.score, comment: body.comment ?? null, ratedAt: now.toISOString() };
    });
  }
}
