import { CaseCompletedV1, CaseRatedV1, CaseReceivedV1, CaseStatusChangedV1 } from './events/case.v1';
import { CaseStatusChangedV2 } from './events/case.v2';
import { DossierSubmittedV1, DossierWithdrawnV1 } from './events/dossier.v1';
import { IdentityRejectedV1, IdentityVerifiedV1 } from './events/identity.v1';
import { MetricsCompletionRateV1 } from './events/metrics.v1';
import {
  PaymentCompletedV1,
  PaymentFailedV1,
  PaymentRefundedV1,
  PaymentRequestedV1,
  PaymentWaivedV1,
} from './events/payment.v1';
import { defineCatalog, defineTopic, dlqTopicOf, type PayloadOf, type TopicOf } from './topic';

/** Partitions per topic: enough for a consumer group to scale to 6 members. */
export const PARTITIONS = 6;

/** Every event of the dossier flow (DESIGN.md), each tied to its payload schema. */
export const catalog = defineCatalog([
  defineTopic({
    type: 'dossier.submitted',
    version: 1,
    producer: 'intake',
    summary: 'A citizen submitted a dossier (online or at a counter); validated against its procedure form.',
    schema: DossierSubmittedV1,
    // Once per dossier: intake creates the dossier (its id) in the same transaction that submits it, and a
    // dossier is never submitted again (a supplement is a case move, not a new submission).
    factKey: ['dossierId'],
  }),
  defineTopic({
    type: 'dossier.withdrawn',
    version: 1,
    producer: 'intake',
    summary: 'The citizen withdrew the dossier before a decision; case-tracking closes the case, payment refunds.',
    schema: DossierWithdrawnV1,
    // Once per dossier: a withdrawal ends the dossier, and intake refuses to withdraw it twice.
    factKey: ['dossierId'],
  }),
  defineTopic({
    type: 'identity.verified',
    version: 1,
    producer: 'identity',
    summary: "The applicant's personal ID matched the population registry.",
    schema: IdentityVerifiedV1,
    // Once per dossier: identity answers each dossier.submitted (one per dossier) with exactly one outcome.
    factKey: ['dossierId'],
  }),
  defineTopic({
    type: 'identity.rejected',
    version: 1,
    producer: 'identity',
    summary: 'The applicant could not be verified; the dossier ends without a case.',
    schema: IdentityRejectedV1,
    // Once per dossier: identity answers each dossier.submitted (one per dossier) with exactly one outcome.
    factKey: ['dossierId'],
  }),
  defineTopic({
    type: 'payment.requested',
    version: 1,
    producer: 'payment',
    summary: 'A fee is due; the citizen pays it through the payment gateway before it expires.',
    schema: PaymentRequestedV1,
    // Once per payment: every request opens a new payment intent with a fresh paymentId (a retry after a failure
    // is a new request, so a new fact).
    factKey: ['dossierId', 'paymentId'],
  }),
  defineTopic({
    type: 'payment.waived',
    version: 1,
    producer: 'payment',
    summary: 'No fee is due (free procedure or an exemption).',
    schema: PaymentWaivedV1,
    // Once per dossier: the fee is settled once per dossier (waived, or requested), and a waived dossier owes
    // nothing afterwards.
    factKey: ['dossierId'],
  }),
  defineTopic({
    type: 'payment.completed',
    version: 1,
    producer: 'payment',
    summary: 'The fee was paid (signed gateway callback verified).',
    schema: PaymentCompletedV1,
    // Once per payment: an intent succeeds at most once (and a dossier has at most one succeeded intent).
    factKey: ['dossierId', 'paymentId'],
  }),
  defineTopic({
    type: 'payment.failed',
    version: 1,
    producer: 'payment',
    summary: 'A payment attempt failed; when final, the dossier ends unpaid.',
    schema: PaymentFailedV1,
    // No factKey: one payment can fail more than once (declined at the gateway, then expired as the dossier's last
    // intent), so the default payload hash (reason, final, failedAt differ) keeps those apart.
  }),
  defineTopic({
    type: 'payment.refunded',
    version: 1,
    producer: 'payment',
    summary: 'A paid fee was refunded (rejection or withdrawal after payment).',
    schema: PaymentRefundedV1,
    // Once per payment: payment keeps one refund row per paid payment (its primary key) and refunds it whole.
    factKey: ['dossierId', 'paymentId'],
  }),
  defineTopic({
    type: 'case.received',
    version: 1,
    producer: 'case-tracking',
    summary: "Identity and payment settled: the case is in the agency's queue with its due date.",
    schema: CaseReceivedV1,
    // Once per dossier: case-tracking opens one case per dossier (cases.dossier_id is unique).
    factKey: ['dossierId'],
  }),
  defineTopic({
    type: 'case.status-changed',
    version: 1,
    producer: 'case-tracking',
    summary: 'Every move of the case state machine, with actor and reason.',
    schema: CaseStatusChangedV1,
    // No factKey: a case can make the same move again (IN_PROCESS → SUPPLEMENT_REQUESTED → IN_PROCESS → …); each
    // move has its own changedAt (and from/to), so the default payload hash keeps them apart.
    deprecated:
      'no longer produced: case.status-changed.v2 carries the moves, case.received.v1 and case.completed.v1 the ' +
      'reception and the completion that v1 repeated as moves',
  }),
  defineTopic({
    type: 'case.status-changed',
    version: 2,
    producer: 'case-tracking',
    summary:
      'Every move of the case state machine between its reception (case.received) and its completion ' +
      '(case.completed), with actor and reason.',
    schema: CaseStatusChangedV2,
    // No factKey: as in v1, repeated moves differ in changedAt (and from/to), which the default payload hash covers.
  }),
  defineTopic({
    type: 'case.completed',
    version: 1,
    producer: 'case-tracking',
    summary: 'The result was delivered; carries the outcome and whether it was on time.',
    schema: CaseCompletedV1,
    // Once per case: completion is the case's last move, and a dossier has one case.
    factKey: ['dossierId', 'caseId'],
  }),
  defineTopic({
    type: 'case.rated',
    version: 1,
    producer: 'case-tracking',
    summary: 'The citizen rated a completed case (once); feeds the satisfaction rate.',
    schema: CaseRatedV1,
    // Once per case: the citizen can rate a completed case once.
    factKey: ['dossierId', 'caseId'],
  }),
  defineTopic({
    type: 'metrics.completion-rate',
    version: 1,
    producer: 'metrics',
    summary: 'A snapshot of the completion-related rates for one dimension key and period.',
    schema: MetricsCompletionRateV1,
    // No factKey: snapshots of one dimension key repeat with a new snapshotAt (or period), which the payload hash
    // covers; the Kafka key (dimension:key) is part of the default fact key.
    keyOf: (p) => `${p.dimension}:${p.key}`,
  }),
]);

export type Catalog = typeof catalog;
export type Topic = TopicOf<Catalog>;
export type Payload<T extends Topic> = PayloadOf<Catalog, T>;

export const topicNames = Object.keys(catalog) as Topic[];

/** Every topic the platform needs on the broker: each event topic and its dead-letter topic. */
export function allTopicNames(): string[] {
  return topicNames.flatMap((t) => [t, dlqTopicOf(t)]);
}
