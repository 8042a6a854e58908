/**
 * A controller's work queue (client-go's workqueue): keys are deduplicated while waiting, one
 * worker takes them in order, and a failed key comes back after a growing delay.
 */
export class WorkQueue {
  private readonly waiting = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private wake: (() => void) | undefined;
  private stopped = false;
  private readonly done: Promise<void>;

  constructor(private readonly work: (key: string) => Promise<void>, private readonly onError: (key: string, err: unknown) => void) {
    this.done = this.run();
  }

  add(key: string): void {
    if (this.stopped) return;
    this.waiting.add(key);
    this.wake?.();
  }

  /** Adds key again after a delay that doubles with each failure (5 ms up to 5 s). */
  private retry(key: string): void {
    const n = (this.failures.get(key) ?? 0) + 1;
    this.failures.set(key, n);
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.add(key);
    }, Math.min(5 * 2 ** (n - 1), 5000));
    this.timers.add(timer);
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const next = this.waiting.values().next();
      if (next.done) {
        await new Promise<void>((resolve) => { this.wake = resolve; });
        this.wake = undefined;
        continue;
      }
      const key = next.value;
      this.waiting.delete(key);
      try {
        await this.work(key);
        this.failures.delete(key);
      } catch (err) {
        if (this.stopped) break;
        this.onError(key, err);
        this.retry(key);
      }
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.wake?.();
    await this.done;
  }
}
