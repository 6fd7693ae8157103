/**
 * The Kafka headers libs/messaging writes on a dead letter. The metrics service's DLQ readout
 * (`GET /operations/dlq/:topic/messages`) answers each message's headers as they are, keyed by these names, and the
 * operator dashboard reads them. Types only: libs/messaging's `DLQ_HEADERS` and the portal's copy are declared with
 * this type, so each must spell every name exactly as here (the portal cannot import the Node library).
 */
export interface DlqHeaderNames {
  error: 'hoso-dlq-error';
  reason: 'hoso-dlq-reason';
  originalTopic: 'hoso-dlq-original-topic';
  originalPartition: 'hoso-dlq-original-partition';
  originalOffset: 'hoso-dlq-original-offset';
  attempts: 'hoso-dlq-attempts';
  consumer: 'hoso-dlq-consumer';
  failedAt: 'hoso-dlq-failed-at';
}

/** The header a replayed message carries: `<dlq topic>/<partition>/<offset>` it was sent back from. */
export type ReplayedFromHeader = 'hoso-replayed-from';
