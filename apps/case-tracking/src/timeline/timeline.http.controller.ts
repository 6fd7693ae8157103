import { Controller, Get, Inject, NotFoundException, Param } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { canReadDossier, CurrentUser, Roles, type AuthUser } from '@hoso/auth';
import { recordAuditApart } from '@hoso/nest-kit';
import { ROOT_LOGGER } from '../tokens';

interface Entry {
  at: Date;
  source: 'event' | 'case';
  kind: string;
  detail: Record<string, unknown>;
}

/** A dossier's whole story: consumed events (submission, identity, payment) and every case move and SLA flag. */
@ApiTags('timeline')
@ApiBearerAuth()
@Controller()
export class TimelineController {
  constructor(
    private readonly ds: DataSource,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {}

  @Get('dossiers/:dossierId/timeline')
  async timeline(@Param('dossierId') dossierId: string, @CurrentUser() user: AuthUser) {
    const valid = /^[0-9a-f-]{36}$/i.test(dossierId);
    const [d] = valid
      ? await this.ds.query<
          {
            applicant_personal_id: string | null;
            agency_code: string | null;
            case_agency: string | null;
            case_id: string | null;
          }[]
        >(
          `SELECT d.applicant_personal_id, d.agency_code, c.agency_code AS case_agency, c.id AS case_id
           FROM case_dossiers d LEFT JOIN cases c ON c.id = d.case_id WHERE d.dossier_id = $1`,
          [dossierId],
        )
      : [];
    const owner = d?.applicant_personal_id;
    const agency = d?.case_agency ?? d?.agency_code;
    if (!d || !owner || !agency || !canReadDossier(user, { applicantPersonalId: owner, agencyCode: agency })) {
      // A refused read writes nothing else: its record is a short transaction of its own.
      if (d) {
        await recordAuditApart(this.ds, this.logger, {
          action: 'timeline.read',
          outcome: 'denied',
          actor: { sub: user.sub, role: user.role },
          resource: dossierId,
        });
      }
      throw new NotFoundException(`dossier ${dossierId} not found`);
    }
    const entries = await this.ds.query<Entry[]>(
      `SELECT occurred_at AS at, 'event' AS source, type AS kind, payload AS detail FROM dossier_events WHERE dossier_id = $1
       UNION ALL
       SELECT at, 'case', CASE WHEN kind = 'MOVE' THEN 'case.' || to_status ELSE 'sla.' || kind END,
              jsonb_build_object('from', from_status, 'to', to_status, 'actor', jsonb_build_object('kind', actor_kind, 'id', actor_id),
                'reason', reason, 'dueAt', due_at, 'agencyCode', from_agency_code, 'toAgencyCode', to_agency_code)
       FROM case_history WHERE dossier_id = $1
       ORDER BY at`,
      [dossierId],
    );
    // The case id (once the case is open) lets the applicant's portal reach the case: supplements, result, rating.
    return {
      dossierId,
      caseId: d.case_id,
      entries: entries.map((e) => ({ ...e, at: new Date(e.at).toISOString() })),
    };
  }

  @Get('mailbox')
  @Roles('citizen')
  async mailbox(@CurrentUser() user: AuthUser) {
    const rows = await this.ds.query<Record<string, unknown>[]>(
      `SELECT id, dossier_id AS "dossierId", channel, kind, subject, body, created_at AS "createdAt"
       FROM mailbox WHERE recipient_personal_id = $1 ORDER BY id DESC LIMIT 200`,
      [user.personalId],
    );
    return { items: rows };
  }
}
