import { tokenStore } from '../auth/token-store';
import { ApiError, messageOf, newCorrelationId, refreshSession } from './client';

export interface UploadHandle<T> {
  /** Resolves with the parsed answer; rejects with ApiError (server refusal) or an Error (network, aborted). */
  done: Promise<T>;
  abort: () => void;
}

export class UploadAborted extends Error {
  constructor() {
    super('upload aborted');
    this.name = 'UploadAborted';
  }
}

interface RawAnswer {
  status: number;
  body: unknown;
  correlationId: string | null;
}

function once(
  path: string,
  field: string,
  file: File,
  onProgress: (fraction: number) => void,
  setAbort: (fn: () => void) => void,
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    // XMLHttpRequest, not fetch: only XHR reports upload progress in every browser.
    const xhr = new XMLHttpRequest();
    xhr.open('POST', path);
    const token = tokenStore.get()?.accessToken;
    if (token) xhr.setRequestHeader('authorization', `Bearer ${token}`);
    xhr.setRequestHeader('x-correlation-id', newCorrelationId());
    xhr.setRequestHeader('accept', 'application/json');
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable && e.total > 0) onProgress(Math.min(1, e.loaded / e.total));
    };
    xhr.onload = () => {
      let body: unknown = xhr.responseText;
      try {
        body = xhr.responseText ? JSON.parse(xhr.responseText) : null;
      } catch {
        // Not JSON: keep the text for the message.
      }
      resolve({ status: xhr.status, body, correlationId: xhr.getResponseHeader('x-correlation-id') });
    };
    xhr.onerror = () => {
      reject(new Error('network error'));
    };
    xhr.onabort = () => {
      reject(new UploadAborted());
    };
    const data = new FormData();
    data.append(field, file, file.name);
    setAbort(() => {
      xhr.abort();
    });
    xhr.send(data);
  });
}

/** Uploads one file as multipart (`field`), reporting progress 0–1; one token refresh on 401 as `api` does. */
export function uploadFile<T>(
  path: string,
  file: File,
  onProgress: (fraction: number) => void,
  field = 'file',
): UploadHandle<T> {
  let abortCurrent: () => void = () => undefined;
  const setAbort = (fn: () => void) => {
    abortCurrent = fn;
  };
  const done = (async () => {
    let r = await once(path, field, file, onProgress, setAbort);
    // An aborted upload rejects above, so a 401 here is a real answer.
    if (r.status === 401 && (await refreshSession())) {
      onProgress(0);
      r = await once(path, field, file, onProgress, setAbort);
    }
    if (r.status < 200 || r.status >= 300) {
      throw new ApiError(r.status, messageOf(r.status, r.body), r.body, r.correlationId ?? undefined);
    }
    onProgress(1);
    return r.body as T;
  })();
  return {
    done,
    abort: () => {
      abortCurrent();
    },
  };
}
