import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { formatDateTime, formatNumber } from '../../i18n/format';
import { dlqMessagesPath, prettyPayload, toDlqMessages } from '../api/operator-api';
import type { DlqDepth, DlqMessage } from '../api/types';
import { AsyncBlock } from '../ui/AsyncState';
import { Drawer } from '../ui/Drawer';
import { useLang } from '../ui/lang';
import { useApi } from '../ui/useApi';
import { ReplayControl } from './ReplayControl';

/** The first messages of one dead-letter topic (why each failed, where from, its payload) and the replay. */
export function DlqDrawer({ dlq, onClose }: { dlq: DlqDepth; onClose: () => void }) {
  const { t } = useTranslation('operator');
  const messages = useApi<unknown>(dlqMessagesPath(dlq.topic));
  const [selected, setSelected] = useState<string[]>([]);

  const toggle = (id: string) => {
    setSelected((s) => (s.includes(id) ? s.filter((x) => x !== id) : [...s, id]));
  };

  return (
    <Drawer title={t('dlq.drawerTitle', { topic: dlq.topic })} onClose={onClose} testId="dlq-drawer">
      <p className="op-muted">{t('dlq.drawerIntro', { source: dlq.sourceTopic })}</p>
      <ReplayControl
        topic={dlq.topic}
        sourceTopic={dlq.sourceTopic}
        depth={dlq.depth}
        selected={selected}
        onReplayed={() => {
          setSelected([]);
          messages.reload();
        }}
      />
      <AsyncBlock value={messages} reload={messages.reload} loadingLabel={t('dlq.loadingMessages')}>
        {(body) => {
          const list = toDlqMessages(body);
          if (list.length === 0) return <p data-testid="dlq-empty">{t('dlq.empty')}</p>;
          return (
            <>
              <p className="op-muted">{t('dlq.showing', { count: list.length })}</p>
              <ol className="op-messages">
                {list.map((m) => (
                  <DlqMessageItem
                    key={m.id}
                    message={m}
                    checked={selected.includes(m.id)}
                    onToggle={() => {
                      toggle(m.id);
                    }}
                  />
                ))}
              </ol>
            </>
          );
        }}
      </AsyncBlock>
    </Drawer>
  );
}

function DlqMessageItem({
  message: m,
  checked,
  onToggle,
}: {
  message: DlqMessage;
  checked: boolean;
  onToggle: () => void;
}) {
  const { t } = useTranslation('operator');
  const lang = useLang();
  const checkboxId = `op-dlq-${m.id}`;
  const rows: [string, string | null][] = [
    [t('dlq.field.originalTopic'), m.originalTopic],
    [
      t('dlq.field.originalPosition'),
      m.originalPartition !== null || m.originalOffset !== null
        ? t('dlq.position', { partition: m.originalPartition ?? '?', offset: m.originalOffset ?? '?' })
        : null,
    ],
    [t('dlq.field.group'), m.consumer],
    [t('dlq.field.failedAt'), m.failedAt ? formatDateTime(m.failedAt, lang) : null],
    [t('dlq.field.replayedFrom'), m.replayedFrom],
    [t('dlq.field.attempts'), m.attempts],
    [t('dlq.field.reason'), m.reason],
    [t('dlq.field.key'), m.key],
    [t('dlq.field.dlqPosition'), t('dlq.position', { partition: m.partition, offset: m.offset })],
  ];
  return (
    <li className="op-message" data-testid="dlq-message" data-id={m.id}>
      <div className="op-message-head">
        {m.replayed ? (
          <span className="op-muted">{t('dlq.alreadyReplayed')}</span>
        ) : (
          <>
            <input type="checkbox" id={checkboxId} checked={checked} onChange={onToggle} />
            <label htmlFor={checkboxId}>{t('dlq.select', { offset: m.offset, partition: m.partition })}</label>
          </>
        )}
      </div>
      {m.error ? (
        <p className="op-message-error" data-testid="dlq-message-error">
          <strong>{t('dlq.field.error')}:</strong> {m.error}
        </p>
      ) : null}
      <dl className="op-dl">
        {rows
          .filter((r): r is [string, string] => r[1] !== null && r[1] !== '')
          .map(([k, v]) => (
            <div key={k}>
              <dt>{k}</dt>
              <dd>{v}</dd>
            </div>
          ))}
      </dl>
      <details>
        <summary>{t('dlq.allHeaders', { count: Object.keys(m.headers).length })}</summary>
        <dl className="op-dl op-dl-mono">
          {Object.entries(m.headers).map(([k, v]) => (
            <div key={k}>
              <dt>{k}</dt>
              <dd>{v}</dd>
            </div>
          ))}
        </dl>
      </details>
      <h3 className="op-payload-title">{t('dlq.payload')}</h3>
      <pre className="op-payload" tabIndex={0} aria-label={t('dlq.payload')} data-testid="dlq-payload">
        {prettyPayload(m.payload, m.payloadTruncated) || t('dlq.noPayload')}
      </pre>
      {m.payloadTruncated ? (
        <p className="op-muted">{t('dlq.truncated', { n: formatNumber(m.payloadBytes ?? 0, lang) })}</p>
      ) : null}
    </li>
  );
}
