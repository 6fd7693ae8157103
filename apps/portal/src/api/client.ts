import { tokenStore } from '../auth/token-store';

/** One field problem as the services report it in a 400 body (`issues`). */
export interface ApiIssue {
  path: string;
  message: string;
  code?: string;
}

/** A refused or failed request, carrying the server's own message (shown to the user as is). */
export class ApiError extends Error {
  readonly status: number;
  readonly body: unknown;
  readonly issues: ApiIssue[];
  readonly correlationId: string | undefined;

  constructor(status: number, message: string, body: unknown, correlationId?: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.body = body;
    this.correlationId = correlationId;
    this.issues = issuesOf(body);
  }
}

function issuesOf(body: unknown): ApiIssue[] {
  if (!body || typeof body !== 'object') return [];
  const raw = (body as { issues?: unknown }).issues;
  if (!Array.isArray(raw)) return [];
  return raw.flatMap((i: unknown) => {
    if (!i || typeof i !== 'object') return [];
    const { path, message, code } = i as Record<string, unknown>;
    if (typeof message !== 'string') return [];
    const p = Array.isArray(path) ? path.map(String).join('.') : typeof path === 'string' ? path : '';
    return [{ path: p, message, ...(typeof code === 'string' ? { code } : {}) }];
  });
}

/**
 * The user-facing message of an error body: the services answer `{ statusCode, error, message, issues? }`
 * (Nest), some proxies answer RFC 7807 problem JSON (`title`, `detail`); Nest's validation pipe may send
 * `message` as a list.
 */
export function messageOf(status: number, body: unknown, fallback?: string): string {
  if (body && typeof body === 'object') {
    const b = body as Record<string, unknown>;
    const { message, detail, title, error } = b;
    if (typeof message === 'string' && message) return message;
    if (Array.isArray(message) && message.every((m) => typeof m === 'string') && message.length > 0) {
      return message.join('; ');
    }
    if (typeof detail === 'string' && detail) return detail;
    if (typeof title === 'string' && title) return title;
    if (typeof error === 'string' && error) return error;
  }
  if (typeof body === 'string' && body.trim() && body.length < 500 && !body.trimStart().startsWith('<')) {
    return body.trim();
  }
  return fallback ?? `HTTP ${status}`;
}

/** Builds the ApiError of a failed response (body read as JSON when it is JSON). */
export async function errorFromResponse(res: Response): Promise<ApiError> {
  const text = await res.text().catch(() => '');
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    // Not JSON (a proxy's HTML error page): keep the text.
  }
  const correlationId =
    res.headers.get('x-correlation-id') ??
    (body && typeof body === 'object' && typeof (body as { correlationId?: unknown }).correlationId === 'string'
      ? (body as { correlationId: string }).correlationId
      : undefined);
  return new ApiError(res.status, messageOf(res.status, body, res.statusText || undefined), body, correlationId);
}

/** A random id for X-Correlation-Id (crypto.randomUUID is missing on plain-http origins other than localhost). */
export function newCorrelationId(): string {
  if (typeof crypto !== 'undefined' && typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  b[6] = ((b[6] ?? 0) & 0x0f) | 0x40;
  b[8] = ((b[8] ?? 0) & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

let refreshing: Promise<boolean> | null = null;

/**
 * Rotates the refresh token once; concurrent 401s share one rotation (a second rotation with the old refresh
 * token would be refused and end the session). False when the session cannot be renewed: it is then ended.
 */
export function refreshSession(): Promise<boolean> {
  refreshing ??= (async () => {
    const current = tokenStore.get();
    if (!current) return false;
    try {
      const res = await fetch('/api/identity/auth/refresh', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-correlation-id': newCorrelationId() },
        body: JSON.stringify({ refreshToken: current.refreshToken }),
      });
      if (!res.ok) {
        // Only end the session if nobody rotated it meanwhile (another tab of the same session cannot: storage
        // is per tab).
        if (tokenStore.get() === current) tokenStore.set(null);
        return false;
      }
      const pair = (await res.json()) as { accessToken: string; refreshToken: string };
      tokenStore.set({ accessToken: pair.accessToken, refreshToken: pair.refreshToken });
      return true;
    } catch {
      return false;
    }
  })().finally(() => {
    refreshing = null;
  });
  return refreshing;
}

export type ApiInit = RequestInit & { json?: unknown };

function buildRequest(init: ApiInit | undefined, token: string | null): RequestInit {
  const { json, headers, ...rest } = init ?? {};
  const h = new Headers(headers);
  if (!h.has('x-correlation-id')) h.set('x-correlation-id', newCorrelationId());
  if (token && !h.has('authorization')) h.set('authorization', `Bearer ${token}`);
  if (!h.has('accept')) h.set('accept', 'application/json');
  const req: RequestInit = { ...rest, headers: h };
  if (json !== undefined) {
    h.set('content-type', 'application/json');
    req.body = JSON.stringify(json);
    req.method ??= 'POST';
  }
  return req;
}

/** fetch with the bearer token, a correlation id and one token refresh on 401; errors become ApiError. */
export async function apiResponse(path: string, init?: ApiInit): Promise<Response> {
  const hadToken = tokenStore.get()?.accessToken ?? null;
  let res = await fetch(path, buildRequest(init, hadToken));
  if (res.status === 401 && hadToken && !path.startsWith('/api/identity/auth/')) {
    if (await refreshSession()) {
      res = await fetch(path, buildRequest(init, tokenStore.get()?.accessToken ?? null));
    }
  }
  if (!res.ok) throw await errorFromResponse(res);
  return res;
}

/** A JSON call to the gateway (same origin). 204 and empty bodies resolve to undefined. */
export async function api<T>(path: string, init?: ApiInit): Promise<T> {
  const res = await apiResponse(path, init);
  const text = await res.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

/** A binary download (attachment, result PDF) with the caller's credentials. */
export async function apiBlob(path: string, init?: ApiInit): Promise<{ blob: Blob; filename: string | null }> {
  const headers = new Headers(init?.headers);
  if (!headers.has('accept')) headers.set('accept', '*/*');
  const res = await apiResponse(path, { ...init, headers });
  const disposition = res.headers.get('content-disposition') ?? '';
  const star = /filename\*=UTF-8''([^;]+)/i.exec(disposition);
  const plain = /filename="?([^";]+)"?/i.exec(disposition);
  const filename = star?.[1] ? decodeURIComponent(star[1]) : (plain?.[1] ?? null);
  return { blob: await res.blob(), filename };
}
