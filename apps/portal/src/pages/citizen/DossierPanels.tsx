import { useState, type SubmitEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { api } from '../../api/client';
import { useAction, useApi } from '../../api/hooks';
import type { CaseView, Checkout, Dossier, DossierPayments, PaymentIntent } from '../../api/types';
import { AttachmentSlot, formatBytes, useUploads } from '../../components/AttachmentPicker';
import { AsyncState, ErrorMessage } from '../../components/AsyncState';
import { DownloadButton } from '../../components/DownloadButton';
import { formatDateTime, formatVnd } from '../../i18n/format';

/** The fee and the way to pay it: the gateway's checkout page, which sends the citizen back here. */
export function PaymentPanel({
  dossierId,
  status,
  returning,
  pollMs,
}: {
  dossierId: string;
  status: string;
  returning: boolean;
  pollMs: number | null;
}) {
  const { t } = useTranslation();
  const res = useApi<DossierPayments>(`/api/payment/payments?dossierId=${dossierId}`, { pollMs });
  const pay = useAction(async (payments: DossierPayments) => {
    let pending: PaymentIntent | undefined = payments.items.find((i) => i.status === 'PENDING');
    pending ??= await api<PaymentIntent>(`/api/payment/payments/dossiers/${dossierId}/intents`, { method: 'POST' });
    const returnUrl = `${window.location.origin}/dossiers/${dossierId}?payment=return`;
    const checkout = await api<Checkout>(`/api/payment/payments/${pending.paymentId}/checkout`, {
      json: { returnUrl },
    });
    window.location.assign(checkout.checkoutUrl);
  });
  const payable = status === 'AWAITING_PAYMENT' || status === 'PAYMENT_FAILED';
  return (
    <section className="card panel" aria-labelledby="payment-title" data-testid="payment-panel">
      <h2 id="payment-title">{t('payment.title')}</h2>
      <AsyncState {...res}>
        {(p) => {
          const last = p.items.at(-1);
          const paid = p.items.find((i) => i.status === 'SUCCEEDED');
          return (
            <>
              {p.amountVnd !== null ? (
                <p>
                  {t('payment.amount')}: <strong data-testid="payment-amount">{formatVnd(p.amountVnd)}</strong>
                  {p.baseAmountVnd !== null && p.baseAmountVnd !== p.amountVnd ? (
                    <span className="small"> ({t('payment.base', { amount: formatVnd(p.baseAmountVnd) })})</span>
                  ) : null}
                </p>
              ) : null}
              {p.waiverReason ? <p>{t('payment.waived', { reason: p.waiverReason })}</p> : null}
              {paid ? (
                <p className="alert alert--ok" data-testid="payment-paid">
                  {t('payment.paidAt', { date: paid.settledAt ? formatDateTime(paid.settledAt) : '—' })}
                </p>
              ) : null}
              {payable && returning && status === 'AWAITING_PAYMENT' ? (
                <p role="status" className="alert alert--info" data-testid="payment-confirming">
                  {t('payment.confirming')}
                </p>
              ) : null}
              {payable && last && (last.status === 'FAILED' || last.status === 'EXPIRED') ? (
                <p className="alert alert--warn">
                  {t('payment.lastFailed', { reason: last.failureReason ?? last.status })}
                </p>
              ) : null}
              {payable && p.items.length === 0 && p.state !== 'AWAITING_PAYMENT' ? (
                <p role="status">{t('payment.preparing')}</p>
              ) : null}
              {payable && (p.items.length > 0 || p.state === 'AWAITING_PAYMENT') ? (
                <div className="actions">
                  <button
                    type="button"
                    className="button button--primary"
                    onClick={() => void pay.run(p)}
                    disabled={pay.busy}
                    data-testid="pay-button"
                  >
                    {pay.busy
                      ? t('payment.opening')
                      : t('payment.pay', { amount: formatVnd(p.amountVnd ?? last?.amountVnd ?? 0) })}
                  </button>
                  <p className="small">{t('payment.gatewayNote')}</p>
                </div>
              ) : null}
              {pay.error ? <ErrorMessage error={pay.error} /> : null}
            </>
          );
        }}
      </AsyncState>
    </section>
  );
}

/** The officer asked for more documents: the citizen uploads them and answers with a note. */
export function SupplementPanel({
  caseView,
  dossierStatus,
  request,
  onDone,
}: {
  caseView: CaseView;
  /** The dossier's status in intake, which takes the files only once it has heard of the request too. */
  dossierStatus: string;
  request: string | undefined;
  onDone: () => void;
}) {
  const { t } = useTranslation();
  const uploads = useUploads();
  const [note, setNote] = useState('');
  const [noteError, setNoteError] = useState(false);
  const attachmentIds = uploads.uploads.flatMap((u) => (u.state === 'done' && u.attachment ? [u.attachment.id] : []));
  // The case moves first and the dossier follows a moment later: files sent in between would be refused.
  const waitingForDossier = attachmentIds.length > 0 && dossierStatus !== 'SUPPLEMENT_REQUESTED';
  const action = useAction(async () => {
    if (attachmentIds.length) {
      // Into the dossier first: only then can the agency's officers open the files. A refusal (shown with intake's
      // message) stops here, so the case never moves on without the documents; a retry finds them linked already.
      await api(`/api/intake/dossiers/${caseView.dossierId}/attachments`, { json: { attachmentIds } });
    }
    await api(`/api/cases/cases/${caseView.id}/supplements`, {
      json: { note: note.trim(), ...(attachmentIds.length ? { attachmentIds } : {}) },
    });
    onDone();
  });
  const submit = (e: SubmitEvent<HTMLFormElement>) => {
    e.preventDefault();
    if (!note.trim()) {
      setNoteError(true);
      return;
    }
    setNoteError(false);
    if (waitingForDossier) return;
    void action.run();
  };
  return (
    <section className="card panel panel--attention" aria-labelledby="supplement-title" data-testid="supplement-panel">
      <h2 id="supplement-title">{t('supplement.title')}</h2>
      {request ? (
        <blockquote className="quote" data-testid="supplement-request">
          {request}
        </blockquote>
      ) : null}
      <p className="small">{t('supplement.clockPaused')}</p>
      <form onSubmit={submit} noValidate>
        <AttachmentSlot
          id="supplement-files"
          label={t('supplement.files')}
          required={false}
          uploads={uploads.uploads}
          onAdd={(files) => {
            uploads.add('supplement', files);
          }}
          onRemove={uploads.remove}
        />
        <p id="attachment-rules" className="hint">
          {t('attachments.rules')}
        </p>
        <div className={`field${noteError ? ' field--invalid' : ''}`}>
          <label htmlFor="supplement-note">{t('supplement.note')}</label>
          <textarea
            id="supplement-note"
            rows={3}
            maxLength={2000}
            value={note}
            onChange={(e) => {
              setNote(e.target.value);
            }}
            aria-invalid={noteError ? true : undefined}
            aria-describedby={noteError ? 'supplement-note-error' : undefined}
            data-testid="supplement-note"
          />
          {noteError ? (
            <p id="supplement-note-error" className="field-error">
              {t('form.errors.required')}
            </p>
          ) : null}
        </div>
        {waitingForDossier ? (
          <p className="small" role="status" data-testid="supplement-syncing">
            <span className="spinner" aria-hidden="true" /> {t('supplement.syncing')}
          </p>
        ) : null}
        <button
          type="submit"
          className="button button--primary"
          disabled={action.busy || uploads.busy || waitingForDossier}
          data-testid="supplement-submit"
        >
          {action.busy ? t('common.sending') : t('supplement.send')}
        </button>
        {action.error ? <ErrorMessage error={action.error} /> : null}
      </form>
    </section>
  );
}

/** A dossier document as intake lists it; `purpose` tells the documents supplied on request from the submitted ones. */
export type DossierAttachment = Dossier['attachments'][number];

/**
 * The dossier with only its submitted documents (for the details) and, apart, the documents supplied later on the
 * agency's request, which the citizen's and the officer's pages list under their own label.
 */
export function splitAttachments(dossier: Dossier): { submitted: Dossier; supplements: DossierAttachment[] } {
  const all: DossierAttachment[] = dossier.attachments;
  const supplements = all.filter((a) => a.purpose === 'SUPPLEMENT');
  if (supplements.length === 0) return { submitted: dossier, supplements };
  return { submitted: { ...dossier, attachments: all.filter((a) => a.purpose !== 'SUPPLEMENT') }, supplements };
}

/** The documents supplied on request, each labelled as such, with a download (nothing when there are none). */
export function SupplementDocuments({ attachments }: { attachments: DossierAttachment[] }) {
  const { t } = useTranslation();
  if (attachments.length === 0) return null;
  return (
    <>
      <h2>{t('attachments.supplementTitle')}</h2>
      <ul className="upload-list" data-testid="supplement-attachments">
        {attachments.map((a) => (
          <li key={a.id} className="upload" data-testid="supplement-attachment">
            <span className="upload__name">
              <span className="badge badge--info">{t('attachments.supplementBadge')}</span> {a.fileName}{' '}
              <span className="small">({formatBytes(a.sizeBytes)})</span>
            </span>
            <DownloadButton
              path={`/api/intake/attachments/${a.id}`}
              fileName={a.fileName}
              label={t('attachments.download')}
              className="link-button"
              testId="supplement-attachment-download"
            />
          </li>
        ))}
      </ul>
    </>
  );
}

/** The digital result and, once the case is completed, the rating. */
export function ResultPanel({ caseView, onRated }: { caseView: CaseView; onRated: () => void }) {
  const { t } = useTranslation();
  const [score, setScore] = useState<number | null>(null);
  const [comment, setComment] = useState('');
  const [scoreError, setScoreError] = useState(false);
  const rate = useAction(async () => {
    await api(`/api/cases/cases/${caseView.id}/rating`, {
      json: { score, ...(comment.trim() ? { comment: comment.trim() } : {}) },
    });
    onRated();
  });
  const submit = (e: SubmitEvent<HTMLFormElement>) => {
    e.preventDefault();
    if (score === null) {
      setScoreError(true);
      return;
    }
    setScoreError(false);
    void rate.run();
  };
  if (!caseView.resultDocument && caseView.status !== 'COMPLETED') return null;
  return (
    <section className="card panel" aria-labelledby="result-title" data-testid="result-panel">
      <h2 id="result-title">{t('result.title')}</h2>
      {caseView.outcome ? (
        <p data-testid="result-outcome">
          {t('result.outcome')}: <strong>{t(`status.${caseView.outcome}`)}</strong>
        </p>
      ) : null}
      {caseView.resultDocument ? (
        <>
          <DownloadButton
            path={`/api/cases/cases/${caseView.id}/result`}
            fileName={`${caseView.receiptCode}.pdf`}
            label={t('result.download')}
            testId="download-result"
            className="button button--primary"
          />
          {caseView.resultDocument.verificationCode ? (
            <p className="small" data-testid="result-verification">
              {t('result.verification')}:{' '}
              <Link to={`/verify/${caseView.resultDocument.verificationCode}`}>
                <code>{caseView.resultDocument.verificationCode}</code>
              </Link>
            </p>
          ) : caseView.resultDocument.verificationHash ? (
            <p className="small">
              {t('result.verification')}: <code>{caseView.resultDocument.verificationHash}</code>
            </p>
          ) : null}
        </>
      ) : null}
      {caseView.status === 'COMPLETED' ? (
        caseView.rating ? (
          <p data-testid="rating-done">{t('rating.thanks', { score: caseView.rating.score })}</p>
        ) : (
          <form onSubmit={submit} noValidate className="rating-form" data-testid="rating-form">
            <fieldset className={scoreError ? 'field--invalid' : undefined}>
              <legend>{t('rating.question')}</legend>
              <div className="stars">
                {[1, 2, 3, 4, 5].map((n) => (
                  <label key={n} className="star">
                    <input
                      type="radio"
                      name="score"
                      value={n}
                      checked={score === n}
                      onChange={() => {
                        setScore(n);
                      }}
                      data-testid={`rating-${n}`}
                    />
                    <span>
                      {n} <span aria-hidden="true">★</span>
                      <span className="visually-hidden"> {t(`rating.scale.${n}`)}</span>
                    </span>
                  </label>
                ))}
              </div>
              {scoreError ? <p className="field-error">{t('rating.chooseScore')}</p> : null}
            </fieldset>
            <div className="field">
              <label htmlFor="rating-comment">
                {t('rating.comment')} <span className="optional">({t('form.optional')})</span>
              </label>
              <textarea
                id="rating-comment"
                rows={2}
                maxLength={2000}
                value={comment}
                onChange={(e) => {
                  setComment(e.target.value);
                }}
              />
            </div>
            <button type="submit" className="button button--primary" disabled={rate.busy} data-testid="rate-submit">
              {t('rating.send')}
            </button>
            {rate.error ? <ErrorMessage error={rate.error} /> : null}
          </form>
        )
      ) : null}
    </section>
  );
}

/** Withdrawal before a decision, with a reason (intake refuses it afterwards, with its message). */
export function WithdrawPanel({ dossierId, onDone }: { dossierId: string; onDone: () => void }) {
  const { t } = useTranslation();
  const [open, setOpen] = useState(false);
  const [reason, setReason] = useState('');
  const [reasonError, setReasonError] = useState(false);
  const action = useAction(async () => {
    await api(`/api/intake/dossiers/${dossierId}/withdraw`, { json: { reason: reason.trim() } });
    setOpen(false);
    onDone();
  });
  if (!open) {
    return (
      <button
        type="button"
        className="button button--secondary"
        onClick={() => {
          setOpen(true);
        }}
        data-testid="withdraw-open"
      >
        {t('withdraw.open')}
      </button>
    );
  }
  return (
    <form
      className="card panel"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        if (!reason.trim()) {
          setReasonError(true);
          return;
        }
        void action.run();
      }}
      data-testid="withdraw-form"
    >
      <div className={`field${reasonError ? ' field--invalid' : ''}`}>
        <label htmlFor="withdraw-reason">{t('withdraw.reason')}</label>
        <textarea
          id="withdraw-reason"
          rows={2}
          value={reason}
          onChange={(e) => {
            setReason(e.target.value);
          }}
          aria-invalid={reasonError ? true : undefined}
        />
        {reasonError ? <p className="field-error">{t('form.errors.required')}</p> : null}
      </div>
      <div className="actions">
        <button type="submit" className="button button--danger" disabled={action.busy} data-testid="withdraw-confirm">
          {t('withdraw.confirm')}
        </button>
        <button
          type="button"
          className="button button--secondary"
          onClick={() => {
            setOpen(false);
          }}
        >
          {t('common.cancel')}
        </button>
      </div>
      {action.error ? <ErrorMessage error={action.error} /> : null}
    </form>
  );
}
