import {
  Controller,
  Get,
  Inject,
  Injectable,
  Module,
  Optional,
  type DynamicModule,
  type ModuleMetadata,
  type OnModuleInit,
} from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import {
  HealthCheck,
  HealthCheckService,
  HealthIndicatorService,
  TerminusModule,
  type HealthIndicatorResult,
} from '@nestjs/terminus';
import { Public } from '@hoso/auth';
import { MetricsService } from './metrics';
import { registerReadinessGauges, withTimeout } from './readiness.gauge';

/** Named readiness probes; each resolves when its dependency answers. */
export type ReadinessChecks = Record<string, () => Promise<unknown>>;

const READINESS_CHECKS = Symbol('READINESS_CHECKS');
const PROBE_TIMEOUT_MS = 2000;

@ApiTags('health')
@Controller('health')
class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicator: HealthIndicatorService,
    @Inject(READINESS_CHECKS) private readonly checks: ReadinessChecks,
  ) {}

  /** Liveness: the process answers. Never checks dependencies, so a database outage does not restart every pod. */
  @Public()
  @Get('live')
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** Readiness: database, Kafka and Redis answer, and the consumer runs (503 with the failing ones otherwise). */
  @Public()
  @Get(['', 'ready'])
  @HealthCheck()
  ready() {
    return this.health.check(
      Object.entries(this.checks).map(([name, probe]) => async (): Promise<HealthIndicatorResult> => {
        const session = this.indicator.check(name);
        try {
          await withTimeout(probe(), PROBE_TIMEOUT_MS);
          return session.up();
        } catch (e) {
          return session.down({ message: e instanceof Error ? e.message : String(e) });
        }
      }),
    );
  }
}

/** Readiness as metrics, so that Prometheus sees a dependency failing (or readiness flapping) between probes. */
@Injectable()
class ReadinessGauges implements OnModuleInit {
  constructor(
    @Inject(READINESS_CHECKS) private readonly checks: ReadinessChecks,
    @Optional() private readonly metrics?: MetricsService,
  ) {}

  onModuleInit(): void {
    if (this.metrics) registerReadinessGauges(this.metrics.registry, this.checks, PROBE_TIMEOUT_MS);
  }
}

export interface HealthModuleOptions extends Pick<ModuleMetadata, 'imports'> {
  inject?: (string | symbol | (abstract new (...args: never[]) => unknown))[];
  useFactory: (...deps: never[]) => ReadinessChecks;
}

@Module({})
export class HealthModule {
  static forRoot(options: HealthModuleOptions): DynamicModule {
    return {
      module: HealthModule,
      imports: [TerminusModule.forRoot({ logger: false }), ...(options.imports ?? [])],
      controllers: [HealthController],
      providers: [
        { provide: READINESS_CHECKS, inject: options.inject ?? [], useFactory: options.useFactory },
        ReadinessGauges,
      ],
    };
  }
}
