import type { EntityManager } from 'typeorm';
import { valuesList } from '@hoso/persistence';
import type { CaseStatus } from './domain/case';
import type { LedgerEntry } from './domain/sla-ledger';

export interface CaseRow {
  id: string;
  dossier_id: string;
  receipt_code: string;
  procedure_code: string;
  province_code: string;
  agency_code: string;
  applicant_personal_id: string;
  status: CaseStatus;
  assignee: string | null;
  processing_working_days: number;
  received_at: Date;
  due_at: Date;
  sla_ledger: LedgerEntry[];
  clock_version: number;
  overdue: boolean;
  /** The clock version whose 80 % warning has been given (null: none yet). */
  sla_warned_version: number | null;
  fully_online: boolean;
  outcome: 'APPROVED' | 'REJECTED' | null;
  result_id: string | null;
  result_sha256: string | null;
  /** Results issued before signing: the forgeable hash of public fields they carry (kept, no longer made). */
  verification_hash: string | null;
  /** The signed result's public verification code (signed_results). */
  verification_code: string | null;
  completed_at: Date | null;
  rating_score: number | null;
  rating_comment: string | null;
  rated_at: Date | null;
  version: number;
}

export async function loadCase(m: Pick<EntityManager, 'query'>, id: string): Promise<CaseRow | undefined> {
  if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined;
  const rows: CaseRow[] = await m.query(`SELECT * FROM cases WHERE id = $1`, [id]);
  return rows[0];
}

export interface HistoryRow {
  caseId: string;
  dossierId: string;
  kind: 'MOVE' | 'SLA_WARNING' | 'OVERDUE';
  from: CaseStatus | null;
  to: CaseStatus;
  actor: { kind: string; id: string };
  reason: string | null;
  at: Date;
  dueAt: Date | null;
  fromAgencyCode: string;
  toAgencyCode: string | null;
}

export async function appendHistory(m: Pick<EntityManager, 'query'>, h: HistoryRow): Promise<void> {
  await appendHistoryMany(m, [h]);
}

/** Several history rows in one statement (a consumer flush opening many cases). */
export async function appendHistoryMany(m: Pick<EntityManager, 'query'>, rows: readonly HistoryRow[]): Promise<void> {
  if (!rows.length) return;
  const { sql, params } = valuesList(
    rows.map((h) => [
      h.caseId,
      h.dossierId,
      h.kind,
      h.from,
      h.to,
      h.actor.kind,
      h.actor.id,
      h.reason,
      h.at,
      h.dueAt,
      h.fromAgencyCode,
      h.toAgencyCode,
    ]),
  );
  await m.query(
    `INSERT INTO case_history (case_id, dossier_id, kind, from_status, to_status, actor_kind, actor_id, reason, at,
       due_at, from_agency_code, to_agency_code)
     VALUES ${sql}`,
    params,
  );
}

/** What an API answers for a case. */
export function caseView(c: CaseRow) {
  return {
    id: c.id,
    dossierId: c.dossier_id,
    receiptCode: c.receipt_code,
    procedureCode: c.procedure_code,
    provinceCode: c.province_code,
    agencyCode: c.agency_code,
    status: c.status,
    assignee: c.assignee,
    receivedAt: new Date(c.received_at).toISOString(),
    dueAt: new Date(c.due_at).toISOString(),
    overdue: c.overdue,
    outcome: c.outcome,
    resultDocument: c.result_id
      ? {
          id: c.result_id,
          sha256: c.result_sha256,
          verificationHash: c.verification_hash,
          verificationCode: c.verification_code,
        }
      : null,
    completedAt: c.completed_at ? new Date(c.completed_at).toISOString() : null,
    rating: c.rating_score ? { score: c.rating_score, comment: c.rating_comment } : null,
    version: c.version,
  };
}
