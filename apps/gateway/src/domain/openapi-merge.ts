import { matchRoute, SERVICES, type ServiceName } from './route-table';

/** An OpenAPI 3 document, as loosely as the services' JSON is trusted. */
export type OpenApiDocument = Record<string, unknown> & {
  paths?: Record<string, Record<string, unknown>>;
  components?: Record<string, Record<string, unknown>>;
};

export type ServiceDocument =
  { service: ServiceName; document: OpenApiDocument } | { service: ServiceName; error: string };

const OPERATION_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/** Security schemes are shared by name (every service declares the same bearer JWT); everything else is renamed. */
const SHARED_COMPONENT_KINDS = new Set(['securitySchemes']);

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `Name` of service `intake` → `intake.Name`: two services may both have a `Dossier` schema. */
export const componentName = (service: ServiceName, name: string) => `${service}.${name}`;

/** Deep copy with every local `$ref` into renamed components pointed at the renamed entry. */
function rewriteRefs(value: unknown, service: ServiceName): unknown {
  if (Array.isArray(value)) return value.map((v) => rewriteRefs(v, service));
  if (!isRecord(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (k === '$ref' && typeof v === 'string') {
      const m = /^#\/components\/([^/]+)\/(.+)$/.exec(v);
      out[k] = m && !SHARED_COMPONENT_KINDS.has(m[1] as string) ? `#/components/${m[1]}/${service}.${m[2]}` : v;
    } else out[k] = rewriteRefs(v, service);
  }
  return out;
}

/** A concrete path for the route table: `/procedures/{code}` → `/procedures/x`. */
const samplePath = (openApiPath: string) => openApiPath.replace(/\{[^}]+\}/g, 'x');

function accessText(access: unknown): string {
  if (access === 'public') return 'public';
  if (access === 'authenticated') return 'any signed-in user';
  return Array.isArray(access) ? access.join(', ') : String(access);
}

/**
 * One document for the whole API as the portal sees it: each service's paths under `/api/<service>`, tagged with
 * the service, components renamed per service, and only the operations the gateway forwards (a service's
 * `/health` is not reachable through it). A service whose document could not be read is listed as unavailable.
 */
export function mergeOpenApi(documents: readonly ServiceDocument[], generatedAt: Date): OpenApiDocument {
  const paths: Record<string, Record<string, unknown>> = {};
  const components: Record<string, Record<string, unknown>> = {
    securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
  };
  const tags: { name: string; description: string }[] = [];
  const unavailable: string[] = [];
  const ordered = [...documents].sort((a, b) => SERVICES.indexOf(a.service) - SERVICES.indexOf(b.service));

  for (const entry of ordered) {
    const { service } = entry;
    if ('error' in entry) {
      unavailable.push(`${service} (${entry.error})`);
      tags.push({ name: service, description: `unavailable: ${entry.error}` });
      continue;
    }
    const doc = rewriteRefs(entry.document, service) as OpenApiDocument;
    const info = isRecord(doc['info']) ? doc['info'] : {};
    tags.push({
      name: service,
      description: typeof info['description'] === 'string' ? info['description'] : `${service} service`,
    });
    for (const [kind, entries] of Object.entries(doc.components ?? {})) {
      if (!isRecord(entries)) continue;
      const target = (components[kind] ??= {});
      for (const [name, value] of Object.entries(entries)) {
        target[SHARED_COMPONENT_KINDS.has(kind) ? name : componentName(service, name)] = value;
      }
    }
    for (const [path, item] of Object.entries(doc.paths ?? {})) {
      if (!isRecord(item)) continue;
      const gatewayPath = `/api/${service}${path === '/' ? '' : path}`;
      const kept: Record<string, unknown> = {};
      for (const method of OPERATION_METHODS) {
        const op = item[method];
        if (!isRecord(op)) continue;
        const match = matchRoute(method.toUpperCase(), samplePath(gatewayPath));
        if (match.kind !== 'route') continue;
        const access = match.rule.access;
        kept[method] = {
          ...op,
          tags: [service],
          ...(typeof op['operationId'] === 'string' ? { operationId: `${service}_${op['operationId']}` } : {}),
          ...(access === 'public' ? { security: [] } : {}),
          description: [`Access at the gateway: ${accessText(access)}.`, op['description']]
            .filter(Boolean)
            .join('\n\n'),
          'x-gateway-access': access,
          'x-gateway-rate-limit-group': match.rule.group,
        };
      }
      if (Object.keys(kept).length) {
        if (Array.isArray(item['parameters'])) kept['parameters'] = item['parameters'];
        paths[gatewayPath] = kept;
      }
    }
  }

  return {
    openapi: '3.0.0',
    info: {
      title: 'hoso API',
      version: '1',
      description: [
        'Every service of hoso as the portal reaches it, through the gateway under `/api/<service>`. ' +
          'Sign in through `/api/identity/auth/…` and send the access token as a bearer token.',
        unavailable.length ? `**Unavailable right now:** ${unavailable.join('; ')}.` : '',
        `Assembled at ${generatedAt.toISOString()}.`,
      ]
        .filter(Boolean)
        .join('\n\n'),
    },
    servers: [{ url: '/' }],
    tags,
    paths,
    components,
    security: [{ bearer: [] }],
    'x-hoso-unavailable': ordered.filter((d) => 'error' in d).map((d) => d.service),
  };
}
