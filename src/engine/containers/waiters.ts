/**
 * Docker's wait conditions (POST /containers/{id}/wait?condition=): who waits for which end of a
 * container, woken with its exit code when that end comes.
 */
export type WaitCondition = 'not-running' | 'next-exit' | 'removed';

/** What happened to the container: its process ended, it was removed, or its start failed. */
export type WakeReason = 'exit' | 'removed' | 'start-failed';

interface Waiter {
  condition: WaitCondition;
  resolve: (code: number) => void;
}

export class Waiters {
  private readonly byId = new Map<string, Waiter[]>();

  /** Resolves when the condition is met for the container (an abort drops the waiter). */
  wait(id: string, condition: WaitCondition, signal?: AbortSignal): Promise<number> {
    return new Promise<number>((resolve) => {
      const w: Waiter = { condition, resolve };
      const list = this.byId.get(id) ?? [];
      list.push(w);
      this.byId.set(id, list);
      signal?.addEventListener('abort', () => {
        const l = this.byId.get(id);
        if (l) this.byId.set(id, l.filter((x) => x !== w));
      });
    });
  }

  wake(id: string, code: number, why: WakeReason): void {
    const list = this.byId.get(id);
    if (!list) return;
    const keep: Waiter[] = [];
    for (const w of list) {
      if (why === 'removed' || (w.condition !== 'removed' && why === 'exit') || (why === 'start-failed' && w.condition === 'not-running')) {
        w.resolve(code);
      } else keep.push(w);
    }
    if (keep.length) this.byId.set(id, keep);
    else this.byId.delete(id);
  }
}
