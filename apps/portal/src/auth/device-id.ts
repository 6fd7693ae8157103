import { newCorrelationId } from '../api/client';

/** The header identity reads the device id from (citizen sign-in only). */
export const DEVICE_ID_HEADER = 'x-device-id';

const KEY = 'hoso.device';
/** Identity's format: 16 to 128 of A-Z, a-z, 0-9, "-" and "_" (a UUID fits). */
const FORMAT = /^[A-Za-z0-9_-]{16,128}$/;

let inMemory: string | null = null;

function storage(): Storage | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch {
    // Storage blocked by the browser's privacy settings.
    return null;
  }
}

/**
 * A random id this browser keeps for citizen sign-in, in localStorage so that it outlives the tab (the session
 * does not). Identity never holds back a device a citizen has signed in from with its limit per personal ID: a
 * stranger who requests codes for the citizen's ID cannot keep them out of their usual browser. It is sent with the
 * two sign-in requests only. Without storage it lasts as long as the page.
 */
export function deviceId(): string {
  const s = storage();
  const kept = s?.getItem(KEY) ?? inMemory;
  if (kept && FORMAT.test(kept)) return kept;
  const id = newCorrelationId();
  inMemory = id;
  try {
    s?.setItem(KEY, id);
  } catch {
    // Quota or privacy settings: the id lives in memory only.
  }
  return id;
}

/** The headers of the citizen sign-in requests. */
export function signInHeaders(): Record<string, string> {
  return { [DEVICE_ID_HEADER]: deviceId() };
}
