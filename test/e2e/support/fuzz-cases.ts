/**
 * Hostile requests generated from the services' OpenAPI documents: for every operation, one case of each kind that
 * applies to it (control characters, wrong types, missing and extra fields, 1 MB strings, deep nesting, oversized
 * and malformed bodies, unicode and SQL-like strings, bad path parameters…). Which field, which character, which
 * wrong type a case uses is picked by a PRNG seeded with the operation, so a run is reproducible and still covers
 * different fields of different operations.
 *
 * Every case is built to be refused or to change nothing: path parameters name nothing that exists, and a body is
 * always invalid somewhere. A suite can then require "no 5xx, the error shape on every 4xx, no state change".
 */

/** The parts of JSON Schema (as zod's OpenAPI 3.0 output writes it) the generator reads. */
export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  enum?: unknown[];
  format?: string;
  pattern?: string;
  minimum?: number;
  minItems?: number;
  default?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
}

interface OpenApiParameter {
  in: string;
  name: string;
  required?: boolean;
  schema?: JsonSchema;
}

interface OpenApiOperation {
  parameters?: OpenApiParameter[];
  requestBody?: { content?: Record<string, { schema?: JsonSchema }> };
}

export interface OpenApiDocument {
  paths: Record<string, Record<string, OpenApiOperation>>;
}

export interface Operation {
  service: string;
  method: string;
  /** The OpenAPI path template, `/cases/{id}/claim`. */
  template: string;
  pathParams: string[];
  query: { name: string; schema: JsonSchema }[];
  /** Required header parameters (an idempotency key), sent with a harmless value by every case. */
  headers: string[];
  body: { kind: 'json'; schema: JsonSchema } | { kind: 'multipart' } | null;
}

const HTTP_METHODS = new Set(['get', 'post', 'put', 'patch', 'delete']);

/** Every operation of a service's document (path parameters read from the template when not declared). */
export function operationsOf(service: string, doc: OpenApiDocument): Operation[] {
  const out: Operation[] = [];
  for (const [template, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      if (!HTTP_METHODS.has(method)) continue;
      const params = op.parameters ?? [];
      const content = op.requestBody?.content ?? {};
      const json = Object.entries(content).find(([type]) => type.includes('json'));
      out.push({
        service,
        method: method.toUpperCase(),
        template,
        pathParams: [...template.matchAll(/\{([^}]+)\}/g)].map((m) => m[1] as string),
        query: params.filter((p) => p.in === 'query').map((p) => ({ name: p.name, schema: p.schema ?? {} })),
        headers: params.filter((p) => p.in === 'header' && p.required).map((p) => p.name),
        body: json
          ? { kind: 'json', schema: json[1].schema ?? {} }
          : 'multipart/form-data' in content
            ? { kind: 'multipart' }
            : null,
      });
    }
  }
  return out;
}

export interface FuzzCase {
  /** `<service> <METHOD> <template> · <kind>[: detail]`, for the report. */
  name: string;
  kind: string;
  /** The field or parameter the case is about ('' when it is about the whole request). */
  detail: string;
  method: string;
  /** Path and query as sent (already encoded). */
  path: string;
  headers: Record<string, string>;
  /** Bytes sent with Content-Length, or a number of bytes sent chunked (spaces). */
  body?: Buffer | { chunkedBytes: number };
}

/** A small fast PRNG (mulberry32): the same operation always gets the same choices. */
export function prng(seedText: string): () => number {
  let seed = 2166136261;
  for (let i = 0; i < seedText.length; i++) seed = Math.imul(seed ^ seedText.charCodeAt(i), 16777619);
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = <T>(rand: () => number, items: readonly T[]): T => items[Math.floor(rand() * items.length)] as T;

/** Characters no text field may hold: NUL first (PostgreSQL refuses it), then other control characters. */
export const CONTROL_CHARACTERS = ['\u0001', '\u0007', '\u0008', '\u000b', '\u001b', '\u007f', '\u0085', '\u009f'];
export const SQL_LIKE = [
  "' OR '1'='1",
  "'; DROP TABLE dossiers; --",
  '1) UNION SELECT personal_id FROM citizens --',
  "\\'; SELECT pg_sleep(10); --",
  '%_\\%',
];
export const UNICODE = [
  'Nguyễn Thị Ánh 😀 \u202Eevil\u202C',
  'e\u0301\u0302\u0303 \uFEFF \u200B zero width',
  '𝔘𝔫𝔦𝔠𝔬𝔡𝔢 ﷽ 𒐫',
  'ＦＵＬＬＷＩＤＴＨ ｶﾀｶﾅ 中文 العربية',
];

/** A value that is of no type `schema` allows (and is not null unless null is refused). */
function wrongTypeFor(schema: JsonSchema, rand: () => number): unknown {
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'string':
      return pick(rand, [12345, true, ['x'], { x: 1 }]);
    case 'integer':
    case 'number':
      return pick(rand, ['12', 1.5e308, -1, 'NaN', [1], true]);
    case 'boolean':
      return pick(rand, ['true', 1, null]);
    case 'array':
      return pick(rand, ['a,b', { 0: 'x' }, 7]);
    case 'object':
      return pick(rand, ['{}', [], 0]);
    case undefined:
    default:
      return pick(rand, [{ unexpected: [] }, Symbol.for('x').toString()]);
  }
}

const NIL_UUID = '00000000-0000-4000-8000-000000000000';

/** A value of the shape `schema` describes, where it can be guessed; patterned strings are left simple. */
export function exampleOf(schema: JsonSchema, depth = 0): unknown {
  if (depth > 6) return null;
  const alt = schema.anyOf ?? schema.oneOf ?? schema.allOf;
  if (alt?.[0]) return exampleOf(alt[0], depth + 1);
  if (schema.default !== undefined) return schema.default;
  if (schema.enum?.length) return schema.enum[0];
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'string':
      if (schema.format === 'uuid') return NIL_UUID;
      if (schema.format === 'date-time') return '2025-11-01T00:00:00+07:00';
      if (schema.format === 'date') return '2025-11-01';
      return 'fuzz';
    case 'integer':
    case 'number':
      return schema.minimum !== undefined ? Math.max(schema.minimum, 1) : 1;
    case 'boolean':
      return true;
    case 'array':
      return Array.from({ length: Math.max(schema.minItems ?? 0, 1) }, () => exampleOf(schema.items ?? {}, depth + 1));
    case 'object':
    case undefined:
    default: {
      const out: Record<string, unknown> = {};
      for (const [name, prop] of Object.entries(schema.properties ?? {})) out[name] = exampleOf(prop, depth + 1);
      return out;
    }
  }
}

/** Paths (property names) of the string fields of an object schema, nested objects included. */
function stringFields(schema: JsonSchema, prefix: string[] = [], depth = 0): string[][] {
  if (depth > 4) return [];
  const out: string[][] = [];
  for (const [name, prop] of Object.entries(schema.properties ?? {})) {
    const type = Array.isArray(prop.type) ? prop.type[0] : prop.type;
    if (type === 'string') out.push([...prefix, name]);
    else if (type === 'object' || prop.properties) out.push(...stringFields(prop, [...prefix, name], depth + 1));
  }
  return out;
}

function withValue(base: unknown, path: readonly string[], value: unknown): unknown {
  const copy = structuredClone(base) as Record<string, unknown>;
  let at = copy;
  for (const key of path.slice(0, -1)) {
    const next = at[key];
    at[key] = typeof next === 'object' && next !== null ? next : {};
    at = at[key] as Record<string, unknown>;
  }
  at[path[path.length - 1] as string] = value;
  return copy;
}

/** A value of a parameter that exists in no database: a nil-like UUID where ids are UUIDs, else a made-up code. */
function absentValueOf(name: string): string {
  return /id$/i.test(name) && !/sessionId/.test(name) ? NIL_UUID : 'FUZZ-NONE-0';
}

const enc = encodeURIComponent;

/** Every case of `op`: one of each kind that applies, its details picked by the operation's PRNG. */
export function casesFor(op: Operation): FuzzCase[] {
  const rand = prng(`${op.service} ${op.method} ${op.template}`);
  const label = `${op.service} ${op.method} ${op.template}`;
  const cases: FuzzCase[] = [];
  const headers: Record<string, string> = {};
  for (const h of op.headers) headers[h.toLowerCase()] = `fuzz-${Math.floor(rand() * 1e9).toString(36)}`;

  const pathWith = (values: Record<string, string>) =>
    op.template.replace(/\{([^}]+)\}/g, (_, name: string) => values[name] ?? enc(absentValueOf(name)));
  const plainPath = pathWith({});
  const add = (
    kind: string,
    detail: string,
    c: Omit<FuzzCase, 'name' | 'kind' | 'detail' | 'headers' | 'method'> & { headers?: Record<string, string> },
  ) => {
    cases.push({
      name: `${label} · ${kind}${detail ? `: ${detail}` : ''}`,
      kind,
      detail,
      method: op.method,
      path: c.path,
      headers: { ...headers, ...c.headers },
      ...(c.body === undefined ? {} : { body: c.body }),
    });
  };
  const json = (value: unknown) => Buffer.from(JSON.stringify(value));
  const jsonType = { 'content-type': 'application/json' };

  // Bad path parameters: one of each kind, in one parameter the PRNG picks.
  if (op.pathParams.length > 0) {
    const param = pick(rand, op.pathParams);
    const bad: [string, string][] = [
      ['nul-in-path', `${enc('ab')}%00${enc('cd')}`],
      ['control-in-path', enc(`x${pick(rand, CONTROL_CHARACTERS)}y`)],
      ['sql-in-path', enc(pick(rand, SQL_LIKE))],
      ['unicode-in-path', enc(pick(rand, UNICODE))],
      ['long-path-param', 'a'.repeat(4000)],
      ['bad-escape-in-path', pick(rand, ['%E0%A4%A', '%ZZ', '%', '%C0%AF'])],
      ['lone-surrogate-in-path', '%ED%A0%80'],
      ['traversal-in-path', pick(rand, ['..%2F..%2Fetc%2Fpasswd', '%2E%2E', '..'])],
    ];
    for (const [kind, value] of bad) add(kind, param, { path: pathWith({ [param]: value }) });
  }

  // The query: control characters in a declared parameter and in one nobody declared, wrong types, repeats.
  add('nul-in-unknown-query', '', { path: `${plainPath}?fuzz=%00` });
  if (op.query.length > 0) {
    const q = pick(rand, op.query);
    add('nul-in-query', q.name, { path: `${plainPath}?${enc(q.name)}=x%00y` });
    add('control-in-query', q.name, {
      path: `${plainPath}?${enc(q.name)}=${enc(`x${pick(rand, CONTROL_CHARACTERS)}`)}`,
    });
    add('wrong-type-query', q.name, {
      path: `${plainPath}?${enc(q.name)}=${enc(pick(rand, ['-1', '1e999', 'abc', '[]', '{"a":1}', '9'.repeat(400)]))}`,
    });
    add('repeated-query', q.name, { path: `${plainPath}?${enc(q.name)}=1&${enc(q.name)}=2` });
    add('sql-in-query', q.name, { path: `${plainPath}?${enc(q.name)}=${enc(pick(rand, SQL_LIKE))}` });
    add('unicode-in-query', q.name, { path: `${plainPath}?${enc(q.name)}=${enc(pick(rand, UNICODE))}` });
    add('long-query', q.name, { path: `${plainPath}?${enc(q.name)}=${'q'.repeat(6000)}` });
  }

  if (op.body?.kind === 'json') {
    const schema = op.body.schema;
    const base = exampleOf(schema);
    const strings = stringFields(schema);
    const props = Object.keys(schema.properties ?? {});
    const field = strings.length ? pick(rand, strings) : null;
    const send = (kind: string, detail: string, body: Buffer | { chunkedBytes: number }, type = jsonType) => {
      add(kind, detail, { path: plainPath, headers: type, body });
    };
    if (field) {
      send('nul-in-body', field.join('.'), json(withValue(base, field, `a\u0000b`)));
      send(
        'control-in-body',
        field.join('.'),
        json(withValue(base, field, `before${pick(rand, CONTROL_CHARACTERS)}after`)),
      );
      send('mb-string', field.join('.'), json(withValue(base, field, 'x'.repeat(1024 * 1024))));
      send(
        'lone-surrogate-in-body',
        field.join('.'),
        Buffer.from(JSON.stringify(withValue(base, field, 'LONE')).replace('"LONE"', '"\\ud800x"')),
      );
      // Every string field at once: the strings reach the queries when nothing else is wrong.
      let sql = base;
      let unicode = base;
      for (const f of strings) {
        sql = withValue(sql, f, pick(rand, SQL_LIKE));
        unicode = withValue(unicode, f, pick(rand, UNICODE));
      }
      send('sql-in-body', '', json(sql));
      send('unicode-in-body', '', json(unicode));
    }
    send('nul-in-field-name', '', json({ ...(base as object), 'fuzz\u0000field': 'x' }));
    if (props.length > 0) {
      const prop = pick(rand, props);
      send('wrong-type-body', prop, json(withValue(base, [prop], wrongTypeFor(schema.properties?.[prop] ?? {}, rand))));
      send('missing-fields', '', json({}));
      send(
        'deep-nesting',
        prop,
        Buffer.from(JSON.stringify(withValue(base, [prop], 'DEEP')).replace('"DEEP"', deep(20_000))),
      );
    }
    send('extra-field', '', json({ ...(base as object), fuzzExtra: true }));
    send('prototype-keys', '', Buffer.from(`{"__proto__":{"isAdmin":true},"constructor":{"prototype":{"x":1}}}`));
    send('top-level-type', '', Buffer.from(pick(rand, ['[]', '"text"', 'null', '123', 'true', '[{}]'])));
    send(
      'malformed-json',
      '',
      Buffer.from(pick(rand, ['{"a":', '{a:1}', "{'a':1}", '{"a":1,}', '\u0000{}', '{"a":"\\x"}'])),
    );
    send('oversized-body', '', json({ ...(base as object), pad: 'p'.repeat(300 * 1024) }));
    send('oversized-chunked', '', { chunkedBytes: 2 * 1024 * 1024 });
    send('text-plain-body', '', json(base), { 'content-type': 'text/plain' });
    send('form-body', '', Buffer.from('a=1&b=2'), { 'content-type': 'application/x-www-form-urlencoded' });
  } else if (op.body?.kind === 'multipart') {
    // Never a valid file: a stored attachment would be a state change.
    const boundary = 'fuzzboundary';
    const part = (name: string, content: string) =>
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\n` +
      `Content-Type: application/pdf\r\n\r\n${content}\r\n`;
    const multipart = { 'content-type': `multipart/form-data; boundary=${boundary}` };
    add('json-to-upload', '', { path: plainPath, headers: jsonType, body: json({ file: 'x' }) });
    add('text-plain-body', '', { path: plainPath, headers: { 'content-type': 'text/plain' }, body: Buffer.from('x') });
    add('truncated-multipart', '', {
      path: plainPath,
      headers: multipart,
      body: Buffer.from(part('a.pdf', 'not a pdf')),
    });
    add('nul-in-file-name', '', {
      path: plainPath,
      headers: multipart,
      body: Buffer.from(`${part('a\u0000b.pdf', 'plain text, not a pdf')}--${boundary}--\r\n`),
    });
    add('missing-file', '', { path: plainPath, headers: multipart, body: Buffer.from(`--${boundary}--\r\n`) });
  } else {
    add('body-on-bodyless', '', { path: plainPath, headers: jsonType, body: json({ fuzz: true }) });
    add('text-body-on-bodyless', '', {
      path: plainPath,
      headers: { 'content-type': 'text/plain' },
      body: Buffer.from('hello'),
    });
  }
  return cases;
}

/** `depth` nested arrays, written out (JSON.stringify would overflow the stack building it). */
export function deep(depth: number): string {
  return `${'['.repeat(depth)}${']'.repeat(depth)}`;
}
