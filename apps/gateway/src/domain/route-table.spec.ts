import { authorize, matchRoute, patternMatches, ROUTE_TABLE, type RouteRule } from './route-table';

function rule(method: string, url: string): RouteRule {
  const m = matchRoute(method, url);
  if (m.kind !== 'route') throw new Error(`${method} ${url}: ${m.kind}`);
  return m.rule;
}

const citizen = { role: 'citizen' as const };
const officer = { role: 'officer' as const };
const operator = { role: 'operator' as const };

describe('route table', () => {
  it('maps /api/<service>/… to the service and strips the prefix, keeping the query', () => {
    expect(matchRoute('GET', '/api/intake/procedures?agencyLevel=province&pageSize=100')).toMatchObject({
      kind: 'route',
      service: 'intake',
      upstreamPath: '/procedures?agencyLevel=province&pageSize=100',
    });
    expect(matchRoute('GET', '/api/cases/queues/P79/cases')).toMatchObject({
      service: 'cases',
      upstreamPath: '/queues/P79/cases',
    });
    expect(matchRoute('GET', '/api/identity/.well-known/jwks.json')).toMatchObject({
      service: 'identity',
      upstreamPath: '/.well-known/jwks.json',
    });
    expect(matchRoute('GET', '/api/intake/procedures/')).toMatchObject({ upstreamPath: '/procedures' });
  });

  it('refuses what is not listed: unknown services, paths and methods (deny by default)', () => {
    for (const [method, url] of [
      ['GET', '/api/nope/x'],
      ['GET', '/api/intake'],
      ['GET', '/api/intake/'],
      ['GET', '/api/intake/internal/outbox'],
      ['DELETE', '/api/intake/procedures'],
      ['GET', '/api/cases/cases/1/claim'],
      ['GET', '/api/intake/health/ready'],
      ['GET', '/api/payment-gateway/checkout/1'],
      ['GET', '/api/intake//procedures'],
      ['GET', '/health'],
    ] as const) {
      expect(matchRoute(method, url)).toEqual({ kind: 'not-found' });
    }
  });

  it('refuses dot segments and encoded slashes, so nothing walks around the table', () => {
    for (const url of [
      '/api/intake/procedures/../dossiers',
      '/api/intake/procedures/..%2Fdossiers',
      '/api/intake/procedures/%2E%2E',
      '/api/intake/procedures/a%2Fb',
      '/api/intake/procedures/a%5Cb',
      '/api/intake/procedures/%E0%A4%A',
    ]) {
      expect(matchRoute('GET', url).kind).toBe('bad-path');
    }
  });

  it('keeps the public allowlist explicit: catalog reads, sign-in, JWKS, payment callbacks, result verification', () => {
    const publicRoutes = ROUTE_TABLE.filter((r) => r.access === 'public').map(
      (r) => `${r.service} ${String(r.methods)} ${r.pattern}`,
    );
    expect(publicRoutes).toEqual([
      'identity POST auth/citizen/challenges',
      'identity GET auth/citizen/challenges/:id/dev-code',
      'identity POST auth/citizen/tokens',
      'identity POST auth/staff/tokens',
      'identity POST auth/staff/totp-enrolment',
      'identity POST auth/staff/totp-enrolment/confirm',
      'identity POST auth/refresh',
      'identity POST auth/logout',
      'identity GET .well-known/jwks.json',
      'intake GET procedures',
      'intake GET procedures/:code',
      'intake GET areas',
      'intake GET provinces',
      'intake GET provinces/:code/communes',
      'intake GET agencies',
      'intake GET agencies/:code',
      'payment POST payments/gateway/callbacks',
      'cases GET verify/:code',
      'cases POST verify/:code/document',
    ]);
  });

  it('lets nobody without a token past a non-public route (401) and says why', () => {
    expect(authorize(rule('GET', '/api/intake/dossiers'), null, 'missing bearer token')).toEqual({
      allowed: false,
      status: 401,
      message: 'missing bearer token',
    });
    expect(authorize(rule('GET', '/api/intake/procedures'), null, 'missing bearer token')).toEqual({ allowed: true });
  });

  it.each([
    // [method, url, allowed roles]
    ['GET', '/api/identity/citizens/me', ['citizen']],
    ['POST', '/api/identity/prefill', ['citizen']],
    ['POST', '/api/identity/staff', ['operator']],
    ['GET', '/api/identity/staff', ['operator']],
    ['POST', '/api/identity/staff/0192d3a4-0000-7000-8000-000000000000/disable', ['operator']],
    ['POST', '/api/identity/staff/0192d3a4-0000-7000-8000-000000000000/enable', ['operator']],
    ['POST', '/api/identity/staff/0192d3a4-0000-7000-8000-000000000000/reset', ['operator']],
    ['GET', '/api/identity/staff/me', ['officer', 'operator']],
    ['POST', '/api/identity/staff/me/password', ['officer', 'operator']],
    ['POST', '/api/identity/staff/me/totp', ['officer', 'operator']],
    ['POST', '/api/identity/staff/me/totp/confirm', ['officer', 'operator']],
    ['POST', '/api/intake/admin-units/provinces/79/merge', ['operator']],
    ['GET', '/api/identity/audit-trail', ['operator']],
    ['GET', '/api/intake/audit-trail?limit=10', ['operator']],
    ['GET', '/api/payment/audit-trail', ['operator']],
    ['GET', '/api/cases/audit-trail', ['operator']],
    ['GET', '/api/metrics/audit-trail', ['operator']],
    ['POST', '/api/intake/admin-units/communes/26734/merge', ['operator']],
    ['POST', '/api/intake/attachments', ['citizen', 'officer']],
    ['POST', '/api/intake/dossiers', ['citizen', 'officer']],
    ['GET', '/api/intake/dossiers/0192', ['citizen', 'officer', 'operator']],
    ['GET', '/api/intake/dossiers/by-receipt/H79.1-251126-0001', ['citizen', 'officer', 'operator']],
    ['POST', '/api/intake/dossiers/0192/withdraw', ['citizen']],
    ['POST', '/api/intake/dossiers/0192/attachments', ['citizen']],
    ['POST', '/api/payment/payments/reconciliations', ['operator']],
    ['GET', '/api/payment/payments?dossierId=1', ['citizen', 'officer', 'operator']],
    ['POST', '/api/payment/payments/p1/checkout', ['citizen']],
    ['POST', '/api/payment/payments/p1/cash', ['officer']],
    ['POST', '/api/payment/payments/dossiers/d1/intents', ['citizen']],
    ['GET', '/api/cases/cases/c1', ['citizen', 'officer', 'operator']],
    ['GET', '/api/cases/cases/c1/result', ['citizen', 'officer', 'operator']],
    ['POST', '/api/cases/cases/c1/claim', ['officer']],
    ['POST', '/api/cases/cases/c1/decision', ['officer']],
    ['POST', '/api/cases/cases/c1/result', ['officer']],
    ['POST', '/api/cases/cases/c1/complete', ['officer']],
    ['POST', '/api/cases/cases/c1/transfer', ['officer']],
    ['POST', '/api/cases/cases/c1/supplement-requests', ['officer']],
    ['POST', '/api/cases/cases/c1/supplements', ['citizen']],
    ['POST', '/api/cases/cases/c1/rating', ['citizen']],
    ['GET', '/api/cases/queues/P79/cases?status=RECEIVED', ['officer', 'operator']],
    ['GET', '/api/cases/dossiers/d1/timeline', ['citizen', 'officer', 'operator']],
    ['GET', '/api/cases/mailbox', ['citizen']],
    ['GET', '/api/metrics/rates?period=2025-11', ['officer', 'operator']],
    ['GET', '/api/metrics/rates/summary', ['officer', 'operator']],
    ['GET', '/api/metrics/rates/trend?months=12', ['officer', 'operator']],
    ['GET', '/api/intake/attachments/a1', ['citizen', 'officer', 'operator']],
    ['POST', '/api/metrics/snapshots', ['operator']],
    ['GET', '/api/metrics/operations/topics', ['operator']],
    ['GET', '/api/metrics/operations/lag?groupId=intake', ['operator']],
    ['GET', '/api/metrics/operations/stream', ['operator']],
    ['POST', '/api/metrics/operations/dlq/dossier.submitted.v1/replay', ['operator']],
  ] as const)('%s %s is for %j only (403 for the others)', (method, url, allowed) => {
    const r = rule(method, url);
    for (const user of [citizen, officer, operator]) {
      const decision = authorize(r, user, '');
      if ((allowed as readonly string[]).includes(user.role)) expect(decision).toEqual({ allowed: true });
      else expect(decision).toMatchObject({ allowed: false, status: 403 });
    }
  });

  it('puts sign-in in the strict budget, uploads under the upload limit, the event stream under the long timeout', () => {
    expect(rule('POST', '/api/identity/auth/citizen/challenges').group).toBe('sign-in');
    expect(rule('GET', '/api/identity/auth/citizen/challenges/c1/dev-code').group).toBe('sign-in');
    expect(rule('POST', '/api/identity/auth/refresh').group).toBe('sign-in');
    expect(rule('POST', '/api/intake/attachments')).toMatchObject({ group: 'submit', upload: true });
    expect(rule('POST', '/api/intake/dossiers')).toMatchObject({ group: 'submit' });
    expect(rule('POST', '/api/intake/dossiers').upload).toBeUndefined();
    expect(rule('GET', '/api/metrics/operations/stream')).toMatchObject({ group: 'stream', stream: true });
    expect(rule('POST', '/api/payment/payments/gateway/callbacks').group).toBe('callback');
    expect(rule('HEAD', '/api/intake/procedures').group).toBe('read');
  });

  it('matches patterns segment by segment', () => {
    expect(patternMatches('a/:id/(x|y)', ['a', '1', 'y'])).toBe(true);
    expect(patternMatches('a/:id/(x|y)', ['a', '1', 'z'])).toBe(false);
    expect(patternMatches('a/:id', ['a', ''])).toBe(false);
    expect(patternMatches('a/:id', ['a', '1', '2'])).toBe(false);
    expect(patternMatches('a/**', ['a'])).toBe(true);
    expect(patternMatches('a/**', ['a', 'b', 'c'])).toBe(true);
    expect(patternMatches('a/**', ['a', '', 'c'])).toBe(false);
  });
});
