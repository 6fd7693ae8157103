import { apiBlob } from './client';

/** Downloads a protected file (the bearer token cannot ride on a plain link) and hands it to the browser. */
export async function downloadFile(path: string, fallbackName: string): Promise<void> {
  const { blob, filename } = await apiBlob(path);
  const url = URL.createObjectURL(blob);
  try {
    const a = document.createElement('a');
    a.href = url;
    a.download = filename ?? fallbackName;
    a.rel = 'noopener';
    document.body.appendChild(a);
    a.click();
    a.remove();
  } finally {
    // Late enough for the browser to have started the download.
    setTimeout(() => {
      URL.revokeObjectURL(url);
    }, 30_000);
  }
}
