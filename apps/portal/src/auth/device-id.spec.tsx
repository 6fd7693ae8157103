import { act, render } from '@testing-library/react';
import { deviceId } from './device-id';
import { SessionProvider, useSession, type Session } from './session';
import { tokenStore } from './token-store';

const FORMAT = /^[A-Za-z0-9_-]{16,128}$/;

/** An unsigned token with these claims: the portal only reads claims. */
function token(claims: Record<string, unknown>): string {
  const b64 = (o: unknown) => btoa(JSON.stringify(o)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  return `${b64({ alg: 'EdDSA' })}.${b64(claims)}.c2ln`;
}

beforeEach(() => {
  localStorage.clear();
  tokenStore.set(null);
});

describe('device id for citizen sign-in', () => {
  it("is made once in identity's format and kept in localStorage, so it outlives the tab", () => {
    const id = deviceId();
    expect(id).toMatch(FORMAT);
    expect(deviceId()).toBe(id);
    expect(localStorage.getItem('hoso.device')).toBe(id);
  });

  it('replaces a stored value identity would refuse', () => {
    localStorage.setItem('hoso.device', 'bad id');
    const id = deviceId();
    expect(id).toMatch(FORMAT);
    expect(localStorage.getItem('hoso.device')).toBe(id);
  });

  it('is sent with the code exchange', async () => {
    const sent: Headers[] = [];
    global.fetch = jest.fn((_url: string, init?: RequestInit) => {
      sent.push(new Headers(init?.headers));
      const body = JSON.stringify({
        accessToken: token({ sub: 'citizen:079090001234', role: 'citizen', pid: '079090001234' }),
        refreshToken: 'r',
      });
      return Promise.resolve({ ok: true, status: 200, text: () => Promise.resolve(body) } as Response);
    }) as unknown as typeof fetch;
    const grabbed: { session: Session | null } = { session: null };
    function Grab() {
      grabbed.session = useSession();
      return null;
    }
    render(
      <SessionProvider>
        <Grab />
      </SessionProvider>,
    );
    const session = grabbed.session;
    if (!session) throw new Error('no session context');
    await act(async () => {
      await session.signInCitizen('3f0c8a2e-6a8b-4d9e-9a43-1b2c3d4e5f60', '123456');
    });
    expect(sent).toHaveLength(1);
    expect(sent[0]?.get('x-device-id')).toBe(deviceId());
  });
});
