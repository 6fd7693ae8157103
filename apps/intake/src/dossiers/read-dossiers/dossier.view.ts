import type { DossierAttachmentView, DossierSummaryView, DossierView } from '@hoso/api-types';
import type { DossierRow, HistoryRow } from '../dossier.repository';

// The answers' shapes are shared with the portal (@hoso/api-types); this file builds them from intake's rows.
export type { DossierAttachmentView, DossierSummaryView, DossierView };

export function toSummaryView(r: DossierRow & { procedure_name?: string }): DossierSummaryView {
  return {
    id: r.id,
    receiptCode: r.receipt_code,
    procedureCode: r.procedure_code,
    ...(r.procedure_name ? { procedureName: r.procedure_name } : {}),
    agencyCode: r.agency_code,
    handlingAgencyCode: r.handling_agency_code,
    channel: r.channel,
    status: r.status,
    statusAt: r.status_at.toISOString(),
    submittedAt: r.submitted_at.toISOString(),
  };
}

export function toDossierView(
  r: DossierRow,
  history: HistoryRow[],
  attachments: DossierView['attachments'],
): DossierView {
  return {
    ...toSummaryView(r),
    requestedAgencyCode: r.requested_agency_code,
    provinceCode: r.province_code,
    serviceLevel: r.service_level,
    applicant: {
      personalId: r.applicant_personal_id,
      fullName: r.applicant_full_name,
      birthDate: r.applicant_birth_date,
    },
    form: r.form,
    feeVnd: Number(r.fee_vnd),
    processingWorkingDays: r.processing_working_days,
    requiredVneidLevel: r.required_vneid_level,
    prefilledFields: r.prefilled_fields,
    formFieldCount: r.form_field_count,
    attachments,
    history: history.map((h) => ({
      status: h.status,
      applied: h.applied,
      source: h.source,
      eventId: h.event_id,
      reason: h.reason,
      occurredAt: h.occurred_at.toISOString(),
    })),
  };
}
