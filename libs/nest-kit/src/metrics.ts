import { Controller, Get, Header, Injectable, Module, type DynamicModule } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { constants as perfConstants, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import type { NextFunction, Request, Response } from 'express';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { Public } from '@hoso/auth';
import type { BatchObserver } from '@hoso/messaging';

/** Prometheus metrics of one service: process defaults, HTTP requests, Kafka consumer batches. */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();
  private readonly httpRequests: Counter<'method' | 'route' | 'status'>;
  private readonly httpDuration: Histogram<'method' | 'route' | 'status'>;
  private readonly consumed: Counter<'topic' | 'outcome'>;
  private readonly batchDuration: Histogram<'topic'>;

  /** V8's used heap just after the latest full (mark-sweep-compact) collection: what the process really holds. */
  private heapAfterFullGc = 0;

  constructor(service: string) {
    this.registry.setDefaultLabels({ service });
    collectDefaultMetrics({ register: this.registry });
    // RSS and the used heap swing with the allocation rate (V8 lets garbage pile up several times the live size
    // before a full collection, and the allocator keeps freed pages), so neither shows a leak; the heap right after a
    // full collection does. Read in the observer, which runs just after the collection.
    const observer = new PerformanceObserver((list) => {
      if (list.getEntries().some(isFullGc)) this.heapAfterFullGc = getHeapStatistics().used_heap_size;
    });
    observer.observe({ entryTypes: ['gc'] });
    const afterFullGc = () => this.heapAfterFullGc;
    new Gauge({
      name: 'nodejs_heap_used_after_full_gc_bytes',
      help: 'V8 used heap size right after the latest full garbage collection (0 before the first): flat unless memory leaks',
      registers: [this.registry],
      collect() {
        this.set(afterFullGc());
      },
    });
    this.httpRequests = new Counter({
      name: 'http_requests_total',
      help: 'HTTP requests by method, route pattern and status',
      labelNames: ['method', 'route', 'status'],
      registers: [this.registry],
    });
    this.httpDuration = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request latency',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [this.registry],
    });
    this.consumed = new Counter({
      name: 'messaging_consumed_events_total',
      help: 'Kafka events consumed, by outcome (processed, duplicate, dead-lettered)',
      labelNames: ['topic', 'outcome'],
      registers: [this.registry],
    });
    this.batchDuration = new Histogram({
      name: 'messaging_batch_duration_seconds',
      help: 'Time to apply one consumed batch (one database transaction)',
      labelNames: ['topic'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [this.registry],
    });
  }

  /** Express middleware: counts and times every request under its route pattern (never the raw URL). */
  readonly httpMiddleware = (req: Request, res: Response, next: NextFunction): void => {
    const end = this.httpDuration.startTimer();
    res.on('finish', () => {
      const route = (req.route as { path?: string } | undefined)?.path;
      const labels = {
        method: req.method,
        route: route ? `${req.baseUrl}${route}` : 'unmatched',
        status: String(res.statusCode),
      };
      this.httpRequests.inc(labels);
      end(labels);
    });
    next();
  };

  /** Hook for the messaging consumer. */
  readonly consumerObserver: BatchObserver = (b) => {
    if (b.processed) this.consumed.inc({ topic: b.topic, outcome: 'processed' }, b.processed);
    if (b.duplicates) this.consumed.inc({ topic: b.topic, outcome: 'duplicate' }, b.duplicates);
    if (b.deadLettered) this.consumed.inc({ topic: b.topic, outcome: 'dead-lettered' }, b.deadLettered);
    this.batchDuration.observe({ topic: b.topic }, b.seconds);
  };

  /** A gauge read at scrape time (outbox backlog, consumer lag, queue depth…). */
  gauge(name: string, help: string, read: () => Promise<number> | number): void {
    new Gauge({
      name,
      help,
      registers: [this.registry],
      async collect() {
        this.set(await read());
      },
    });
  }
}

function isFullGc(entry: PerformanceEntry): boolean {
  const { detail } = entry as PerformanceEntry & { detail?: { kind?: number } | null };
  return detail?.kind === perfConstants.NODE_PERFORMANCE_GC_MAJOR;
}

@ApiExcludeController()
@Controller('metrics')
class MetricsController {
  constructor(private readonly metrics: MetricsService) {}

  @Public()
  @Get()
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  scrape(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}

@Module({})
export class MetricsModule {
  static forRoot(service: string): DynamicModule {
    return {
      module: MetricsModule,
      global: true,
      controllers: [MetricsController],
      providers: [{ provide: MetricsService, useValue: new MetricsService(service) }],
      exports: [MetricsService],
    };
  }
}
