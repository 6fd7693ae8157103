import { createHash, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable, UnauthorizedException, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { Public } from '@hoso/auth';
import { GATEWAY_CONFIG } from '../tokens';
import type { Config } from '../config';

/**
 * The metadata key `@Public()` writes, read off a probe so this guard honours the same decorator the shared
 * health and metrics controllers carry (the key itself is private to @hoso/auth).
 */
function publicProbe(): void {
  // only carries the decorator's metadata
}
Public()(publicProbe);
const PUBLIC_KEY: unknown = Reflect.getMetadataKeys(publicProbe)[0];

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * The gateway is outside hoso and does not trust hoso's JWTs: server-to-server calls carry the merchant API key
 * (`Authorization: Bearer <key>`). Deny by default; only the citizen-facing checkout pages, health, metrics and
 * docs are public.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly expected: Buffer;

  constructor(
    private readonly reflector: Reflector,
    @Inject(GATEWAY_CONFIG) config: Config,
  ) {
    this.expected = digest(config.apiKey);
  }

  canActivate(ctx: ExecutionContext): boolean {
    if (this.reflector.getAllAndOverride<boolean | undefined>(PUBLIC_KEY as string, [ctx.getHandler(), ctx.getClass()]))
      return true;
    const header = ctx.switchToHttp().getRequest<{ headers: Record<string, string | undefined> }>().headers[
      'authorization'
    ];
    const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    // Digests have equal length, so timingSafeEqual never throws and the comparison leaks nothing about the key.
    if (match?.[1] && timingSafeEqual(digest(match[1]), this.expected)) return true;
    throw new UnauthorizedException('missing or invalid API key');
  }
}
