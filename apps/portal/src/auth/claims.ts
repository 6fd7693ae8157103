/** The roles of libs/auth (`roles`); the portal cannot import the Nest library, so the list is repeated here. */
export type Role = 'citizen' | 'officer' | 'operator';

export interface SessionUser {
  sub: string;
  role: Role;
  /** Officers only (claim `agency`). */
  agencyCode?: string;
  name?: string;
  /** Citizens only (claim `pid`). */
  personalId?: string;
  /** VNeID level 0–2 (claim `vneid`). */
  vneidLevel?: number;
  /** Expiry of the access token, seconds since the epoch. */
  exp?: number;
}

function base64UrlDecode(part: string): string {
  const b64 = part
    .replace(/-/g, '+')
    .replace(/_/g, '/')
    .padEnd(Math.ceil(part.length / 4) * 4, '=');
  const bin = atob(b64);
  const bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0));
  return new TextDecoder().decode(bytes);
}

/**
 * Reads the claims of an access token for display and routing only; the services verify the signature and
 * decide what the user may see. Null for anything that is not a hoso access token.
 */
export function userFromToken(token: string): SessionUser | null {
  const parts = token.split('.');
  if (parts.length !== 3 || !parts[1]) return null;
  let c: Record<string, unknown>;
  try {
    c = JSON.parse(base64UrlDecode(parts[1])) as Record<string, unknown>;
  } catch {
    return null;
  }
  const { sub, role, agency, name, pid, vneid, exp } = c;
  if (typeof sub !== 'string' || (role !== 'citizen' && role !== 'officer' && role !== 'operator')) return null;
  return {
    sub,
    role,
    ...(typeof agency === 'string' ? { agencyCode: agency } : {}),
    ...(typeof name === 'string' ? { name } : {}),
    ...(typeof pid === 'string' ? { personalId: pid } : {}),
    ...(typeof vneid === 'number' ? { vneidLevel: vneid } : {}),
    ...(typeof exp === 'number' ? { exp } : {}),
  };
}
