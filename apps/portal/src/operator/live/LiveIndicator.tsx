import { useTranslation } from 'react-i18next';
import { formatTime } from '../ui/format';
import { useLang } from '../ui/lang';
import { isStale, type StreamState } from './stream-state';

/**
 * The connection state in words (not only a coloured dot): live, connecting, reconnecting in N s, or stopped,
 * with a warning when what is on screen is older than a few seconds.
 */
export function LiveIndicator({
  state,
  now,
  onReconnect,
}: {
  state: StreamState;
  now: number;
  onReconnect: () => void;
}) {
  const { t } = useTranslation('operator');
  const lang = useLang();
  const stale = isStale(state, now);
  const retryIn = state.retryAt === null ? null : Math.max(0, Math.ceil((state.retryAt - now) / 1000));

  let label: string;
  switch (state.status) {
    case 'live':
      label = t('live.live');
      break;
    case 'connecting':
      label = t('live.connecting');
      break;
    case 'reconnecting':
      label = retryIn === null ? t('live.reconnectingNow') : t('live.reconnecting', { seconds: retryIn });
      break;
    case 'failed':
      label =
        state.failedStatus === 403
          ? t('live.forbidden')
          : state.failedStatus === 401
            ? t('live.signedOut')
            : t('live.failed');
      break;
  }

  return (
    <div className="op-live" data-testid="operator-live">
      <p role="status" aria-live="polite" className="op-live-status">
        <span
          className={`op-dot op-dot-${stale && state.status === 'live' ? 'stale' : state.status}`}
          aria-hidden="true"
        />
        <span data-testid="operator-live-status" data-status={state.status}>
          {label}
        </span>
        {state.lastEventAt !== null ? (
          <span className="op-muted">
            {' · '}
            {t('live.updatedAt', { time: formatTime(state.lastEventAt, lang) })}
          </span>
        ) : null}
      </p>
      {stale ? (
        <p className="op-warning" role="alert" data-testid="operator-stale">
          {t('live.stale', { seconds: state.lastEventAt === null ? 0 : Math.round((now - state.lastEventAt) / 1000) })}
        </p>
      ) : null}
      {state.status !== 'live' && state.lastError ? (
        <p className="op-muted" data-testid="operator-live-error">
          {t('live.lastError', { error: state.lastError })}
        </p>
      ) : null}
      {state.status === 'reconnecting' || (state.status === 'failed' && state.failedStatus !== 403) ? (
        <button type="button" className="op-button" onClick={onReconnect}>
          {t('live.reconnectNow')}
        </button>
      ) : null}
    </div>
  );
}
