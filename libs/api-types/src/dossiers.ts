/**
 * The intake service's dossier answers (apps/intake/src/dossiers/read-dossiers, attachments): what intake builds and
 * what the portal reads. Instants are ISO 8601 strings.
 */

/** One row of `GET /dossiers` (a citizen's own, an officer's agency's), and the head of `GET /dossiers/:id`. */
export interface DossierSummaryView {
  id: string;
  receiptCode: string;
  procedureCode: string;
  /** Set in the list, joined from the catalog (the dossier itself stores only the code). */
  procedureName?: string;
  agencyCode: string;
  handlingAgencyCode: string;
  channel: string;
  status: string;
  statusAt: string;
  submittedAt: string;
}

/** `POST /attachments`: an uploaded document, its uploader's until a dossier claims it. */
export interface AttachmentView {
  id: string;
  fileName: string;
  contentType: string;
  sizeBytes: number;
  sha256: string;
}

/** Why a document is in a dossier: sent with the submission, or supplied later on the agency's request. */
export type AttachmentPurpose = 'SUBMISSION' | 'SUPPLEMENT';

/** One document of a dossier; `purpose` tells the submitted documents from those supplied on request later. */
export interface DossierAttachmentView extends AttachmentView {
  purpose: AttachmentPurpose;
}

/** One step of a dossier's status history; `applied: false` is an event that did not change the status. */
export interface DossierHistoryEntryView {
  status: string | null;
  applied: boolean;
  source: string;
  eventId: string | null;
  reason: string | null;
  occurredAt: string;
}

/** `GET /dossiers/:id`. */
export interface DossierView extends DossierSummaryView {
  requestedAgencyCode: string;
  provinceCode: string;
  serviceLevel: string;
  applicant: { personalId: string; fullName: string; birthDate: string };
  form: Record<string, unknown>;
  feeVnd: number;
  processingWorkingDays: number;
  requiredVneidLevel: number;
  prefilledFields: number | null;
  formFieldCount: number;
  attachments: DossierAttachmentView[];
  history: DossierHistoryEntryView[];
}
