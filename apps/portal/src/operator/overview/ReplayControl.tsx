import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { formatNumber } from '../../i18n/format';
import { replayDlq } from '../api/operator-api';
import type { ReplayResult } from '../api/types';
import { ErrorMessage } from '../ui/AsyncState';
import { useLang } from '../ui/lang';

type Step =
  | { step: 'idle' }
  | { step: 'confirm' }
  | { step: 'pending' }
  | { step: 'done'; result: ReplayResult }
  | { step: 'error'; error: Error };

/**
 * Replays dead letters to their original topics after an explicit confirmation naming how many and where;
 * shows the server's answer (how many were replayed, or its error) and never replays on a single click.
 */
export function ReplayControl({
  topic,
  sourceTopic,
  depth,
  selected,
  onReplayed,
}: {
  topic: string;
  sourceTopic: string;
  depth: number;
  /** Message ids chosen in the list; none = the whole dead-letter topic. */
  selected: string[];
  onReplayed: () => void;
}) {
  const { t } = useTranslation('operator');
  const lang = useLang();
  const [state, setState] = useState<Step>({ step: 'idle' });
  const confirmRef = useRef<HTMLParagraphElement>(null);
  const buttonRef = useRef<HTMLButtonElement>(null);
  const outcomeRef = useRef<HTMLDivElement>(null);
  const asked = useRef(false);
  const count = selected.length || depth;

  // Focus follows the step: to the question when asking, to the server's answer after, back to the button on
  // cancel (the confirm panel and its focused button are gone), so keyboard users are never dropped on the body.
  useEffect(() => {
    if (state.step === 'confirm') {
      asked.current = true;
      confirmRef.current?.focus();
    } else if (state.step === 'done' || state.step === 'error') {
      outcomeRef.current?.focus();
    } else if (state.step === 'idle' && asked.current) {
      buttonRef.current?.focus();
    }
  }, [state.step]);

  const replay = async () => {
    setState({ step: 'pending' });
    try {
      const result = await replayDlq(topic, selected.length ? { messageIds: selected } : {});
      setState({ step: 'done', result });
      onReplayed();
    } catch (err) {
      setState({ step: 'error', error: err instanceof Error ? err : new Error(String(err)) });
    }
  };

  return (
    <div className="op-replay" data-testid="dlq-replay">
      {state.step === 'confirm' || state.step === 'pending' ? (
        <div className="op-confirm" role="group" aria-labelledby="op-replay-question" data-testid="dlq-replay-confirm">
          <p id="op-replay-question" ref={confirmRef} tabIndex={-1}>
            {selected.length
              ? t('replay.confirmSelected', { count, n: formatNumber(count, lang), target: sourceTopic })
              : t('replay.confirmAll', { count, n: formatNumber(count, lang), target: sourceTopic })}
          </p>
          <div className="op-actions">
            <button
              type="button"
              className="op-button op-button-danger"
              disabled={state.step === 'pending'}
              data-testid="dlq-replay-yes"
              onClick={() => {
                void replay();
              }}
            >
              {state.step === 'pending' ? t('replay.pending') : t('replay.yes')}
            </button>
            <button
              type="button"
              className="op-button op-button-quiet"
              disabled={state.step === 'pending'}
              data-testid="dlq-replay-no"
              onClick={() => {
                setState({ step: 'idle' });
              }}
            >
              {t('action.cancel')}
            </button>
          </div>
        </div>
      ) : (
        <button
          ref={buttonRef}
          type="button"
          className="op-button"
          disabled={count === 0}
          data-testid="dlq-replay-button"
          onClick={() => {
            setState({ step: 'confirm' });
          }}
        >
          {selected.length
            ? t('replay.selected', { n: formatNumber(selected.length, lang) })
            : t('replay.all', { n: formatNumber(depth, lang) })}
        </button>
      )}
      <div ref={outcomeRef} tabIndex={-1}>
        {state.step === 'done' ? (
          <p className="op-success" role="status" data-testid="dlq-replay-result">
            {t('replay.done', { count: state.result.replayed, n: formatNumber(state.result.replayed, lang) })}
            {state.result.byTopic && Object.keys(state.result.byTopic).length
              ? ` (${Object.entries(state.result.byTopic)
                  .map(([k, v]) => `${k}: ${formatNumber(v, lang)}`)
                  .join(', ')})`
              : ''}
          </p>
        ) : null}
        {state.step === 'error' ? <ErrorMessage error={state.error} testId="dlq-replay-error" /> : null}
      </div>
    </div>
  );
}
