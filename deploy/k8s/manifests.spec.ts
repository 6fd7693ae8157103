import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { KAFKA_USERS } from '@hoso/config';
import { allTopicNames, PARTITIONS } from '@hoso/contracts';
import { DB_SERVICE_DATABASES } from '../local/db-roles';
import { kustomize } from './kubectl';
import {
  autoscalingProblems,
  availabilityProblems,
  configMapProblems,
  namespaceProblems,
  probeProblems,
  resourceProblems,
  scrapeProblems,
  secretProblems,
  securityProblems,
  shutdownProblems,
} from './policies';
import { loadSchemas, schemaProblems, type K8sObject, type SchemaSet } from './schema';

const ROOT = join(__dirname, '..', '..');
const deploymentDoc = readFileSync(join(ROOT, 'docs', 'deployment.md'), 'utf8');

function render(overlay: string): K8sObject[] {
  return parseAllDocuments(kustomize(join(__dirname, 'overlays', overlay)))
    .map((d) => d.toJSON() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null);
}

function find(objects: readonly K8sObject[], kind: string, name: string): K8sObject {
  const o = objects.find((x) => x.kind === kind && x.metadata?.name === name);
  if (!o) throw new Error(`${kind} ${name} is not rendered`);
  return structuredClone(o);
}

/** A deep property of a cloned object, for the negative cases. */
function at(o: unknown, ...path: (string | number)[]): Record<string, unknown> {
  let node = o;
  for (const p of path) node = (node as Record<string | number, unknown>)[p];
  return node as Record<string, unknown>;
}

let schemas: SchemaSet;
const rendered: Record<'dev' | 'prod', K8sObject[]> = { dev: [], prod: [] };

beforeAll(() => {
  // The first run downloads Debian's kubectl into .data/tools (deploy/k8s/kubectl.ts).
  rendered.dev = render('dev');
  rendered.prod = render('prod');
  schemas = loadSchemas();
}, 300_000);

describe.each(['dev', 'prod'] as const)('the %s overlay', (overlay) => {
  const objects = () => rendered[overlay];

  it('renders with Kustomize, and every object matches its Kubernetes or CRD schema (no unknown field)', () => {
    expect(objects().length).toBeGreaterThan(50);
    expect(schemaProblems(schemas, objects())).toEqual([]);
  });

  it('gives every long-running container a readiness and a liveness probe', () => {
    expect(probeProblems(objects())).toEqual([]);
  });

  it("gives every Kafka consumer longer than the consumer's shutdown before it is killed", () => {
    expect(shutdownProblems(objects())).toEqual([]);
  });

  it('runs every container as non-root, read-only, without capabilities or privilege escalation', () => {
    expect(securityProblems(objects())).toEqual([]);
  });

  it('sets CPU and memory requests and limits on every container', () => {
    expect(resourceProblems(objects())).toEqual([]);
  });

  it('commits no Secret and documents every Secret and operator-made ConfigMap it refers to', () => {
    expect(secretProblems(objects(), deploymentDoc)).toEqual([]);
    expect(configMapProblems(objects(), deploymentDoc)).toEqual([]);
  });

  it('puts everything in the hoso namespace, closed by default, and scrapes GET /metrics on a served port', () => {
    expect(namespaceProblems(objects())).toEqual([]);
    expect(scrapeProblems(objects())).toEqual([]);
  });

  it('creates every contract topic and its dead-letter topic with the catalog partitions', () => {
    const topics = objects().filter((o) => o.kind === 'KafkaTopic');
    expect(topics.map((t) => t.metadata?.name).sort()).toEqual(allTopicNames().sort());
    for (const t of topics) expect((t['spec'] as { partitions: number }).partitions).toBe(PARTITIONS);
  });

  it('has a Kafka user per principal, and one database with an owner and a runtime role per service', () => {
    const users = objects()
      .filter((o) => o.kind === 'KafkaUser')
      .map((u) => u.metadata?.name);
    expect(users.sort()).toEqual([...KAFKA_USERS, 'keda'].sort());
    const databases = objects()
      .filter((o) => o.kind === 'Database')
      .map((d) => (d['spec'] as { name: string }).name);
    const clusterRoles = objects()
      .filter((o) => o.kind === 'Cluster')
      .flatMap((c) => (c['spec'] as { managed: { roles: { name: string }[] } }).managed.roles.map((r) => r.name));
    for (const [service, database] of Object.entries(DB_SERVICE_DATABASES)) {
      if (service === 'payment-gateway') continue;
      expect(databases).toContain(database);
    }
    const services = Object.entries(DB_SERVICE_DATABASES).filter(
      ([service]) => service !== 'payment-gateway' || overlay === 'dev',
    );
    for (const [, database] of services) {
      expect(clusterRoles).toEqual(expect.arrayContaining([`${database}_owner`, `${database}_app`]));
    }
  });

  it('runs Redis with an append-only file and without evictions, as BullMQ requires', () => {
    const redis = find(objects(), 'StatefulSet', 'redis');
    const args = (at(redis, 'spec', 'template', 'spec', 'containers', 0)['args'] as string[]).join(' ');
    expect(args).toContain('--appendonly yes');
    expect(args).toContain('--maxmemory-policy noeviction');
    expect(args).toMatch(/--maxmemory \d+[mg]b/);
  });
});

describe('the dev overlay', () => {
  it('runs one replica of everything, with the payment platform simulator', () => {
    const deployments = rendered.dev.filter((o) => o.kind === 'Deployment');
    expect(deployments.map((d) => d.metadata?.name).sort()).toEqual(
      ['case-tracking', 'gateway', 'identity', 'intake', 'metrics', 'payment', 'payment-gateway'].sort(),
    );
    for (const d of deployments) expect((d['spec'] as { replicas: number }).replicas).toBe(1);
  });
});

describe('the prod overlay', () => {
  it('runs several replicas of each service, spread, under PodDisruptionBudgets, and no simulator', () => {
    expect(availabilityProblems(rendered.prod)).toEqual([]);
    expect(rendered.prod.some((o) => o.metadata?.name === 'payment-gateway')).toBe(false);
  });

  it('scales the gateway on CPU and every consumer on its lag, at most one member per partition', () => {
    expect(autoscalingProblems(rendered.prod)).toEqual([]);
  });

  it('keeps three copies of every record on three brokers, two acknowledged', () => {
    const config = at(find(rendered.prod, 'Kafka', 'hoso-kafka'), 'spec', 'kafka', 'config');
    expect(config).toMatchObject({ 'default.replication.factor': 3, 'min.insync.replicas': 2 });
    expect(at(find(rendered.prod, 'KafkaNodePool', 'brokers'), 'spec')['replicas']).toBe(3);
  });
});

describe('each check fails on a manifest that breaks it', () => {
  const deployment = () => find(rendered.prod, 'Deployment', 'intake');
  const container = (d: K8sObject) => at(d, 'spec', 'template', 'spec', 'containers', 0);

  it('an unknown field in a built-in kind', () => {
    const d = deployment();
    container(d)['livenessProbes'] = container(d)['livenessProbe'];
    expect(schemaProblems(schemas, [d])).toEqual([
      'Deployment intake: /spec/template/spec/containers/0: unknown field "livenessProbes"',
    ]);
  });

  it('an unknown field in an operator resource, and in its metadata', () => {
    const topic = find(rendered.prod, 'KafkaTopic', 'dossier.submitted.v1');
    at(topic, 'spec')['partition'] = 6;
    const cluster = find(rendered.prod, 'Cluster', 'hoso-pg');
    at(cluster, 'metadata')['label'] = { a: 'b' };
    expect(schemaProblems(schemas, [topic, cluster])).toEqual([
      'KafkaTopic dossier.submitted.v1: /spec: unknown field "partition"',
      'Cluster hoso-pg: /metadata: unknown field "label"',
    ]);
  });

  it('a wrong type, a missing required field and a kind without a schema', () => {
    const d = deployment();
    at(d, 'spec')['replicas'] = 'two';
    delete at(d, 'spec')['selector'];
    const unknown: K8sObject = { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } };
    const problems = schemaProblems(schemas, [d, unknown]);
    expect(problems).toContain('Deployment intake: /spec/replicas: must be integer');
    expect(problems).toContain("Deployment intake: /spec: must have required property 'selector'");
    expect(problems).toContain('Widget w: no vendored schema for example.com/v1/Widget (deploy/k8s/schemas/README.md)');
  });

  it('a container without a readiness or a liveness probe, or probing the wrong endpoint', () => {
    const d = deployment();
    delete container(d)['readinessProbe'];
    at(container(d), 'livenessProbe', 'httpGet')['path'] = '/health/ready';
    const redis = find(rendered.prod, 'StatefulSet', 'redis');
    delete at(redis, 'spec', 'template', 'spec', 'containers', 0)['livenessProbe'];
    expect(probeProblems([d, redis])).toEqual([
      'Deployment intake: container intake has no readinessProbe',
      "Deployment intake: container intake's readinessProbe must GET /health/ready",
      "Deployment intake: container intake's livenessProbe must GET /health/live",
      'StatefulSet redis: container redis has no livenessProbe',
    ]);
  });

  it("a consumer's grace period not longer than its shutdown", () => {
    const d = deployment();
    at(d, 'spec', 'template', 'spec')['terminationGracePeriodSeconds'] = 30;
    expect(shutdownProblems([d])).toEqual([
      "Deployment intake: terminationGracePeriodSeconds 30 must exceed the consumer's shutdown (30 s) plus the preStop (5 s)",
    ]);
  });

  it('a pod that may run as root, write its root file system or keep capabilities', () => {
    const d = deployment();
    at(d, 'spec', 'template', 'spec', 'securityContext')['runAsNonRoot'] = false;
    at(container(d), 'securityContext')['readOnlyRootFilesystem'] = false;
    at(container(d), 'securityContext', 'capabilities')['drop'] = ['NET_RAW'];
    container(d)['volumeMounts'] = [];
    expect(securityProblems([d])).toEqual([
      'Deployment intake: pod securityContext.runAsNonRoot must be true',
      'Deployment intake: container intake: readOnlyRootFilesystem must be true',
      'Deployment intake: container intake: capabilities must drop ALL',
      'Deployment intake: container intake: needs an emptyDir at /tmp (the root is read-only)',
    ]);
  });

  it('a container without a memory limit', () => {
    const d = deployment();
    delete at(container(d), 'resources', 'limits')['memory'];
    expect(resourceProblems([d])).toEqual(['Deployment intake: container intake has no resources.limits.memory']);
  });

  it('a committed Secret, or a Secret or ConfigMap the deployment guide does not create', () => {
    const d = deployment();
    at(container(d), 'env', 3, 'valueFrom', 'secretKeyRef')['name'] = 'hoso-kafka-intake-old';
    at(container(d), 'envFrom', 0, 'configMapRef')['name'] = 'hoso-settings';
    const secret: K8sObject = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'leaked', namespace: 'hoso' } };
    expect(secretProblems([d, secret], deploymentDoc)).toEqual([
      'Secret leaked: Secrets are never committed',
      'Secret hoso-kafka-intake-old (used by Deployment intake) is not documented in docs/deployment.md',
    ]);
    expect(configMapProblems([d], deploymentDoc)).toEqual([
      'Deployment intake: ConfigMap hoso-settings is neither rendered nor created in docs/deployment.md',
    ]);
  });

  it('a scrape annotation on a port the pod does not serve', () => {
    const d = deployment();
    at(d, 'spec', 'template', 'metadata', 'annotations')['prometheus.io/port'] = '9090';
    expect(scrapeProblems([d])).toEqual(['Deployment intake: prometheus.io/port 9090 is not a container port']);
  });

  it('a consumer scaled past its partitions, or on CPU alone, and a Deployment without autoscaler', () => {
    const so = find(rendered.prod, 'ScaledObject', 'intake');
    at(so, 'spec')['maxReplicaCount'] = PARTITIONS + 1;
    const hpa = find(rendered.prod, 'HorizontalPodAutoscaler', 'gateway');
    at(hpa, 'spec', 'scaleTargetRef')['name'] = 'payment';
    const payment = find(rendered.prod, 'Deployment', 'payment');
    const gateway = find(rendered.prod, 'Deployment', 'gateway');
    expect(autoscalingProblems([deployment(), payment, gateway, so, hpa])).toEqual([
      `ScaledObject intake: maxReplicaCount ${PARTITIONS + 1} exceeds the ${PARTITIONS} partitions per topic`,
      'HorizontalPodAutoscaler gateway: payment consumes Kafka: scale it on lag with a ScaledObject',
      'Deployment gateway: no autoscaler',
    ]);
  });

  it('a production Deployment with one replica, no spread and no PodDisruptionBudget', () => {
    const d = deployment();
    at(d, 'spec')['replicas'] = 1;
    delete at(d, 'spec', 'template', 'spec')['topologySpreadConstraints'];
    expect(availabilityProblems([d])).toEqual([
      'Deployment intake: fewer than 2 replicas',
      'Deployment intake: no topologySpreadConstraints',
      'Deployment intake: no PodDisruptionBudget selects its pods',
    ]);
  });

  it('an object outside the namespace, and a namespace open by default', () => {
    const d = deployment();
    delete at(d, 'metadata')['namespace'];
    expect(namespaceProblems([d])).toEqual([
      'Deployment intake: namespace (none), not hoso',
      'no default-deny NetworkPolicy: every pod would be reachable from anywhere',
    ]);
  });
});
