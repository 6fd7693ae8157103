import { useEffect, useRef, useState, type SubmitEvent } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { useTranslation } from 'react-i18next';
import type { FormField } from '@hoso/e-forms';
import { api, ApiError, newCorrelationId, type ApiIssue } from '../../api/client';
import { useApi } from '../../api/hooks';
import type { PrefillAnswer, Procedure, SubmitAnswer } from '../../api/types';
import { AttachmentSlot, useUploads } from '../../components/AttachmentPicker';
import { AsyncState, ErrorMessage, Loading } from '../../components/AsyncState';
import { usePageTitle } from '../../components/PageTitle';
import { fieldId, fieldLabel, FormRenderer } from '../../forms/FormRenderer';
import { useEForm } from '../../forms/useEForm';
import { errorMessage, serverErrors } from '../../forms/validation';
import { formatVnd, formatWorkingDays } from '../../i18n/format';
import { AgencyPicker } from './AgencyPicker';
import { procedureName } from './CatalogPage';

const FORM_ID = 'apply';

interface PrefillState {
  loading: boolean;
  values: Record<string, string>;
  token: string | null;
  error: unknown;
}

/** Registry values for the form's prefillable fields, with the signed token intake checks them against. */
function usePrefill(fields: readonly FormField[]): PrefillState {
  const [state, setState] = useState<PrefillState>({ loading: true, values: {}, token: null, error: null });
  const sources = [...new Set(fields.flatMap((f) => (f.prefill ? [f.prefill] : [])))];
  const key = sources.join(',');
  useEffect(() => {
    if (!key) {
      setState({ loading: false, values: {}, token: null, error: null });
      return;
    }
    let cancelled = false;
    api<PrefillAnswer>('/api/identity/prefill', { json: { sources: key.split(',') } }).then(
      (a) => {
        if (!cancelled) setState({ loading: false, values: a.values, token: a.prefillToken, error: null });
      },
      (e: unknown) => {
        // The citizen can still type everything: the form works without the registry.
        if (!cancelled) setState({ loading: false, values: {}, token: null, error: e });
      },
    );
    return () => {
      cancelled = true;
    };
  }, [key]);
  return state;
}

function ApplyForm({ procedure }: { procedure: Procedure }) {
  const { t, i18n } = useTranslation();
  const lang = i18n.resolvedLanguage ?? 'vi';
  const navigate = useNavigate();
  const prefill = usePrefill(procedure.form);
  const form = useEForm(procedure.form);
  const uploads = useUploads();
  const [agencyCode, setAgencyCode] = useState('');
  const [agencyError, setAgencyError] = useState<string | null>(null);
  const [summary, setSummary] = useState<{ field?: FormField; text: string }[] | null>(null);
  const [submitError, setSubmitError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const summaryRef = useRef<HTMLDivElement>(null);
  // One key per distinct submission: a retry of the same body (lost answer, double click) replays the first
  // answer instead of creating a second dossier; a changed body is a new submission.
  const idempotency = useRef<{ body: string; key: string } | null>(null);

  const { reset } = form;
  useEffect(() => {
    if (!prefill.loading) reset(prefill.values);
  }, [prefill.loading, prefill.values, reset]);

  useEffect(() => {
    if (summary?.length) summaryRef.current?.focus();
  }, [summary]);

  const missingDocs = procedure.requiredDocuments.filter(
    (d) => d.required && !uploads.uploads.some((u) => u.slot === d.name && u.state === 'done'),
  );

  const submit = async (e: SubmitEvent<HTMLFormElement>) => {
    e.preventDefault();
    setSubmitError(null);
    const valid = form.validateAll();
    const problems: { field?: FormField; text: string }[] = [];
    for (const f of procedure.form) {
      const err = form.errors[f.name];
      if (err) problems.push({ field: f, text: `${fieldLabel(f, lang)}: ${errorMessage(t, f, err)}` });
    }
    if (!agencyCode) {
      setAgencyError(t('apply.agencyRequired'));
      problems.push({ text: t('apply.agencyRequired') });
    } else setAgencyError(null);
    if (uploads.busy) problems.push({ text: t('apply.uploadsPending') });
    if (uploads.uploads.some((u) => u.state === 'failed')) problems.push({ text: t('apply.uploadsFailed') });
    if (!valid || problems.length) {
      setSummary(problems);
      return;
    }
    setSummary(null);
    const body = {
      procedureCode: procedure.code,
      agencyCode,
      form: form.submission(),
      attachmentIds: uploads.uploads.flatMap((u) => (u.state === 'done' && u.attachment ? [u.attachment.id] : [])),
      ...(prefill.token ? { prefillToken: prefill.token } : {}),
    };
    const text = JSON.stringify(body);
    if (idempotency.current?.body !== text) idempotency.current = { body: text, key: `portal-${newCorrelationId()}` };
    setBusy(true);
    try {
      const answer = await api<SubmitAnswer>('/api/intake/dossiers', {
        method: 'POST',
        json: body,
        headers: { 'idempotency-key': idempotency.current.key },
      });
      void navigate(`/dossiers/${answer.id}?submitted=1`, { state: { receiptCode: answer.receiptCode } });
    } catch (err) {
      setBusy(false);
      if (err instanceof ApiError && err.status === 400 && err.issues.length) {
        const { byField, other } = serverErrors(procedure.form, err.issues);
        form.setServerErrors(byField);
        const list: { field?: FormField; text: string }[] = [];
        for (const f of procedure.form) {
          const fe = byField[f.name];
          if (fe) list.push({ field: f, text: `${fieldLabel(f, lang)}: ${errorMessage(t, f, fe)}` });
        }
        for (const o of other) list.push({ text: describeOther(o, t) });
        setSummary(list);
      } else {
        setSubmitError(err);
      }
    }
  };

  if (prefill.loading) return <Loading label={t('apply.prefilling')} />;

  return (
    <form className="apply-form" onSubmit={(e) => void submit(e)} noValidate data-testid="apply-form">
      {summary?.length ? (
        <div className="alert alert--error" role="alert" tabIndex={-1} ref={summaryRef} data-testid="error-summary">
          <h2>{t('apply.fixErrors')}</h2>
          <ul>
            {summary.map((s) => (
              <li key={s.text}>{s.field ? <a href={`#${fieldId(FORM_ID, s.field.name)}`}>{s.text}</a> : s.text}</li>
            ))}
          </ul>
        </div>
      ) : null}
      {submitError ? <ErrorMessage error={submitError} /> : null}
      {prefill.error ? (
        <div className="alert alert--warn" data-testid="prefill-unavailable">
          {t('apply.prefillUnavailable')}
        </div>
      ) : Object.keys(prefill.values).length ? (
        <div className="alert alert--info" data-testid="prefill-note">
          {t('apply.prefillNote')}
        </div>
      ) : null}

      <fieldset className="eform">
        <legend>{t('apply.agencyLegend')}</legend>
        <AgencyPicker
          procedure={procedure}
          value={agencyCode}
          onChange={setAgencyCode}
          defaultProvince={prefill.values['provinceCode']}
          error={agencyError}
        />
      </fieldset>

      <FormRenderer form={form} idPrefix={FORM_ID} />

      <fieldset className="eform" data-testid="attachments">
        <legend>{t('attachments.legend')}</legend>
        <p id="attachment-rules" className="hint">
          {t('attachments.rules')}
        </p>
        {procedure.requiredDocuments.map((d, i) => (
          <AttachmentSlot
            key={d.name}
            id={`doc-${i}`}
            label={lang === 'en' ? d.nameEn : d.name}
            required={d.required}
            uploads={uploads.uploads.filter((u) => u.slot === d.name)}
            onAdd={(files) => {
              uploads.add(d.name, files);
            }}
            onRemove={uploads.remove}
          />
        ))}
        <AttachmentSlot
          id="doc-other"
          label={t('attachments.other')}
          required={false}
          uploads={uploads.uploads.filter((u) => u.slot === '')}
          onAdd={(files) => {
            uploads.add('', files);
          }}
          onRemove={uploads.remove}
        />
        {missingDocs.length ? (
          <p className="alert alert--warn small" data-testid="missing-documents">
            {t('apply.missingDocuments', {
              names: missingDocs.map((d) => (lang === 'en' ? d.nameEn : d.name)).join('; '),
            })}
          </p>
        ) : null}
      </fieldset>

      <div className="card summary-card">
        <p>
          {t('procedure.fee')}:{' '}
          <strong>{procedure.feeVnd > 0 ? formatVnd(procedure.feeVnd) : t('procedure.free')}</strong> ·{' '}
          {t('procedure.processingTime')}: <strong>{formatWorkingDays(procedure.processingWorkingDays)}</strong>
        </p>
        <p className="small">{t('apply.afterSubmit')}</p>
        <button
          type="submit"
          className="button button--primary"
          disabled={busy || uploads.busy}
          data-testid="submit-dossier"
        >
          {busy ? t('common.sending') : uploads.busy ? t('apply.waitUploads') : t('apply.submit')}
        </button>
      </div>
    </form>
  );
}

function describeOther(issue: ApiIssue, t: (k: string) => string): string {
  if (issue.path.startsWith('agencyCode')) return `${t('apply.agency')}: ${issue.message}`;
  if (issue.path.startsWith('attachmentIds')) return `${t('attachments.legend')}: ${issue.message}`;
  if (issue.path === 'prefillToken') return `${t('apply.prefillExpired')} (${issue.message})`;
  return issue.path ? `${issue.path}: ${issue.message}` : issue.message;
}

/** The e-form of a procedure, prefilled from the population registry, with attachments; submits to intake. */
export function ApplyPage() {
  const { code = '' } = useParams();
  const { t, i18n } = useTranslation();
  const lang = i18n.resolvedLanguage ?? 'vi';
  const res = useApi<Procedure>(`/api/intake/procedures/${encodeURIComponent(code)}`);
  usePageTitle(res.data ? `${t('apply.title')}: ${procedureName(res.data, lang)}` : t('apply.title'));
  return (
    <section className="page" aria-labelledby="apply-title">
      <p className="breadcrumb">
        <Link to="/">{t('nav.catalog')}</Link> › <Link to={`/procedures/${encodeURIComponent(code)}`}>{code}</Link> ›{' '}
        {t('apply.title')}
      </p>
      <AsyncState {...res}>
        {(p) => (
          <>
            <h1 id="apply-title">
              {t('apply.title')}: {procedureName(p, lang)}
            </h1>
            <ApplyForm key={p.code} procedure={p} />
          </>
        )}
      </AsyncState>
    </section>
  );
}
