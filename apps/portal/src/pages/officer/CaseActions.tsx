import { useEffect, useRef, useState, type SubmitEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../../api/client';
import { useAction } from '../../api/hooks';
import type { Agency, CaseView } from '../../api/types';
import { ErrorMessage } from '../../components/AsyncState';

type Reasoned = 'supplement' | 'approve' | 'reject' | 'transfer';

/** Which moves the case's status allows (the server decides; this only hides buttons that cannot work). */
export function availableActions(status: string): {
  claim: boolean;
  supplement: boolean;
  decide: boolean;
  issue: boolean;
  complete: boolean;
  transfer: boolean;
} {
  return {
    claim: status === 'RECEIVED' || status === 'TRANSFERRED',
    supplement: status === 'IN_PROCESS',
    decide: status === 'IN_PROCESS',
    issue: status === 'APPROVED' || status === 'REJECTED',
    complete: status === 'RESULT_ISSUED',
    transfer: status === 'RECEIVED' || status === 'TRANSFERRED' || status === 'IN_PROCESS',
  };
}

function useTransferTargets(enabled: boolean): Agency[] {
  const [agencies, setAgencies] = useState<Agency[]>([]);
  useEffect(() => {
    if (!enabled) return;
    let cancelled = false;
    Promise.all([
      api<Agency[]>('/api/intake/agencies?level=province'),
      api<Agency[]>('/api/intake/agencies?level=ministry'),
    ]).then(
      ([p, m]) => {
        if (!cancelled) setAgencies([...p, ...m]);
      },
      // Suggestions only: the officer can still type a code.
      () => undefined,
    );
    return () => {
      cancelled = true;
    };
  }, [enabled]);
  return agencies;
}

/**
 * The officer's moves on a case. Every move goes to case-tracking; a refusal (not the assignee, a move the
 * state machine does not allow, a stale case) is shown with the server's own message.
 */
export function CaseActions({ c, onMoved }: { c: CaseView; onMoved: (next: CaseView) => void }) {
  const { t, i18n } = useTranslation();
  const lang = i18n.resolvedLanguage ?? 'vi';
  const [open, setOpen] = useState<Reasoned | null>(null);
  const [reason, setReason] = useState('');
  const [target, setTarget] = useState('');
  const [missing, setMissing] = useState(false);
  const [done, setDone] = useState<string | null>(null);
  const reasonRef = useRef<HTMLTextAreaElement>(null);
  const announce = useRef<HTMLParagraphElement>(null);
  const can = availableActions(c.status);
  const targets = useTransferTargets(open === 'transfer');

  const move = useAction(async (path: string, body: unknown, label: string) => {
    const next = await api<CaseView>(
      `/api/cases/cases/${c.id}/${path}`,
      body === undefined ? { method: 'POST' } : { json: body },
    );
    setOpen(null);
    setReason('');
    setTarget('');
    setDone(label);
    onMoved(next);
  });

  useEffect(() => {
    if (open) reasonRef.current?.focus();
  }, [open]);
  useEffect(() => {
    if (done) announce.current?.focus();
  }, [done]);

  const start = (kind: Reasoned) => {
    move.reset();
    setDone(null);
    setMissing(false);
    setOpen(kind);
  };

  const submitReasoned = (e: SubmitEvent<HTMLFormElement>) => {
    e.preventDefault();
    if (!reason.trim() || (open === 'transfer' && !target.trim())) {
      setMissing(true);
      return;
    }
    setMissing(false);
    const text = reason.trim();
    switch (open) {
      case 'supplement':
        void move.run('supplement-requests', { message: text }, t('case.done.supplement'));
        break;
      case 'approve':
        void move.run('decision', { outcome: 'APPROVED', reason: text }, t('case.done.approve'));
        break;
      case 'reject':
        void move.run('decision', { outcome: 'REJECTED', reason: text }, t('case.done.reject'));
        break;
      case 'transfer':
        void move.run('transfer', { toAgencyCode: target.trim().toUpperCase(), reason: text }, t('case.done.transfer'));
        break;
      case null:
        break;
    }
  };

  const nothing = !Object.values(can).some(Boolean);
  return (
    <section className="card panel" aria-labelledby="actions-title" data-testid="case-actions">
      <h2 id="actions-title">{t('case.actions')}</h2>
      {done ? (
        <p className="alert alert--ok" role="status" tabIndex={-1} ref={announce} data-testid="action-done">
          {done}
        </p>
      ) : null}
      {move.error ? <ErrorMessage error={move.error} /> : null}
      {nothing ? <p>{t('case.noActions')}</p> : null}
      <div className="actions">
        {can.claim ? (
          <button
            type="button"
            className="button button--primary"
            disabled={move.busy}
            onClick={() => void move.run('claim', undefined, t('case.done.claim'))}
            data-testid="action-claim"
          >
            {t('case.claim')}
          </button>
        ) : null}
        {can.supplement ? (
          <button
            type="button"
            className="button button--secondary"
            disabled={move.busy}
            aria-expanded={open === 'supplement'}
            onClick={() => {
              start('supplement');
            }}
            data-testid="action-request-supplement"
          >
            {t('case.requestSupplement')}
          </button>
        ) : null}
        {can.decide ? (
          <>
            <button
              type="button"
              className="button button--ok"
              disabled={move.busy}
              aria-expanded={open === 'approve'}
              onClick={() => {
                start('approve');
              }}
              data-testid="action-approve"
            >
              {t('case.approve')}
            </button>
            <button
              type="button"
              className="button button--danger"
              disabled={move.busy}
              aria-expanded={open === 'reject'}
              onClick={() => {
                start('reject');
              }}
              data-testid="action-reject"
            >
              {t('case.reject')}
            </button>
          </>
        ) : null}
        {can.issue ? (
          <button
            type="button"
            className="button button--primary"
            disabled={move.busy}
            onClick={() => void move.run('result', undefined, t('case.done.issue'))}
            data-testid="action-issue-result"
          >
            {t('case.issueResult')}
          </button>
        ) : null}
        {can.complete ? (
          <button
            type="button"
            className="button button--primary"
            disabled={move.busy}
            onClick={() => void move.run('complete', undefined, t('case.done.complete'))}
            data-testid="action-complete"
          >
            {t('case.complete')}
          </button>
        ) : null}
        {can.transfer ? (
          <button
            type="button"
            className="button button--secondary"
            disabled={move.busy}
            aria-expanded={open === 'transfer'}
            onClick={() => {
              start('transfer');
            }}
            data-testid="action-transfer"
          >
            {t('case.transfer')}
          </button>
        ) : null}
      </div>
      {open ? (
        <form
          className="reason-form"
          onSubmit={submitReasoned}
          noValidate
          onKeyDown={(e) => {
            if (e.key === 'Escape') setOpen(null);
          }}
          data-testid="reason-form"
        >
          <h3>{t(`case.form.${open}`)}</h3>
          {open === 'transfer' ? (
            <div className={`field${missing && !target.trim() ? ' field--invalid' : ''}`}>
              <label htmlFor="transfer-target">{t('case.transferTo')}</label>
              <input
                id="transfer-target"
                list="transfer-targets"
                value={target}
                autoComplete="off"
                onChange={(e) => {
                  setTarget(e.target.value);
                }}
                aria-describedby="transfer-hint"
                data-testid="transfer-target"
              />
              <datalist id="transfer-targets">
                {targets
                  .filter((a) => a.code !== c.agencyCode)
                  .map((a) => (
                    <option key={a.code} value={a.code}>
                      {lang === 'en' ? a.nameEn : a.name}
                    </option>
                  ))}
              </datalist>
              <p id="transfer-hint" className="hint">
                {t('case.transferHint')}
              </p>
            </div>
          ) : null}
          <div className={`field${missing && !reason.trim() ? ' field--invalid' : ''}`}>
            <label htmlFor="action-reason">
              {open === 'supplement' ? t('case.supplementMessage') : t('case.reason')}
            </label>
            <textarea
              id="action-reason"
              ref={reasonRef}
              rows={3}
              maxLength={2000}
              value={reason}
              onChange={(e) => {
                setReason(e.target.value);
              }}
              aria-invalid={missing && !reason.trim() ? true : undefined}
              aria-describedby={missing ? 'action-reason-error' : undefined}
              data-testid="action-reason"
            />
            {missing ? (
              <p id="action-reason-error" className="field-error">
                {t('form.errors.required')}
              </p>
            ) : null}
          </div>
          <div className="actions">
            <button type="submit" className="button button--primary" disabled={move.busy} data-testid="action-confirm">
              {move.busy ? t('common.sending') : t('case.confirm')}
            </button>
            <button
              type="button"
              className="button button--secondary"
              onClick={() => {
                setOpen(null);
              }}
              data-testid="action-cancel"
            >
              {t('common.cancel')}
            </button>
          </div>
        </form>
      ) : null}
    </section>
  );
}
