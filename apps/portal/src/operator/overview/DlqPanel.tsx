import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { formatNumber } from '../../i18n/format';
import type { DlqDepth } from '../api/types';
import { useLang } from '../ui/lang';
import { DlqDrawer } from './DlqDrawer';
import { PanelCard } from '../ui/PanelCard';

/** A topic name that may wrap after its dots on a narrow card, never inside a word. */
function breakable(topic: string) {
  return topic.split('.').map((part, i, all) => (
    <span key={i}>
      {part}
      {i < all.length - 1 ? (
        <>
          .<wbr />
        </>
      ) : null}
    </span>
  ));
}

/** Dead-letter depth per topic, deepest first; each card opens the inspect-and-replay drawer. */
export function DlqPanel({ dlq, error }: { dlq: DlqDepth[]; error?: string | undefined }) {
  const { t } = useTranslation('operator');
  const lang = useLang();
  const [open, setOpen] = useState<DlqDepth | null>(null);
  const sorted = [...dlq].sort((a, b) => b.depth - a.depth || a.topic.localeCompare(b.topic));
  const total = dlq.reduce((s, d) => s + d.depth, 0);
  // The drawer follows the live depth of the topic it shows.
  const current = open ? (dlq.find((d) => d.topic === open.topic) ?? open) : null;

  return (
    <>
      <PanelCard
        id="op-dlq-title"
        testId="dlq-section"
        title={
          <>
            {t('dlq.title')} <span className="op-muted">({t('dlq.total', { n: formatNumber(total, lang) })})</span>
          </>
        }
        error={error ? t('kafkaUnavailable', { error }) : undefined}
        empty={sorted.length === 0}
        emptyText={t('dlq.none')}
      >
        <ul className="op-cards">
          {sorted.map((d) => (
            <li
              key={d.topic}
              className={`op-dlq-card${d.depth > 0 ? ' op-dlq-card-full' : ''}`}
              data-testid="dlq-card"
              data-topic={d.topic}
              data-depth={d.depth}
            >
              <p className="op-dlq-topic">{breakable(d.sourceTopic)}</p>
              <p className="op-dlq-depth">
                <span data-testid="dlq-depth">{formatNumber(d.depth, lang)}</span>{' '}
                <span className="op-muted">{t('dlq.messages', { count: d.depth })}</span>
              </p>
              <button
                type="button"
                className="op-button"
                aria-label={t('dlq.inspectLabel', { topic: d.topic })}
                data-testid="dlq-inspect"
                onClick={() => {
                  setOpen(d);
                }}
              >
                {t('dlq.inspect')}
              </button>
            </li>
          ))}
        </ul>
      </PanelCard>
      {current ? (
        <DlqDrawer
          dlq={current}
          onClose={() => {
            setOpen(null);
          }}
        />
      ) : null}
    </>
  );
}
