import type { EntityManager } from 'typeorm';
import type { DossierPaymentState, IntentStatus } from './domain/intent';

export interface DossierRow {
  dossier_id: string;
  applicant_personal_id: string | null;
  agency_code: string | null;
  procedure_code: string | null;
  province_code: string | null;
  channel: 'ONLINE' | 'COUNTER' | null;
  service_level: string | null;
  fee_vnd: string | null;
  submitted_at: Date | null;
  identity_status: 'VERIFIED' | 'REJECTED' | null;
  state: DossierPaymentState;
  base_amount_vnd: string | null;
  amount_vnd: string | null;
  waiver_reason: string | null;
}

export interface IntentRow {
  payment_id: string;
  dossier_id: string;
  amount_vnd: string;
  status: IntentStatus;
  created_at: Date;
  expires_at: Date;
  session_id: string | null;
  checkout_url: string | null;
  return_url: string | null;
  gateway_reference: string | null;
  method: string | null;
  settled_at: Date | null;
  settled_via: string | null;
  failure_reason: string | null;
  flag: string | null;
  flag_detail: string | null;
  /** Cash taken at the counter: the counter's receipt, the officer who recorded it and the officer's agency. */
  cash_receipt_no: string | null;
  cash_recorded_by: string | null;
  cash_agency_code: string | null;
}

/**
 * Every change to a dossier's payments first locks its payment_dossiers row: one lock order (dossier, then its
 * intents) for consumers, callbacks, expiry and reconciliation, so they serialise per dossier and never deadlock.
 */
export async function lockDossier(m: EntityManager, dossierId: string): Promise<DossierRow | undefined> {
  const rows = await m.query<DossierRow[]>('SELECT * FROM payment_dossiers WHERE dossier_id = $1 FOR UPDATE', [
    dossierId,
  ]);
  return rows[0];
}

export async function findDossier(m: EntityManager, dossierId: string): Promise<DossierRow | undefined> {
  const rows = await m.query<DossierRow[]>('SELECT * FROM payment_dossiers WHERE dossier_id = $1', [dossierId]);
  return rows[0];
}

export async function findIntent(m: EntityManager, paymentId: string): Promise<IntentRow | undefined> {
  const rows = await m.query<IntentRow[]>('SELECT * FROM payment_intents WHERE payment_id = $1', [paymentId]);
  return rows[0];
}

/** Oldest first. */
export async function intentsOf(m: EntityManager, dossierId: string): Promise<IntentRow[]> {
  return await m.query<IntentRow[]>(
    'SELECT * FROM payment_intents WHERE dossier_id = $1 ORDER BY created_at, payment_id',
    [dossierId],
  );
}

export async function setDossierState(m: EntityManager, dossierId: string, state: DossierPaymentState): Promise<void> {
  await m.query('UPDATE payment_dossiers SET state = $2, updated_at = now() WHERE dossier_id = $1', [dossierId, state]);
}

export function intentView(i: IntentRow) {
  return {
    paymentId: i.payment_id,
    dossierId: i.dossier_id,
    amountVnd: Number(i.amount_vnd),
    status: i.status,
    createdAt: i.created_at.toISOString(),
    expiresAt: i.expires_at.toISOString(),
    sessionId: i.session_id,
    checkoutUrl: i.checkout_url,
    gatewayReference: i.gateway_reference,
    method: i.method,
    settledAt: i.settled_at?.toISOString() ?? null,
    settledVia: i.settled_via,
    failureReason: i.failure_reason,
    flag: i.flag,
    receiptNo: i.cash_receipt_no,
  };
}
export type IntentView = ReturnType<typeof intentView>;
