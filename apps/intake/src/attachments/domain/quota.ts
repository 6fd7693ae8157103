/** How much a user (token subject) holds in uploads that no dossier has claimed yet. */
export interface UnattachedUsage {
  files: number;
  bytes: number;
}

export interface UploadQuotaLimits {
  /** Most unattached uploads one user may hold. */
  maxFiles: number;
  /** Most bytes of unattached uploads one user may hold. */
  maxBytes: number;
  /** How long an unattached upload is kept (seconds); named in the refusal so the user knows the way out. */
  retentionSec: number;
}

export type QuotaLimitKind = 'files' | 'bytes';

export interface QuotaVerdict {
  limit: QuotaLimitKind;
  message: string;
}

/**
 * Whether one more upload fits next to `usage`; null when it does, else which limit it breaks and the sentence the
 * user reads (the portal shows the error message as it is). `adding.bytes` is the file's size when `adding.final`,
 * else a lower bound (ahead of the stream: 1, every file having a byte; during it: the bytes seen so far).
 */
export function quotaVerdict(
  usage: UnattachedUsage,
  adding: { bytes: number; final: boolean },
  limits: UploadQuotaLimits,
): QuotaVerdict | null {
  const wayOut =
    `submit them with a dossier or delete some; uploads not attached to a dossier are deleted ` +
    `${formatDuration(limits.retentionSec)} after upload`;
  if (usage.files + 1 > limits.maxFiles) {
    return {
      limit: 'files',
      message:
        `upload quota reached: you hold ${String(usage.files)} uploads not attached to a dossier, ` +
        `the most allowed is ${String(limits.maxFiles)}; ${wayOut}`,
    };
  }
  if (usage.bytes + adding.bytes > limits.maxBytes) {
    const held = `you hold ${describeBytes(usage.bytes)} in uploads not attached to a dossier`;
    return {
      limit: 'bytes',
      message: adding.final
        ? `upload quota reached: ${held}, with this file (${describeBytes(adding.bytes)}) that would be ` +
          `${describeBytes(usage.bytes + adding.bytes)}, the most allowed is ${describeBytes(limits.maxBytes)}; ${wayOut}`
        : `upload quota reached: ${held}, with this file that would be more than the most allowed, ` +
          `${describeBytes(limits.maxBytes)}; ${wayOut}`,
    };
  }
  return null;
}

/** Exact where a rounded size would hide the difference: "100 MiB (104,857,600 bytes)". */
export function describeBytes(n: number): string {
  return n < 1024 ? `${String(n)} bytes` : `${formatBytes(n)} (${n.toLocaleString('en-US')} bytes)`;
}

/** Bytes for people: 512 B, 64 KiB, 100 MiB, 1.5 GiB (binary units, at most one decimal). */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const shown = unit === 0 ? String(value) : String(Math.round(value * 10) / 10);
  return `${shown} ${units[unit] ?? 'B'}`;
}

/** Seconds for people: the largest whole unit (90000 s → "25 h", 5400 s → "90 min"). */
export function formatDuration(sec: number): string {
  if (sec % 86_400 === 0 && sec >= 172_800) return `${String(sec / 86_400)} days`;
  if (sec % 3600 === 0) return `${String(sec / 3600)} h`;
  if (sec % 60 === 0) return `${String(sec / 60)} min`;
  return `${String(sec)} s`;
}
