import { useTranslation } from 'react-i18next';
import { ApiError } from '../../api/client';
import { LiveIndicator } from '../live/LiveIndicator';
import { useNow, useOperationsStream } from '../live/useOperationsStream';
import { ErrorMessage, Loading } from '../ui/AsyncState';
import { useDocumentTitle } from '../ui/useDocumentTitle';
import { DlqPanel } from './DlqPanel';
import { LagTable } from './LagTable';
import { LiveSummary } from './LiveSummary';
import { QueuesTable } from './QueuesTable';
import { ThroughputChart } from './ThroughputChart';

/** Live operations: throughput, lag, dead letters and job queues, all fed by the operations stream. */
export function OverviewPage() {
  const { t } = useTranslation('operator');
  useDocumentTitle(t('overview.title'));
  const { state, reconnect } = useOperationsStream();
  const now = useNow();
  const latest = state.latest;

  return (
    <div className="op-page" data-testid="operator-overview">
      <div className="op-page-head">
        <h1>{t('overview.title')}</h1>
        <LiveIndicator state={state} now={now} onReconnect={reconnect} />
      </div>
      {latest === null ? (
        state.status === 'failed' ? (
          <ErrorMessage
            error={
              state.failedStatus === null
                ? new Error(state.lastError ?? t('live.failed'))
                : new ApiError(state.failedStatus, state.lastError ?? t('live.failed'), null)
            }
            {...(state.failedStatus === 403 ? {} : { onRetry: reconnect })}
            testId="operator-overview-error"
          />
        ) : (
          <Loading label={t('overview.loading')} testId="operator-overview-loading" />
        )
      ) : (
        <div className="op-grid">
          <LiveSummary summary={state.rates} />
          <ThroughputChart points={state.throughput} topics={latest.topics} error={latest.errors.kafka} />
          <LagTable groups={latest.lag} history={state.lag} error={latest.errors.kafka} />
          <DlqPanel dlq={latest.dlq} error={latest.errors.kafka} />
          <QueuesTable queues={latest.queues} error={latest.errors.queues} />
        </div>
      )}
    </div>
  );
}
