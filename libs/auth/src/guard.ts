import {
  ForbiddenException,
  Inject,
  Injectable,
  Module,
  SetMetadata,
  UnauthorizedException,
  createParamDecorator,
  type CanActivate,
  type DynamicModule,
  type ExecutionContext,
} from '@nestjs/common';
import { APP_GUARD, Reflector } from '@nestjs/core';
import type { AuthUser, Role } from './claims';
import { InvalidTokenError, JwtVerifier, type VerifierOptions } from './verifier';

const PUBLIC_KEY = 'hoso:public';
const ROLES_KEY = 'hoso:roles';

/** The endpoint answers without a token (sign-in, catalog, health, metrics, JWKS). Everything else needs one. */
export const Public = () => SetMetadata(PUBLIC_KEY, true);

/** Only these roles may call the endpoint (403 otherwise). Without it, any authenticated caller may. */
export const Roles = (...roles: Role[]) => SetMetadata(ROLES_KEY, roles);

/** Controller parameter: the authenticated caller. */
export const CurrentUser = createParamDecorator((_: unknown, ctx: ExecutionContext): AuthUser => {
  const user = ctx.switchToHttp().getRequest<{ user?: AuthUser }>().user;
  if (!user) throw new UnauthorizedException('authentication required');
  return user;
});

/**
 * Global guard of every hoso service: deny by default. A missing or invalid bearer token is 401; a
 * valid token with the wrong role is 403. Scoping (own dossiers, own agency) is checked by handlers
 * with `canReadDossier` / `canReadAgency`, where the resource is known.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    @Inject(JwtVerifier) private readonly verifier: JwtVerifier,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const targets = [ctx.getHandler(), ctx.getClass()];
    if (this.reflector.getAllAndOverride<boolean | undefined>(PUBLIC_KEY, targets)) return true;
    if (ctx.getType() !== 'http') return true;
    const req = ctx.switchToHttp().getRequest<{ headers: Record<string, string | undefined>; user?: AuthUser }>();
    const header = req.headers['authorization'];
    const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    if (!match?.[1]) throw new UnauthorizedException('missing bearer token');
    try {
      req.user = await this.verifier.verify(match[1]);
    } catch (e) {
      if (e instanceof InvalidTokenError) throw new UnauthorizedException(`invalid token: ${e.message}`);
      throw e;
    }
    const allowed = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, targets);
    if (allowed && !allowed.includes(req.user.role)) {
      throw new ForbiddenException(`this endpoint is for ${allowed.join(' or ')}, not ${req.user.role}`);
    }
    return true;
  }
}

@Module({})
export class AuthModule {
  /** Registers the verifier and the global guard. */
  static forRoot(options: VerifierOptions): DynamicModule {
    return {
      module: AuthModule,
      global: true,
      providers: [
        { provide: JwtVerifier, useValue: new JwtVerifier(options) },
        { provide: APP_GUARD, useClass: AuthGuard },
      ],
      exports: [JwtVerifier],
    };
  }
}
