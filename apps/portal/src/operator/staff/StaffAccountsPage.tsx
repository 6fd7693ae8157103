import { useCallback, useEffect, useState, type SubmitEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError } from '../../api/client';
import { staffApi, type StaffAccount, type StaffWithPassword } from '../../api/staff';

/**
 * Route /operator/staff: every staff account, a form to create an officer, and disable / re-enable / reset. A new or
 * reset account's one-time password is shown once, here, for the operator to hand over.
 */
export function StaffAccountsPage() {
  const { t } = useTranslation('operator');
  const [accounts, setAccounts] = useState<StaffAccount[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [issued, setIssued] = useState<StaffWithPassword | null>(null);
  const [form, setForm] = useState({ username: '', agencyCode: '', name: '' });
  const [busy, setBusy] = useState(false);

  const load = useCallback(() => {
    staffApi.list().then(setAccounts, setError);
  }, []);
  useEffect(load, [load]);

  const run = async (work: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await work();
      load();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const create = (e: SubmitEvent<HTMLFormElement>) => {
    e.preventDefault();
    void run(async () => {
      setIssued(await staffApi.create({ ...form, username: form.username.trim(), agencyCode: form.agencyCode.trim() }));
      setForm({ username: '', agencyCode: '', name: '' });
    });
  };

  const field = (key: keyof typeof form) => (
    <label className="op-field">
      <span>{t(`staff.form.${key}`)}</span>
      <input
        value={form[key]}
        onChange={(e) => {
          setForm({ ...form, [key]: e.target.value });
        }}
        data-testid={`staff-form-${key}`}
      />
    </label>
  );

  return (
    <section className="op-page" data-testid="operator-staff">
      <h1>{t('staff.title')}</h1>
      {error ? (
        <p className="op-error" role="alert" data-testid="operator-staff-error">
          {error instanceof ApiError ? error.message : t('error.unknown')}
        </p>
      ) : null}
      {issued ? (
        <div className="op-card" role="status" data-testid="staff-one-time-password">
          <p>{t('staff.issued', { username: issued.username })}</p>
          <p>
            <code data-testid="staff-one-time-password-value">{issued.oneTimePassword}</code>
          </p>
          <p>{t('staff.issuedOnce')}</p>
          <button
            type="button"
            onClick={() => {
              setIssued(null);
            }}
          >
            {t('action.close')}
          </button>
        </div>
      ) : null}
      <form className="op-card" onSubmit={create} data-testid="staff-create-form">
        <h2>{t('staff.createTitle')}</h2>
        {field('username')}
        {field('agencyCode')}
        {field('name')}
        <button type="submit" disabled={busy} data-testid="staff-create-submit">
          {t('staff.create')}
        </button>
      </form>
      {accounts === null ? (
        <p>{t('loading')}</p>
      ) : (
        <table className="op-table" data-testid="staff-table">
          <thead>
            <tr>
              <th>{t('staff.column.username')}</th>
              <th>{t('staff.column.role')}</th>
              <th>{t('staff.column.agency')}</th>
              <th>{t('staff.column.state')}</th>
              <th>{t('staff.column.actions')}</th>
            </tr>
          </thead>
          <tbody>
            {accounts.map((a) => (
              <tr key={a.id} data-testid="staff-row" data-username={a.username}>
                <td>{a.username}</td>
                <td>{a.role}</td>
                <td>{a.agencyCode ?? '—'}</td>
                <td data-testid="staff-state">
                  {[
                    a.disabled ? t('staff.state.disabled') : t('staff.state.active'),
                    ...(a.mustChangePassword ? [t('staff.state.mustChange')] : []),
                    ...(a.totpEnabled ? [t('staff.state.totp')] : []),
                  ].join(' · ')}
                </td>
                <td>
                  {a.role === 'operator' ? null : (
                    <>
                      <button
                        type="button"
                        disabled={busy}
                        onClick={() =>
                          void run(async () => {
                            await (a.disabled ? staffApi.enable(a.id) : staffApi.disable(a.id));
                          })
                        }
                        data-testid={a.disabled ? 'staff-enable' : 'staff-disable'}
                      >
                        {t(a.disabled ? 'staff.enable' : 'staff.disable')}
                      </button>{' '}
                      <button
                        type="button"
                        disabled={busy}
                        onClick={() =>
                          void run(async () => {
                            setIssued(await staffApi.reset(a.id));
                          })
                        }
                        data-testid="staff-reset"
                      >
                        {t('staff.reset')}
                      </button>
                    </>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
