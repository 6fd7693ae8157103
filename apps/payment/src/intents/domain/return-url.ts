/**
 * Where the gateway sends the citizen's browser after checkout. A caller may ask for its own page (the portal's
 * dossier page), but only on an origin the deployment lists: any other URL would make the payment flow an open
 * redirect (a link that pays a real fee, then lands on a look-alike site).
 */
export type ReturnUrlDecision = { ok: true; url: string | null } | { ok: false; reason: string };

export function checkoutReturnUrl(
  requested: string | undefined,
  allowedOrigins: readonly string[],
  fallback: string | undefined,
): ReturnUrlDecision {
  if (requested === undefined) return { ok: true, url: fallback ?? null };
  let url: URL;
  try {
    url = new URL(requested);
  } catch {
    return { ok: false, reason: 'returnUrl is not a URL' };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return { ok: false, reason: 'returnUrl must be an http or https URL' };
  }
  // Credentials in a URL are a classic way to disguise where a link goes; nothing legitimate needs them here.
  if (url.username || url.password) return { ok: false, reason: 'returnUrl must not carry credentials' };
  if (!allowedOrigins.includes(url.origin)) {
    return { ok: false, reason: `returnUrl must be on one of: ${allowedOrigins.join(', ')}` };
  }
  return { ok: true, url: url.href };
}

/** `http://Host:3000/` → `http://host:3000`; null when the value is not an http(s) origin (no path, query or hash). */
export function originOf(value: string): string | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  if (url.pathname !== '/' || url.search || url.hash || url.username || url.password) return null;
  return url.origin;
}
