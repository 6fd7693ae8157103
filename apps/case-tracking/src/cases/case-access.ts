import { Inject, Injectable, NotFoundException } from '@nestjs/common';
import type { Logger } from 'pino';
import { DataSource, type EntityManager } from 'typeorm';
import { canReadAgency, canReadDossier, type AuthUser } from '@hoso/auth';
import { recordAuditApart } from '@hoso/nest-kit';
import { ROOT_LOGGER } from '../tokens';
import { loadCase, type CaseRow } from './case.store';

/** Loads a case for a caller; one the caller may not see is answered like one that does not exist. */
@Injectable()
export class CaseAccess {
  constructor(
    @Inject(DataSource) private readonly ds: DataSource,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {}

  /** Officers of the case's current agency (and operators). */
  async forAgency(m: Pick<EntityManager, 'query'>, id: string, user: AuthUser, action: string): Promise<CaseRow> {
    const c = await loadCase(m, id);
    if (c && canReadAgency(user, c.agency_code)) return c;
    return this.deny(user, id, action, c);
  }

  /** The applicant, officers of the case's agency, operators. */
  async forReader(m: Pick<EntityManager, 'query'>, id: string, user: AuthUser, action: string): Promise<CaseRow> {
    const c = await loadCase(m, id);
    if (c && canReadDossier(user, { applicantPersonalId: c.applicant_personal_id, agencyCode: c.agency_code }))
      return c;
    return this.deny(user, id, action, c);
  }

  /** Only the applicant. */
  async forApplicant(m: Pick<EntityManager, 'query'>, id: string, user: AuthUser, action: string): Promise<CaseRow> {
    const c = await loadCase(m, id);
    if (c && user.role === 'citizen' && user.personalId === c.applicant_personal_id) return c;
    return this.deny(user, id, action, c);
  }

  /**
   * Refuses as if the case did not exist. A refusal of an existing case is recorded in the audit trail in a short
   * transaction of its own: the caller's transaction (if any) is about to roll back with the 404.
   */
  async deny(user: AuthUser, resource: string, action: string, existing: unknown): Promise<never> {
    if (existing) {
      await recordAuditApart(this.ds, this.logger, {
        action,
        outcome: 'denied',
        actor: { sub: user.sub, role: user.role },
        resource,
        reason: 'not yours',
      });
    }
    throw new NotFoundException(`case ${resource} not found`);
  }
}
