import { applyDecorators, Catch, UseFilters, type RpcExceptionFilter } from '@nestjs/common';
import {
  BaseRpcContext,
  EventPattern as NestEventPattern,
  Server,
  type CustomTransportStrategy,
  type MessageHandler,
} from '@nestjs/microservices';
import { isObservable, lastValueFrom, throwError, type Observable } from 'rxjs';
import type { EntityManager } from 'typeorm';
import type { Catalog, EventOf, TopicCatalog, TopicOf } from '@hoso/contracts';
import type { HandlerContext, HandlerMap, TopicHandler } from '../consumer';

/**
 * What `@Ctx()` gives an event handler: the flush transaction's manager (write the effect with it, so effect and
 * inbox row commit together), and where the event came from.
 */
export class EventContext extends BaseRpcContext<[HandlerContext]> {
  constructor(readonly handler: HandlerContext) {
    super([handler]);
  }

  get manager(): EntityManager {
    return this.handler.manager;
  }

  get topic(): string {
    return this.handler.topic;
  }

  get partition(): number {
    return this.handler.partition;
  }

  get offset(): string {
    return this.handler.offset;
  }

  /** 1 in the set-based pass; 1, 2, … when the event is retried on its own. */
  get attempt(): number {
    return this.handler.attempt;
  }

  /** Runs `effect` only once the flush has committed (HandlerContext.afterCommit). */
  afterCommit(effect: () => Promise<unknown>): void {
    this.handler.afterCommit(effect);
  }
}

/**
 * Nest turns a handler's error into `{ status: 'error', message: 'Internal server error' }` through its RPC
 * exception filter. The consumer must see the error itself: a NonRetriableError goes to the DLQ at once, a
 * deadlock redoes the flush, anything else is retried. This filter hands every error through untouched.
 */
@Catch()
export class EventErrorPassThrough implements RpcExceptionFilter {
  catch(exception: unknown): Observable<never> {
    return throwError(() => exception);
  }
}

interface EventExtras {
  hosoEvent: true;
  batch: boolean;
  accepts?: (event: never) => boolean;
}

export interface EventPatternOptions<E> {
  /** A pure test of the event alone: an event it refuses costs no inbox row and no statement. */
  when?: (event: E) => boolean;
}

type EachMethod<E> = (event: E, ctx: EventContext) => Promise<unknown>;
type BatchMethod<E> = (events: readonly E[], ctx: EventContext) => Promise<unknown>;

/**
 * `@EventPattern(topic)` for a catalog: the decorated method's payload type must be that topic's event, so a
 * handler cannot be declared for one topic and typed for another. With `{ batch: true }` the method takes every
 * event of the topic in a flush at once (key order) and can write them with multi-row statements.
 */
export function eventPatternFor<C extends TopicCatalog>() {
  function pattern<T extends TopicOf<C>>(
    topic: T,
    options?: EventPatternOptions<EventOf<C, T>> & { batch?: false },
  ): <M extends EachMethod<EventOf<C, T>>>(
    target: object,
    key: string | symbol,
    descriptor: TypedPropertyDescriptor<M>,
  ) => void;
  function pattern<T extends TopicOf<C>>(
    topic: T,
    options: EventPatternOptions<EventOf<C, T>> & { batch: true },
  ): <M extends BatchMethod<EventOf<C, T>>>(
    target: object,
    key: string | symbol,
    descriptor: TypedPropertyDescriptor<M>,
  ) => void;
  function pattern(topic: string, options: EventPatternOptions<never> & { batch?: boolean } = {}): MethodDecorator {
    const extras: EventExtras = {
      hosoEvent: true,
      batch: options.batch === true,
      ...(options.when ? { accepts: options.when } : {}),
    };
    return applyDecorators(NestEventPattern(topic, extras), UseFilters(EventErrorPassThrough));
  }
  return pattern;
}

/** `@EventPattern` for the platform's topics. */
export const EventPattern = eventPatternFor<Catalog>();

type NestHandler = MessageHandler & { next?: NestHandler; extras?: Partial<EventExtras> };

/** Awaits what Nest's handler proxy returns (a value, a promise, or an observable that errors with the error). */
async function settle(result: unknown): Promise<void> {
  const value: unknown = await result;
  if (isObservable(value)) await lastValueFrom(value, { defaultValue: undefined });
}

/**
 * The custom transport strategy in front of the idempotent consumer. Nest registers every `@EventPattern` method
 * of the application's controllers here (with its pipes, guards and the pass-through filter); the messaging
 * service asks for them as a handler map when it starts its consumer, so topics, flushes, inbox, DLQ and offsets
 * stay with the consumer, which is what keeps the guarantees (see docs/architecture.md: Nest's own Kafka
 * transport commits offsets apart from the handler's transaction).
 */
export class KafkaEventTransport<C extends TopicCatalog = Catalog> extends Server implements CustomTransportStrategy {
  override readonly transportId = Symbol.for('hoso-kafka-events');

  constructor(
    private readonly catalog: C,
    private readonly lifecycle: { start: () => Promise<void>; stop: () => Promise<void> },
  ) {
    super();
  }

  /** The registered handlers as the consumer takes them; two handlers for one topic, or an unknown topic, fail. */
  handlerMap(): HandlerMap<C> {
    const map: Record<string, TopicHandler<C, TopicOf<C>>> = {};
    for (const [topic, h] of this.getHandlers() as Map<string, NestHandler>) {
      if (!h.isEventHandler)
        throw new Error(`@MessagePattern('${topic}'): Kafka topics take @EventPattern handlers only`);
      if (!(topic in this.catalog)) throw new Error(`@EventPattern('${topic}'): unknown topic`);
      if (h.next) throw new Error(`two handlers for ${topic}`);
      const accepts = h.extras?.accepts as ((e: EventOf<C, TopicOf<C>>) => boolean) | undefined;
      map[topic] = h.extras?.batch
        ? {
            batch: (events, ctx) => settle(h(events, new EventContext(ctx))),
            ...(accepts ? { accepts } : {}),
          }
        : { each: (event, ctx) => settle(h(event, new EventContext(ctx))), ...(accepts ? { accepts } : {}) };
    }
    return map;
  }

  /** `startAllMicroservices()` / a standalone microservice's `listen()`: the consumer starts if it has not yet. */
  listen(callback: (...optionalParams: unknown[]) => void): void {
    this.lifecycle.start().then(
      () => {
        callback();
      },
      (e: unknown) => {
        callback(e);
      },
    );
  }

  async close(): Promise<void> {
    await this.lifecycle.stop();
  }

  on(): never {
    throw new Error('KafkaEventTransport has no events to listen to');
  }

  // The type parameter is the abstract Server's signature.
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters
  unwrap<T>(): T {
    throw new Error('KafkaEventTransport wraps no client: use MessagingService');
  }
}
