import { useTranslation } from 'react-i18next';

/** Tone of a dossier or case status, for colour (always with its text, never colour alone). */
export function statusTone(status: string): 'info' | 'warn' | 'ok' | 'bad' | 'neutral' {
  switch (status) {
    case 'AWAITING_PAYMENT':
    case 'PAYMENT_FAILED':
    case 'SUPPLEMENT_REQUESTED':
      return 'warn';
    case 'APPROVED':
    case 'RESULT_ISSUED':
    case 'COMPLETED':
    case 'PAID':
    case 'WAIVED':
    case 'IDENTITY_VERIFIED':
      return 'ok';
    case 'IDENTITY_REJECTED':
    case 'REJECTED':
    case 'EXPIRED':
      return 'bad';
    case 'WITHDRAWN':
      return 'neutral';
    default:
      return 'info';
  }
}

export function StatusBadge({ status, testId }: { status: string; testId?: string }) {
  const { t } = useTranslation();
  return (
    <span className={`badge badge--${statusTone(status)}`} data-testid={testId} data-status={status}>
      {t(`status.${status}`, { defaultValue: status })}
    </span>
  );
}
