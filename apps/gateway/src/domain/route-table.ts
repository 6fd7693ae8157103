import type { AuthUser, Role } from '@hoso/auth';

/** `/api/<service>/…` → the service behind it. */
export const SERVICES = ['identity', 'intake', 'payment', 'cases', 'metrics'] as const;
export type ServiceName = (typeof SERVICES)[number];

/** Rate-limit budgets and metric labels; one per kind of traffic. */
export const ROUTE_GROUPS = ['sign-in', 'read', 'write', 'submit', 'callback', 'stream'] as const;
export type RouteGroup = (typeof ROUTE_GROUPS)[number];

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** Who may call: anybody, any valid token, or a valid token with one of the roles. */
export type Access = 'public' | 'authenticated' | readonly Role[];

export interface RouteRule {
  service: ServiceName;
  /** `ANY` for operator-only areas whose endpoints grow (operations, snapshots). GET also admits HEAD. */
  methods: readonly HttpMethod[] | 'ANY';
  /**
   * Path below `/api/<service>/`, segment by segment: `literal`, `:param` (one non-empty segment),
   * `(a|b|c)` (one of these literals), and a final `**` (any number of further segments).
   */
  pattern: string;
  access: Access;
  group: RouteGroup;
  /** Multipart upload: the upload body limit instead of the JSON one. */
  upload?: boolean;
  /** Long-lived streamed response (Server-Sent Events): the long idle timeout. */
  stream?: boolean;
  /** Exists only in development mode (HOSO_DEV_MODE=1): any other gateway answers 404 without forwarding. */
  devOnly?: boolean;
  /**
   * A POST that may arrive twice without doing anything twice: after a replica dropped the connection (it may have
   * acted on it before dying), the gateway sends it once more to another replica, as it does a GET.
   */
  replayable?: boolean;
}

const R = (
  service: ServiceName,
  methods: RouteRule['methods'],
  pattern: string,
  access: Access,
  group: RouteGroup,
  extra: Pick<RouteRule, 'upload' | 'stream' | 'devOnly' | 'replayable'> = {},
): RouteRule => ({ service, methods, pattern, access, group, ...extra });

const GET = ['GET'] as const;
const POST = ['POST'] as const;
const DELETE = ['DELETE'] as const;

/**
 * Every path the gateway forwards, built from the services' controllers and their `@Public()` / `@Roles()`:
 * the gateway refuses early what a service would refuse anyway, and never refuses what a service allows for the
 * right role. Anything not listed is a 404 (deny by default). The services check tokens, roles and scoping
 * (own dossiers, own agency) again; this table is the coarse outer fence.
 */
export const ROUTE_TABLE: readonly RouteRule[] = [
  // identity — sign-in and token endpoints are public (the one-time code, password or refresh token is the
  // credential); they share the strict sign-in budget.
  R('identity', POST, 'auth/citizen/challenges', 'public', 'sign-in'),
  R('identity', GET, 'auth/citizen/challenges/:id/dev-code', 'public', 'sign-in', { devOnly: true }),
  R('identity', POST, 'auth/citizen/tokens', 'public', 'sign-in'),
  // A second password sign-in opens one more session nobody received (it expires unused), as a double click does.
  R('identity', POST, 'auth/staff/tokens', 'public', 'sign-in', { replayable: true }),
  // The TOTP enrolment a staff sign-in asks for: its enrolment token is the credential.
  R('identity', POST, 'auth/staff/totp-enrolment', 'public', 'sign-in'),
  R('identity', POST, 'auth/staff/totp-enrolment/confirm', 'public', 'sign-in'),
  R('identity', POST, 'auth/refresh', 'public', 'sign-in'),
  R('identity', POST, 'auth/logout', 'public', 'sign-in'),
  R('identity', GET, '.well-known/jwks.json', 'public', 'read'),
  R('identity', GET, 'citizens/me', ['citizen'], 'read'),
  // Reads the registry and signs what it read: no state changes.
  R('identity', POST, 'prefill', ['citizen'], 'write', { replayable: true }),
  // Staff accounts: operators manage them; each officer or operator manages their own password and TOTP (these
  // check a password or a code, so they share the sign-in budget).
  R('identity', GET, 'staff', ['operator'], 'read'),
  R('identity', POST, 'staff', ['operator'], 'write'),
  R('identity', POST, 'staff/:id/(disable|enable|reset)', ['operator'], 'write'),
  R('identity', GET, 'staff/me', ['officer', 'operator'], 'read'),
  R('identity', POST, 'staff/me/(password|totp)', ['officer', 'operator'], 'sign-in'),
  R('identity', POST, 'staff/me/totp/confirm', ['officer', 'operator'], 'sign-in'),
  // Each service's audit trail (its verification and latest entries), for operators; the controller is shared
  // (libs/nest-kit AuditTrailModule), so it is listed here per service rather than found in the services' code.
  R('identity', GET, 'audit-trail', ['operator'], 'read'),
  R('intake', GET, 'audit-trail', ['operator'], 'read'),
  R('payment', GET, 'audit-trail', ['operator'], 'read'),
  R('cases', GET, 'audit-trail', ['operator'], 'read'),
  R('metrics', GET, 'audit-trail', ['operator'], 'read'),

  // intake — the catalog and administrative units are public reads.
  R('intake', GET, 'procedures', 'public', 'read'),
  R('intake', GET, 'procedures/:code', 'public', 'read'),
  R('intake', GET, 'areas', 'public', 'read'),
  R('intake', GET, 'provinces', 'public', 'read'),
  R('intake', GET, 'provinces/:code/communes', 'public', 'read'),
  R('intake', GET, 'agencies', 'public', 'read'),
  R('intake', GET, 'agencies/:code', 'public', 'read'),
  R('intake', POST, 'admin-units/(communes|provinces)/:code/merge', ['operator'], 'write'),
  R('intake', POST, 'attachments', ['citizen', 'officer'], 'submit', { upload: true }),
  R('intake', GET, 'attachments/:id', 'authenticated', 'read'),
  R('intake', DELETE, 'attachments/:id', ['citizen', 'officer'], 'write'),
  R('intake', GET, 'dossiers', 'authenticated', 'read'),
  R('intake', GET, 'dossiers/changes', ['operator'], 'read'),
  R('intake', GET, 'dossiers/by-receipt/:receiptCode', 'authenticated', 'read'),
  R('intake', GET, 'dossiers/:id', 'authenticated', 'read'),
  // Refused without an Idempotency-Key; with one, intake stores the key with the dossier in one statement and
  // answers a repeat (same caller, key and body) with the first answer, whichever replica gets it.
  R('intake', POST, 'dossiers', ['citizen', 'officer'], 'submit', { replayable: true }),
  R('intake', POST, 'dossiers/:id/withdraw', ['citizen'], 'write'),
  R('intake', POST, 'dossiers/:id/attachments', ['citizen'], 'write'),

  // payment — the provider's callbacks carry an HMAC signature the payment service verifies.
  R('payment', POST, 'payments/gateway/callbacks', 'public', 'callback'),
  R('payment', POST, 'payments/reconciliations', ['operator'], 'write'),
  R('payment', GET, 'payments', 'authenticated', 'read'),
  R('payment', GET, 'payments/:paymentId', 'authenticated', 'read'),
  R('payment', POST, 'payments/:paymentId/checkout', ['citizen'], 'write'),
  R('payment', POST, 'payments/:paymentId/cash', ['officer'], 'write'),
  R('payment', POST, 'payments/dossiers/:dossierId/intents', ['citizen'], 'write'),

  // case-tracking
  R('cases', GET, 'cases/:id', 'authenticated', 'read'),
  R('cases', GET, 'cases/:id/result', 'authenticated', 'read'),
  R('cases', POST, 'cases/:id/(claim|decision|result|complete|transfer|supplement-requests)', ['officer'], 'write'),
  R('cases', POST, 'cases/:id/(supplements|rating)', ['citizen'], 'write'),
  R('cases', GET, 'queues/**', ['officer', 'operator'], 'read'),
  R('cases', GET, 'dossiers/:dossierId/timeline', 'authenticated', 'read'),
  R('cases', GET, 'mailbox', ['citizen'], 'read'),
  R('cases', POST, 'cases/:id/result/revocation', ['officer'], 'write'),
  // Public verification of issued results by their printed code (no sign-in); the document check uploads a result
  // PDF (tens of kilobytes, under the JSON body limit) as application/pdf.
  R('cases', GET, 'verify/:code', 'public', 'read'),
  R('cases', POST, 'verify/:code/document', 'public', 'write'),

  // metrics
  R('metrics', GET, 'rates/**', ['officer', 'operator'], 'read'),
  R('metrics', 'ANY', 'snapshots/**', ['operator'], 'write'),
  R('metrics', GET, 'operations/stream', ['operator'], 'stream', { stream: true }),
  R('metrics', 'ANY', 'operations/**', ['operator'], 'read'),
];

export type RouteMatch =
  | { kind: 'route'; rule: RouteRule; service: ServiceName; upstreamPath: string }
  | { kind: 'not-found' }
  | { kind: 'bad-path'; reason: string };

function segmentMatches(pattern: string, segment: string): boolean {
  if (segment === '') return false;
  if (pattern.startsWith(':')) return true;
  if (pattern.startsWith('(') && pattern.endsWith(')')) return pattern.slice(1, -1).split('|').includes(segment);
  return pattern === segment;
}

/** Whether the segments below `/api/<service>/` fit the rule's pattern. */
export function patternMatches(pattern: string, segments: readonly string[]): boolean {
  const parts = pattern.split('/');
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] as string;
    if (part === '**') return segments.slice(i).every((s) => s !== '');
    const segment = segments[i];
    if (segment === undefined || !segmentMatches(part, segment)) return false;
  }
  return segments.length === parts.length;
}

function methodMatches(rule: RouteRule, method: string): boolean {
  if (rule.methods === 'ANY') return true;
  const m = method === 'HEAD' ? 'GET' : method;
  return (rule.methods as readonly string[]).includes(m);
}

const isService = (s: string | undefined): s is ServiceName => (SERVICES as readonly string[]).includes(s ?? '');

/**
 * The rule for a request (`url` as received: `/api/<service>/<path>?<query>`), and the path the service sees:
 * the same path and query without `/api/<service>`. Dot segments and encoded slashes are refused outright,
 * so the table cannot be walked around (`/api/intake/procedures/..%2Fdossiers`).
 */
export function matchRoute(method: string, url: string): RouteMatch {
  const q = url.indexOf('?');
  const pathname = q === -1 ? url : url.slice(0, q);
  const query = q === -1 ? '' : url.slice(q);
  if (!pathname.startsWith('/api/')) return { kind: 'not-found' };
  const segments = pathname.slice('/api/'.length).split('/');
  for (const raw of segments) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(raw);
    } catch {
      return { kind: 'bad-path', reason: 'malformed percent-encoding in the path' };
    }
    if (decoded === '.' || decoded === '..' || /[/\\]/.test(decoded) || raw.includes('\\')) {
      return { kind: 'bad-path', reason: 'dot segments and encoded slashes are not allowed in the path' };
    }
  }
  const [service, ...rest] = segments;
  if (!isService(service)) return { kind: 'not-found' };
  // One trailing slash is the same resource (as the services' router sees it).
  if (rest.length > 1 && rest[rest.length - 1] === '') rest.pop();
  const rule = ROUTE_TABLE.find(
    (r) => r.service === service && patternMatches(r.pattern, rest) && methodMatches(r, method),
  );
  if (!rule) return { kind: 'not-found' };
  return { kind: 'route', rule, service, upstreamPath: `/${rest.join('/')}${query}` };
}

export type AccessDecision = { allowed: true } | { allowed: false; status: 401 | 403; message: string };

/**
 * The coarse role check. `user` is the verified caller, or null with `tokenProblem` saying why there is none
 * (no bearer token, or why it did not verify).
 */
export function authorize(rule: RouteRule, user: Pick<AuthUser, 'role'> | null, tokenProblem: string): AccessDecision {
  if (rule.access === 'public') return { allowed: true };
  if (!user) return { allowed: false, status: 401, message: tokenProblem };
  if (rule.access === 'authenticated' || rule.access.includes(user.role)) return { allowed: true };
  return {
    allowed: false,
    status: 403,
    message: `this endpoint is for ${rule.access.join(' or ')}, not ${user.role}`,
  };
}
