import { createHash } from 'node:crypto';

/**
 * JSON with object keys sorted at every level, so two bodies that differ only in key order (or whitespace)
 * are the same request. Array order is meaningful and kept; `undefined` properties are dropped as JSON does.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    const json = JSON.stringify(value) as string | undefined;
    return json ?? 'null';
  }
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v === undefined ? null : v)).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/** SHA-256 (hex) of the canonical body: an idempotency key replays only for the same hash. */
export function requestHash(body: unknown): string {
  return createHash('sha256').update(canonicalJson(body)).digest('hex');
}

export interface StoredAnswer {
  requestHash: string;
  statusCode: number;
  body: unknown;
}

export type IdempotencyDecision = { kind: 'replay'; statusCode: number; body: unknown } | { kind: 'conflict' };

/** Same key and same body → the stored answer again; same key and another body → conflict. */
export function decideOnExistingKey(stored: StoredAnswer, hash: string): IdempotencyDecision {
  return stored.requestHash === hash
    ? { kind: 'replay', statusCode: stored.statusCode, body: stored.body }
    : { kind: 'conflict' };
}
