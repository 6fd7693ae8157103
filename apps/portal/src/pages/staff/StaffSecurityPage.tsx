import { useCallback, useEffect, useState, type SubmitEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { staffApi, type OwnAccount } from '../../api/staff';
import { ErrorMessage, Loading } from '../../components/AsyncState';
import { usePageTitle } from '../../components/PageTitle';
import { RecoveryCodes, TotpKeyForm, type TotpKey } from './TotpEnrolment';

/**
 * Route /staff/security (officers and operators): TOTP enrolment. Password first (identity wants it), then the key
 * to add to the authenticator app, then a code from the app to turn it on; the recovery codes are shown once.
 */
export function StaffSecurityPage() {
  const { t } = useTranslation();
  usePageTitle(t('staffSecurity.title'));
  const [account, setAccount] = useState<OwnAccount | null>(null);
  const [password, setPassword] = useState('');
  const [enrolment, setEnrolment] = useState<TotpKey | null>(null);
  const [recoveryCodes, setRecoveryCodes] = useState<string[] | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const load = useCallback(() => {
    setError(null);
    staffApi.me().then(setAccount, setError);
  }, []);
  useEffect(load, [load]);

  const run = async (work: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await work();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const start = (e: SubmitEvent<HTMLFormElement>) => {
    e.preventDefault();
    if (!password) return;
    void run(async () => {
      setEnrolment(await staffApi.startTotp(password));
      setPassword('');
    });
  };

  const confirm = (code: string) => {
    void run(async () => {
      const { recoveryCodes: codes } = await staffApi.confirmTotp(code);
      setRecoveryCodes(codes);
      setEnrolment(null);
    });
  };

  if (!account && !error) return <Loading />;

  return (
    <section className="page page--narrow" aria-labelledby="security-title" data-testid="staff-security">
      <h1 id="security-title">{t('staffSecurity.title')}</h1>
      <p>{t('staffSecurity.intro')}</p>
      {error ? <ErrorMessage error={error} /> : null}
      {recoveryCodes ? (
        <RecoveryCodes
          codes={recoveryCodes}
          doneLabel={t('staffSecurity.done')}
          onDone={() => {
            setRecoveryCodes(null);
            load();
          }}
        />
      ) : account?.totpEnabled ? (
        <p data-testid="staff-totp-on">{t('staffSecurity.on', { count: account.recoveryCodesLeft })}</p>
      ) : enrolment ? (
        <TotpKeyForm totpKey={enrolment} busy={busy} onConfirm={confirm} />
      ) : account ? (
        <form className="card form" onSubmit={start} noValidate data-testid="staff-totp-start">
          <p data-testid="staff-totp-off">{t('staffSecurity.off')}</p>
          <div className="field">
            <label htmlFor="totp-password">{t('staffSecurity.password')}</label>
            <input
              id="totp-password"
              type="password"
              autoComplete="current-password"
              value={password}
              onChange={(e) => {
                setPassword(e.target.value);
              }}
              data-testid="staff-totp-password"
            />
          </div>
          <button
            type="submit"
            className="button button--primary"
            disabled={busy}
            data-testid="staff-totp-start-submit"
          >
            {t('staffSecurity.start')}
          </button>
        </form>
      ) : null}
    </section>
  );
}
