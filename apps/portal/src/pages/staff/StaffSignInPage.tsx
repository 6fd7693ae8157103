import { useState, type SubmitEvent } from 'react';
import { useNavigate, useSearchParams } from 'react-router';
import { useTranslation } from 'react-i18next';
import { ApiError } from '../../api/client';
import { enrolmentTokenOf, nextStepOf, staffApi, type StaffSignInBody } from '../../api/staff';
import { userFromToken } from '../../auth/claims';
import { safeNext } from '../../auth/next';
import { useSession } from '../../auth/session';
import { ErrorMessage } from '../../components/AsyncState';
import { usePageTitle } from '../../components/PageTitle';
import { RecoveryCodes, TotpKeyForm, type TotpKey } from './TotpEnrolment';

type Step = 'credentials' | 'totp' | 'change-password' | 'enrol-totp';

const INTRO: Record<Step, string> = {
  credentials: 'staffSignIn.intro',
  totp: 'staffSignIn.introTotp',
  'change-password': 'staffSignIn.introChangePassword',
  'enrol-totp': 'staffSignIn.introEnrolTotp',
};

/**
 * Officers and operators: username and password, then, when identity asks for it, a code from the authenticator app
 * (or a recovery code), or a new password in place of a one-time one. The password stays in this page's memory
 * between the steps, since each step is sent with it. An account that must have TOTP and has none is enrolled here
 * (identity answers an enrolment token instead of a session): the key for the app, its first code, which opens the
 * session, and the recovery codes, shown once before the user goes on.
 */
export function StaffSignInPage() {
  const { t } = useTranslation();
  usePageTitle(t('staffSignIn.title'));
  const { signIn } = useSession();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const [step, setStep] = useState<Step>('credentials');
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [useRecovery, setUseRecovery] = useState(false);
  const [newPassword, setNewPassword] = useState('');
  const [repeat, setRepeat] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [enrolment, setEnrolment] = useState<(TotpKey & { token: string }) | null>(null);
  const [enrolled, setEnrolled] = useState<{ recoveryCodes: string[]; target: string } | null>(null);

  const attempt = async (body: StaffSignInBody) => {
    setBusy(true);
    setError(null);
    try {
      const pair = await staffApi.signIn(body);
      const user = userFromToken(pair.accessToken);
      signIn(pair);
      void navigate(safeNext(params.get('next'), user?.role ?? 'officer'), { replace: true });
    } catch (err) {
      const next = nextStepOf(err);
      if (next === 'enrol-totp') {
        await beginEnrolment(err, body);
        return;
      }
      // The first refusal of a step only asks for it; a refusal within the step is an error to show.
      if (next && next !== step) setStep(next);
      else setError(err);
      setBusy(false);
    }
  };

  /** Identity wants TOTP set up before it opens a session: fetch the key with the enrolment token it answered. */
  const beginEnrolment = async (refusal: unknown, body: StaffSignInBody) => {
    // A one-time password changed on the way is gone: the new one is the password from now on.
    if (body.newPassword) {
      setPassword(body.newPassword);
      setNewPassword('');
      setRepeat('');
    }
    const token = enrolmentTokenOf(refusal);
    try {
      if (!token) throw refusal;
      setEnrolment({ ...(await staffApi.startEnrolment(token)), token });
      setStep('enrol-totp');
    } catch (err) {
      setError(err);
    }
    setBusy(false);
  };

  const confirmEnrolment = (code: string) => {
    if (!enrolment) return;
    setBusy(true);
    setError(null);
    void staffApi.confirmEnrolment(enrolment.token, code).then(
      ({ recoveryCodes, ...pair }) => {
        const user = userFromToken(pair.accessToken);
        signIn(pair);
        setEnrolment(null);
        setEnrolled({ recoveryCodes, target: safeNext(params.get('next'), user?.role ?? 'officer') });
        setBusy(false);
      },
      (err: unknown) => {
        if (err instanceof ApiError && err.status === 401) {
          // The enrolment token expired (or the account was changed meanwhile): start again from the password.
          setEnrolment(null);
          setPassword('');
          setStep('credentials');
          setProblem(t('staffSignIn.enrolExpired'));
        } else {
          setError(err);
        }
        setBusy(false);
      },
    );
  };

  const submit = (e: SubmitEvent<HTMLFormElement>) => {
    e.preventDefault();
    const base = { username: username.trim(), password };
    const refuse = (message: string) => {
      setProblem(message);
    };
    let body: StaffSignInBody;
    if (step === 'credentials') {
      if (!base.username || !password) {
        refuse(t('staffSignIn.missing'));
        return;
      }
      body = base;
    } else if (step === 'totp') {
      const value = code.trim();
      if (!useRecovery && !/^\d{6}$/.test(value)) {
        refuse(t('staffSignIn.codeFormat'));
        return;
      }
      if (!value) {
        refuse(t('staffSignIn.missingRecovery'));
        return;
      }
      body = useRecovery ? { ...base, recoveryCode: value } : { ...base, totpCode: value };
    } else {
      if (newPassword.length < 12) {
        refuse(t('staffSignIn.tooShort'));
        return;
      }
      if (newPassword !== repeat) {
        refuse(t('staffSignIn.mismatch'));
        return;
      }
      body = { ...base, newPassword };
    }
    setProblem(null);
    void attempt(body);
  };

  // 401 is "invalid username or password" (the same for every cause) or, at the code step, a wrong code.
  const invalid = error instanceof ApiError && error.status === 401;
  const throttled = error instanceof ApiError && error.status === 429;

  return (
    <section className="page page--narrow" aria-labelledby="staff-title">
      <h1 id="staff-title">{t('staffSignIn.title')}</h1>
      <p>{t(INTRO[step])}</p>
      {error ? (
        invalid && step !== 'enrol-totp' ? (
          <div className="alert alert--error" role="alert" data-testid="error">
            <p>{step === 'totp' ? t('staffSignIn.wrongCode') : t('staffSignIn.invalid')}</p>
          </div>
        ) : throttled ? (
          <div className="alert alert--error" role="alert" data-testid="error">
            <p>{t('staffSignIn.throttled', { seconds: retryAfterOf(error) })}</p>
          </div>
        ) : (
          <ErrorMessage error={error} />
        )
      ) : null}
      {enrolled ? (
        <RecoveryCodes
          codes={enrolled.recoveryCodes}
          doneLabel={t('staffSignIn.continue')}
          onDone={() => {
            void navigate(enrolled.target, { replace: true });
          }}
        />
      ) : enrolment ? (
        <TotpKeyForm totpKey={enrolment} busy={busy} onConfirm={confirmEnrolment} />
      ) : null}
      {step === 'enrol-totp' ? null : (
        <form className="card form" onSubmit={submit} noValidate data-testid="staff-sign-in-form" data-step={step}>
          {problem ? (
            <p className="field-error" role="alert">
              {problem}
            </p>
          ) : null}
          {step === 'credentials' ? (
            <>
              <div className="field">
                <label htmlFor="staff-username">{t('staffSignIn.username')}</label>
                <input
                  id="staff-username"
                  name="username"
                  autoComplete="username"
                  autoCapitalize="none"
                  spellCheck={false}
                  value={username}
                  onChange={(e) => {
                    setUsername(e.target.value);
                  }}
                  data-testid="staff-username"
                />
              </div>
              <div className="field">
                <label htmlFor="staff-password">{t('staffSignIn.password')}</label>
                <input
                  id="staff-password"
                  name="password"
                  type="password"
                  autoComplete="current-password"
                  value={password}
                  onChange={(e) => {
                    setPassword(e.target.value);
                  }}
                  data-testid="staff-password"
                />
              </div>
            </>
          ) : null}
          {step === 'totp' ? (
            <>
              <div className="field">
                <label htmlFor="staff-code">
                  {t(useRecovery ? 'staffSignIn.recoveryCode' : 'staffSignIn.totpCode')}
                </label>
                <input
                  id="staff-code"
                  name="code"
                  autoComplete="one-time-code"
                  inputMode={useRecovery ? 'text' : 'numeric'}
                  value={code}
                  onChange={(e) => {
                    setCode(e.target.value);
                  }}
                  data-testid="staff-code"
                />
              </div>
              <button
                type="button"
                className="button button--link"
                onClick={() => {
                  setUseRecovery(!useRecovery);
                  setCode('');
                  setProblem(null);
                }}
                data-testid="staff-code-switch"
              >
                {t(useRecovery ? 'staffSignIn.useTotp' : 'staffSignIn.useRecovery')}
              </button>
            </>
          ) : null}
          {step === 'change-password' ? (
            <>
              <p className="hint">{t('staffSignIn.policy')}</p>
              <div className="field">
                <label htmlFor="staff-new-password">{t('staffSignIn.newPassword')}</label>
                <input
                  id="staff-new-password"
                  name="new-password"
                  type="password"
                  autoComplete="new-password"
                  value={newPassword}
                  onChange={(e) => {
                    setNewPassword(e.target.value);
                  }}
                  data-testid="staff-new-password"
                />
              </div>
              <div className="field">
                <label htmlFor="staff-repeat-password">{t('staffSignIn.repeatPassword')}</label>
                <input
                  id="staff-repeat-password"
                  name="repeat-password"
                  type="password"
                  autoComplete="new-password"
                  value={repeat}
                  onChange={(e) => {
                    setRepeat(e.target.value);
                  }}
                  data-testid="staff-repeat-password"
                />
              </div>
            </>
          ) : null}
          <button type="submit" className="button button--primary" disabled={busy} data-testid="staff-sign-in-submit">
            {busy
              ? t('common.sending')
              : t(step === 'change-password' ? 'staffSignIn.changeAndSignIn' : 'staffSignIn.submit')}
          </button>
        </form>
      )}
    </section>
  );
}

function retryAfterOf(error: ApiError): number {
  const body = error.body as { retryAfterSec?: unknown } | null;
  return typeof body?.retryAfterSec === 'number' ? body.retryAfterSec : 60;
}
