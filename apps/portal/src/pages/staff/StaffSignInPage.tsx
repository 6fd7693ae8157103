import { useState, type SubmitEvent } from 'react';
import { useNavigate, useSearchParams } from 'react-router';
import { useTranslation } from 'react-i18next';
import { safeNext } from '../../auth/next';
import { useSession } from '../../auth/session';
import { ErrorMessage } from '../../components/AsyncState';
import { usePageTitle } from '../../components/PageTitle';

/** Officers and operators: username and password. */
export function StaffSignInPage() {
  const { t } = useTranslation();
  usePageTitle(t('staffSignIn.title'));
  const { signInStaff } = useSession();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [missing, setMissing] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const submit = async (e: SubmitEvent<HTMLFormElement>) => {
    e.preventDefault();
    if (!username.trim() || !password) {
      setMissing(true);
      return;
    }
    setMissing(false);
    setBusy(true);
    setError(null);
    try {
      const user = await signInStaff(username.trim(), password);
      void navigate(safeNext(params.get('next'), user.role), { replace: true });
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };

  return (
    <section className="page page--narrow" aria-labelledby="staff-title">
      <h1 id="staff-title">{t('staffSignIn.title')}</h1>
      <p>{t('staffSignIn.intro')}</p>
      {error ? <ErrorMessage error={error} /> : null}
      <form className="card form" onSubmit={(e) => void submit(e)} noValidate data-testid="staff-sign-in-form">
        {missing ? (
          <p className="field-error" role="alert">
            {t('staffSignIn.missing')}
          </p>
        ) : null}
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
        <button type="submit" className="button button--primary" disabled={busy} data-testid="staff-sign-in-submit">
          {busy ? t('common.sending') : t('staffSignIn.submit')}
        </button>
      </form>
    </section>
  );
}
