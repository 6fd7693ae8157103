import {
  BadRequestException,
  ConflictException,
  ForbiddenException,
  HttpException,
  Inject,
  Injectable,
  ServiceUnavailableException,
} from '@nestjs/common';
import { DataSource, QueryFailedError, type EntityManager } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import type { AuthUser } from '@hoso/auth';
import type { DossierSubmittedV1 } from '@hoso/contracts';
import { MessagingService } from '@hoso/messaging';
import type { Agency } from '../../admin-units/agency.queries';
import { legacyProvinces } from '../../admin-units/data';
import type { Procedure } from '../../catalog/catalog.queries';
import { countPrefilledFields, formValueFor, validateForm } from '../../catalog/domain/form-schema';
import { ReferenceCache, resolveForSubmission, type ReferenceSnapshot } from '../../catalog/reference-cache';
import { CLOCK, type Clock } from '../../clock';
import { decideOnExistingKey, requestHash } from '../domain/idempotency';
import { formatReceiptCode, vietnamDay } from '../domain/receipt-code';
import { InvalidPrefillToken, PREFILL_VERIFIER, type PrefillGrant, type PrefillVerifier } from './prefill-verifier';
import { ReceiptNumbers } from './receipt-numbers';
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

function unusableAttachments(indexes: readonly number[]): BadRequestException {
  return invalid(indexes.map((i) => ({ path: `attachmentIds.${i}`, message: 'unknown, not yours, or already used' })));
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

/** What a submission writes, decided before its write statement. */
interface Plan {
  procedure: Procedure;
  agency: Agency;
  applicant: DossierSubmittedV1['applicant'];
  form: Record<string, unknown>;
  prefilledFields: number;
  provinceCode: string;
}

/** A `messaging_outbox` row as the messaging library renders it (Outbox.addMany). */
interface OutboxRow {
  eventId: string;
  topic: string;
  key: string;
  value: string;
  headers: unknown;
}

type WriteOutcome =
  | { kind: 'written'; answer: SubmitAnswer }
  /** The reference data changed since it was read: nothing was written. */
  | { kind: 'stale'; version: string }
  /** The key was used before: nothing was written; the stored answer when the statement could already see it. */
  | { kind: 'used'; result: SubmitResult | null };

interface WriteRow {
  fresh: boolean;
  version: string;
  stored: { requestHash: string; statusCode: number | null; response: unknown } | null;
}

/** Attempts of one submission when the reference data changes under it (a merge between validation and write). */
const MAX_ATTEMPTS = 3;
/** Prefix of the error the write statement raises when an attachment was claimed by someone else meanwhile. */
const REFUSED_ATTACHMENTS = 'intake_refuse: attachments ';
const OUTBOX_INSERT =
  /^INSERT INTO messaging_outbox \(event_id, topic, key, value, headers\) VALUES \(\$1, \$2, \$3, \$4, \$5\)$/;

/**
 * Submits a dossier. On the normal path that is one statement: a data-modifying CTE writes the idempotency record
 * (INSERT … ON CONFLICT DO NOTHING on the caller's key, the answer included), the dossier, its first status, the
 * attachments' claim and the `dossier.submitted.v1` outbox row — all of them or none, a single statement being its own
 * transaction — and nothing of it when the key was used before.
 *
 * Everything else is decided without the database: procedures and agencies come from the ReferenceCache (the
 * statement writes only if their version is still current; otherwise the cache is reloaded and the submission starts
 * over), the receipt number from a block this process reserved (ReceiptNumbers). The stored answer of a key is read
 * only when the statement found the key used and could not see its answer yet, or when the request is refused (a
 * retry of an accepted request, or the key reused with another body, must still get the replay or the 409).
 */
@Injectable()
export class SubmitDossierHandler {
  constructor(
    private readonly ds: DataSource,
    private readonly messaging: MessagingService,
    private readonly reference: ReferenceCache,
    private readonly receipts: ReceiptNumbers,
    @Inject(PREFILL_VERIFIER) private readonly prefill: PrefillVerifier,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async submit(user: AuthUser, key: string, body: SubmitDossierBody, correlationId: string): Promise<SubmitResult> {
    const hash = requestHash(body);
    try {
      return await this.attempt(user, key, hash, body, correlationId);
    } catch (e) {
      if (e instanceof HttpException && e.getStatus() < 500) {
        const earlier = await this.findAnswer(user.sub, key, hash);
        if (earlier) return earlier;
      }
      throw e;
    }
  }

  private async attempt(
    user: AuthUser,
    key: string,
    hash: string,
    body: SubmitDossierBody,
    correlationId: string,
  ): Promise<SubmitResult> {
    if (user.role === 'officer') {
      if (!body.applicant) throw invalid([{ path: 'applicant', message: 'is required for a counter submission' }]);
      if (body.agencyCode !== user.agencyCode) {
        throw new ForbiddenException(`an officer submits only to their own agency (${user.agencyCode ?? 'none'})`);
      }
    } else if (body.applicant) {
      throw invalid([{ path: 'applicant', message: 'is taken from your sign-in; do not send it' }]);
    }
    const grant = body.prefillToken ? await this.verifyPrefill(body.prefillToken) : null;

    for (let attempt = 1; ; attempt++) {
      const ref = await this.reference.current();
      const plan = this.plan(ref, user, body, grant);
      // Their metadata goes into the event; the write claims them and checks again that all were still free.
      const attachments = await this.claimableAttachments(user.sub, body.attachmentIds);
      const now = this.clock.now();
      const day = vietnamDay(now);
      const sequence = await this.receipts.next(plan.agency.code, day);
      let outcome: WriteOutcome;
      try {
        outcome = await this.write(ref.version, user, key, hash, body, plan, attachments, now, sequence, correlationId);
      } catch (e) {
        this.receipts.giveBack(plan.agency.code, day, sequence);
        throw e;
      }
      if (outcome.kind === 'written') {
        this.messaging.relay?.wake();
        return { statusCode: 202, body: outcome.answer, fresh: true };
      }
      this.receipts.giveBack(plan.agency.code, day, sequence);
      if (outcome.kind === 'used') {
        // The statement waited for a concurrent request with this key to commit, or could not see its answer.
        const result = outcome.result ?? (await this.findAnswer(user.sub, key, hash));
        if (result) return result;
        throw new ConflictException('a request with this Idempotency-Key is still in progress; retry later');
      }
      this.reference.invalidate(outcome.version);
      if (attempt >= MAX_ATTEMPTS) {
        throw new ServiceUnavailableException('the catalog or the agencies keep changing; retry later');
      }
    }
  }

  /** Validates the request against the reference data and decides what to write; throws 400 on bad input. */
  private plan(ref: ReferenceSnapshot, user: AuthUser, body: SubmitDossierBody, grant: PrefillGrant | null): Plan {
    const procedure = ref.procedures.get(body.procedureCode);
    if (!procedure) throw invalid([{ path: 'procedureCode', message: `no procedure ${body.procedureCode}` }]);
    const agency = this.routeToAgency(ref, body.agencyCode, procedure);

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
    const provinceCode = this.provinceOf(agency, procedure, form, applicant.personalId);
    return { procedure, agency, applicant, form, prefilledFields, provinceCode };
  }

  private async write(
    version: string,
    user: AuthUser,
    key: string,
    hash: string,
    body: SubmitDossierBody,
    plan: Plan,
    attachments: DossierSubmittedV1['attachments'],
    now: Date,
    sequence: number,
    correlationId: string,
  ): Promise<WriteOutcome> {
    const { procedure, agency, applicant, form, prefilledFields, provinceCode } = plan;
    const id = uuidv7();
    const receiptCode = formatReceiptCode(agency.code, now, sequence);
    const channel = user.role === 'officer' ? 'COUNTER' : 'ONLINE';
    const answer: SubmitAnswer = { id, receiptCode, status: 'SUBMITTED' };
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
    const outbox = await this.outboxRow(payload, {
      dossierId: id,
      correlationId,
      causationId: `http:${key}`.slice(0, 200),
      occurredAt: now,
    });
    const reason =
      agency.code === body.agencyCode ? `${channel} submission` : `routed from ${body.agencyCode} (merged unit)`;
    const attachmentIds = attachments.map((a) => a.id);

    let rows: WriteRow[];
    try {
      rows = await this.ds.query<WriteRow[]>(
        `WITH fresh AS (
           INSERT INTO idempotency_keys (caller_sub, key, request_hash, status_code, response, dossier_id)
           SELECT $1, $2, $3, 202, $4::jsonb, $5::uuid
           WHERE (SELECT version FROM reference_version) = $6::bigint
           ON CONFLICT DO NOTHING
           RETURNING dossier_id
         ),
         dossier AS (
           INSERT INTO dossiers (id, receipt_code, procedure_code, agency_code, requested_agency_code,
             handling_agency_code, province_code, channel, service_level, applicant_personal_id, applicant_full_name,
             applicant_birth_date, submitted_by_sub, form, fee_vnd, processing_working_days, required_vneid_level,
             prefilled_fields, form_field_count, status, status_at, submitted_at, updated_at)
           SELECT dossier_id, $7, $8, $9, $10, $9, $11, $12, $13, $14, $15, $16::date, $1, $17::jsonb, $18::bigint,
             $19::int, $20::smallint, $21::int, $22::int, 'SUBMITTED', $23::timestamptz, $23::timestamptz, $23::timestamptz
           FROM fresh
           RETURNING id
         ),
         history AS (
           INSERT INTO dossier_status_history (dossier_id, status, applied, source, event_id, reason, occurred_at)
           SELECT id, 'SUBMITTED', true, 'intake', NULL::uuid, $24, $23::timestamptz FROM dossier
         ),
         outbox AS (
           INSERT INTO messaging_outbox (event_id, topic, key, value, headers)
           SELECT $25::uuid, $26, $27, $28, $29::jsonb FROM dossier
         ),
         claimed AS (
           UPDATE attachments SET dossier_id = $5::uuid
           WHERE id = ANY($30::uuid[]) AND owner_sub = $1 AND dossier_id IS NULL AND EXISTS (SELECT 1 FROM fresh)
           RETURNING id
         )
         SELECT EXISTS (SELECT 1 FROM fresh) AS fresh,
                (SELECT version::text FROM reference_version) AS version,
                (SELECT json_build_object('requestHash', request_hash, 'statusCode', status_code, 'response', response)
                 FROM idempotency_keys WHERE caller_sub = $1 AND key = $2) AS stored,
                CASE WHEN EXISTS (SELECT 1 FROM fresh)
                       AND (SELECT count(*) FROM claimed) <> cardinality($30::uuid[])
                     THEN intake_refuse('attachments ' || (
                       SELECT string_agg((i - 1)::text, ',' ORDER BY i) FROM unnest($30::uuid[]) WITH ORDINALITY AS u (id, i)
                       WHERE u.id NOT IN (SELECT id FROM claimed)))
                     ELSE true END AS ok`,
        [
          user.sub,
          key,
          hash,
          JSON.stringify(answer),
          id,
          version,
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
          JSON.stringify(form),
          procedure.feeVnd,
          procedure.processingWorkingDays,
          procedure.requiredVneidLevel,
          prefilledFields,
          procedure.form.length,
          now,
          reason,
          outbox.eventId,
          outbox.topic,
          outbox.key,
          outbox.value,
          JSON.stringify(outbox.headers),
          attachmentIds,
        ],
      );
    } catch (e) {
      const message = e instanceof QueryFailedError ? e.message : '';
      if (message.startsWith(REFUSED_ATTACHMENTS)) {
        // Claimed by another submission between the check and the write: the whole statement was undone.
        const positions = message.slice(REFUSED_ATTACHMENTS.length).split(',').map(Number);
        throw unusableAttachments(
          positions.map((p) => body.attachmentIds.indexOf(attachmentIds[p] ?? '')).filter((i) => i >= 0),
        );
      }
      throw e;
    }
    const row = rows[0];
    if (!row) throw new Error('submission statement returned no row');
    if (row.fresh) return { kind: 'written', answer };
    if (row.version !== version) return { kind: 'stale', version };
    return { kind: 'used', result: row.stored ? this.decide(row.stored, hash) : null };
  }

  /**
   * The `dossier.submitted.v1` row exactly as Outbox.addMany writes it (envelope, contract check, physical topic,
   * key, headers): the library renders it, and its values go into the submission's own statement.
   */
  private async outboxRow(
    payload: DossierSubmittedV1,
    meta: { dossierId: string; correlationId: string; causationId: string; occurredAt: Date },
  ): Promise<OutboxRow> {
    let captured: { sql: string; params: unknown[] } | null = null;
    const renderOnly = {
      queryRunner: { isTransactionActive: true, data: {} },
      query: (sql: string, params: unknown[]) => {
        captured = { sql, params };
        return Promise.resolve([]);
      },
    } as unknown as EntityManager;
    await this.messaging.outbox.addMany(renderOnly, [{ topic: 'dossier.submitted.v1', payload, meta }]);
    const row = captured as { sql: string; params: unknown[] } | null;
    if (!row || !OUTBOX_INSERT.test(row.sql.trim()) || row.params.length !== 5) {
      // Fail loudly rather than write a row the relay would read differently.
      throw new Error(`unexpected outbox row shape: ${row?.sql ?? 'nothing written'}`);
    }
    const [eventId, topic, key, value, headers] = row.params;
    return { eventId: String(eventId), topic: String(topic), key: String(key), value: String(value), headers };
  }

  /** The answer stored for the caller's key (null: none yet); 409 when it was stored for another body. */
  private async findAnswer(sub: string, key: string, hash: string): Promise<SubmitResult | null> {
    const rows = await this.ds.query<{ request_hash: string; status_code: number | null; response: unknown }[]>(
      `SELECT request_hash, status_code, response FROM idempotency_keys WHERE caller_sub = $1 AND key = $2`,
      [sub, key],
    );
    const stored = rows[0];
    if (!stored) return null;
    return this.decide(
      { requestHash: stored.request_hash, statusCode: stored.status_code, response: stored.response },
      hash,
    );
  }

  private decide(
    stored: { requestHash: string; statusCode: number | null; response: unknown },
    hash: string,
  ): SubmitResult | null {
    // Rows of the former two-step write had no answer until their transaction ended.
    if (stored.statusCode === null) return null;
    const decision = decideOnExistingKey(
      { requestHash: stored.requestHash, statusCode: stored.statusCode, body: stored.response },
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
  private routeToAgency(ref: ReferenceSnapshot, code: string, procedure: Procedure): Agency {
    const agency = resolveForSubmission(ref.agencies, code);
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

  /**
   * The attachments as they go into the event, in request order, if every one is the caller's and still unused;
   * else 400 naming the others. Their rows never change after upload but for the claim, which the write re-checks.
   */
  private async claimableAttachments(
    ownerSub: string,
    ids: readonly string[],
  ): Promise<DossierSubmittedV1['attachments']> {
    if (ids.length === 0) return [];
    const rows = await this.ds.query<
      { id: string; file_name: string; content_type: string; size_bytes: string; sha256: string }[]
    >(
      `SELECT id, file_name, content_type, size_bytes, sha256 FROM attachments
       WHERE id = ANY($1::uuid[]) AND owner_sub = $2 AND dossier_id IS NULL`,
      [ids, ownerSub],
    );
    const byId = new Map(rows.map((r) => [r.id, r]));
    const missing = ids.map((id, i) => ({ id, i })).filter(({ id }) => !byId.has(id));
    if (missing.length) throw unusableAttachments(missing.map(({ i }) => i));
    return ids.map((id) => {
      const r = byId.get(id);
      if (!r) throw new Error('unreachable: attachment checked but not found');
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
