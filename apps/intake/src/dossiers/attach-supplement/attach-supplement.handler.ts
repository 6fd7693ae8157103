import { BadRequestException, ConflictException, Inject, Injectable, NotFoundException } from '@nestjs/common';
import type { Logger } from 'pino';
import { DataSource, type EntityManager } from 'typeorm';
import type { AuthUser } from '@hoso/auth';
import { recordAuditApart } from '@hoso/nest-kit';
import { APP_LOGGER } from '../../logger.token';
import { DossierRepository } from '../dossier.repository';
import { MAX_SUPPLEMENT_ATTACHMENTS_PER_DOSSIER, type AttachSupplementAnswer } from './attach-supplement.request';

interface Issue {
  path: string;
  message: string;
}

function invalid(message: string, issues: Issue[]): BadRequestException {
  return new BadRequestException({ statusCode: 400, error: 'Bad Request', message, issues });
}

/**
 * Links documents the applicant uploaded in answer to a supplement request to the dossier, so the agency's officers
 * can read and download them like the submitted ones. One transaction: every listed document is linked, or none.
 */
@Injectable()
export class AttachSupplementHandler {
  constructor(
    private readonly ds: DataSource,
    private readonly dossiers: DossierRepository,
    @Inject(APP_LOGGER) private readonly logger: Logger,
  ) {}

  async attach(
    dossierId: string,
    attachmentIds: readonly string[],
    user: AuthUser,
    correlationId: string,
  ): Promise<AttachSupplementAnswer> {
    return this.ds.transaction(async (m) => {
      // Locked: a status event projected at the same moment waits, so the documents are linked under the status
      // checked here, never just after the agency has moved on.
      const d = await this.dossiers.byId(dossierId, m, true);
      if (!d) throw new NotFoundException('no such dossier');
      if (d.applicant_personal_id !== user.personalId) {
        // Same answer as a missing dossier: a caller must not learn that someone else's dossier exists.
        // This transaction rolls back with the 404: the refusal is recorded in a short transaction of its own.
        await recordAuditApart(this.ds, this.logger, {
          action: 'dossier.attach-supplement',
          outcome: 'denied',
          actor: { sub: user.sub, role: user.role },
          resource: `dossier:${dossierId}`,
          reason: 'not the applicant',
          correlationId,
        });
        throw new NotFoundException('no such dossier');
      }

      // Locked in a fixed order, so a submission claiming the same documents waits and then finds them taken.
      const rows = await m.query<{ id: string; dossier_id: string | null }[]>(
        `SELECT id, dossier_id FROM attachments WHERE id = ANY($1::uuid[]) AND owner_sub = $2 ORDER BY id FOR UPDATE`,
        [attachmentIds, user.sub],
      );
      const claimedBy = new Map(rows.map((r) => [r.id, r.dossier_id]));
      const fresh = attachmentIds.filter((id) => claimedBy.get(id) === null);
      const bad = attachmentIds
        .map((id, i) => ({ id, i }))
        .filter(({ id }) => !claimedBy.has(id) || (claimedBy.get(id) !== null && claimedBy.get(id) !== dossierId));

      // A repeated request (e.g. the answer was lost) finds everything linked already: same answer, no change,
      // even if the agency has moved the dossier on since.
      if (fresh.length === 0 && bad.length === 0) return this.answer(m, dossierId);

      if (d.status !== 'SUPPLEMENT_REQUESTED') {
        throw new ConflictException(
          `documents can be added to a dossier only while the agency asks for a supplement; this dossier is ${d.status}`,
        );
      }
      if (bad.length > 0) {
        throw invalid(
          `Invalid attachments: ${bad.map(({ id }) => id).join(', ')} — unknown, not yours, or used by another dossier`,
          bad.map(({ id, i }) => ({
            path: `attachmentIds.${i}`,
            message: `${id} is unknown, not yours, or used by another dossier`,
          })),
        );
      }
      const [held] = await m.query<[{ n: number }]>(
        `SELECT count(*)::int AS n FROM attachments WHERE dossier_id = $1 AND purpose = 'SUPPLEMENT'`,
        [dossierId],
      );
      if (held.n + fresh.length > MAX_SUPPLEMENT_ATTACHMENTS_PER_DOSSIER) {
        throw invalid(
          `a dossier holds at most ${String(MAX_SUPPLEMENT_ATTACHMENTS_PER_DOSSIER)} supplement documents; it has ${String(held.n)}, ${String(fresh.length)} more do not fit`,
          [
            {
              path: 'attachmentIds',
              message: `at most ${String(MAX_SUPPLEMENT_ATTACHMENTS_PER_DOSSIER - held.n)} more`,
            },
          ],
        );
      }
      const [linked] = await m.query<[{ id: string }[], number]>(
        `UPDATE attachments SET dossier_id = $1, purpose = 'SUPPLEMENT'
         WHERE id = ANY($2::uuid[]) AND owner_sub = $3 AND dossier_id IS NULL RETURNING id`,
        [dossierId, fresh, user.sub],
      );
      // The rows are locked above, so this holds; checked because a partial link must never commit.
      if (linked.length !== fresh.length) throw new Error('attachments changed while locked');
      return this.answer(m, dossierId);
    });
  }

  private async answer(m: EntityManager, dossierId: string): Promise<AttachSupplementAnswer> {
    return { id: dossierId, attachments: await this.dossiers.attachments(dossierId, m) };
  }
}
