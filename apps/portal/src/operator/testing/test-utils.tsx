import './polyfills';
import { configure, render, type RenderResult } from '@testing-library/react';
import type { ReactElement } from 'react';
import { MemoryRouter, Route, Routes } from 'react-router';
import { tokenStore } from '../../auth/token-store';
import { SessionProvider } from '../../auth/session';
import i18n from '../../i18n';
import type { Role } from '../../auth/claims';
import { registerOperatorTexts } from '../i18n/register';

// The full test run shares two cores with Kafka and PostgreSQL: rendering a chart can take seconds there. Waits
// are generous, never sleeps: each resolves as soon as the page shows what it waits for.
configure({ asyncUtilTimeout: 10_000 });
jest.setTimeout(60_000);

const b64url = (s: string) => btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

/** An unsigned token with the claims the portal reads (the services, not the portal, verify signatures). */
export function fakeToken(role: Role, extra: Record<string, unknown> = {}): string {
  const claims = { sub: `${role}-1`, role, exp: Math.floor(Date.now() / 1000) + 3600, ...extra };
  return `${b64url('{"alg":"none"}')}.${b64url(JSON.stringify(claims))}.sig`;
}

export function signInAs(role: Role | null): void {
  tokenStore.set(role ? { accessToken: fakeToken(role), refreshToken: 'refresh' } : null);
}

export interface FakeResponse {
  ok: boolean;
  status: number;
  statusText: string;
  headers: { get(name: string): string | null };
  text(): Promise<string>;
  body: { getReader(): { read(): Promise<{ done: boolean; value?: Uint8Array }> } } | null;
}

export function jsonResponse(status: number, body: unknown): FakeResponse {
  const text = JSON.stringify(body);
  return {
    ok: status >= 200 && status < 300,
    status,
    statusText: '',
    headers: { get: (n) => (n.toLowerCase() === 'content-type' ? 'application/json' : null) },
    text: () => Promise.resolve(text),
    body: null,
  };
}

/** An event stream that sends `chunks` and then stays open (until the page aborts the request). */
export function eventStreamResponse(chunks: string[]): FakeResponse {
  const queue = chunks.map((c) => new TextEncoder().encode(c));
  return {
    ok: true,
    status: 200,
    statusText: '',
    headers: { get: (n) => (n.toLowerCase() === 'content-type' ? 'text/event-stream' : null) },
    text: () => Promise.resolve(''),
    body: {
      getReader: () => ({
        read: () => {
          const value = queue.shift();
          return value ? Promise.resolve({ done: false, value }) : new Promise(() => undefined);
        },
      }),
    },
  };
}

export interface Call {
  method: string;
  url: string;
  body: unknown;
  headers: Headers | Record<string, string> | undefined;
}

/** Replaces fetch with `handler`; returns the calls made, in order. */
export function mockFetch(handler: (call: Call) => FakeResponse | Promise<FakeResponse>): Call[] {
  const calls: Call[] = [];
  const fn = jest.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const raw = init?.body;
    const call: Call = {
      method: init?.method ?? 'GET',
      url: typeof input === 'string' ? input : input instanceof URL ? input.href : input.url,
      body: typeof raw === 'string' ? (JSON.parse(raw) as unknown) : undefined,
      headers: init?.headers as Call['headers'],
    };
    calls.push(call);
    return (await handler(call)) as unknown as Response;
  });
  Object.assign(globalThis, { fetch: fn });
  return calls;
}

export async function setTestLanguage(lng: 'vi' | 'en'): Promise<void> {
  registerOperatorTexts();
  await i18n.changeLanguage(lng);
}

/** Renders inside the session and a router at `path`, mounted at /operator/* as the shell mounts it. */
export function renderAt(ui: ReactElement, path = '/operator'): RenderResult {
  return render(
    <SessionProvider>
      <MemoryRouter initialEntries={[path]}>
        <Routes>
          <Route path="/operator/*" element={ui} />
        </Routes>
      </MemoryRouter>
    </SessionProvider>,
  );
}
