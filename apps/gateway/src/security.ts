import type { NextFunction, Request, Response } from 'express';
import helmet from 'helmet';

type ContentSecurityPolicy = Record<string, string[] | null>;

/**
 * Security headers on every answer (helmet). The portal's policy: scripts, styles and API calls from this origin
 * only, no framing, no plugins; forms may post to this origin and to the payment provider's checkout (the
 * citizen pays on the provider's page). The API docs page relaxes styles and images for swagger-ui's inline ones.
 */
export function securityHeaders(opts: { paymentGatewayPublicUrl: string; production: boolean }) {
  const portal: ContentSecurityPolicy = {
    'default-src': ["'self'"],
    'base-uri': ["'self'"],
    'script-src': ["'self'"],
    'script-src-attr': ["'none'"],
    'style-src': ["'self'"],
    'img-src': ["'self'", 'data:'],
    'font-src': ["'self'", 'data:'],
    'connect-src': ["'self'"],
    'form-action': ["'self'", new URL(opts.paymentGatewayPublicUrl).origin],
    'frame-ancestors': ["'none'"],
    'object-src': ["'none'"],
    // Local stacks run on plain http://127.0.0.1; TLS is the ingress's business, which sets its own policy.
    'upgrade-insecure-requests': null,
  };
  const make = (directives: ContentSecurityPolicy) =>
    helmet({
      contentSecurityPolicy: { useDefaults: false, directives },
      // Browsers ignore HSTS over plain http; in production the public origin is https.
      strictTransportSecurity: opts.production ? { maxAge: 31_536_000, includeSubDomains: true } : false,
      referrerPolicy: { policy: 'no-referrer' },
    });
  const forPortal = make(portal);
  const forDocs = make({ ...portal, 'style-src': ["'self'", "'unsafe-inline'"], 'img-src': ["'self'", 'data:'] });
  return (req: Request, res: Response, next: NextFunction): void => {
    (/^\/api\/docs(\/|$)/.test(req.path) ? forDocs : forPortal)(req, res, next);
  };
}
