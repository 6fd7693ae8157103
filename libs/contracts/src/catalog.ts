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
  }),
  defineTopic({
    type: 'dossier.withdrawn',
    version: 1,
    producer: 'intake',
    summary: 'The citizen withdrew the dossier before a decision; case-tracking closes the case, payment refunds.',
    schema: DossierWithdrawnV1,
  }),
  defineTopic({
    type: 'identity.verified',
    version: 1,
    producer: 'identity',
    summary: "The applicant's personal ID matched the population registry.",
    schema: IdentityVerifiedV1,
  }),
  defineTopic({
    type: 'identity.rejected',
    version: 1,
    producer: 'identity',
    summary: 'The applicant could not be verified; the dossier ends without a case.',
    schema: IdentityRejectedV1,
  }),
  defineTopic({
    type: 'payment.requested',
    version: 1,
    producer: 'payment',
    summary: 'A fee is due; the citizen pays it through the payment gateway before it expires.',
    schema: PaymentRequestedV1,
  }),
  defineTopic({
    type: 'payment.waived',
    version: 1,
    producer: 'payment',
    summary: 'No fee is due (free procedure or an exemption).',
    schema: PaymentWaivedV1,
  }),
  defineTopic({
    type: 'payment.completed',
    version: 1,
    producer: 'payment',
    summary: 'The fee was paid (signed gateway callback verified).',
    schema: PaymentCompletedV1,
  }),
  defineTopic({
    type: 'payment.failed',
    version: 1,
    producer: 'payment',
    summary: 'A payment attempt failed; when final, the dossier ends unpaid.',
    schema: PaymentFailedV1,
  }),
  defineTopic({
    type: 'payment.refunded',
    version: 1,
    producer: 'payment',
    summary: 'A paid fee was refunded (rejection or withdrawal after payment).',
    schema: PaymentRefundedV1,
  }),
  defineTopic({
    type: 'case.received',
    version: 1,
    producer: 'case-tracking',
    summary: "Identity and payment settled: the case is in the agency's queue with its due date.",
    schema: CaseReceivedV1,
  }),
  defineTopic({
    type: 'case.status-changed',
    version: 1,
    producer: 'case-tracking',
    summary: 'Every move of the case state machine, with actor and reason.',
    schema: CaseStatusChangedV1,
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
  }),
  defineTopic({
    type: 'case.completed',
    version: 1,
    producer: 'case-tracking',
    summary: 'The result was delivered; carries the outcome and whether it was on time.',
    schema: CaseCompletedV1,
  }),
  defineTopic({
    type: 'case.rated',
    version: 1,
    producer: 'case-tracking',
    summary: 'The citizen rated a completed case (once); feeds the satisfaction rate.',
    schema: CaseRatedV1,
  }),
  defineTopic({
    type: 'metrics.completion-rate',
    version: 1,
    producer: 'metrics',
    summary: 'A snapshot of the completion-related rates for one dimension key and period.',
    schema: MetricsCompletionRateV1,
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
