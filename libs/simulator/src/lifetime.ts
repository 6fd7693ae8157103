import { setMaxListeners } from 'node:events';

/** Raised inside a bot when the simulator stops: the bot ends quietly, it is not an error of the run. */
export class StoppedError extends Error {
  constructor() {
    super('the simulator stopped');
    this.name = 'StoppedError';
  }
}

/** Sleeps that end early, all at once, when the simulator stops, so no timer outlives it. */
export class Lifetime {
  private readonly controller = new AbortController();

  constructor() {
    // Every sleeping bot listens: thousands of listeners are expected, not a leak.
    setMaxListeners(0, this.controller.signal);
  }

  get stopped(): boolean {
    return this.controller.signal.aborted;
  }

  /** Throws StoppedError once stopped. */
  check(): void {
    if (this.stopped) throw new StoppedError();
  }

  sleep(ms: number): Promise<void> {
    if (this.stopped) return Promise.reject(new StoppedError());
    if (ms <= 0) return Promise.resolve();
    const signal = this.controller.signal;
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        clearTimeout(timer);
        reject(new StoppedError());
      };
      const timer = setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  stop(): void {
    this.controller.abort();
  }
}
