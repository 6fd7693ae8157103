import { checkoutReturnUrl, originOf } from './return-url';

const ORIGINS = ['http://127.0.0.1:3000', 'http://localhost:3000'];

describe('checkout return URL', () => {
  it('accepts a page on a listed origin, as given', () => {
    expect(checkoutReturnUrl('http://127.0.0.1:3000/dossiers/abc?tab=pay#top', ORIGINS, undefined)).toEqual({
      ok: true,
      url: 'http://127.0.0.1:3000/dossiers/abc?tab=pay#top',
    });
    expect(checkoutReturnUrl('http://LOCALHOST:3000/x', ORIGINS, undefined)).toEqual({
      ok: true,
      url: 'http://localhost:3000/x',
    });
  });

  it('falls back to the configured URL (or none) when the caller asks for nothing', () => {
    expect(checkoutReturnUrl(undefined, ORIGINS, 'https://portal.example/paid')).toEqual({
      ok: true,
      url: 'https://portal.example/paid',
    });
    expect(checkoutReturnUrl(undefined, ORIGINS, undefined)).toEqual({ ok: true, url: null });
  });

  it.each([
    ['another host', 'https://evil.example/dossiers/1'],
    ['another port', 'http://127.0.0.1:3001/dossiers/1'],
    ['another scheme', 'https://127.0.0.1:3000/dossiers/1'],
    ['a look-alike host', 'http://127.0.0.1:3000.evil.example/'],
    ['credentials', 'http://user:pw@127.0.0.1:3000/'],
    ['javascript:', 'javascript:alert(1)'],
    ['a relative URL', '/dossiers/1'],
    ['a protocol-relative URL', '//evil.example/'],
  ])('refuses %s', (_what, url) => {
    expect(checkoutReturnUrl(url, ORIGINS, undefined).ok).toBe(false);
  });

  it('reads configured origins strictly', () => {
    expect(originOf('http://127.0.0.1:3000')).toBe('http://127.0.0.1:3000');
    expect(originOf('https://Portal.example/')).toBe('https://portal.example');
    expect(originOf('https://portal.example/app')).toBeNull();
    expect(originOf('ftp://portal.example')).toBeNull();
    expect(originOf('portal.example')).toBeNull();
  });
});
