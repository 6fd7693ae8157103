import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError } from '../api/client';

/** A polite "loading" line for screen readers and eyes. */
export function Loading({ label }: { label?: string }) {
  const { t } = useTranslation();
  return (
    <p className="loading" role="status" aria-live="polite" data-testid="loading">
      <span className="spinner" aria-hidden="true" />
      {label ?? t('common.loading')}
    </p>
  );
}

/** The server's message for a refused or failed call (never a stack trace), with a retry when given. */
export function ErrorMessage({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  const { t } = useTranslation();
  let message: string;
  if (error instanceof ApiError) {
    message =
      error.status === 404
        ? `${t('errors.notFound')} (${error.message})`
        : error.status === 401
          ? t('errors.signedOut')
          : error.status >= 500
            ? t('errors.server')
            : error.message;
  } else if (error instanceof TypeError) {
    message = t('errors.network');
  } else {
    message = error instanceof Error ? error.message : String(error);
  }
  return (
    <div className="alert alert--error" role="alert" data-testid="error">
      <p>{message}</p>
      {error instanceof ApiError && error.correlationId ? (
        <p className="small">
          {t('errors.reference')}: <code>{error.correlationId}</code>
        </p>
      ) : null}
      {onRetry ? (
        <button type="button" className="button button--secondary" onClick={onRetry}>
          {t('common.retry')}
        </button>
      ) : null}
    </div>
  );
}

/** Loading, error or the content of a resource. */
export function AsyncState<T>({
  data,
  error,
  loading,
  reload,
  children,
}: {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload?: () => void;
  children: (data: T) => ReactNode;
}) {
  if (data !== undefined) {
    return (
      <>
        {error ? <ErrorMessage error={error} {...(reload ? { onRetry: reload } : {})} /> : null}
        {children(data)}
      </>
    );
  }
  if (error) return <ErrorMessage error={error} {...(reload ? { onRetry: reload } : {})} />;
  if (loading) return <Loading />;
  return null;
}
