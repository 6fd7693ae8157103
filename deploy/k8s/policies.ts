/**
 * Rules the rendered manifests must follow beyond their schemas: what docs/deployment.md promises about probes,
 * shutdown, the pods' security, resources, secrets, autoscaling and availability. Each returns its problems as
 * `<Kind> <name>: <what is wrong>` lines, empty when the objects follow it (manifests.spec.ts).
 */
import { PARTITIONS } from '@hoso/contracts';
import { nameOf, type K8sObject } from './schema';

/** The consumer's own bound on a shutdown: a flush held longer is reassigned by the broker after the group session
 * (libs/messaging consumer.ts, sessionTimeout 30 s), so the pod must be given at least that, plus its preStop. */
export const CONSUMER_SHUTDOWN_SECONDS = 30;

/** Secrets the operators write themselves (CloudNativePG's superusers), which nobody creates by hand. */
export const OPERATOR_WRITTEN_SECRETS = ['hoso-pg-superuser', 'hoso-paygw-pg-superuser'];

interface Probe {
  httpGet?: { path?: string; port?: number | string };
  exec?: unknown;
  tcpSocket?: unknown;
}
interface Container {
  name: string;
  image?: string;
  ports?: { name?: string; containerPort: number }[];
  env?: {
    name: string;
    value?: string;
    valueFrom?: { secretKeyRef?: { name: string }; configMapKeyRef?: { name: string } };
  }[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  lifecycle?: { preStop?: { sleep?: { seconds: number } } };
  resources?: { requests?: Record<string, unknown>; limits?: Record<string, unknown> };
  securityContext?: {
    allowPrivilegeEscalation?: boolean;
    readOnlyRootFilesystem?: boolean;
    runAsNonRoot?: boolean;
    capabilities?: { drop?: string[] };
    seccompProfile?: { type?: string };
  };
  volumeMounts?: { name: string; mountPath: string }[];
}
interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  terminationGracePeriodSeconds?: number;
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number; seccompProfile?: { type?: string } };
  topologySpreadConstraints?: unknown[];
  volumes?: { name: string; emptyDir?: unknown; configMap?: { name: string } }[];
}
interface Workload extends K8sObject {
  spec: {
    replicas?: number;
    template: { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> }; spec: PodSpec };
  };
}

const WORKLOAD_KINDS = ['Deployment', 'StatefulSet', 'Job'];

function workloads(objects: readonly K8sObject[], kinds = WORKLOAD_KINDS): Workload[] {
  return objects.filter((o): o is Workload => kinds.includes(o.kind ?? ''));
}

function allContainers(w: Workload): Container[] {
  return [...(w.spec.template.spec.initContainers ?? []), ...w.spec.template.spec.containers];
}

/** Images built from this repository (deploy/docker): they run as user 1000 and write only to /tmp. */
function isHosoImage(c: Container): boolean {
  return /^hoso\//.test(c.image ?? '');
}

/** Every long-running container answers a readiness and a liveness probe (Jobs run to completion and have none). */
export function probeProblems(objects: readonly K8sObject[]): string[] {
  const out: string[] = [];
  for (const w of workloads(objects, ['Deployment', 'StatefulSet'])) {
    for (const c of w.spec.template.spec.containers) {
      if (!c.readinessProbe) out.push(`${nameOf(w)}: container ${c.name} has no readinessProbe`);
      if (!c.livenessProbe) out.push(`${nameOf(w)}: container ${c.name} has no livenessProbe`);
      if (!isHosoImage(c)) continue;
      // The services' own endpoints: readiness checks the dependencies, liveness never does (libs/nest-kit).
      if (c.readinessProbe?.httpGet?.path !== '/health/ready') {
        out.push(`${nameOf(w)}: container ${c.name}'s readinessProbe must GET /health/ready`);
      }
      if (c.livenessProbe?.httpGet?.path !== '/health/live') {
        out.push(`${nameOf(w)}: container ${c.name}'s livenessProbe must GET /health/live`);
      }
    }
  }
  return out;
}

/** A Kafka consumer's pod is given longer than the consumer's shutdown before it is killed. */
export function shutdownProblems(objects: readonly K8sObject[]): string[] {
  const out: string[] = [];
  for (const w of workloads(objects, ['Deployment'])) {
    const spec = w.spec.template.spec;
    if (w.spec.template.metadata?.labels?.['hoso.io/kafka-client'] !== 'true') continue;
    const preStop = Math.max(0, ...spec.containers.map((c) => c.lifecycle?.preStop?.sleep?.seconds ?? 0));
    const grace = spec.terminationGracePeriodSeconds ?? 30;
    if (grace <= CONSUMER_SHUTDOWN_SECONDS + preStop) {
      out.push(
        `${nameOf(w)}: terminationGracePeriodSeconds ${grace} must exceed the consumer's shutdown ` +
          `(${CONSUMER_SHUTDOWN_SECONDS} s) plus the preStop (${preStop} s)`,
      );
    }
  }
  return out;
}

/** Non-root, no privilege escalation, no capabilities, read-only root file system, the runtime's seccomp profile. */
export function securityProblems(objects: readonly K8sObject[]): string[] {
  const out: string[] = [];
  for (const w of workloads(objects)) {
    const pod = w.spec.template.spec.securityContext ?? {};
    if (pod.runAsNonRoot !== true) out.push(`${nameOf(w)}: pod securityContext.runAsNonRoot must be true`);
    if (pod.seccompProfile?.type !== 'RuntimeDefault') {
      out.push(`${nameOf(w)}: pod securityContext.seccompProfile must be RuntimeDefault`);
    }
    const tmpVolumes = new Set((w.spec.template.spec.volumes ?? []).filter((v) => v.emptyDir).map((v) => v.name));
    for (const c of allContainers(w)) {
      const sc = c.securityContext ?? {};
      const at = `${nameOf(w)}: container ${c.name}`;
      if (sc.allowPrivilegeEscalation !== false) out.push(`${at}: allowPrivilegeEscalation must be false`);
      if (sc.readOnlyRootFilesystem !== true) out.push(`${at}: readOnlyRootFilesystem must be true`);
      if (!(sc.capabilities?.drop ?? []).includes('ALL')) out.push(`${at}: capabilities must drop ALL`);
      if (!isHosoImage(c)) continue;
      if (pod.runAsUser !== 1000) out.push(`${at}: hoso images run as user 1000 (pod securityContext.runAsUser)`);
      const tmp = (c.volumeMounts ?? []).find((m) => m.mountPath === '/tmp');
      if (!tmp || !tmpVolumes.has(tmp.name)) out.push(`${at}: needs an emptyDir at /tmp (the root is read-only)`);
    }
  }
  return out;
}

/** Every container asks for CPU and memory and is limited in memory (the scheduler and the OOM killer need both). */
export function resourceProblems(objects: readonly K8sObject[]): string[] {
  const out: string[] = [];
  for (const w of workloads(objects)) {
    for (const c of allContainers(w)) {
      const r = c.resources ?? {};
      for (const [kind, key] of [
        ['requests', 'cpu'],
        ['requests', 'memory'],
        ['limits', 'cpu'],
        ['limits', 'memory'],
      ] as const) {
        if (r[kind]?.[key] === undefined) out.push(`${nameOf(w)}: container ${c.name} has no resources.${kind}.${key}`);
      }
    }
  }
  return out;
}

/** The names of every Secret the objects refer to, with where. */
export function referencedSecrets(objects: readonly K8sObject[]): Map<string, string[]> {
  const refs = new Map<string, string[]>();
  const add = (name: string, where: string) => refs.set(name, [...(refs.get(name) ?? []), where]);
  for (const w of workloads(objects)) {
    for (const c of allContainers(w)) {
      for (const e of c.env ?? []) if (e.valueFrom?.secretKeyRef) add(e.valueFrom.secretKeyRef.name, nameOf(w));
      for (const e of c.envFrom ?? []) if (e.secretRef) add(e.secretRef.name, nameOf(w));
    }
  }
  // The operators' resources name Secrets deeper down; every `secretKeyRef`, `passwordSecret`, `secret` and
  // `secretTargetRef` of theirs names one.
  const walk = (node: unknown, where: string) => {
    if (Array.isArray(node)) {
      for (const n of node) walk(n, where);
      return;
    }
    if (node === null || typeof node !== 'object') return;
    for (const [k, v] of Object.entries(node as Record<string, unknown>)) {
      const name = (v as { name?: unknown } | null)?.name;
      if (['secretKeyRef', 'passwordSecret', 'secret'].includes(k) && typeof name === 'string') add(name, where);
      else if (k === 'secretTargetRef' && Array.isArray(v)) for (const t of v as { name: string }[]) add(t.name, where);
      else walk(v, where);
    }
  };
  for (const o of objects) if (!WORKLOAD_KINDS.includes(o.kind ?? '')) walk(o['spec'], nameOf(o));
  return refs;
}

/**
 * No Secret is committed: none is rendered, and each one referred to is created by the operator from
 * docs/deployment.md (which must name it) or written by an operator.
 */
export function secretProblems(objects: readonly K8sObject[], deploymentDoc: string): string[] {
  const out = objects.filter((o) => o.kind === 'Secret').map((o) => `${nameOf(o)}: Secrets are never committed`);
  for (const [name, where] of referencedSecrets(objects)) {
    if (OPERATOR_WRITTEN_SECRETS.includes(name)) continue;
    if (!deploymentDoc.includes(name)) {
      out.push(`Secret ${name} (used by ${[...new Set(where)].join(', ')}) is not documented in docs/deployment.md`);
    }
  }
  return out;
}

/** Every ConfigMap a pod reads is rendered, or is one the operator creates per docs/deployment.md. */
export function configMapProblems(objects: readonly K8sObject[], deploymentDoc: string): string[] {
  const rendered = new Set(objects.filter((o) => o.kind === 'ConfigMap').map((o) => o.metadata?.name));
  const out: string[] = [];
  for (const w of workloads(objects)) {
    const names = [
      ...allContainers(w).flatMap((c) => [
        ...(c.env ?? []).flatMap((e) => (e.valueFrom?.configMapKeyRef ? [e.valueFrom.configMapKeyRef.name] : [])),
        ...(c.envFrom ?? []).flatMap((e) => (e.configMapRef ? [e.configMapRef.name] : [])),
      ]),
      ...(w.spec.template.spec.volumes ?? []).flatMap((v) => (v.configMap ? [v.configMap.name] : [])),
    ];
    for (const name of new Set(names)) {
      if (!rendered.has(name) && !deploymentDoc.includes(`kubectl -n hoso create configmap ${name}`)) {
        out.push(`${nameOf(w)}: ConfigMap ${name} is neither rendered nor created in docs/deployment.md`);
      }
    }
  }
  return out;
}

/** prometheus.io annotations point at a port the pod serves, and at GET /metrics. */
export function scrapeProblems(objects: readonly K8sObject[]): string[] {
  const out: string[] = [];
  for (const w of workloads(objects, ['Deployment'])) {
    const a = w.spec.template.metadata?.annotations ?? {};
    if (a['prometheus.io/scrape'] !== 'true') continue;
    const ports = w.spec.template.spec.containers.flatMap((c) => (c.ports ?? []).map((p) => String(p.containerPort)));
    if (!ports.includes(a['prometheus.io/port'] ?? '')) {
      out.push(`${nameOf(w)}: prometheus.io/port ${a['prometheus.io/port'] ?? '(none)'} is not a container port`);
    }
    if (a['prometheus.io/path'] !== '/metrics') out.push(`${nameOf(w)}: prometheus.io/path must be /metrics`);
  }
  return out;
}

interface ScaledObject extends K8sObject {
  spec: {
    scaleTargetRef: { name: string };
    minReplicaCount?: number;
    maxReplicaCount?: number;
    triggers: { type: string; metadata: Record<string, string> }[];
  };
}
interface Hpa extends K8sObject {
  spec: {
    scaleTargetRef: { kind: string; name: string };
    minReplicas?: number;
    maxReplicas: number;
    metrics?: { resource?: { name: string } }[];
  };
}

/**
 * Autoscaling: every consumer scales on its group's lag with at most one member per partition; the HTTP-only
 * gateway on CPU; each scaled Deployment exists and its manifest's replicas are the autoscaler's minimum.
 */
export function autoscalingProblems(objects: readonly K8sObject[]): string[] {
  const out: string[] = [];
  const deployments = new Map(workloads(objects, ['Deployment']).map((w) => [w.metadata?.name ?? '', w]));
  const scaled = new Set<string>();
  for (const so of objects.filter((o): o is ScaledObject => o.kind === 'ScaledObject')) {
    const target = deployments.get(so.spec.scaleTargetRef.name);
    scaled.add(so.spec.scaleTargetRef.name);
    if (!target) out.push(`${nameOf(so)}: scales Deployment ${so.spec.scaleTargetRef.name}, which is not rendered`);
    if ((so.spec.maxReplicaCount ?? 100) > PARTITIONS) {
      out.push(
        `${nameOf(so)}: maxReplicaCount ${String(so.spec.maxReplicaCount)} exceeds the ${PARTITIONS} partitions per topic`,
      );
    }
    const kafka = so.spec.triggers.find((t) => t.type === 'kafka');
    if (!kafka) out.push(`${nameOf(so)}: no kafka (consumer lag) trigger`);
    else if (kafka.metadata['consumerGroup'] !== so.spec.scaleTargetRef.name) {
      out.push(`${nameOf(so)}: consumerGroup ${String(kafka.metadata['consumerGroup'])} is not the service's group`);
    }
    if (target && target.spec.replicas !== so.spec.minReplicaCount) {
      out.push(`${nameOf(so)}: Deployment replicas ${String(target.spec.replicas)} differ from minReplicaCount`);
    }
  }
  for (const hpa of objects.filter((o): o is Hpa => o.kind === 'HorizontalPodAutoscaler')) {
    const target = deployments.get(hpa.spec.scaleTargetRef.name);
    scaled.add(hpa.spec.scaleTargetRef.name);
    if (!target) out.push(`${nameOf(hpa)}: scales Deployment ${hpa.spec.scaleTargetRef.name}, which is not rendered`);
    if (!(hpa.spec.metrics ?? []).some((m) => m.resource?.name === 'cpu')) out.push(`${nameOf(hpa)}: no CPU metric`);
    if (target?.spec.template.metadata?.labels?.['hoso.io/kafka-client'] === 'true') {
      out.push(`${nameOf(hpa)}: ${hpa.spec.scaleTargetRef.name} consumes Kafka: scale it on lag with a ScaledObject`);
    }
    if (target && target.spec.replicas !== hpa.spec.minReplicas) {
      out.push(`${nameOf(hpa)}: Deployment replicas ${String(target.spec.replicas)} differ from minReplicas`);
    }
  }
  for (const [name, d] of deployments) if (!scaled.has(name)) out.push(`${nameOf(d)}: no autoscaler`);
  return out;
}

interface Pdb extends K8sObject {
  spec: { selector: { matchLabels?: Record<string, string> } };
}

/** Production: each Deployment runs at least two replicas, spread over nodes, under a PodDisruptionBudget. */
export function availabilityProblems(objects: readonly K8sObject[]): string[] {
  const out: string[] = [];
  const pdbs = objects.filter((o): o is Pdb => o.kind === 'PodDisruptionBudget');
  for (const w of workloads(objects, ['Deployment'])) {
    const labels = w.spec.template.metadata?.labels ?? {};
    if ((w.spec.replicas ?? 1) < 2) out.push(`${nameOf(w)}: fewer than 2 replicas`);
    if (!(w.spec.template.spec.topologySpreadConstraints ?? []).length)
      out.push(`${nameOf(w)}: no topologySpreadConstraints`);
    const covered = pdbs.some((p) =>
      Object.entries(p.spec.selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v),
    );
    if (!covered) out.push(`${nameOf(w)}: no PodDisruptionBudget selects its pods`);
  }
  return out;
}

/** Every namespaced object lands in the hoso namespace, and nothing in the namespace is reachable by default. */
export function namespaceProblems(objects: readonly K8sObject[]): string[] {
  const out: string[] = [];
  for (const o of objects) {
    if (o.kind === 'Namespace') continue;
    if (o.metadata?.namespace !== 'hoso')
      out.push(`${nameOf(o)}: namespace ${o.metadata?.namespace ?? '(none)'}, not hoso`);
  }
  const denyAll = objects.some(
    (o) =>
      o.kind === 'NetworkPolicy' &&
      JSON.stringify((o['spec'] as { podSelector?: unknown }).podSelector) === '{}' &&
      !(o['spec'] as { ingress?: unknown }).ingress,
  );
  if (!denyAll) out.push('no default-deny NetworkPolicy: every pod would be reachable from anywhere');
  return out;
}
