import { useEffect, useRef, useState, type SubmitEvent } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { useTranslation } from 'react-i18next';
import { api, ApiError } from '../../api/client';
import type { ChallengeCreated, DevCode } from '../../api/types';
import { signInHeaders } from '../../auth/device-id';
import { safeNext } from '../../auth/next';
import { useSession } from '../../auth/session';
import { ErrorMessage } from '../../components/AsyncState';
import { usePageTitle } from '../../components/PageTitle';
import { formatDateTime } from '../../i18n/format';

const PERSONAL_ID = /^\d{12}$/;
const OTP = /^\d{6}$/;

/**
 * The development inbox: outside production identity answers the code of a challenge, so a demo works without
 * a phone. A 404 (production, or no code sent) ends the polling quietly.
 */
function useDevCode(challengeId: string | null): DevCode | null {
  const [dev, setDev] = useState<DevCode | null>(null);
  useEffect(() => {
    setDev(null);
    if (!challengeId) return;
    let stopped = false;
    // Read through a function: the flag changes while the loop awaits (the effect's clean-up).
    const isStopped = () => stopped;
    const poll = async () => {
      for (let attempt = 0; attempt < 10 && !isStopped(); attempt++) {
        try {
          const d = await api<DevCode>(
            `/api/identity/auth/citizen/challenges/${encodeURIComponent(challengeId)}/dev-code`,
          );
          if (!isStopped()) setDev(d);
          return;
        } catch (e) {
          // 404: no development inbox here (or no code was sent); anything else: the code may not be written yet.
          if (e instanceof ApiError && (e.status === 404 || e.status === 403 || e.status === 401)) return;
        }
        await new Promise((r) => setTimeout(r, 700));
      }
    };
    void poll();
    return () => {
      stopped = true;
    };
  }, [challengeId]);
  return dev;
}

/** VNeID-style citizen sign-in: personal ID → one-time code. */
export function SignInPage() {
  const { t } = useTranslation();
  usePageTitle(t('signIn.title'));
  const { signInCitizen } = useSession();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const [personalId, setPersonalId] = useState('');
  const [idError, setIdError] = useState<string | null>(null);
  const [challenge, setChallenge] = useState<ChallengeCreated | null>(null);
  const [code, setCode] = useState('');
  const [codeError, setCodeError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const codeInput = useRef<HTMLInputElement>(null);
  const dev = useDevCode(challenge?.challengeId ?? null);

  useEffect(() => {
    if (challenge) codeInput.current?.focus();
  }, [challenge]);

  const requestCode = async (e: SubmitEvent<HTMLFormElement>) => {
    e.preventDefault();
    const id = personalId.trim();
    if (!PERSONAL_ID.test(id)) {
      setIdError(t('signIn.personalIdInvalid'));
      return;
    }
    setIdError(null);
    setBusy(true);
    setError(null);
    try {
      setChallenge(
        await api<ChallengeCreated>('/api/identity/auth/citizen/challenges', {
          json: { personalId: id },
          headers: signInHeaders(),
        }),
      );
      setCode('');
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const verify = async (e: SubmitEvent<HTMLFormElement>) => {
    e.preventDefault();
    if (!challenge) return;
    if (!OTP.test(code.trim())) {
      setCodeError(t('signIn.codeInvalid'));
      return;
    }
    setCodeError(null);
    setBusy(true);
    setError(null);
    try {
      const user = await signInCitizen(challenge.challengeId, code.trim());
      void navigate(safeNext(params.get('next'), user.role), { replace: true });
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  return (
    <section className="page page--narrow" aria-labelledby="sign-in-title">
      <h1 id="sign-in-title">{t('signIn.title')}</h1>
      <p>{t('signIn.intro')}</p>
      {error ? <ErrorMessage error={error} /> : null}
      {!challenge ? (
        <form className="card form" onSubmit={(e) => void requestCode(e)} noValidate data-testid="sign-in-id-form">
          <div className={`field${idError ? ' field--invalid' : ''}`}>
            <label htmlFor="personal-id">{t('signIn.personalId')}</label>
            <input
              id="personal-id"
              name="personalId"
              inputMode="numeric"
              autoComplete="username"
              value={personalId}
              onChange={(e) => {
                setPersonalId(e.target.value);
              }}
              aria-invalid={idError ? true : undefined}
              aria-describedby={`personal-id-hint${idError ? ' personal-id-error' : ''}`}
              data-testid="personal-id-input"
            />
            <p id="personal-id-hint" className="hint">
              {t('signIn.personalIdHint')}
            </p>
            {idError ? (
              <p id="personal-id-error" className="field-error">
                {idError}
              </p>
            ) : null}
          </div>
          <button type="submit" className="button button--primary" disabled={busy} data-testid="request-code">
            {busy ? t('common.sending') : t('signIn.sendCode')}
          </button>
        </form>
      ) : (
        <form className="card form" onSubmit={(e) => void verify(e)} noValidate data-testid="sign-in-code-form">
          <p role="status">
            {t('signIn.codeSent', { time: challenge.expiresAt ? formatDateTime(challenge.expiresAt) : '—' })}
          </p>
          {dev ? (
            <div className="alert alert--info" data-testid="dev-inbox">
              <p>
                <strong>{t('signIn.devInbox')}</strong> {t('signIn.devInboxText')}{' '}
                <code data-testid="dev-code">{dev.code}</code>
              </p>
              <button
                type="button"
                className="button button--secondary"
                onClick={() => {
                  setCode(dev.code);
                }}
                data-testid="use-dev-code"
              >
                {t('signIn.useDevCode')}
              </button>
            </div>
          ) : null}
          <div className={`field${codeError ? ' field--invalid' : ''}`}>
            <label htmlFor="otp">{t('signIn.code')}</label>
            <input
              id="otp"
              ref={codeInput}
              name="code"
              inputMode="numeric"
              autoComplete="one-time-code"
              maxLength={6}
              value={code}
              onChange={(e) => {
                setCode(e.target.value);
              }}
              aria-invalid={codeError ? true : undefined}
              aria-describedby={codeError ? 'otp-error' : undefined}
              data-testid="otp-input"
            />
            {codeError ? (
              <p id="otp-error" className="field-error">
                {codeError}
              </p>
            ) : null}
          </div>
          <div className="actions">
            <button type="submit" className="button button--primary" disabled={busy} data-testid="verify-code">
              {busy ? t('common.sending') : t('signIn.verify')}
            </button>
            <button
              type="button"
              className="button button--secondary"
              onClick={() => {
                setChallenge(null);
                setError(null);
              }}
            >
              {t('signIn.changeId')}
            </button>
          </div>
        </form>
      )}
      <p className="small">
        {t('signIn.staff')}{' '}
        <Link to={`/staff/sign-in${params.get('next') ? `?next=${encodeURIComponent(params.get('next') ?? '')}` : ''}`}>
          {t('nav.staffSignIn')}
        </Link>
      </p>
    </section>
  );
}
