/**
 * Offline validation of rendered manifests against the vendored schemas (deploy/k8s/schemas, see its README): the
 * Kubernetes API's own definitions for built-in kinds, the operators' CRD schemas for theirs. Made strict on load:
 * the published schemas accept any field they do not list (the API server prunes or rejects it later, on a real
 * cluster), so every object schema that lists its properties gets `additionalProperties: false` here, except where
 * the schema itself says unknown fields are kept (`x-kubernetes-preserve-unknown-fields`). A misspelt or misplaced
 * field therefore fails in `npm test`, not at `kubectl apply`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';

const SCHEMA_DIR = join(__dirname, 'schemas');
const K8S_ID = 'k8s.json';
const OBJECT_META = 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Node = Record<string, Json>;

const INT_OR_STRING: Node = { anyOf: [{ type: 'string' }, { type: 'integer' }] };
/** Quantities are strings in the API, but YAML writes `cpu: 1` as a number and the API server accepts it. */
const QUANTITY: Node = { anyOf: [{ type: 'string' }, { type: 'number' }] };

function isNode(v: Json | undefined): v is Node {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** One schema node made strict and reduced to what draft-07 knows; recurses into every sub-schema. */
export function strict(node: Json, refPrefix: string): Json {
  if (Array.isArray(node)) return node.map((n) => strict(n, refPrefix));
  if (!isNode(node)) return node;
  if (node['x-kubernetes-int-or-string'] === true || node['format'] === 'int-or-string') return INT_OR_STRING;
  const out: Node = {};
  for (const [key, value] of Object.entries(node)) {
    if (key.startsWith('x-kubernetes-') || key === 'format' || key === 'nullable' || key === 'default') continue;
    if (key === '$ref' && typeof value === 'string') {
      out[key] = value.replace(/^#\/definitions\//, `${refPrefix}#/definitions/`);
    } else if (key === 'properties' && isNode(value)) {
      // Field names, not schema keywords: each value is a schema.
      out[key] = Object.fromEntries(Object.entries(value).map(([f, s]) => [f, strict(s, refPrefix)]));
    } else {
      out[key] = strict(value, refPrefix);
    }
  }
  if (isNode(out['properties']) && out['additionalProperties'] === undefined) {
    if (node['x-kubernetes-preserve-unknown-fields'] !== true) out['additionalProperties'] = false;
  }
  if (node['nullable'] === true && typeof out['type'] === 'string') out['type'] = [out['type'], 'null'];
  return out;
}

export interface SchemaSet {
  /** `apiVersion/kind` → validator. */
  validators: Map<string, ValidateFunction>;
}

/** Loads every vendored schema and compiles one validator per kind. */
export function loadSchemas(): SchemaSet {
  const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false });
  const k8s = JSON.parse(readFileSync(join(SCHEMA_DIR, 'kubernetes.json'), 'utf8')) as {
    kinds: Record<string, string>;
    definitions: Record<string, Json>;
  };
  const definitions: Record<string, Json> = {};
  for (const [name, def] of Object.entries(k8s.definitions)) {
    definitions[name] = name === 'io.k8s.apimachinery.pkg.api.resource.Quantity' ? QUANTITY : strict(def, K8S_ID);
  }
  ajv.addSchema({ $id: K8S_ID, definitions }, K8S_ID);
  const validators = new Map<string, ValidateFunction>();
  for (const [kind, definition] of Object.entries(k8s.kinds)) {
    validators.set(kind, ajv.compile({ $ref: `${K8S_ID}#/definitions/${definition}` }));
  }
  for (const file of readdirSync(join(SCHEMA_DIR, 'crds')).filter((f) => f.endsWith('.json'))) {
    const crd = JSON.parse(readFileSync(join(SCHEMA_DIR, 'crds', file), 'utf8')) as {
      apiVersion: string;
      kind: string;
      schema: Json;
    };
    const schema = strict(crd.schema, K8S_ID);
    // A CRD's schema says only `metadata: {type: object}`: the API server checks it as any object's metadata.
    if (isNode(schema) && isNode(schema['properties'])) {
      schema['properties']['metadata'] = { $ref: `${K8S_ID}#/definitions/${OBJECT_META}` };
      // The status is the operator's to write.
      delete schema['properties']['status'];
    }
    validators.set(`${crd.apiVersion}/${crd.kind}`, ajv.compile(schema as object));
  }
  return { validators };
}

function describe(e: ErrorObject): string {
  const at = e.instancePath || '/';
  if (e.keyword === 'additionalProperties') {
    return `${at}: unknown field "${(e.params as { additionalProperty: string }).additionalProperty}"`;
  }
  return `${at}: ${e.message ?? e.keyword}`;
}

export interface K8sObject {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; labels?: Record<string, string> };
  [k: string]: unknown;
}

export function nameOf(o: K8sObject): string {
  return `${o.kind ?? '?'} ${o.metadata?.name ?? '?'}`;
}

/** Schema problems of each object (unknown kind, unknown field, wrong type, missing required field). */
export function schemaProblems(set: SchemaSet, objects: readonly K8sObject[]): string[] {
  const problems: string[] = [];
  for (const o of objects) {
    const key = `${o.apiVersion ?? '?'}/${o.kind ?? '?'}`;
    const validate = set.validators.get(key);
    if (!validate) {
      problems.push(`${nameOf(o)}: no vendored schema for ${key} (deploy/k8s/schemas/README.md)`);
      continue;
    }
    if (!validate(o)) {
      // anyOf branches repeat the same failure several times; one line each is enough.
      const lines = new Set((validate.errors ?? []).filter((e) => e.keyword !== 'anyOf').map(describe));
      for (const line of lines) problems.push(`${nameOf(o)}: ${line}`);
    }
  }
  return problems;
}
