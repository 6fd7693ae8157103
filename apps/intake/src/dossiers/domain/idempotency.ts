import { createHash } from 'node:crypto';
import { canonicalJson } from '@hoso/contracts';

/**
 * Two bodies that differ only in key order (or whitespace) are the same request: the canonical JSON of the contracts
 * (object keys sorted at every level, array order kept, `undefined` properties dropped as JSON does).
 */
export { canonicalJson };

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
