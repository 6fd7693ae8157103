import { catalog, type Topic } from './catalog';

/**
 * The topics each service consumes: the `@EventPattern` topics of its controllers, written down once more because
 * the broker's ACLs are derived from it (a principal reads only what it consumes). A service whose handlers name a
 * topic missing here refuses to start (libs/messaging's MessagingService), so the two cannot drift apart silently.
 */
export const SUBSCRIPTIONS = {
  intake: [
    'case.completed.v1',
    'case.received.v1',
    'case.status-changed.v1',
    'case.status-changed.v2',
    'identity.rejected.v1',
    'identity.verified.v1',
    'payment.completed.v1',
    'payment.failed.v1',
    'payment.refunded.v1',
    'payment.requested.v1',
    'payment.waived.v1',
  ],
  identity: ['dossier.submitted.v1'],
  payment: [
    'case.completed.v1',
    'dossier.submitted.v1',
    'dossier.withdrawn.v1',
    'identity.rejected.v1',
    'identity.verified.v1',
  ],
  'case-tracking': [
    'dossier.submitted.v1',
    'dossier.withdrawn.v1',
    'identity.rejected.v1',
    'identity.verified.v1',
    'payment.completed.v1',
    'payment.failed.v1',
    'payment.refunded.v1',
    'payment.waived.v1',
  ],
  metrics: [
    'case.completed.v1',
    'case.rated.v1',
    'case.received.v1',
    'case.status-changed.v1',
    'case.status-changed.v2',
    'dossier.submitted.v1',
    'dossier.withdrawn.v1',
    'identity.rejected.v1',
    'identity.verified.v1',
    'payment.completed.v1',
    'payment.failed.v1',
    'payment.refunded.v1',
    'payment.requested.v1',
    'payment.waived.v1',
  ],
} as const satisfies Record<string, readonly Topic[]>;

export type SubscribingService = keyof typeof SUBSCRIPTIONS;

/** The topics whose producer (in the catalog) is `service`: the only ones its principal may write, with its DLQs. */
export function topicsProducedBy(service: string): Topic[] {
  return (Object.keys(catalog) as Topic[]).filter((t) => catalog[t].producer === service);
}

/** The topics `service` consumes, or null for a name that is not a platform service (a test's own consumer). */
export function subscriptionsOf(service: string): readonly Topic[] | null {
  return Object.hasOwn(SUBSCRIPTIONS, service) ? SUBSCRIPTIONS[service as SubscribingService] : null;
}
