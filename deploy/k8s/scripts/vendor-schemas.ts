/**
 * Writes the schemas deploy/k8s/manifests.spec.ts validates the rendered manifests against, from upstream files:
 *
 *   tsx deploy/k8s/scripts/vendor-schemas.ts --kubernetes <swagger.json> [--crd <CRD YAML>]...
 *
 * `--kubernetes`: a Kubernetes OpenAPI v2 document (`api/openapi-spec/swagger.json` of kubernetes/kubernetes, or
 * `kubernetes/swagger.json.unprocessed` of kubernetes-client/python at the matching release branch). Only the
 * definitions the kinds of KUBERNETES_KINDS reach are kept. `--crd`: an upstream CustomResourceDefinition; every
 * served version's `openAPIV3Schema` is kept. Descriptions are dropped in both (they are most of the bytes and
 * validate nothing); the strictness (unknown fields refused) is added when the validator loads them, not here, so
 * the vendored files stay what upstream published. Record the versions in deploy/k8s/schemas/README.md.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { format, resolveConfig } from 'prettier';
import { parseAllDocuments } from 'yaml';

const SCHEMA_DIR = resolve(__dirname, '..', 'schemas');

/** The built-in kinds the manifests use: the validator refuses any other kind. */
export const KUBERNETES_KINDS = [
  'v1/ConfigMap',
  'v1/Namespace',
  'v1/PersistentVolumeClaim',
  'v1/Service',
  'v1/ServiceAccount',
  'apps/v1/Deployment',
  'apps/v1/StatefulSet',
  'batch/v1/Job',
  'networking.k8s.io/v1/Ingress',
  'networking.k8s.io/v1/NetworkPolicy',
  'policy/v1/PodDisruptionBudget',
  'autoscaling/v2/HorizontalPodAutoscaler',
] as const;

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
interface Gvk {
  group: string;
  version: string;
  kind: string;
}

function withoutDescriptions(node: Json): Json {
  if (Array.isArray(node)) return node.map(withoutDescriptions);
  if (node === null || typeof node !== 'object') return node;
  const out: Record<string, Json> = {};
  for (const [k, v] of Object.entries(node)) {
    // A property named `description` (inside `properties`) is a field, not documentation: keep it.
    if (k === 'description' && typeof v === 'string') continue;
    out[k] = withoutDescriptions(v);
  }
  return out;
}

/** Written as `npx prettier --check .` (npm test) wants them, so a fresh vendoring leaves nothing to reformat. */
const pending: Promise<void>[] = [];
function writeJson(file: string, value: unknown): void {
  pending.push(
    (async () => {
      const options = await resolveConfig(file);
      writeFileSync(file, await format(JSON.stringify(value), { ...options, filepath: file }));
    })(),
  );
}

function apiVersionOf(g: Gvk): string {
  return g.group ? `${g.group}/${g.version}` : g.version;
}

function vendorKubernetes(file: string): void {
  const doc = JSON.parse(readFileSync(file, 'utf8')) as {
    definitions: Record<string, Record<string, Json> & { 'x-kubernetes-group-version-kind'?: Gvk[] }>;
  };
  const roots: Record<string, string> = {};
  for (const [name, def] of Object.entries(doc.definitions)) {
    for (const g of def['x-kubernetes-group-version-kind'] ?? []) {
      const key = `${apiVersionOf(g)}/${g.kind}`;
      if ((KUBERNETES_KINDS as readonly string[]).includes(key)) roots[key] = name;
    }
  }
  const missing = KUBERNETES_KINDS.filter((k) => !roots[k]);
  if (missing.length) throw new Error(`${file} lacks ${missing.join(', ')}`);
  const kept: Record<string, Json> = {};
  const visit = (name: string) => {
    if (name in kept) return;
    const def = doc.definitions[name];
    if (!def) throw new Error(`${file}: dangling reference to ${name}`);
    kept[name] = withoutDescriptions(def);
    const refs = JSON.stringify(def).matchAll(/"\$ref":"#\/definitions\/([^"]+)"/g);
    for (const m of refs) visit(m[1] as string);
  };
  for (const name of Object.values(roots)) visit(name);
  const sorted = Object.fromEntries(
    Object.keys(kept)
      .sort()
      .map((k) => [k, kept[k] as Json]),
  );
  writeJson(join(SCHEMA_DIR, 'kubernetes.json'), { kinds: roots, definitions: sorted });
  console.log(`kubernetes.json: ${Object.keys(roots).length} kinds, ${Object.keys(sorted).length} definitions`);
}

interface Crd {
  kind: string;
  spec: {
    group: string;
    names: { kind: string };
    versions: { name: string; served: boolean; schema?: { openAPIV3Schema: Json } }[];
  };
}

function vendorCrd(file: string): void {
  for (const d of parseAllDocuments(readFileSync(file, 'utf8'))) {
    const crd = d.toJSON() as Crd | null;
    if (crd?.kind !== 'CustomResourceDefinition') continue;
    for (const v of crd.spec.versions) {
      if (!v.served || !v.schema) continue;
      const name = `${crd.spec.names.kind.toLowerCase()}.${crd.spec.group}.${v.name}.json`;
      const schema = { apiVersion: `${crd.spec.group}/${v.name}`, kind: crd.spec.names.kind };
      writeJson(join(SCHEMA_DIR, 'crds', name), { ...schema, schema: withoutDescriptions(v.schema.openAPIV3Schema) });
      console.log(`crds/${name}`);
    }
  }
}

async function main(argv: string[]): Promise<void> {
  mkdirSync(join(SCHEMA_DIR, 'crds'), { recursive: true });
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (!value) throw new Error(`${String(flag)} needs a file`);
    if (flag === '--kubernetes') vendorKubernetes(value);
    else if (flag === '--crd') vendorCrd(value);
    else throw new Error(`unknown argument ${String(flag)} (expected --kubernetes <file> or --crd <file>)`);
  }
  await Promise.all(pending);
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
