import { useTranslation } from 'react-i18next';
import type { Dossier, Procedure } from '../api/types';
import { formatDate, formatVnd } from '../i18n/format';
import { fieldLabel } from '../forms/FormRenderer';
import { formatBytes } from './AttachmentPicker';
import { DownloadButton } from './DownloadButton';

function show(v: unknown, t: (k: string) => string, type: string | undefined): string {
  if (typeof v === 'boolean') return v ? t('common.yes') : t('common.no');
  if (type === 'date' && typeof v === 'string') return formatDate(v);
  if (v === null || v === undefined || v === '') return '—';
  return typeof v === 'string' || typeof v === 'number' ? String(v) : JSON.stringify(v);
}

/** The submitted form (labelled from the procedure's definition) and the attachments, downloadable. */
export function DossierDetails({ dossier, procedure }: { dossier: Dossier; procedure: Procedure | undefined }) {
  const { t, i18n } = useTranslation();
  const lang = i18n.resolvedLanguage ?? 'vi';
  const fields = procedure?.form ?? [];
  const known = new Set(fields.map((f) => f.name));
  const rows: { key: string; label: string; value: string }[] = [
    ...fields
      .filter((f) => f.name in dossier.form)
      .map((f) => ({ key: f.name, label: fieldLabel(f, lang), value: show(dossier.form[f.name], t, f.type) })),
    ...Object.entries(dossier.form)
      .filter(([k]) => !known.has(k))
      .map(([k, v]) => ({ key: k, label: k, value: show(v, t, undefined) })),
  ];
  return (
    <>
      <h2>{t('dossier.applicant')}</h2>
      <dl className="facts facts--wide">
        <div>
          <dt>{t('dossier.applicantName')}</dt>
          <dd>{dossier.applicant.fullName}</dd>
        </div>
        <div>
          <dt>{t('dossier.personalId')}</dt>
          <dd className="code">{dossier.applicant.personalId}</dd>
        </div>
        <div>
          <dt>{t('dossier.birthDate')}</dt>
          <dd>{formatDate(dossier.applicant.birthDate)}</dd>
        </div>
        <div>
          <dt>{t('procedure.fee')}</dt>
          <dd>{dossier.feeVnd > 0 ? formatVnd(dossier.feeVnd) : t('procedure.free')}</dd>
        </div>
        <div>
          <dt>{t('dossier.channel')}</dt>
          <dd>{t(`channel.${dossier.channel}`, { defaultValue: dossier.channel })}</dd>
        </div>
        {dossier.prefilledFields !== null ? (
          <div>
            <dt>{t('dossier.prefilledFields')}</dt>
            <dd>
              {dossier.prefilledFields}/{dossier.formFieldCount}
            </dd>
          </div>
        ) : null}
      </dl>
      <h2>{t('dossier.form')}</h2>
      <dl className="form-values" data-testid="dossier-form">
        {rows.map((r) => (
          <div key={r.key}>
            <dt>{r.label}</dt>
            <dd>{r.value}</dd>
          </div>
        ))}
      </dl>
      <h2>{t('attachments.legend')}</h2>
      {dossier.attachments.length === 0 ? (
        <p>{t('attachments.none')}</p>
      ) : (
        <ul className="upload-list" data-testid="dossier-attachments">
          {dossier.attachments.map((a) => (
            <li key={a.id} className="upload" data-testid="attachment">
              <span className="upload__name">
                {a.fileName} <span className="small">({formatBytes(a.sizeBytes)})</span>
              </span>
              <DownloadButton
                path={`/api/intake/attachments/${a.id}`}
                fileName={a.fileName}
                label={t('attachments.download')}
                className="link-button"
                testId="attachment-download"
              />
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
