/**
 * The route table against the services' controllers as they are in the repository (read as text, not imported:
 * an app never depends on another). Every endpoint a service serves must be reachable through the gateway, and the
 * gateway's coarse role check must admit at least the roles the service admits — so a new endpoint without a
 * gateway route fails here, not in a citizen's browser.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { roles as allRoles, type Role } from '@hoso/auth';
import { matchRoute, type ServiceName } from './domain/route-table';

const ROOT = resolve(__dirname, '../../..');
const SERVICE_DIRS: Record<ServiceName, string> = {
  identity: 'apps/identity/src',
  intake: 'apps/intake/src',
  payment: 'apps/payment/src',
  cases: 'apps/case-tracking/src',
  metrics: 'apps/metrics/src',
};

interface Endpoint {
  service: ServiceName;
  method: string;
  path: string;
  public: boolean;
  /** Null: any authenticated caller. */
  roles: Role[] | null;
  file: string;
}

function controllerFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return controllerFiles(path);
    return e.name.endsWith('.controller.ts') ? [path] : [];
  });
}

const stringArg = (args: string): string | null => {
  const m = /^\s*(?:'([^']*)'|"([^"]*)")?\s*$/.exec(args);
  return m ? (m[1] ?? m[2] ?? '') : null;
};

const rolesOf = (block: string): Role[] | null => {
  const m = /@Roles\(([^)]*)\)/.exec(block);
  return m ? [...(m[1] ?? '').matchAll(/'([a-z]+)'/g)].map((r) => r[1] as Role) : null;
};

/** Endpoints of one controller file: class prefix, then each member's HTTP decorator, `@Public()` and `@Roles()`. */
function endpointsOf(service: ServiceName, file: string): Endpoint[] {
  const source = readFileSync(file, 'utf8');
  const classAt = source.search(/^export class /m);
  const head = source.slice(0, classAt);
  const prefixArgs = /@Controller\(([^)]*)\)/.exec(head)?.[1];
  if (prefixArgs === undefined) return [];
  const prefix = stringArg(prefixArgs);
  if (prefix === null) throw new Error(`${file}: cannot read the @Controller path ${prefixArgs}`);
  const classPublic = /@Public\(\)/.test(head);
  const classRoles = rolesOf(head);
  // Members start at a two-space-indented signature; a member's decorators sit just before it.
  const blocks = source.slice(classAt).split(/^ {2}(?:async )?[A-Za-z_]\w*\(/m);
  const endpoints: Endpoint[] = [];
  for (const block of blocks) {
    const http = [...block.matchAll(/@(Get|Post|Put|Patch|Delete)\(([^)]*)\)/g)];
    for (const [, method, args] of http) {
      const path = stringArg(args ?? '');
      if (path === null) throw new Error(`${file}: cannot read the path of @${method}(${args})`);
      endpoints.push({
        service,
        method: (method as string).toUpperCase(),
        path: [prefix, path].filter(Boolean).join('/'),
        public: classPublic || /@Public\(\)/.test(block),
        roles: rolesOf(block) ?? classRoles,
        file: relative(ROOT, file),
      });
    }
  }
  return endpoints;
}

const endpoints = (Object.entries(SERVICE_DIRS) as [ServiceName, string][]).flatMap(([service, dir]) =>
  controllerFiles(join(ROOT, dir)).flatMap((f) => endpointsOf(service, f)),
);

describe('route table covers every service endpoint', () => {
  it('finds the controllers (the scan itself works)', () => {
    expect(endpoints.length).toBeGreaterThan(40);
    expect(endpoints).toContainEqual(
      expect.objectContaining({ service: 'cases', method: 'POST', path: 'cases/:id/claim', roles: ['officer'] }),
    );
    expect(endpoints).toContainEqual(
      expect.objectContaining({ service: 'intake', method: 'GET', path: 'procedures', public: true }),
    );
  });

  it.each(endpoints.map((e) => [`${e.method} /api/${e.service}/${e.path}`, e] as const))(
    '%s is routed, and the gateway admits whoever the service admits',
    (_, e) => {
      const url = `/api/${e.service}/${e.path.replace(/:[^/]+/g, 'x')}`;
      const match = matchRoute(e.method, url);
      if (match.kind !== 'route') throw new Error(`${e.method} ${url} (${e.file}) has no gateway route`);
      const access = match.rule.access;
      if (e.public) {
        expect(access).toBe('public');
      } else {
        // A service-protected endpoint is never public at the gateway, and never narrower than the service.
        expect(access).not.toBe('public');
        const needed = e.roles ?? [...allRoles];
        if (typeof access !== 'string') expect([...access].sort()).toEqual(expect.arrayContaining(needed.sort()));
      }
    },
  );
});
