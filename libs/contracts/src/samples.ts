import type { Payload, Topic } from './catalog';

const dossierId = '0193a0b0-7c1e-7000-8000-00000000d051';
const caseId = '0193a0b0-7c1e-7000-8000-0000000ca5e1';
const paymentId = '0193a0b0-7c1e-7000-8000-0000000ba1d0';
const at = '2026-11-26T08:30:00.000+07:00';

/**
 * One valid payload per topic: documentation by example, the base of contract tests, and a handy
 * starting point for fixtures in service tests.
 */
export const samplePayloads: { [T in Topic]: Payload<T> } = {
  'dossier.submitted.v1': {
    dossierId,
    receiptCode: 'H33.01-261126-000042',
    procedureCode: '1.001193',
    agencyCode: 'H33.01',
    provinceCode: '33',
    channel: 'ONLINE',
    serviceLevel: 'FULL',
    applicant: { personalId: '033099000123', fullName: 'Nguyễn Văn An', birthDate: '1999-04-30' },
    requiredVneidLevel: 2,
    feeVnd: 8000,
    processingWorkingDays: 3,
    form: { fatherName: 'Nguyễn Văn Bình', childName: 'Nguyễn Minh Châu' },
    attachments: [
      {
        id: 'att-1',
        fileName: 'giay-chung-sinh.pdf',
        contentType: 'application/pdf',
        sizeBytes: 123456,
        sha256: 'a'.repeat(64),
      },
    ],
    submittedAt: at,
  },
  'dossier.withdrawn.v1': {
    dossierId,
    receiptCode: 'H33.01-261126-000042',
    agencyCode: 'H33.01',
    reason: 'submitted by mistake',
    withdrawnAt: at,
  },
  'identity.verified.v1': { dossierId, personalId: '033099000123', vneidLevel: 2, verifiedAt: at },
  'identity.rejected.v1': {
    dossierId,
    personalId: '033099000123',
    reason: 'DECEASED',
    detail: 'registry marks the person deceased',
    rejectedAt: at,
  },
  'payment.requested.v1': {
    dossierId,
    paymentId,
    amountVnd: 8000,
    expiresAt: '2026-11-27T08:30:00.000+07:00',
    requestedAt: at,
  },
  'payment.waived.v1': { dossierId, reason: 'ONLINE_EXEMPTION', baseAmountVnd: 8000, waivedAt: at },
  'payment.completed.v1': {
    dossierId,
    paymentId,
    amountVnd: 8000,
    method: 'EWALLET',
    online: true,
    gatewayReference: 'PGW-000001',
    completedAt: at,
  },
  'payment.failed.v1': {
    dossierId,
    paymentId,
    reason: 'EXPIRED',
    detail: 'not paid within 24h',
    final: true,
    failedAt: at,
  },
  'payment.refunded.v1': { dossierId, paymentId, amountVnd: 8000, reason: 'case rejected', refundedAt: at },
  'case.received.v1': {
    dossierId,
    caseId,
    receiptCode: 'H33.01-261126-000042',
    agencyCode: 'H33.01',
    procedureCode: '1.001193',
    provinceCode: '33',
    receivedAt: at,
    dueAt: '2026-12-01T17:00:00.000+07:00',
    processingWorkingDays: 3,
  },
  'case.status-changed.v1': {
    dossierId,
    caseId,
    agencyCode: 'H33.01',
    from: 'RECEIVED',
    to: 'IN_PROCESS',
    actor: { kind: 'officer', id: 'officer-h33-01-1' },
    reason: null,
    changedAt: at,
    dueAt: '2026-12-01T17:00:00.000+07:00',
  },
  'case.completed.v1': {
    dossierId,
    caseId,
    agencyCode: 'H33.01',
    procedureCode: '1.001193',
    provinceCode: '33',
    outcome: 'APPROVED',
    receivedAt: at,
    dueAt: '2026-12-01T17:00:00.000+07:00',
    completedAt: '2026-11-28T10:00:00.000+07:00',
    onTime: true,
    fullyOnline: true,
    resultDocument: { id: 'result-1', sha256: 'b'.repeat(64) },
  },
  'metrics.completion-rate.v1': {
    dimension: 'province',
    key: '33',
    period: { from: '2026-11-01T00:00:00.000+07:00', to: '2026-12-01T00:00:00.000+07:00' },
    counts: {
      submitted: 100,
      submittedOnline: 70,
      completed: 80,
      completedOnTime: 76,
      completedFullyOnline: 45,
      withFee: 60,
      paidOnline: 30,
    },
    rates: { onlineSubmission: 0.7, completion: 0.8, onTime: 0.95, endToEnd: 0.45, onlinePayment: 0.5 },
    snapshotAt: at,
  },
};
