import { z } from 'zod';
import {
  assertDevModeSettings,
  booleanFlag,
  devModeShape,
  heapShape,
  parseEnv,
  port,
  positiveInt,
  redisCredentialProblems,
  redisUrl,
} from '@hoso/config';
import type { RouteGroup } from './domain/route-table';

/** `<points>/<seconds>`: at most `points` requests per client in a window of `seconds`. */
const rateLimit = z
  .string()
  .trim()
  .regex(/^\d+\/\d+$/, 'expected <requests>/<seconds>, e.g. 20/60')
  .transform((raw) => {
    const [points, seconds] = raw.split('/').map(Number) as [number, number];
    return { points, durationSec: seconds };
  })
  .refine((r) => r.points >= 1 && r.durationSec >= 1, 'both numbers must be at least 1');

/** A comma-separated list of browser origins (`https://portal.example.vn`); empty = CORS off. */
const originList = z
  .string()
  .trim()
  .transform((raw) => (raw ? raw.split(',').map((s) => s.trim()) : []))
  .pipe(
    z.array(
      z.string().refine((o) => URL.canParse(o) && new URL(o).origin === o, 'expected origins like https://host[:port]'),
    ),
  );

/**
 * Express's `trust proxy` as a hop count: how many proxies in front of the gateway append to X-Forwarded-For, so the
 * client address is the one that many hops back (0 or empty: none, the TCP peer is the client). `true` is refused:
 * it believes the left-most X-Forwarded-For entry, which any client writes itself, and with a forged address per
 * request a client gets a fresh rate-limit budget per request.
 */
const trustProxy = z
  .string()
  .trim()
  .transform((raw, ctx): number => {
    if (raw === '') return 0;
    if (/^\d+$/.test(raw)) return Number(raw);
    ctx.addIssue({
      code: 'custom',
      message:
        raw.toLowerCase() === 'true'
          ? '`true` would believe any X-Forwarded-For a client sends; give the number of proxies in front of the ' +
            'gateway instead (0 = none)'
          : 'expected the number of proxies in front of the gateway, a non-negative integer (0 = none)',
    });
    return z.NEVER;
  });

/**
 * One service's replicas: one base URL, or several separated by commas (`http://intake-a:3001,http://intake-b:3001`);
 * the gateway balances over them and skips the ones that are down.
 */
const upstreamUrls = (port: number) =>
  z
    .string()
    .default(`http://127.0.0.1:${port}`)
    .transform((raw) =>
      raw
        .split(',')
        .map((u) => u.trim())
        .filter((u) => u !== ''),
    )
    .pipe(
      z
        .array(z.url({ protocol: /^https?$/, error: 'expected http(s) base URLs, separated by commas' }))
        .min(1, 'expected at least one base URL')
        .refine((urls) => new Set(urls).size === urls.length, 'the same URL is listed twice'),
    );

/** Default budgets per route group, per client (token subject, else IP address); `RATE_LIMIT_<GROUP>` overrides. */
const RATE_LIMIT_DEFAULTS: Record<RouteGroup, string> = {
  // OTP requests, code exchanges, staff passwords, refreshes: the brute-force surface.
  'sign-in': '20/60',
  read: '300/60',
  write: '60/60',
  // Dossier submissions and attachment uploads (several attachments per dossier).
  submit: '30/60',
  // The payment provider's signed callbacks, all from its few addresses.
  callback: '600/60',
  // Opening a Server-Sent Events stream (reconnects after network blips).
  stream: '20/60',
};

export const configSchema = z.object({
  ...devModeShape,
  PORT: port.default(3000),
  /** Listen address; a container sets 0.0.0.0. */
  HOST: z.string().min(1).default('127.0.0.1'),
  ...heapShape(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  REDIS_URL: redisUrl.default('redis://127.0.0.1:6379'),
  AUTH_JWKS_URL: z.url().default('http://127.0.0.1:3002/.well-known/jwks.json'),
  IDENTITY_URL: upstreamUrls(3002),
  INTAKE_URL: upstreamUrls(3001),
  PAYMENT_URL: upstreamUrls(3003),
  CASE_TRACKING_URL: upstreamUrls(3004),
  METRICS_URL: upstreamUrls(3005),
  /** The built portal (index.html + hashed assets), relative to the working directory. */
  PORTAL_DIR: z.string().min(1).default('dist/apps/portal'),
  /** The payment provider's checkout origin: the portal's forms post there (CSP form-action). */
  PAYMENT_GATEWAY_PUBLIC_URL: z.url().default('http://127.0.0.1:3006'),
  CORS_ORIGINS: originList.default([]),
  TRUST_PROXY: trustProxy.default(0),
  /** Redis key prefix, as the services' BullMQ queues: parallel test runs and stacks never share counters. */
  QUEUE_PREFIX: z
    .string()
    .regex(/^[^:]*$/, 'must not contain ":"')
    .default(''),
  RATE_LIMIT_ENABLED: booleanFlag.default(true),
  RATE_LIMIT_SIGN_IN: rateLimit.prefault(RATE_LIMIT_DEFAULTS['sign-in']),
  RATE_LIMIT_READ: rateLimit.prefault(RATE_LIMIT_DEFAULTS.read),
  RATE_LIMIT_WRITE: rateLimit.prefault(RATE_LIMIT_DEFAULTS.write),
  RATE_LIMIT_SUBMIT: rateLimit.prefault(RATE_LIMIT_DEFAULTS.submit),
  RATE_LIMIT_CALLBACK: rateLimit.prefault(RATE_LIMIT_DEFAULTS.callback),
  RATE_LIMIT_STREAM: rateLimit.prefault(RATE_LIMIT_DEFAULTS.stream),
  /** Largest request body outside uploads (JSON), bytes → 413. */
  JSON_BODY_LIMIT_BYTES: positiveInt.default(256 * 1024),
  /** Largest multipart upload: the attachment limit (10 MiB) plus multipart framing, bytes → 413. */
  UPLOAD_BODY_LIMIT_BYTES: positiveInt.default(10 * 1024 * 1024 + 64 * 1024),
  /** An upstream silent this long (no response bytes) is answered 504. */
  UPSTREAM_TIMEOUT_MS: positiveInt.default(30_000),
  /** Idle limit of a streamed response (Server-Sent Events send heartbeats well within it). */
  STREAM_IDLE_TIMEOUT_MS: positiveInt.default(15 * 60_000),
  /** How long the merged OpenAPI document is reused before the services are asked again. */
  DOCS_CACHE_SEC: z.coerce.number().int().min(0).default(60),
});

export interface RateLimitSetting {
  points: number;
  durationSec: number;
}

export type Config = ReturnType<typeof loadConfig>;

export function loadConfig(env: Record<string, string | undefined> = process.env) {
  const c = parseEnv(configSchema, env);
  // No secrets of its own; its Redis user's password arrives inside REDIS_URL.
  assertDevModeSettings(c, {}, redisCredentialProblems(c));
  const rateLimits: Record<RouteGroup, RateLimitSetting> = {
    'sign-in': c.RATE_LIMIT_SIGN_IN,
    read: c.RATE_LIMIT_READ,
    write: c.RATE_LIMIT_WRITE,
    submit: c.RATE_LIMIT_SUBMIT,
    callback: c.RATE_LIMIT_CALLBACK,
    stream: c.RATE_LIMIT_STREAM,
  };
  return Object.freeze({
    ...c,
    /** Development-only routes (the one-time-code inbox) are forwarded in development mode only. */
    devMode: c.HOSO_DEV_MODE,
    /** Production headers (HSTS) unless in development mode, which serves plain http on localhost. */
    production: !c.HOSO_DEV_MODE,
    /** Per service, the base URL of each of its replicas. */
    upstreams: Object.freeze({
      identity: Object.freeze(c.IDENTITY_URL),
      intake: Object.freeze(c.INTAKE_URL),
      payment: Object.freeze(c.PAYMENT_URL),
      cases: Object.freeze(c.CASE_TRACKING_URL),
      metrics: Object.freeze(c.METRICS_URL),
    }),
    rateLimits: Object.freeze(rateLimits),
    rateLimitKeyPrefix: `${c.QUEUE_PREFIX ? `${c.QUEUE_PREFIX}:` : ''}gateway:rate-limit`,
  });
}
