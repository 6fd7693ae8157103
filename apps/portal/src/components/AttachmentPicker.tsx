import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError } from '../api/client';
import type { AttachmentView } from '../api/types';
import { uploadFile, UploadAborted, type UploadHandle } from '../api/upload';
import { formatNumber } from '../i18n/format';

/** What intake accepts (it checks the bytes too): PDF, JPEG, PNG up to its size limit (10 MB by default). */
export const ACCEPTED_TYPES = ['application/pdf', 'image/jpeg', 'image/png'];
export const ACCEPT_ATTRIBUTE = '.pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png';
export const MAX_BYTES = 10 * 1024 * 1024;

export interface Upload {
  key: string;
  /** The document slot it answers (a required document's name, or '' for "other"). */
  slot: string;
  fileName: string;
  sizeBytes: number;
  progress: number;
  state: 'uploading' | 'done' | 'failed';
  attachment?: AttachmentView;
  error?: string;
}

export function fileProblem(file: File): 'type' | 'size' | 'empty' | null {
  const byExtension = /\.(pdf|jpe?g|png)$/i.test(file.name);
  if (!ACCEPTED_TYPES.includes(file.type) && !byExtension) return 'type';
  if (file.size === 0) return 'empty';
  if (file.size > MAX_BYTES) return 'size';
  return null;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${formatNumber(n)} B`;
  if (n < 1024 * 1024) return `${formatNumber(Math.round(n / 102.4) / 10)} KB`;
  return `${formatNumber(Math.round(n / (1024 * 102.4)) / 10)} MB`;
}

let seq = 0;

/**
 * Uploads go out as soon as a file is chosen (to intake's /attachments, with progress), so submitting is quick;
 * the parent receives the list and submits the finished ones' ids.
 */
export function useUploads(): {
  uploads: Upload[];
  add: (slot: string, files: FileList | File[]) => void;
  remove: (key: string) => void;
  busy: boolean;
} {
  const [uploads, setUploads] = useState<Upload[]>([]);
  const handles = useRef(new Map<string, UploadHandle<AttachmentView>>());
  const { t } = useTranslation();

  useEffect(() => {
    const open = handles.current;
    return () => {
      for (const h of open.values()) h.abort();
    };
  }, []);

  const patch = (key: string, p: Partial<Upload>) => {
    setUploads((list) => list.map((u) => (u.key === key ? { ...u, ...p } : u)));
  };

  const add = (slot: string, files: FileList | File[]) => {
    for (const file of Array.from(files)) {
      const key = `u${++seq}`;
      const problem = fileProblem(file);
      const base: Upload = { key, slot, fileName: file.name, sizeBytes: file.size, progress: 0, state: 'uploading' };
      if (problem) {
        setUploads((list) => [
          ...list,
          { ...base, state: 'failed', error: t(`attachments.problem.${problem}`, { max: formatBytes(MAX_BYTES) }) },
        ]);
        continue;
      }
      setUploads((list) => [...list, base]);
      const h = uploadFile<AttachmentView>('/api/intake/attachments', file, (f) => {
        patch(key, { progress: f });
      });
      handles.current.set(key, h);
      h.done.then(
        (attachment) => {
          patch(key, { state: 'done', progress: 1, attachment });
        },
        (e: unknown) => {
          if (e instanceof UploadAborted) return;
          patch(key, {
            state: 'failed',
            error: e instanceof ApiError ? e.message : t('errors.network'),
          });
        },
      );
      void h.done.finally(() => handles.current.delete(key)).catch(() => undefined);
    }
  };

  const remove = (key: string) => {
    handles.current.get(key)?.abort();
    handles.current.delete(key);
    setUploads((list) => list.filter((u) => u.key !== key));
  };

  return { uploads, add, remove, busy: uploads.some((u) => u.state === 'uploading') };
}

/** One document slot: its name, a file chooser, and the files chosen for it with their progress. */
export function AttachmentSlot({
  id,
  label,
  required,
  uploads,
  onAdd,
  onRemove,
}: {
  id: string;
  label: string;
  required: boolean;
  uploads: Upload[];
  onAdd: (files: FileList) => void;
  onRemove: (key: string) => void;
}) {
  const { t } = useTranslation();
  return (
    <div className="attachment-slot" data-testid="attachment-slot">
      <label htmlFor={id} className="attachment-slot__label">
        {label} <span className="small">({required ? t('procedure.required') : t('procedure.optional')})</span>
      </label>
      <input
        id={id}
        type="file"
        accept={ACCEPT_ATTRIBUTE}
        multiple
        aria-describedby="attachment-rules"
        data-testid="attachment-input"
        onChange={(e) => {
          if (e.target.files?.length) onAdd(e.target.files);
          e.target.value = '';
        }}
      />
      {uploads.length ? (
        <ul className="upload-list">
          {uploads.map((u) => (
            <li key={u.key} className={`upload upload--${u.state}`} data-testid="upload" data-state={u.state}>
              <span className="upload__name">
                {u.fileName} <span className="small">({formatBytes(u.sizeBytes)})</span>
              </span>
              {u.state === 'uploading' ? (
                <progress max={1} value={u.progress} aria-label={t('attachments.progress', { name: u.fileName })}>
                  {Math.round(u.progress * 100)}%
                </progress>
              ) : null}
              <span className="upload__state" role={u.state === 'failed' ? 'alert' : undefined}>
                {u.state === 'uploading'
                  ? `${Math.round(u.progress * 100)}%`
                  : u.state === 'done'
                    ? t('attachments.done')
                    : u.error}
              </span>
              <button
                type="button"
                className="link-button"
                onClick={() => {
                  onRemove(u.key);
                }}
                aria-label={t('attachments.remove', { name: u.fileName })}
              >
                {u.state === 'uploading' ? t('common.cancel') : t('attachments.removeShort')}
              </button>
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}
