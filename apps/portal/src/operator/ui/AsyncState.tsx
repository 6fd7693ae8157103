import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError } from '../../api/client';
import type { Loadable } from './useApi';

/** The text of an error for the user: the server's own message, with the status and correlation id to quote. */
export function ErrorMessage({ error, onRetry, testId }: { error: Error; onRetry?: () => void; testId?: string }) {
  const { t } = useTranslation('operator');
  const status = error instanceof ApiError ? error.status : null;
  const correlationId = error instanceof ApiError ? error.correlationId : undefined;
  // fetch rejects with a TypeError when the network or the gateway is unreachable: its text means nothing to users.
  const text =
    status === 403
      ? t('error.forbidden')
      : status === 401
        ? t('error.signedOut')
        : error instanceof TypeError
          ? t('error.network')
          : error.message || t('error.unknown');
  return (
    <div className="op-error" role="alert" data-testid={testId ?? 'operator-error'}>
      <p>
        <strong>{t('error.title')}</strong> {text}
        {status !== null && status !== 403 && status !== 401 ? ` (HTTP ${status})` : ''}
      </p>
      {correlationId ? <p className="op-muted">{t('error.reference', { id: correlationId })}</p> : null}
      {onRetry ? (
        <button type="button" className="op-button" onClick={onRetry}>
          {t('action.retry')}
        </button>
      ) : null}
    </div>
  );
}

export function Loading({ label, testId }: { label?: string; testId?: string }) {
  const { t } = useTranslation('operator');
  return (
    <p className="op-loading" role="status" data-testid={testId ?? 'operator-loading'}>
      <span className="op-spinner" aria-hidden="true" />
      {label ?? t('loading')}
    </p>
  );
}

/** Renders loading, error (with retry) or the data of a Loadable. */
export function AsyncBlock<T>({
  value,
  reload,
  loadingLabel,
  idle,
  children,
}: {
  value: Loadable<T>;
  reload?: () => void;
  loadingLabel?: string;
  idle?: ReactNode;
  children: (data: T) => ReactNode;
}) {
  switch (value.status) {
    case 'idle':
      return <>{idle ?? null}</>;
    case 'loading':
      return <Loading {...(loadingLabel ? { label: loadingLabel } : {})} />;
    case 'error':
      return <ErrorMessage error={value.error} {...(reload ? { onRetry: reload } : {})} />;
    case 'success':
      return <>{children(value.data)}</>;
  }
}
