import {
  Inject,
  Injectable,
  Module,
  SetMetadata,
  type DynamicModule,
  type ModuleMetadata,
  type OnApplicationBootstrap,
  type BeforeApplicationShutdown,
} from '@nestjs/common';
import { DiscoveryModule, DiscoveryService, MetadataScanner } from '@nestjs/core';
import type { Admin, Kafka } from 'kafkajs';
import type { DataSource, EntityManager } from 'typeorm';
import { catalog as platformCatalog, type Catalog, type TopicCatalog } from '@hoso/contracts';
import { IdempotentConsumer, type ConsumerOptions, type EventHandler, type HandlerMap } from '../consumer';
import { createKafka } from '../kafka';
import { consumerLag, type PartitionLag } from '../lag';
import type { Logger } from '../logger';
import { Outbox } from '../outbox';
import { EventProducer, TypedPublisher } from '../producer';
import { OutboxRelay, type RelayOptions } from '../relay';

export interface MessagingOptions<C extends TopicCatalog = Catalog> {
  /** The producer name written in every envelope, and the Kafka client id. */
  service: string;
  brokers: string[];
  dataSource: DataSource;
  logger: Logger;
  catalog?: C;
  /** Physical topic = prefix + contract topic: separate environments (or test runs) on one cluster. */
  topicPrefix?: string;
  relay?: false | Pick<RelayOptions, 'batchSize' | 'pollIntervalMs' | 'retentionMs'>;
  /** Consumer settings; handlers come from `@HandlesEvent` methods. Omit for a service that consumes nothing. */
  consumer?: Omit<
    ConsumerOptions<C>,
    'kafka' | 'catalog' | 'dataSource' | 'producer' | 'logger' | 'handlers' | 'topicPrefix'
  >;
}

export const MESSAGING_OPTIONS = Symbol('MESSAGING_OPTIONS');
const HANDLES_EVENT = 'hoso:handles-event';

/** Marks a provider method as the handler of a topic; it runs inside the consumer's batch transaction. */
export const HandlesEvent = (topic: string) => SetMetadata(HANDLES_EVENT, topic);

/**
 * Kafka for a Nest service, with the outbox relay and an idempotent consumer.
 * We use our own module instead of @nestjs/microservices' Kafka transport: the transport commits
 * offsets independently of the handler's database transaction and has no inbox, no DLQ and no batch
 * transactions, so it cannot give effect-exactly-once (see docs/architecture.md).
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
  consumer: IdempotentConsumer<C> | null = null;
  private readonly catalog: C;
  private admin: Promise<Admin> | null = null;

  constructor(
    @Inject(MESSAGING_OPTIONS) private readonly options: MessagingOptions<C>,
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
  ) {
    this.catalog = options.catalog ?? (platformCatalog as unknown as C);
    this.kafka = createKafka({ clientId: options.service, brokers: options.brokers, logger: options.logger });
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

  /** Runs `work` in a transaction (write the business change and `outbox.add` with its manager), then wakes the relay. */
  async transaction<R>(work: (manager: EntityManager) => Promise<R>): Promise<R> {
    const result = await this.options.dataSource.transaction(work);
    this.relay?.wake();
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

  async lag(): Promise<PartitionLag[]> {
    return this.options.consumer ? consumerLag(this.kafka, this.options.consumer.groupId) : [];
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.producer.connect();
    this.relay?.start();
    const handlers = this.discoverHandlers();
    if (this.options.consumer && Object.keys(handlers).length > 0) {
      this.consumer = new IdempotentConsumer<C>({
        ...this.options.consumer,
        kafka: this.kafka,
        catalog: this.catalog,
        dataSource: this.options.dataSource,
        producer: this.producer,
        logger: this.options.logger,
        handlers,
        ...(this.options.topicPrefix ? { topicPrefix: this.options.topicPrefix } : {}),
        // A handler's outbox rows go out as soon as its batch commits, not at the relay's next idle poll.
        onCommitted: () => {
          this.relay?.wake();
        },
      });
      await this.consumer.start();
    }
  }

  /**
   * Shutdown order: stop taking events (finishing the batch in flight), drain the relay, then disconnect —
   * before the application's `onApplicationShutdown` hooks close the database these need.
   */
  async beforeApplicationShutdown(): Promise<void> {
    await this.consumer?.stop();
    await this.relay?.stop();
    await this.producer.disconnect();
    if (this.admin) await (await this.admin.catch(() => null))?.disconnect();
  }

  private discoverHandlers(): HandlerMap<C> {
    const handlers: Record<string, EventHandler<C, never>> = {};
    for (const wrapper of this.discovery.getProviders()) {
      const instance = wrapper.instance as Record<string, unknown> | undefined;
      if (!instance || typeof instance !== 'object' || !wrapper.isDependencyTreeStatic()) continue;
      const proto = Object.getPrototypeOf(instance) as object;
      for (const method of this.scanner.getAllMethodNames(proto)) {
        const fn = instance[method];
        if (typeof fn !== 'function') continue;
        const topic = Reflect.getMetadata(HANDLES_EVENT, fn) as string | undefined;
        if (!topic) continue;
        if (!(topic in this.catalog))
          throw new Error(`@HandlesEvent('${topic}') on ${proto.constructor.name}.${method}: unknown topic`);
        if (handlers[topic]) throw new Error(`two handlers for ${topic}`);
        handlers[topic] = (fn as EventHandler<C, never>).bind(instance);
      }
    }
    return handlers;
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
      imports: [DiscoveryModule, ...(options.imports ?? [])],
      providers: [
        { provide: MESSAGING_OPTIONS, inject: options.inject ?? [], useFactory: options.useFactory },
        MessagingService,
      ],
      exports: [MessagingService],
    };
  }
}
