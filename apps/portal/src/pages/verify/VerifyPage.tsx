import { useEffect, useState, type SubmitEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { useParams } from 'react-router';
import { api } from '../../api/client';
import { agencyByCode } from '../../api/catalog';
import { useAction, useApi } from '../../api/hooks';
import type { Procedure } from '../../api/types';
import { AsyncState, ErrorMessage } from '../../components/AsyncState';
import { usePageTitle } from '../../components/PageTitle';
import { formatDateTime } from '../../i18n/format';

/** What case-tracking answers at /verify/:code (no sign-in). The facts are null unless the signature vouches. */
export interface Verification {
  code: string;
  status: 'valid' | 'revoked' | 'invalid' | 'unknown';
  agency: string | null;
  procedure: string | null;
  issuedAt: string | null;
  documentHash: string | null;
  kid: string | null;
  revokedAt: string | null;
}

export interface DocumentCheck extends Verification {
  documentMatches: boolean;
}

/** The service's own limit on the uploaded file (a result PDF is tens of kilobytes). */
export const MAX_DOCUMENT_BYTES = 1024 * 1024;

const ALERT: Record<Verification['status'], string> = {
  valid: 'alert--ok',
  revoked: 'alert--warn',
  invalid: 'alert--error',
  unknown: 'alert--error',
};

const verifyPath = (code: string) => `/api/cases/verify/${encodeURIComponent(code)}`;

/** The agency's name from the public catalog, the code meanwhile or when the catalog does not know it. */
function useAgencyName(code: string | null, lang: string): string | null {
  const [name, setName] = useState<string | null>(null);
  useEffect(() => {
    let cancelled = false;
    setName(null);
    if (code)
      void agencyByCode(code).then((a) => {
        if (!cancelled && a) setName(lang === 'en' ? a.nameEn || a.name : a.name);
      });
    return () => {
      cancelled = true;
    };
  }, [code, lang]);
  return code ? (name ?? code) : null;
}

/**
 * Public check of an issued result by the code printed on it (and in its QR code): who issued it, for which
 * procedure, when, and whether it stands — valid, revoked, or not a result the portal knows. Nothing about the
 * holder is shown: the paper already says it. Optionally, the file itself is checked against the signed record.
 */
export function VerifyPage() {
  const { code = '' } = useParams();
  const { t, i18n } = useTranslation();
  const lang = i18n.resolvedLanguage ?? 'vi';
  usePageTitle(t('verify.title'));
  const res = useApi<Verification>(verifyPath(code));
  return (
    <section className="page" aria-labelledby="verify-title">
      <h1 id="verify-title">{t('verify.title')}</h1>
      <p className="muted">
        {t('verify.code')}: <code data-testid="verify-code">{code}</code>
      </p>
      <AsyncState {...res}>{(v) => <VerificationResult v={v} lang={lang} />}</AsyncState>
    </section>
  );
}

function VerificationResult({ v, lang }: { v: Verification; lang: string }) {
  const { t } = useTranslation();
  const agency = useAgencyName(v.agency, lang);
  const procedure = useApi<Procedure>(v.procedure ? `/api/intake/procedures/${encodeURIComponent(v.procedure)}` : null);
  const procedureName = procedure.data
    ? lang === 'en'
      ? procedure.data.nameEn || procedure.data.name
      : procedure.data.name
    : v.procedure;
  const vouched = v.status === 'valid' || v.status === 'revoked';
  return (
    <>
      <div className={`alert ${ALERT[v.status]}`} role="status" data-testid="verify-status" data-status={v.status}>
        <p>
          <strong>{t(`verify.status.${v.status}`)}</strong>
        </p>
        <p>{t(`verify.explain.${v.status}`)}</p>
      </div>
      {vouched ? (
        <dl className="facts" data-testid="verify-facts">
          <div>
            <dt>{t('verify.agency')}</dt>
            <dd data-testid="verify-agency">{agency}</dd>
          </div>
          <div>
            <dt>{t('verify.procedure')}</dt>
            <dd data-testid="verify-procedure">{procedureName}</dd>
          </div>
          <div>
            <dt>{t('verify.issuedAt')}</dt>
            <dd data-testid="verify-issued-at">{v.issuedAt ? formatDateTime(v.issuedAt) : null}</dd>
          </div>
          {v.revokedAt ? (
            <div>
              <dt>{t('verify.revokedAt')}</dt>
              <dd data-testid="verify-revoked-at">{formatDateTime(v.revokedAt)}</dd>
            </div>
          ) : null}
          <div>
            <dt>{t('verify.documentHash')}</dt>
            <dd>
              <code className="small">{v.documentHash}</code>
            </dd>
          </div>
        </dl>
      ) : null}
      {vouched ? <DocumentCheckForm code={v.code} /> : null}
    </>
  );
}

/** "Check the file": the PDF goes to the service, which says whether these are the bytes the agency signed. */
function DocumentCheckForm({ code }: { code: string }) {
  const { t } = useTranslation();
  const [file, setFile] = useState<File | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const check = useAction((f: File) =>
    api<DocumentCheck>(`${verifyPath(code)}/document`, {
      method: 'POST',
      body: f,
      headers: { 'content-type': 'application/pdf' },
    }),
  );
  const [result, setResult] = useState<DocumentCheck | null>(null);
  const submit = (e: SubmitEvent<HTMLFormElement>) => {
    e.preventDefault();
    setResult(null);
    // Checked here, before anything is sent: no file, or one no result can be.
    const problem = !file
      ? t('verify.check.chooseFile')
      : file.size > MAX_DOCUMENT_BYTES
        ? t('verify.check.tooLarge')
        : null;
    setProblem(problem);
    if (!file || problem) return;
    void check.run(file).then((r) => {
      if (r) setResult(r);
    });
  };
  return (
    <form className="card panel" onSubmit={submit} noValidate data-testid="verify-document-form">
      <h2>{t('verify.check.title')}</h2>
      <p className="small">{t('verify.check.intro')}</p>
      <label>
        {t('verify.check.file')}
        <input
          type="file"
          accept="application/pdf,.pdf"
          data-testid="verify-file"
          onChange={(e) => {
            setFile(e.target.files?.[0] ?? null);
            setResult(null);
            setProblem(null);
          }}
        />
      </label>
      {problem ? (
        <p className="alert alert--error" role="alert" data-testid="verify-file-problem">
          {problem}
        </p>
      ) : null}
      <button type="submit" className="button button--primary" disabled={check.busy} data-testid="verify-file-submit">
        {check.busy ? t('common.sending') : t('verify.check.submit')}
      </button>
      {check.error ? <ErrorMessage error={check.error} /> : null}
      {result ? (
        <p
          className={`alert ${result.documentMatches ? 'alert--ok' : 'alert--error'}`}
          role="status"
          data-testid="verify-document-result"
          data-matches={String(result.documentMatches)}
        >
          {result.documentMatches
            ? t(result.status === 'revoked' ? 'verify.check.matchesRevoked' : 'verify.check.matches')
            : t('verify.check.differs')}
        </p>
      ) : null}
    </form>
  );
}
