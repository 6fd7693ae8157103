import {
  Inject,
  Injectable,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
  type OnModuleInit,
} from '@nestjs/common';
import { Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { PinoLogger } from 'nestjs-pino';
import { createRedis, TimerKeeper } from '@hoso/nest-kit';
import type { Config } from '../config';
import { METRICS_CONFIG } from '../tokens';
import { PublishSnapshots } from './snapshot.handler';

export const SNAPSHOT_QUEUE = 'metrics-snapshots';

/**
 * The repeatable snapshot job (one scheduler per environment, whatever the number of instances). The schedule lives
 * in Redis only, so it is a TimerSource: the TimerKeeper upserts it at start, at once when Redis lost its data and
 * every minute (an unchanged upsert changes nothing).
 */
@Injectable()
export class SnapshotJobs implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown {
  readonly queue: Queue;
  private readonly connection: Redis;
  private worker: Worker | null = null;

  constructor(
    @Inject(METRICS_CONFIG) private readonly config: Config,
    private readonly snapshots: PublishSnapshots,
    private readonly log: PinoLogger,
    private readonly keeper: TimerKeeper,
  ) {
    this.log.setContext('SnapshotJobs');
    // A producer connection: an upsert fails after a short timeout instead of waiting for Redis; the keeper retries.
    this.connection = createRedis(config.REDIS_URL, 'metrics-queues', { failFast: true });
    this.queue = new Queue(this.queueName, { connection: this.connection });
    this.queue.on('error', (err) => {
      this.log.debug({ err }, 'snapshot queue connection error');
    });
  }

  onModuleInit(): void {
    this.keeper.register({
      name: 'metrics-snapshot-schedule',
      ensure: async () => {
        await this.ensureSchedule();
        return 1;
      },
    });
  }

  /** Upserts the repeatable snapshot schedule. */
  async ensureSchedule(): Promise<void> {
    await this.queue.upsertJobScheduler(
      'snapshot',
      { every: this.config.SNAPSHOT_EVERY_SEC * 1000 },
      { name: 'snapshot', opts: { removeOnComplete: 100, removeOnFail: 100 } },
    );
  }

  /** Queue names carry the topic prefix so environments (and test runs) on one Redis never meet. */
  get queueName(): string {
    return `${this.config.queuePrefix}${SNAPSHOT_QUEUE}`;
  }

  onApplicationBootstrap(): void {
    this.worker = new Worker(
      this.queueName,
      async (job) => {
        const r = await this.snapshots.run(`snapshot-${job.id ?? 'scheduled'}`.replace(/[^A-Za-z0-9._:-]/g, '-'));
        return { published: r.published };
      },
      { connection: createRedis(this.config.REDIS_URL, 'metrics-snapshot-worker'), concurrency: 1 },
    );
    this.worker.on('failed', (job, err) => {
      this.log.warn({ jobId: job?.id, err }, 'snapshot job failed');
    });
    this.worker.on('error', (err) => {
      this.log.error({ err }, 'snapshot worker error');
    });
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (this.worker) {
      await this.worker.close();
      await (await this.worker.client).quit().catch(() => undefined);
    }
    await this.queue.close();
    await this.connection.quit().catch(() => undefined);
  }
}
