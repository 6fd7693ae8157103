import { z } from 'zod';
import { caseStatuses } from './common';
import { CaseStatusChangedV1 } from './case.v1';

/**
 * Statuses a v2 move can reach. Reception and completion are stated once, by case.received.v1 and
 * case.completed.v1 (which carry more: receipt code, due date, outcome, on-time); v1 repeated each of them as a
 * move, so every consumer handled those two facts twice.
 */
export const caseMoveStatus = z.enum(caseStatuses).exclude(['RECEIVED', 'COMPLETED']);

/** A move of the case state machine between its reception and its completion, with actor and reason. */
export const CaseStatusChangedV2 = CaseStatusChangedV1.extend({
  /** Every v2 move starts from a status: the case exists (its first status comes with case.received.v1). */
  from: z.enum(caseStatuses),
  to: caseMoveStatus,
});
export type CaseStatusChangedV2 = z.output<typeof CaseStatusChangedV2>;
