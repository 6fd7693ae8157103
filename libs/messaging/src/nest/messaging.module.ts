import {
  Inject,
  Injectable,
  Module,
  type DynamicModule,
  type ModuleMetadata,
  type OnApplicationBootstrap,
  type BeforeApplicationShutdown,
} from '@nestjs/common';
import type { Admin, Kafka } from 'kafkajs';
import type { KafkaSasl } from '@hoso/config';
import type { DataSource, EntityManager } from 'typeorm';
import { catalog as platformCatalog, subscriptionsOf, type Catalog, type TopicCatalog } from '@hoso/contracts';
import { IdempotentConsumer, type ConsumerOptions } from '../consumer';
import { createKafka } from '../kafka';
import { consumerLag, type PartitionLag } from '../lag';
import type { Logger } from '../logger';
import { Outbox, outboxWritten } from '../outbox';
import { EventProducer, TypedPublisher } from '../producer';
import { OutboxRelay, type RelayOptions } from '../relay';
import { KafkaEventTransport } from './event-transport';

export interface MessagingOptions<C extends TopicCatalog = Catalog> {
  /** The producer name written in every envelope, and the Kafka client id. */
  service: string;
  brokers: string[];
  /** The service's Kafka user (`kafkaSasl` of @hoso/config). */
  sasl?: KafkaSasl | undefined;
  dataSource: DataSource;
  logger: Logger;
  catalog?: C;
  /** Physical topic = prefix + contract topic: separate environments (or test runs) on one cluster. */
  topicPrefix?: string;
  /** false: the service writes no outbox rows, so no relay polls for them. */
  relay?: false | Pick<RelayOptions, 'batchSize' | 'pollIntervalMs' | 'retentionMs'>;
  /**
   * Consumer settings; handlers are the `@EventPattern` methods of the application's controllers, registered with
   * `transport` (createServiceApp connects it). Omit for a service that consumes nothing.
   */
  consumer?: Omit<
    ConsumerOptions<C>,
    'kafka' | 'catalog' | 'dataSource' | 'producer' | 'logger' | 'handlers' | 'topicPrefix' | 'onFatal'
  >;
  /**
   * Ends the process once the consumer has stopped for good (default: `process.exit`). A service whose consumer
   * is gone would otherwise stay up and answer its probes while consuming nothing; exiting non-zero hands it to
   * its supervisor, which restarts it.
   */
  exit?: (code: number) => void;
  /** How long the release of Kafka resources may take before `exit` is called anyway (default 5 s). */
  fatalExitGraceMs?: number;
}

export const MESSAGING_OPTIONS = Symbol('MESSAGING_OPTIONS');

/**
 * A platform service handles only topics listed for it in libs/contracts' SUBSCRIPTIONS: the broker's ACLs are derived
 * from that list, so a handler added without it would start and then be refused every fetch.
 */
export function assertSubscribed(service: string, topics: readonly string[]): void {
  const declared: readonly string[] | null = subscriptionsOf(service);
  if (!declared) return;
  const missing = topics.filter((t) => !declared.includes(t));
  if (missing.length)
    throw new Error(
      `${service} handles ${missing.join(', ')}, missing from SUBSCRIPTIONS['${service}'] in libs/contracts/src/subscriptions.ts ` +
        '(the Kafka ACLs are derived from it: add the topic there)',
    );
}

/**
 * Kafka for a Nest service, with the outbox relay and an idempotent consumer. Handlers are declared the Nest way
 * (`@EventPattern(topic)` in a controller) and reach the consumer through a custom transport strategy
 * (`transport`), not through @nestjs/microservices' Kafka transport: that one commits offsets independently of
 * the handler's database transaction and has no inbox, no DLQ and no set-based flushes, so it cannot give
 * effect-exactly-once (see docs/architecture.md).
 */
@Injectable()
export class MessagingService<C extends TopicCatalog = Catalog>
  implements OnApplicationBootstrap, BeforeApplicationShutdown
{
  readonly kafka: Kafka;
  readonly producer: EventProducer;
  readonly outbox: Outbox<C>;
  readonly publisher: TypedPublisher<C>;
  readonly relay: OutboxRelay | null;
  readonly transport: KafkaEventTransport<C>;
  consumer: IdempotentConsumer<C> | null = null;
  private readonly catalog: C;
  private admin: Promise<Admin> | null = null;
  private starting: Promise<void> | null = null;
  /** Why the consumer stopped for good; readiness fails from then on. */
  private fatalError: Error | null = null;

  constructor(@Inject(MESSAGING_OPTIONS) private readonly options: MessagingOptions<C>) {
    this.catalog = options.catalog ?? (platformCatalog as unknown as C);
    this.transport = new KafkaEventTransport(this.catalog, {
      start: () => this.startConsumer(),
      stop: () => this.stopConsumer(),
    });
    this.kafka = createKafka({
      clientId: options.service,
      brokers: options.brokers,
      sasl: options.sasl,
      logger: options.logger,
    });
    this.producer = new EventProducer(this.kafka);
    this.outbox = new Outbox(this.catalog, options.service, options.topicPrefix ?? '');
    this.publisher = new TypedPublisher(this.catalog, this.producer, options.service, options.topicPrefix ?? '');
    this.relay =
      options.relay === false
        ? null
        : new OutboxRelay({
            ...(options.relay ?? {}),
            dataSource: options.dataSource,
            producer: this.producer,
            logger: options.logger,
          });
  }

  /**
   * Runs `work` in a transaction (write the business change and `outbox.add` with its manager), then wakes the
   * relay if it wrote outbox rows.
   */
  async transaction<R>(work: (manager: EntityManager) => Promise<R>): Promise<R> {
    const outbox = { written: false };
    const result = await this.options.dataSource.transaction(async (manager) => {
      const r = await work(manager);
      outbox.written = outboxWritten(manager.queryRunner);
      return r;
    });
    if (outbox.written) this.relay?.wake();
    return result;
  }

  /** Readiness probe: the cluster answers an admin request (one long-lived admin connection). */
  async ping(): Promise<void> {
    this.admin ??= (async () => {
      const admin = this.kafka.admin();
      await admin.connect();
      return admin;
    })();
    try {
      await (await this.admin).describeCluster();
    } catch (e) {
      this.admin = null;
      throw e;
    }
  }

  /**
   * Readiness probe of a consuming service: its consumer runs. (The admin ping alone answered 200 after the consumer
   * had given up, while new events waited unconsumed.) Resolves for a service that consumes nothing.
   */
  consumerReady(): Promise<void> {
    if (this.fatalError) {
      return Promise.reject(new Error(`consumer stopped for good: ${this.fatalError.message}`));
    }
    if (this.consumer && !this.consumer.isRunning()) return Promise.reject(new Error('consumer not running'));
    return Promise.resolve();
  }

  async lag(): Promise<PartitionLag[]> {
    return this.options.consumer ? consumerLag(this.kafka, this.options.consumer.groupId) : [];
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.producer.connect();
    this.relay?.start();
    await this.startConsumer();
  }

  /**
   * Starts the consumer over the handlers registered with the transport (once; at bootstrap in a hybrid
   * application, whose controllers' handlers are registered when createServiceApp connects the transport).
   */
  startConsumer(): Promise<void> {
    this.starting ??= (async () => {
      const handlers = this.transport.handlerMap();
      if (!this.options.consumer || Object.keys(handlers).length === 0) return;
      assertSubscribed(this.options.service, Object.keys(handlers));
      this.consumer = new IdempotentConsumer<C>({
        ...this.options.consumer,
        kafka: this.kafka,
        catalog: this.catalog,
        dataSource: this.options.dataSource,
        producer: this.producer,
        logger: this.options.logger,
        handlers,
        ...(this.options.topicPrefix ? { topicPrefix: this.options.topicPrefix } : {}),
        // A flush's outbox rows go out as soon as it commits, not at the relay's next idle poll.
        onCommitted: () => {
          this.relay?.wake();
        },
        onFatal: (error) => {
          this.fatal(error);
        },
      });
      await this.consumer.start();
    })();
    return this.starting;
  }

  /**
   * The consumer will not consume again in this process: readiness fails at once, the relay's rows in flight and
   * the producer are released (bounded: the broker may be what failed), then the process exits non-zero.
   */
  private fatal(error: Error): void {
    if (this.fatalError) return;
    this.fatalError = error;
    this.options.logger.fatal(
      { err: error, groupId: this.options.consumer?.groupId },
      'consumer stopped for good; exiting so that the service is restarted',
    );
    const exit = this.options.exit ?? ((code: number) => process.exit(code));
    const graceMs = this.options.fatalExitGraceMs ?? 5_000;
    const release = (async () => {
      await this.relay?.stop();
      await this.producer.disconnect();
    })().catch(() => undefined);
    void Promise.race([release, new Promise((r) => setTimeout(r, graceMs))]).then(() => {
      exit(1);
    });
  }

  private async stopConsumer(): Promise<void> {
    await this.consumer?.stop();
  }

  /**
   * Shutdown order: stop taking events (finishing the flush in flight), drain the relay, then disconnect —
   * before the application's `onApplicationShutdown` hooks close the database these need.
   */
  async beforeApplicationShutdown(): Promise<void> {
    await this.stopConsumer();
    await this.relay?.stop();
    await this.producer.disconnect();
    if (this.admin) await (await this.admin.catch(() => null))?.disconnect();
  }
}

export interface MessagingModuleAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  inject?: (string | symbol | (abstract new (...args: never[]) => unknown))[];
  useFactory: (...args: never[]) => MessagingOptions<TopicCatalog> | Promise<MessagingOptions<TopicCatalog>>;
}

@Module({})
export class MessagingModule {
  static forRootAsync(options: MessagingModuleAsyncOptions): DynamicModule {
    return {
      module: MessagingModule,
      global: true,
      imports: options.imports ?? [],
      providers: [
        { provide: MESSAGING_OPTIONS, inject: options.inject ?? [], useFactory: options.useFactory },
        MessagingService,
      ],
      exports: [MessagingService],
    };
  }
}
