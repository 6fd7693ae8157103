import { BadRequestException, ConflictException, ForbiddenException, Inject, Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import type { AuthUser } from '@hoso/auth';
import type { DossierSubmittedV1 } from '@hoso/contracts';
import { MessagingService } from '@hoso/messaging';
import { AgencyQueries, type Agency } from '../../admin-units/agency.queries';
import { legacyProvinces } from '../../admin-units/data';
import { CatalogQueries, type Procedure } from '../../catalog/catalog.queries';
import { countPrefilledFields, formValueFor, validateForm } from '../../catalog/domain/form-schema';
import { CLOCK, type Clock } from '../../clock';
import { decideOnExistingKey, requestHash } from '../domain/idempotency';
import { formatReceiptCode, vietnamDay } from '../domain/receipt-code';
import { DossierRepository } from '../dossier.repository';
import { InvalidPrefillToken, PREFILL_VERIFIER, type PrefillGrant, type PrefillVerifier } from './prefill-verifier';
import type { SubmitAnswer, SubmitDossierBody } from './submit-dossier.request';

export interface SubmitResult {
  statusCode: number;
  body: unknown;
  /** False when the answer was replayed from an earlier request with the same key. */
  fresh: boolean;
}

interface Issue {
  path: string;
  message: string;
}

function invalid(issues: Issue[]): BadRequestException {
  return new BadRequestException({
    statusCode: 400,
    error: 'Bad Request',
    message: `Invalid dossier: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
    issues,
  });
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

/**
 * Submits a dossier: one transaction holds the idempotency record, the dossier, its first status, the receipt
 * counter, the attachments' claim and the `dossier.submitted.v1` outbox row — all of them or none.
 */
@Injectable()
export class SubmitDossierHandler {
  constructor(
    private readonly ds: DataSource,
    private readonly messaging: MessagingService,
    private readonly catalog: CatalogQueries,
    private readonly agencies: AgencyQueries,
    private readonly dossiers: DossierRepository,
    @Inject(PREFILL_VERIFIER) private readonly prefill: PrefillVerifier,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async submit(user: AuthUser, key: string, body: SubmitDossierBody, correlationId: string): Promise<SubmitResult> {
    const hash = requestHash(body);
    // A retry usually finds its answer here, before any token check or lock.
    const earlier = await this.findAnswer(this.ds.manager, user.sub, key, hash);
    if (earlier) return earlier;

    if (user.role === 'officer') {
      if (!body.applicant) throw invalid([{ path: 'applicant', message: 'is required for a counter submission' }]);
      if (body.agencyCode !== user.agencyCode) {
        throw new ForbiddenException(`an officer submits only to their own agency (${user.agencyCode ?? 'none'})`);
      }
    } else if (body.applicant) {
      throw invalid([{ path: 'applicant', message: 'is taken from your sign-in; do not send it' }]);
    }
    const grant = body.prefillToken ? await this.verifyPrefill(body.prefillToken) : null;

    return this.messaging.transaction(async (m) => {
      const claimed = await m.query<unknown[]>(
        `INSERT INTO idempotency_keys (caller_sub, key, request_hash) VALUES ($1, $2, $3)
         ON CONFLICT DO NOTHING RETURNING 1`,
        [user.sub, key, hash],
      );
      if (claimed.length === 0) {
        // Another request with this key committed while we were checking tokens.
        const answer = await this.findAnswer(m, user.sub, key, hash);
        if (answer) return answer;
        throw new ConflictException('a request with this Idempotency-Key is still in progress; retry later');
      }
      return this.createDossier(m, user, key, body, grant, correlationId);
    });
  }

  private async createDossier(
    m: EntityManager,
    user: AuthUser,
    key: string,
    body: SubmitDossierBody,
    grant: PrefillGrant | null,
    correlationId: string,
  ): Promise<SubmitResult> {
    const procedure = await this.catalog.byCode(body.procedureCode, m);
    if (!procedure) throw invalid([{ path: 'procedureCode', message: `no procedure ${body.procedureCode}` }]);
    const agency = await this.routeToAgency(m, body.agencyCode, procedure);

    const checked = validateForm(procedure.form, body.form);
    if (!checked.ok) throw invalid(checked.issues);
    const form = checked.form;

    const applicant = this.applicantOf(user, body, procedure, form, grant);
    const formPersonalId = formValueFor(procedure.form, form, 'personalId');
    if (formPersonalId !== undefined && formPersonalId !== applicant.personalId) {
      const field = procedure.form.find((f) => f.prefill === 'personalId')?.name ?? 'personalId';
      throw invalid([{ path: `form.${field}`, message: "must be the applicant's personal ID" }]);
    }
    if (grant && grant.personalId !== applicant.personalId) {
      throw invalid([{ path: 'prefillToken', message: 'was issued for another person than the applicant' }]);
    }
    const prefilledFields = grant ? countPrefilledFields(procedure.form, form, grant.values) : 0;

    const id = uuidv7();
    const attachments = await this.claimAttachments(m, id, user.sub, body.attachmentIds);
    const now = this.clock.now();
    const [counter] = await m.query<[{ last_value: number }]>(
      `INSERT INTO receipt_counters (agency_code, day, last_value) VALUES ($1, $2, 1)
       ON CONFLICT (agency_code, day) DO UPDATE SET last_value = receipt_counters.last_value + 1
       RETURNING last_value`,
      [agency.code, vietnamDay(now)],
    );
    const receiptCode = formatReceiptCode(agency.code, now, counter.last_value);
    const provinceCode = this.provinceOf(agency, procedure, form, applicant.personalId);
    const channel = user.role === 'officer' ? 'COUNTER' : 'ONLINE';

    await m.query(
      `INSERT INTO dossiers (id, receipt_code, procedure_code, agency_code, requested_agency_code, handling_agency_code,
         province_code, channel, service_level, applicant_personal_id, applicant_full_name, applicant_birth_date,
         submitted_by_sub, form, fee_vnd, processing_working_days, required_vneid_level, prefilled_fields,
         form_field_count, status, status_at, submitted_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $4, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, 'SUBMITTED',
         $19, $19, $19)`,
      [
        id,
        receiptCode,
        procedure.code,
        agency.code,
        body.agencyCode,
        provinceCode,
        channel,
        procedure.serviceLevel,
        applicant.personalId,
        applicant.fullName,
        applicant.birthDate,
        user.sub,
        JSON.stringify(form),
        procedure.feeVnd,
        procedure.processingWorkingDays,
        procedure.requiredVneidLevel,
        prefilledFields,
        procedure.form.length,
        now,
      ],
    );
    await this.dossiers.addHistory(m, {
      dossierId: id,
      status: 'SUBMITTED',
      applied: true,
      source: 'intake',
      eventId: null,
      reason:
        agency.code === body.agencyCode ? `${channel} submission` : `routed from ${body.agencyCode} (merged unit)`,
      occurredAt: now,
    });

    const payload: DossierSubmittedV1 = {
      dossierId: id,
      receiptCode,
      procedureCode: procedure.code,
      agencyCode: agency.code,
      provinceCode,
      channel,
      serviceLevel: procedure.serviceLevel,
      applicant,
      requiredVneidLevel: procedure.requiredVneidLevel,
      feeVnd: procedure.feeVnd,
      processingWorkingDays: procedure.processingWorkingDays,
      form,
      prefilledFields,
      formFieldCount: procedure.form.length,
      attachments,
      submittedAt: now.toISOString(),
    };
    await this.messaging.outbox.add(m, 'dossier.submitted.v1', payload, {
      dossierId: id,
      correlationId,
      causationId: `http:${key}`.slice(0, 200),
      occurredAt: now,
    });

    const answer: SubmitAnswer = { id, receiptCode, status: 'SUBMITTED' };
    await m.query(
      `UPDATE idempotency_keys SET status_code = 202, response = $3, dossier_id = $4 WHERE caller_sub = $1 AND key = $2`,
      [user.sub, key, JSON.stringify(answer), id],
    );
    return { statusCode: 202, body: answer, fresh: true };
  }

  private async findAnswer(q: EntityManager, sub: string, key: string, hash: string): Promise<SubmitResult | null> {
    const rows = await q.query<{ request_hash: string; status_code: number; response: unknown }[]>(
      `SELECT request_hash, status_code, response FROM idempotency_keys
       WHERE caller_sub = $1 AND key = $2 AND status_code IS NOT NULL`,
      [sub, key],
    );
    const stored = rows[0];
    if (!stored) return null;
    const decision = decideOnExistingKey(
      { requestHash: stored.request_hash, statusCode: stored.status_code, body: stored.response },
      hash,
    );
    if (decision.kind === 'conflict') {
      throw new ConflictException('this Idempotency-Key was already used with a different request body');
    }
    return { statusCode: decision.statusCode, body: decision.body, fresh: false };
  }

  private async verifyPrefill(token: string): Promise<PrefillGrant> {
    try {
      return await this.prefill.verify(token);
    } catch (e) {
      if (e instanceof InvalidPrefillToken)
        throw invalid([{ path: 'prefillToken', message: `is invalid: ${e.message}` }]);
      throw e;
    }
  }

  /** The agency that takes the dossier (the successor when the addressed unit was merged), checked against the procedure. */
  private async routeToAgency(m: EntityManager, code: string, procedure: Procedure): Promise<Agency> {
    const agency = await this.agencies.resolveForSubmission(code, m);
    if (!agency) throw invalid([{ path: 'agencyCode', message: `no agency ${code}` }]);
    if (agency.level !== procedure.agencyLevel) {
      throw invalid([
        {
          path: 'agencyCode',
          message: `procedure ${procedure.code} is handled at ${procedure.agencyLevel} level, ${agency.code} is a ${agency.level} agency`,
        },
      ]);
    }
    if (procedure.ministryAgencyCode && agency.code !== procedure.ministryAgencyCode) {
      throw invalid([
        { path: 'agencyCode', message: `procedure ${procedure.code} is handled by ${procedure.ministryAgencyCode}` },
      ]);
    }
    return agency;
  }

  private applicantOf(
    user: AuthUser,
    body: SubmitDossierBody,
    procedure: Procedure,
    form: Record<string, unknown>,
    grant: PrefillGrant | null,
  ): DossierSubmittedV1['applicant'] {
    if (user.role === 'officer' && body.applicant) return body.applicant;
    const personalId = user.personalId;
    if (!personalId) throw new ForbiddenException('only citizens and officers submit dossiers');
    const fullName = formValueFor(procedure.form, form, 'fullName') ?? grant?.values.fullName ?? user.name;
    const birthDate = formValueFor(procedure.form, form, 'birthDate') ?? grant?.values.birthDate;
    const issues: Issue[] = [];
    if (!fullName)
      issues.push({ path: 'form', message: "the applicant's full name is needed (form or prefill token)" });
    if (!birthDate || !ISO_DATE.test(birthDate)) {
      issues.push({ path: 'form', message: "the applicant's birth date is needed (form or prefill token)" });
    }
    if (issues.length || !fullName || !birthDate) throw invalid(issues);
    return { personalId, fullName, birthDate };
  }

  private async claimAttachments(
    m: EntityManager,
    dossierId: string,
    ownerSub: string,
    ids: readonly string[],
  ): Promise<DossierSubmittedV1['attachments']> {
    if (ids.length === 0) return [];
    const [rows] = await m.query<
      [{ id: string; file_name: string; content_type: string; size_bytes: string; sha256: string }[], number]
    >(
      `UPDATE attachments SET dossier_id = $1 WHERE id = ANY($2::uuid[]) AND owner_sub = $3 AND dossier_id IS NULL
       RETURNING id, file_name, content_type, size_bytes, sha256`,
      [dossierId, ids, ownerSub],
    );
    if (rows.length !== ids.length) {
      const found = new Set(rows.map((r) => r.id));
      throw invalid(
        ids
          .map((id, i) => ({ id, i }))
          .filter(({ id }) => !found.has(id))
          .map(({ i }) => ({ path: `attachmentIds.${i}`, message: 'unknown, not yours, or already used' })),
      );
    }
    const byId = new Map(rows.map((r) => [r.id, r]));
    return ids.map((id) => {
      const r = byId.get(id);
      if (!r) throw new Error('unreachable: attachment claimed but not returned');
      return {
        id: r.id,
        fileName: r.file_name,
        contentType: r.content_type,
        sizeBytes: Number(r.size_bytes),
        sha256: r.sha256,
      };
    });
  }

  /**
   * Province of the dossier for the metrics: the agency's; for a ministry, the applicant's province (form field
   * prefilled from the registry, else the current province of the birth-registration code in the personal ID).
   */
  private provinceOf(agency: Agency, procedure: Procedure, form: Record<string, unknown>, personalId: string): string {
    if (agency.provinceCode) return agency.provinceCode;
    const fromForm = formValueFor(procedure.form, form, 'provinceCode');
    if (fromForm && /^\d{2}$/.test(fromForm)) return fromForm;
    const legacy = personalId.slice(1, 3);
    return legacyProvinces.find((p) => p.code === legacy)?.mergedInto ?? legacy;
  }
}
