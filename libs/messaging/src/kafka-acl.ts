import {
  AclOperationTypes,
  AclPermissionTypes,
  AclResourceTypes,
  ResourcePatternTypes,
  type AclEntry,
  type Admin,
} from 'kafkajs';
import { KAFKA_SERVICE_USERS } from '@hoso/config';
import { catalog, dlqTopicOf, subscriptionsOf, topicsProducedBy, type Topic } from '@hoso/contracts';

/** The group under which the DLQ tools replay and peek (libs/messaging/src/dlq.ts: replayGroupOf and readDlq). */
export const DLQ_GROUP_PREFIX = 'hoso-dlq-';
/** The throwaway groups of the metrics rebuild (apps/metrics/src/replay/replay.ts). */
export const METRICS_REPLAY_GROUP_PREFIX = 'metrics-replay-';

export type AclOperation = 'READ' | 'WRITE' | 'DESCRIBE' | 'DELETE';

/** One ALLOW rule of the broker's authorizer (from any host). */
export interface AclGrant {
  principal: string;
  resource: 'TOPIC' | 'GROUP';
  pattern: 'LITERAL' | 'PREFIXED';
  name: string;
  operation: AclOperation;
}

/**
 * What each principal of one environment (topics and groups under `prefix`) may do, derived from the catalog's
 * producers and SUBSCRIPTIONS, so a new topic or subscription needs no change here:
 *
 * - a service writes the topics it produces, reads the topics it consumes, writes their dead-letter topics, and joins
 *   its consumer group (`<prefix><service>`, the group the platform gives it); READ and WRITE imply DESCRIBE;
 * - metrics, which also serves the operator's readouts, may describe every topic and group of the environment (offsets
 *   and lag, never contents) and use the rebuild's throwaway groups;
 * - `operator` (the dead-letter console and `npm run dlq`) reads every dead-letter topic and writes every source
 *   topic, because a replay goes back to the dead letter's own source topic.
 *
 * Nothing is granted on the cluster: no principal but `admin` (a super user) creates, deletes or alters topics or ACLs.
 */
export function kafkaAclPlan(prefix = ''): AclGrant[] {
  const grants: AclGrant[] = [];
  const topic = (principal: string, name: string, operation: AclOperation) =>
    grants.push({ principal: `User:${principal}`, resource: 'TOPIC', pattern: 'LITERAL', name, operation });
  const group = (principal: string, name: string, operation: AclOperation, pattern: AclGrant['pattern']) =>
    grants.push({ principal: `User:${principal}`, resource: 'GROUP', pattern, name, operation });
  for (const service of KAFKA_SERVICE_USERS) {
    for (const t of topicsProducedBy(service)) topic(service, `${prefix}${t}`, 'WRITE');
    const consumed = subscriptionsOf(service) ?? [];
    for (const t of consumed) {
      topic(service, `${prefix}${t}`, 'READ');
      topic(service, `${prefix}${dlqTopicOf(t)}`, 'WRITE');
    }
    if (consumed.length) group(service, `${prefix}${service}`, 'READ', 'PREFIXED');
  }
  // An empty prefix cannot be a PREFIXED pattern: the literal '*' is Kafka's "every name".
  const everything = prefix
    ? { pattern: 'PREFIXED' as const, name: prefix }
    : { pattern: 'LITERAL' as const, name: '*' };
  grants.push({ principal: 'User:metrics', resource: 'TOPIC', ...everything, operation: 'DESCRIBE' });
  grants.push({ principal: 'User:metrics', resource: 'GROUP', ...everything, operation: 'DESCRIBE' });
  for (const op of ['READ', 'DELETE'] as const) group('metrics', METRICS_REPLAY_GROUP_PREFIX, op, 'PREFIXED');
  for (const t of Object.keys(catalog) as Topic[]) {
    topic('operator', `${prefix}${dlqTopicOf(t)}`, 'READ');
    topic('operator', `${prefix}${t}`, 'WRITE');
  }
  for (const op of ['READ', 'DELETE'] as const) group('operator', DLQ_GROUP_PREFIX, op, 'PREFIXED');
  return grants;
}

function toEntry(g: AclGrant): AclEntry {
  return {
    principal: g.principal,
    host: '*',
    resourceType: AclResourceTypes[g.resource],
    resourceName: g.name,
    resourcePatternType: ResourcePatternTypes[g.pattern],
    operation: AclOperationTypes[g.operation],
    permissionType: AclPermissionTypes.ALLOW,
  };
}

const grantKey = (e: {
  principal: string;
  resourceType: number;
  resourceName: string;
  resourcePatternType: number;
  operation: number;
}) => `${e.principal}|${e.resourceType}|${e.resourcePatternType}|${e.resourceName}|${e.operation}`;

/** The grants the broker holds now, as keys (ALLOW rules from any host only). */
async function heldGrants(admin: Admin): Promise<Set<string>> {
  const res = await admin.describeAcls({
    resourceType: AclResourceTypes.ANY,
    resourcePatternType: ResourcePatternTypes.ANY,
    operation: AclOperationTypes.ANY,
    permissionType: AclPermissionTypes.ALLOW,
  });
  const held = new Set<string>();
  for (const r of res.resources)
    for (const a of r.acls)
      if (a.host === '*')
        held.add(
          grantKey({
            principal: a.principal,
            resourceType: r.resourceType,
            resourceName: r.resourceName,
            resourcePatternType: r.resourcePatternType,
            operation: a.operation,
          }),
        );
  return held;
}

/**
 * Creates the plan's grants that the broker lacks (creating one twice is harmless, but costs a metadata record) and
 * resolves once the broker enforces them all: a consumer started earlier would be refused its first fetch.
 * Returns how many were created.
 */
export async function applyKafkaAcls(admin: Admin, grants: readonly AclGrant[], timeoutMs = 15_000): Promise<number> {
  const wanted = grants.map(toEntry);
  const held = await heldGrants(admin);
  const missing = wanted.filter((e) => !held.has(grantKey(e)));
  if (missing.length) await admin.createAcls({ acl: missing });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const now = await heldGrants(admin);
    const absent = wanted.filter((e) => !now.has(grantKey(e)));
    if (absent.length === 0) return missing.length;
    if (Date.now() > deadline)
      throw new Error(`Kafka ACLs not in force after ${timeoutMs} ms: ${absent.length} of ${wanted.length} missing`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Removes an isolated run's own grants at its end: those on names under its `prefix`. The others (the DLQ and
 * rebuild groups) are shared by every run on the broker and stay: removing them would cut off a run still going.
 */
export async function removeKafkaAcls(admin: Admin, grants: readonly AclGrant[], prefix: string): Promise<void> {
  if (!prefix) return;
  const own = grants.filter((g) => g.name.startsWith(prefix));
  if (own.length === 0) return;
  await admin.deleteAcls({ filters: own.map(toEntry) });
}
