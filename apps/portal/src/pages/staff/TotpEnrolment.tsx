import { useState, type SubmitEvent } from 'react';
import { useTranslation } from 'react-i18next';

/** What identity answers when an enrolment starts: the key for the authenticator app, shown once. */
export interface TotpKey {
  otpauthUri: string;
  secret: string;
}

/**
 * The key to add to the authenticator app (as text and as an otpauth:// link for the phone), then the first code
 * it shows. Used by the security page and by the sign-in page when identity asks for an enrolment first.
 */
export function TotpKeyForm({
  totpKey,
  busy,
  onConfirm,
}: {
  totpKey: TotpKey;
  busy: boolean;
  onConfirm: (code: string) => void;
}) {
  const { t } = useTranslation();
  const [code, setCode] = useState('');
  const [problem, setProblem] = useState<string | null>(null);

  const submit = (e: SubmitEvent<HTMLFormElement>) => {
    e.preventDefault();
    if (!/^\d{6}$/.test(code.trim())) {
      setProblem(t('staffSecurity.codeFormat'));
      return;
    }
    setProblem(null);
    onConfirm(code.trim());
  };

  return (
    <form className="card form" onSubmit={submit} noValidate data-testid="staff-totp-confirm">
      <p>{t('staffSecurity.scan')}</p>
      <p>
        {t('staffSecurity.secret')}: <code data-testid="staff-totp-secret">{totpKey.secret}</code>
      </p>
      <p>
        <a href={totpKey.otpauthUri}>{t('staffSecurity.link')}</a>
      </p>
      {problem ? (
        <p className="field-error" role="alert">
          {problem}
        </p>
      ) : null}
      <div className="field">
        <label htmlFor="totp-code">{t('staffSecurity.code')}</label>
        <input
          id="totp-code"
          autoComplete="one-time-code"
          inputMode="numeric"
          value={code}
          onChange={(e) => {
            setCode(e.target.value);
          }}
          data-testid="staff-totp-code"
        />
      </div>
      <button type="submit" className="button button--primary" disabled={busy} data-testid="staff-totp-confirm-submit">
        {t('staffSecurity.confirm')}
      </button>
    </form>
  );
}

/** The ten recovery codes, shown once, with the button that leaves them. */
export function RecoveryCodes({
  codes,
  doneLabel,
  onDone,
}: {
  codes: string[];
  doneLabel: string;
  onDone: () => void;
}) {
  const { t } = useTranslation();
  return (
    <div className="card" data-testid="staff-recovery-codes">
      <h2>{t('staffSecurity.recoveryTitle')}</h2>
      <p>{t('staffSecurity.recoveryIntro')}</p>
      <ul>
        {codes.map((c) => (
          <li key={c}>
            <code>{c}</code>
          </li>
        ))}
      </ul>
      <button type="button" className="button button--primary" onClick={onDone} data-testid="staff-recovery-done">
        {doneLabel}
      </button>
    </div>
  );
}
