import { useTranslation } from 'react-i18next';
import type { DossierHistoryEntry, TimelineEntry } from '../api/types';
import { formatDate, formatDateTime, formatVnd } from '../i18n/format';

export interface Step {
  at: string;
  /** A timeline kind (`dossier.submitted`, `case.IN_PROCESS`, `sla.OVERDUE`) or `status.<STATUS>` from intake. */
  kind: string;
  detail: Record<string, unknown>;
}

/** The dossier status each case-tracking entry stands for (to avoid showing intake's record of it twice). */
const STATUS_OF_KIND: Record<string, string> = {
  'dossier.submitted': 'SUBMITTED',
  'identity.verified': 'IDENTITY_VERIFIED',
  'identity.rejected': 'IDENTITY_REJECTED',
  'payment.requested': 'AWAITING_PAYMENT',
  'payment.completed': 'PAID',
  'payment.waived': 'WAIVED',
};

const MACHINE_REASONS = new Set(['SUBMITTED', 'AWAITING_PAYMENT', 'PAID', 'RECEIVED', 'COMPLETED']);

function statusOf(kind: string): string | undefined {
  if (kind.startsWith('case.')) return kind.slice(5);
  return STATUS_OF_KIND[kind];
}

/**
 * One story from two sources: case-tracking's timeline (every event it consumed and every case move, with SLA
 * flags) and intake's status history (which also knows steps before case-tracking heard of the dossier, and
 * payment failures). Intake's entries are added only for statuses the timeline does not show.
 */
export function mergeSteps(timeline: readonly TimelineEntry[], history: readonly DossierHistoryEntry[]): Step[] {
  const steps: Step[] = timeline.map((e) => ({ at: e.at, kind: e.kind, detail: e.detail }));
  const covered = new Set(steps.map((s) => statusOf(s.kind)).filter(Boolean));
  for (const h of history) {
    if (!h.applied || !h.status || covered.has(h.status)) continue;
    covered.add(h.status);
    // Intake's reasons for these are its own bookkeeping (amounts, ISO dates); the others are worth showing.
    const worded = h.reason && !MACHINE_REASONS.has(h.status);
    steps.push({ at: h.occurredAt, kind: `status.${h.status}`, detail: worded ? { reason: h.reason } : {} });
  }
  return steps.sort((a, b) => a.at.localeCompare(b.at));
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v ? v : undefined;
}

function StepDetail({ step, showActors }: { step: Step; showActors: boolean }) {
  const { t } = useTranslation();
  const d = step.detail;
  const lines: string[] = [];
  const amount = d['amountVnd'];
  if (typeof amount === 'number') lines.push(t('timeline.amount', { amount: formatVnd(amount) }));
  const due = str(d['dueAt']);
  // The due date when it is set or moves: at reception, on SLA flags, and after a transfer (new agency's clock).
  if (due && (step.kind === 'case.RECEIVED' || step.kind.startsWith('sla.') || step.kind === 'case.TRANSFERRED')) {
    lines.push(t('timeline.due', { date: formatDateTime(due) }));
  }
  const to = str(d['toAgencyCode']);
  if (to && step.kind === 'case.TRANSFERRED') lines.push(t('timeline.transferredTo', { agency: to }));
  const reason = str(d['reason']);
  if (reason) lines.push(t('timeline.reason', { reason }));
  const actor = d['actor'] as { kind?: unknown; id?: unknown } | undefined;
  if (showActors && actor && typeof actor.kind === 'string' && typeof actor.id === 'string') {
    lines.push(
      t('timeline.by', { actor: `${t(`timeline.actor.${actor.kind}`, { defaultValue: actor.kind })} ${actor.id}` }),
    );
  }
  const receipt = str(d['receiptCode']);
  if (receipt && step.kind === 'dossier.submitted') lines.push(t('timeline.receipt', { code: receipt }));
  if (lines.length === 0) return null;
  return (
    <ul className="timeline__details">
      {lines.map((l) => (
        <li key={l}>{l}</li>
      ))}
    </ul>
  );
}

export function stepTitle(t: (k: string, o?: Record<string, unknown>) => string, kind: string): string {
  if (kind.startsWith('status.')) return t(`status.${kind.slice(7)}`, { defaultValue: kind.slice(7) });
  if (kind.startsWith('case.'))
    return t(`timeline.case`, { status: t(`status.${kind.slice(5)}`, { defaultValue: kind.slice(5) }) });
  return t(`timeline.kinds.${kind.replace(/\./g, '_')}`, { defaultValue: kind });
}

/** The dossier's steps, oldest first; officers also see who did each move. */
export function Timeline({
  steps,
  showActors = false,
  dueAt,
}: {
  steps: readonly Step[];
  showActors?: boolean;
  dueAt?: string | null;
}) {
  const { t } = useTranslation();
  if (steps.length === 0) return <p>{t('timeline.empty')}</p>;
  return (
    <>
      {dueAt ? (
        <p className="timeline__due" data-testid="timeline-due">
          {t('timeline.slaDue', { date: formatDate(dueAt) })}
        </p>
      ) : null}
      <ol className="timeline" data-testid="timeline">
        {steps.map((s, i) => {
          const tone =
            s.kind.startsWith('sla.') || s.kind.endsWith('rejected') || s.kind.endsWith('failed')
              ? ' timeline__item--warn'
              : '';
          return (
            <li
              key={`${s.at}-${s.kind}-${i}`}
              className={`timeline__item${tone}`}
              data-testid="timeline-entry"
              data-kind={s.kind}
            >
              <time dateTime={s.at}>{formatDateTime(s.at)}</time>
              <strong>{stepTitle(t, s.kind)}</strong>
              <StepDetail step={s} showActors={showActors} />
            </li>
          );
        })}
      </ol>
    </>
  );
}
