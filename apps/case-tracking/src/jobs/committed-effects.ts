import { Injectable, type BeforeApplicationShutdown } from '@nestjs/common';
import { PinoLogger } from 'nestjs-pino';
import type { EntityManager } from 'typeorm';
import { MessagingService, type HandlerContext } from '@hoso/messaging';

/** A side effect outside PostgreSQL (a BullMQ add or remove), decided by the rows of one transaction. */
export type Effect = () => Promise<unknown>;
/** Hands an effect over to run once the transaction that decided it has committed, never otherwise. */
export type Defer = (effect: Effect) => void;

/**
 * Runs the effects of committed transactions in the background: no request and no consumer flush waits on Redis.
 * An effect that fails is logged and left to the timer rebuild (CaseTimers), which derives every job from the
 * committed rows; a crash between a commit and its effects is covered the same way.
 */
@Injectable()
export class CommittedEffects implements BeforeApplicationShutdown {
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly messaging: MessagingService,
    private readonly log: PinoLogger,
  ) {
    this.log.setContext('CommittedEffects');
  }

  /**
   * Runs `work` in a transaction (outbox included, as MessagingService.transaction); the effects it deferred run
   * only once it has committed. A transaction that throws, at any statement or at its commit, runs none.
   */
  async transaction<R>(work: (m: EntityManager, defer: Defer) => Promise<R>): Promise<R> {
    const effects: Effect[] = [];
    const result = await this.messaging.transaction((m) => {
      // Only the effects of the attempt that commits count.
      effects.length = 0;
      return work(m, (e) => effects.push(e));
    });
    this.launch(effects);
    return result;
  }

  /** The deferral of a consumer handler: its flush's after-commit hook starts the effect, without waiting for it. */
  afterFlush(ctx: Pick<HandlerContext, 'afterCommit'>): Defer {
    return (effect) => {
      ctx.afterCommit(() => {
        this.launch([effect]);
        return Promise.resolve();
      });
    };
  }

  private launch(effects: readonly Effect[]): void {
    for (const effect of effects) {
      const p = Promise.resolve()
        .then(effect)
        .then(() => undefined)
        .catch((err: unknown) => {
          this.log.warn({ err }, 'a committed side effect failed; the timer rebuild adds it from PostgreSQL');
        })
        .finally(() => this.inFlight.delete(p));
      this.inFlight.add(p);
    }
  }

  /** Lets started effects finish before the queues close. */
  async beforeApplicationShutdown(): Promise<void> {
    await Promise.all([...this.inFlight]);
  }
}
