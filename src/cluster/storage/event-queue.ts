import type { Watch, WatchEvent } from './interface.js';

/**
 * The consumer side of a watch: events pushed by a producer, read by one async iterator.
 * An error ends the stream after the events queued before it; an abort ends it at once.
 */
export class EventQueue implements Watch {
  private readonly events: WatchEvent[] = [];
  private waiter: (() => void) | undefined;
  private failure: Error | undefined;
  private ended = false;
  private readonly onAbort = (): void => this.end();

  constructor(
    private readonly signal: AbortSignal | undefined,
    private readonly onProgress: (queue: EventQueue) => void,
    private readonly onClose: () => void,
  ) {
    if (signal?.aborted) this.ended = true;
    signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  get closed(): boolean {
    return this.ended;
  }

  push(event: WatchEvent): void {
    if (this.ended || this.failure) return;
    this.events.push(event);
    this.wake();
  }

  fail(err: Error): void {
    if (this.ended || this.failure) return;
    this.failure = err;
    this.wake();
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.signal?.removeEventListener('abort', this.onAbort);
    this.onClose();
    this.wake();
  }

  requestProgress(): void {
    if (!this.ended) this.onProgress(this);
  }

  private wake(): void {
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<WatchEvent> {
    try {
      for (;;) {
        if (this.ended) return;
        const event = this.events.shift();
        if (event !== undefined) {
          yield event;
          continue;
        }
        if (this.failure) throw this.failure;
        await new Promise<void>((resolve) => { this.waiter = resolve; });
      }
    } finally {
      this.end();
    }
  }
}
