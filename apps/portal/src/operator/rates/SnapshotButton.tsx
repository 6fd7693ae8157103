import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { formatDate, formatNumber } from '../../i18n/format';
import { publishSnapshots } from '../api/operator-api';
import type { SnapshotReport } from '../api/types';
import { ErrorMessage } from '../ui/AsyncState';
import { useLang } from '../ui/lang';
import { formatTime } from '../ui/format';

type State =
  { step: 'idle' } | { step: 'pending' } | { step: 'done'; report: SnapshotReport } | { step: 'error'; error: Error };

/** Publishes this month's completion-rate snapshots now, and says how many went out. */
export function SnapshotButton() {
  const { t } = useTranslation('operator');
  const lang = useLang();
  const [state, setState] = useState<State>({ step: 'idle' });

  const run = async () => {
    setState({ step: 'pending' });
    try {
      setState({ step: 'done', report: await publishSnapshots() });
    } catch (err) {
      setState({ step: 'error', error: err instanceof Error ? err : new Error(String(err)) });
    }
  };

  return (
    <div className="op-snapshot" data-testid="operator-snapshot">
      <button
        type="button"
        className="op-button"
        disabled={state.step === 'pending'}
        aria-busy={state.step === 'pending'}
        data-testid="operator-snapshot-button"
        onClick={() => {
          void run();
        }}
      >
        {state.step === 'pending' ? t('snapshot.pending') : t('snapshot.button')}
      </button>
      {state.step === 'done' ? (
        <p className="op-success" role="status" data-testid="operator-snapshot-result">
          {t('snapshot.done', {
            count: state.report.published,
            n: formatNumber(state.report.published, lang),
            from: formatDate(state.report.period.from, lang),
            // The period's end is the first instant of the next month: the last day shown is the day before.
            to: formatDate(Date.parse(state.report.period.to) - 1, lang),
            at: formatTime(state.report.snapshotAt, lang),
          })}
        </p>
      ) : null}
      {state.step === 'error' ? <ErrorMessage error={state.error} testId="operator-snapshot-error" /> : null}
    </div>
  );
}
