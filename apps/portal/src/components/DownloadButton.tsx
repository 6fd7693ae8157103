import { useTranslation } from 'react-i18next';
import { downloadFile } from '../api/download';
import { useAction } from '../api/hooks';
import { ErrorMessage } from './AsyncState';

export function DownloadButton({
  path,
  fileName,
  label,
  testId,
  className = 'button button--secondary',
}: {
  path: string;
  fileName: string;
  label: string;
  testId?: string;
  className?: string;
}) {
  const { t } = useTranslation();
  const action = useAction(() => downloadFile(path, fileName));
  return (
    <span className="download">
      <button
        type="button"
        className={className}
        onClick={() => void action.run()}
        disabled={action.busy}
        data-testid={testId}
      >
        {action.busy ? t('common.downloading') : label}
      </button>
      {action.error ? <ErrorMessage error={action.error} /> : null}
    </span>
  );
}
