/**
 * Errors that mean "a server is away", not "this consumer is broken": the broker (or the database) is down,
 * restarting, or unreachable. Waiting cures them, so a consumer keeps retrying them for as long as they last;
 * anything else is a reason to stop and let the process be restarted.
 */

/** kafkajs errors raised when no broker answers, or none can lead what the consumer needs. */
const KAFKAJS_UNAVAILABLE = new Set([
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSRequestTimeoutError',
  'KafkaJSBrokerNotFound',
  'KafkaJSNoBrokerAvailableError',
  'KafkaJSGroupCoordinatorNotFound',
  'KafkaJSMetadataNotLoaded',
  'KafkaJSTopicMetadataNotLoaded',
  'KafkaJSLockTimeout',
]);

/** Kafka protocol errors a broker answers while it (or its partition leaders, its group coordinator) is coming back. */
const KAFKA_PROTOCOL_UNAVAILABLE = new Set([
  'GROUP_COORDINATOR_NOT_AVAILABLE',
  'GROUP_LOAD_IN_PROGRESS',
  'NOT_COORDINATOR_FOR_GROUP',
  'REBALANCE_IN_PROGRESS',
  'UNKNOWN_TOPIC_OR_PARTITION',
  'LEADER_NOT_AVAILABLE',
  'NOT_LEADER_FOR_PARTITION',
  'BROKER_NOT_AVAILABLE',
  'REPLICA_NOT_AVAILABLE',
  'REQUEST_TIMED_OUT',
  'NETWORK_EXCEPTION',
  'NOT_ENOUGH_REPLICAS',
  'KAFKA_STORAGE_ERROR',
]);

/**
 * The messages of those protocol errors: kafkajs re-throws some of them wrapped in a plain KafkaJSError that keeps
 * the message but not the type (seen when a restarted broker moves the group's coordinator).
 */
const KAFKA_UNAVAILABLE_MESSAGES = [
  'The group coordinator is not available',
  'This is not the correct coordinator for this group',
  "The coordinator is loading and hence can't process requests for this group",
  'The group is rebalancing',
  'This server does not host this topic-partition',
  'There is no leader for this topic-partition',
  'This server is not the leader for that topic-partition',
  'The broker is not available',
];

const SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/** PostgreSQL: connection exceptions (class 08) and a server shutting down or starting. */
function isPgUnavailable(code: string): boolean {
  return code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03';
}

function isUnavailableOne(e: object): boolean {
  const { name, type, code } = e as { name?: unknown; type?: unknown; code?: unknown };
  if (typeof name === 'string' && KAFKAJS_UNAVAILABLE.has(name)) return true;
  if (name === 'KafkaJSProtocolError' && typeof type === 'string' && KAFKA_PROTOCOL_UNAVAILABLE.has(type)) return true;
  const message = (e as { message?: unknown }).message;
  if (typeof name === 'string' && name.startsWith('KafkaJS') && typeof message === 'string') {
    if (KAFKA_UNAVAILABLE_MESSAGES.some((m) => message.startsWith(m))) return true;
  }
  if (typeof code === 'string' && (SOCKET_CODES.has(code) || isPgUnavailable(code))) return true;
  const driverCode = (e as { driverError?: { code?: unknown } }).driverError?.code;
  return typeof driverCode === 'string' && (SOCKET_CODES.has(driverCode) || isPgUnavailable(driverCode));
}

/**
 * True when `e`, or an error it wraps (kafkajs `cause` chains, e.g. KafkaJSNumberOfRetriesExceeded around a
 * connection error), says a server is unavailable.
 */
export function isServerUnavailable(e: unknown): boolean {
  const seen = new Set<unknown>();
  let current: unknown = e;
  while (typeof current === 'object' && current !== null && !seen.has(current)) {
    seen.add(current);
    if (isUnavailableOne(current)) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * The pause before a consumer's `restarts`-th restart in a row: doubling from `initialMs` (1 s) up to `maxMs` (30 s),
 * so a consumer that keeps failing by itself does not spin. While a server is away the pause stops growing at
 * `outageMaxMs` (2 s): the consumer cannot cause the outage, and a long pause is time the flow stays stalled after
 * the server is back (a killed broker was back in ~5 s, and consumers asleep in an 8 s pause took ~18 s).
 */
export function restartPauseMs(
  restarts: number,
  outage: boolean,
  b: { initialMs?: number; maxMs?: number; outageMaxMs?: number } = {},
): number {
  const max = b.maxMs ?? 30_000;
  const cap = outage ? Math.min(max, b.outageMaxMs ?? 2_000) : max;
  return Math.min(cap, (b.initialMs ?? 1_000) * 2 ** Math.min(20, Math.max(0, restarts - 1)));
}
