import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { formatDateTime } from '../i18n/format';

export function useNow(intervalMs = 30_000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const id = setInterval(() => {
      setNow(Date.now());
    }, intervalMs);
    return () => {
      clearInterval(id);
    };
  }, [intervalMs]);
  return now;
}

/** Due within this long (and not yet overdue) counts as "due soon". */
export const DUE_SOON_MS = 2 * 24 * 3600 * 1000;

export type SlaState = 'overdue' | 'dueSoon' | 'onTrack' | 'paused' | 'stopped';

export function slaState(c: { dueAt: string; overdue: boolean; status: string }, now: number): SlaState {
  if (c.status === 'COMPLETED' || c.status === 'WITHDRAWN') return 'stopped';
  if (c.status === 'SUPPLEMENT_REQUESTED') return 'paused';
  const left = new Date(c.dueAt).getTime() - now;
  if (c.overdue || left < 0) return 'overdue';
  return left <= DUE_SOON_MS ? 'dueSoon' : 'onTrack';
}

/** "2 ngày 3 giờ" / "2 d 3 h": the time left (or past) until a deadline, in days and hours. */
export function useDuration(): (ms: number) => string {
  const { t } = useTranslation();
  return (ms: number) => {
    const abs = Math.abs(ms);
    const days = Math.floor(abs / 86_400_000);
    const hours = Math.floor((abs % 86_400_000) / 3_600_000);
    const minutes = Math.floor((abs % 3_600_000) / 60_000);
    if (days > 0) return t('sla.daysHours', { days, hours });
    if (hours > 0) return t('sla.hoursMinutes', { hours, minutes });
    return t('sla.minutes', { minutes });
  };
}

/** The SLA clock of a case: due date, time left or overdue, paused while the citizen supplies documents. */
export function SlaClock({ c }: { c: { dueAt: string; overdue: boolean; status: string } }) {
  const { t } = useTranslation();
  const now = useNow();
  const duration = useDuration();
  const state = slaState(c, now);
  const left = new Date(c.dueAt).getTime() - now;
  return (
    <div className={`sla sla--${state}`} data-testid="sla-clock" data-sla-state={state}>
      <span className="sla__label">{t(`sla.state.${state}`)}</span>
      <span className="sla__time">
        {state === 'overdue'
          ? t('sla.overdueBy', { duration: duration(left) })
          : state === 'stopped'
            ? null
            : t('sla.left', { duration: duration(left) })}
      </span>
      <span className="sla__due small">{t('sla.due', { date: formatDateTime(c.dueAt) })}</span>
    </div>
  );
}
