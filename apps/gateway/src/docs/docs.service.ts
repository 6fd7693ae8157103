import type { Logger } from 'pino';
import { mergeOpenApi, type OpenApiDocument, type ServiceDocument } from '../domain/openapi-merge';
import { SERVICES, type ServiceName } from '../domain/route-table';
import type { UpstreamPool } from '../upstream-pool';

/** Where a hoso service publishes its OpenAPI JSON (nest-kit's `docs/openapi.json`; Nest's default as fallback). */
const DOCUMENT_PATHS = ['/docs/openapi.json', '/docs-json'];
const FETCH_TIMEOUT_MS = 3000;
/** A partial document (some service down) is rebuilt sooner, so a service that comes back shows up quickly. */
const PARTIAL_CACHE_MS = 5000;

/** The services' OpenAPI documents merged into one (see `mergeOpenApi`), cached. */
export class DocsService {
  private cached: { until: number; document: Promise<OpenApiDocument> } | null = null;

  constructor(
    private readonly pool: UpstreamPool,
    private readonly cacheSec: number,
    private readonly logger: Logger,
  ) {}

  document(): Promise<OpenApiDocument> {
    const now = Date.now();
    if (this.cached && now < this.cached.until) return this.cached.document;
    // Concurrent requests share one build; its outcome decides how long it is kept.
    const document = this.build();
    const entry = { until: Number.POSITIVE_INFINITY, document };
    this.cached = entry;
    document.then(
      (d) => {
        const partial = (d['x-hoso-unavailable'] as unknown[]).length > 0;
        entry.until = Date.now() + Math.min(this.cacheSec * 1000, partial ? PARTIAL_CACHE_MS : Infinity);
      },
      () => {
        entry.until = 0;
      },
    );
    return document;
  }

  private async build(): Promise<OpenApiDocument> {
    const documents = await Promise.all(SERVICES.map((s) => this.fetchOne(s)));
    return mergeOpenApi(documents, new Date());
  }

  private async fetchOne(service: ServiceName): Promise<ServiceDocument> {
    let problem = 'no OpenAPI document';
    for (const path of DOCUMENT_PATHS) {
      try {
        const res = await fetch(new URL(path, this.pool.pickFor(service)), {
          signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
        });
        if (res.status === 404) continue;
        if (!res.ok) {
          problem = `answered ${res.status}`;
          break;
        }
        const document: unknown = await res.json();
        if (typeof document !== 'object' || document === null || !('paths' in document)) {
          problem = 'answered something that is not an OpenAPI document';
          break;
        }
        return { service, document: document as OpenApiDocument };
      } catch (e) {
        const cause = (e as { cause?: { code?: string } }).cause?.code;
        problem = cause ?? (e instanceof Error ? e.message : String(e));
        break;
      }
    }
    this.logger.warn({ upstream: service, problem }, `OpenAPI document of ${service} unavailable`);
    return { service, error: problem };
  }
}
