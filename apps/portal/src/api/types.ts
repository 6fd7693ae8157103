/**
 * Shapes of the service answers the portal reads (through the gateway). Only the fields the portal uses; the
 * services may send more. The dossier answers are intake's own types (@hoso/api-types), under the portal's names.
 */
import type { AttachmentView, DossierHistoryEntryView, DossierSummaryView, DossierView } from '@hoso/api-types';
import type { FormField } from '@hoso/e-forms';

export type { AttachmentView, FormField };

export interface Page<T> {
  items: T[];
  page: number;
  pageSize: number;
  total: number;
}

export type AgencyLevel = 'commune' | 'province' | 'ministry';
export type ServiceLevel = 'FULL' | 'PARTIAL';

export interface ProcedureSummary {
  code: string;
  name: string;
  nameEn: string;
  area: string;
  agencyLevel: AgencyLevel;
  ministryAgencyCode: string | null;
  serviceLevel: ServiceLevel;
  feeVnd: number;
  processingWorkingDays: number;
  requiredVneidLevel: number;
}

export interface RequiredDocument {
  name: string;
  nameEn: string;
  required: boolean;
}

export interface Procedure extends ProcedureSummary {
  requiredDocuments: RequiredDocument[];
  form: FormField[];
}

export interface Area {
  id: string;
  name: string;
  nameEn: string;
  procedureCount: number;
}

export interface Province {
  code: string;
  name: string;
  fullName: string;
  nameEn: string;
}

export interface Agency {
  code: string;
  name: string;
  nameEn: string;
  level: AgencyLevel;
  provinceCode: string | null;
  communeCode: string | null;
}

export interface ChallengeCreated {
  challengeId: string;
  expiresAt?: string;
}

export interface DevCode {
  challengeId: string;
  code: string;
  expiresAt?: string;
}

export interface PrefillAnswer {
  values: Record<string, string>;
  prefillToken: string;
}

export interface SubmitAnswer {
  id: string;
  receiptCode: string;
  status: string;
}

/** `GET /api/intake/dossiers` rows. */
export type DossierSummary = DossierSummaryView;
export type DossierHistoryEntry = DossierHistoryEntryView;
/** `GET /api/intake/dossiers/:id`: every attachment with its `purpose`. */
export type Dossier = DossierView;

export type PaymentStatus = 'PENDING' | 'SUCCEEDED' | 'FAILED' | 'EXPIRED' | 'CANCELLED';

export interface PaymentIntent {
  paymentId: string;
  dossierId: string;
  amountVnd: number;
  status: PaymentStatus;
  createdAt: string;
  expiresAt: string;
  checkoutUrl: string | null;
  method: string | null;
  settledAt: string | null;
  failureReason: string | null;
}

export interface DossierPayments {
  dossierId: string;
  state: string;
  baseAmountVnd: number | null;
  amountVnd: number | null;
  waiverReason: string | null;
  items: PaymentIntent[];
}

export interface Checkout {
  paymentId: string;
  sessionId: string;
  checkoutUrl: string;
  amountVnd: number;
  expiresAt: string;
}

export type CaseStatus =
  | 'RECEIVED'
  | 'TRANSFERRED'
  | 'IN_PROCESS'
  | 'SUPPLEMENT_REQUESTED'
  | 'APPROVED'
  | 'REJECTED'
  | 'RESULT_ISSUED'
  | 'COMPLETED'
  | 'WITHDRAWN';

export interface CaseView {
  id: string;
  dossierId: string;
  receiptCode: string;
  procedureCode: string;
  provinceCode: string;
  agencyCode: string;
  status: CaseStatus;
  assignee: string | null;
  receivedAt: string;
  dueAt: string;
  overdue: boolean;
  outcome: 'APPROVED' | 'REJECTED' | null;
  resultDocument: {
    id: string;
    sha256: string | null;
    /** Results issued before signing carry only the old hash; signed ones a code checked at /verify/<code>. */
    verificationHash: string | null;
    verificationCode?: string | null;
  } | null;
  completedAt: string | null;
  rating: { score: number; comment: string | null } | null;
  version: number;
}

export interface QueuePage {
  page: number;
  pageSize: number;
  hasMore: boolean;
  items: CaseView[];
}

export interface TimelineEntry {
  at: string;
  source: 'event' | 'case';
  kind: string;
  detail: Record<string, unknown>;
}

export interface Timeline {
  dossierId: string;
  /** Set once the case is open. */
  caseId?: string | null;
  entries: TimelineEntry[];
}
