/**
 * @jest-environment node
 *
 * fetch, Response and Headers as the browser has them (jsdom lacks them); the client needs nothing else.
 */
import { tokenStore } from '../auth/token-store';
import { api, ApiError, apiBlob, errorFromResponse, messageOf } from './client';

function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(body === undefined ? null : JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  });
}

const calls: { url: string; init: RequestInit }[] = [];
let answers: (() => Response)[] = [];

beforeEach(() => {
  calls.length = 0;
  answers = [];
  tokenStore.set(null);
  global.fetch = jest.fn((url: string, init?: RequestInit) => {
    calls.push({ url, init: init ?? {} });
    const next = answers.shift();
    if (!next) throw new Error(`unexpected call ${url}`);
    return Promise.resolve(next());
  }) as unknown as typeof fetch;
});

const header = (i: number, name: string) => new Headers(calls[i]?.init.headers).get(name);

describe('api client', () => {
  it("parses the services' error body into ApiError with the server message and field issues", async () => {
    answers.push(() =>
      jsonResponse(
        400,
        {
          statusCode: 400,
          error: 'Bad Request',
          message: 'Invalid dossier: form.phone: must be a Vietnamese phone number',
          issues: [{ path: 'form.phone', message: 'must be a Vietnamese phone number', code: 'invalid_format' }],
          correlationId: 'c-1',
        },
        { 'x-correlation-id': 'c-1' },
      ),
    );
    const error = await api('/api/intake/dossiers', { json: { a: 1 } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    const e = error as ApiError;
    expect(e.status).toBe(400);
    expect(e.message).toBe('Invalid dossier: form.phone: must be a Vietnamese phone number');
    expect(e.issues).toEqual([
      { path: 'form.phone', message: 'must be a Vietnamese phone number', code: 'invalid_format' },
    ]);
    expect(e.correlationId).toBe('c-1');
    expect((e.body as { error: string }).error).toBe('Bad Request');
  });

  it('reads RFC 7807 problem JSON, message lists, plain text, and never shows an HTML page', () => {
    expect(messageOf(409, { type: 'about:blank', title: 'Conflict', detail: 'case is COMPLETED' })).toBe(
      'case is COMPLETED',
    );
    expect(messageOf(429, { title: 'Too Many Requests' })).toBe('Too Many Requests');
    expect(messageOf(400, { message: ['a is required', 'b is too long'] })).toBe('a is required; b is too long');
    expect(messageOf(502, 'upstream unavailable')).toBe('upstream unavailable');
    expect(messageOf(502, '<html><body>Bad gateway</body></html>', 'Bad Gateway')).toBe('Bad Gateway');
    expect(messageOf(500, null)).toBe('HTTP 500');
  });

  it('keeps a non-JSON error body as text', async () => {
    const e = await errorFromResponse(new Response('Service Unavailable', { status: 503 }));
    expect(e.status).toBe(503);
    expect(e.body).toBe('Service Unavailable');
    expect(e.message).toBe('Service Unavailable');
  });

  it('sends JSON with the bearer token and a correlation id; an empty answer is undefined', async () => {
    tokenStore.set({ accessToken: 'access-1', refreshToken: 'refresh-1' });
    answers.push(() => new Response(null, { status: 204 }));
    await expect(api('/api/cases/cases/1/claim', { json: { x: 1 } })).resolves.toBeUndefined();
    expect(calls[0]?.init.method).toBe('POST');
    expect(calls[0]?.init.body).toBe('{"x":1}');
    expect(header(0, 'authorization')).toBe('Bearer access-1');
    expect(header(0, 'content-type')).toBe('application/json');
    expect(header(0, 'x-correlation-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('refreshes the access token once on 401 and retries with the new one', async () => {
    tokenStore.set({ accessToken: 'old', refreshToken: 'refresh-old-0123456789' });
    answers.push(
      () => jsonResponse(401, { statusCode: 401, message: 'token expired' }),
      () => jsonResponse(200, { accessToken: 'new', refreshToken: 'refresh-new-0123456789', expiresIn: 900 }),
      () => jsonResponse(200, { items: [] }),
    );
    await expect(api('/api/intake/dossiers')).resolves.toEqual({ items: [] });
    expect(calls.map((c) => c.url)).toEqual([
      '/api/intake/dossiers',
      '/api/identity/auth/refresh',
      '/api/intake/dossiers',
    ]);
    expect(calls[1]?.init.body).toBe(JSON.stringify({ refreshToken: 'refresh-old-0123456789' }));
    expect(header(2, 'authorization')).toBe('Bearer new');
    expect(tokenStore.get()).toEqual({ accessToken: 'new', refreshToken: 'refresh-new-0123456789' });
  });

  it('ends the session when the refresh is refused, and reports the 401', async () => {
    tokenStore.set({ accessToken: 'old', refreshToken: 'refresh-old-0123456789' });
    answers.push(
      () => jsonResponse(401, { statusCode: 401, message: 'token expired' }),
      () => jsonResponse(401, { statusCode: 401, message: 'refresh token revoked' }),
    );
    const e = (await api('/api/intake/dossiers').catch((x: unknown) => x)) as ApiError;
    expect(e.status).toBe(401);
    expect(calls).toHaveLength(2);
    expect(tokenStore.get()).toBeNull();
  });

  it('does not try to refresh without a session, nor for sign-in calls', async () => {
    answers.push(() => jsonResponse(401, { statusCode: 401, message: 'wrong code' }));
    await expect(
      api('/api/identity/auth/citizen/tokens', { json: { challengeId: 'x', code: '000000' } }),
    ).rejects.toMatchObject({ status: 401, message: 'wrong code' });
    expect(calls).toHaveLength(1);
  });

  it('shares one refresh between concurrent 401s', async () => {
    tokenStore.set({ accessToken: 'old', refreshToken: 'refresh-old-0123456789' });
    let refreshes = 0;
    global.fetch = jest.fn((url: string, init?: RequestInit) => {
      const auth = new Headers(init?.headers).get('authorization');
      if (url === '/api/identity/auth/refresh') {
        refreshes++;
        return Promise.resolve(jsonResponse(200, { accessToken: 'new', refreshToken: 'refresh-new-0123456789' }));
      }
      return Promise.resolve(auth === 'Bearer new' ? jsonResponse(200, { ok: true }) : jsonResponse(401, {}));
    }) as unknown as typeof fetch;
    await expect(Promise.all([api('/api/a'), api('/api/b'), api('/api/c')])).resolves.toHaveLength(3);
    expect(refreshes).toBe(1);
  });

  it('downloads a file with its name from Content-Disposition', async () => {
    answers.push(
      () =>
        new Response(new Blob(['%PDF-1.4']), {
          status: 200,
          headers: { 'content-type': 'application/pdf', 'content-disposition': 'attachment; filename="P79-1.pdf"' },
        }),
    );
    const { blob, filename } = await apiBlob('/api/cases/cases/1/result');
    expect(filename).toBe('P79-1.pdf');
    expect(blob.size).toBe(8);
  });
});
