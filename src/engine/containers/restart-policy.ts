import type { RestartPolicy } from './model.js';

/** Docker's restart back-off (restartmanager): 100 ms, doubling, at most a minute. */
export const FIRST_DELAY_MS = 100;
export const MAX_DELAY_MS = 60_000;
/** A run at least this long resets the back-off. */
export const RESET_AFTER_MS = 10_000;

export function isNoRestart(p: RestartPolicy | undefined): boolean {
  return !p || p.Name === '' || p.Name === 'no';
}

/** The delay before the next restart, given the previous one (0 for none yet) and how long the container ran. */
export function nextDelay(previousMs: number, ranMs: number): number {
  const prev = ranMs >= RESET_AFTER_MS ? 0 : previousMs;
  if (prev === 0) return FIRST_DELAY_MS;
  return Math.min(prev * 2, MAX_DELAY_MS);
}

export interface ExitFacts {
  exitCode: number;
  /** The user stopped or killed it (unless-stopped then stays down). */
  manuallyStopped: boolean;
  /** Restarts so far (on-failure:N allows N). */
  restartCount: number;
}

/** Whether the policy restarts a container that exited so (docker's ShouldRestart, without the back-off). */
export function policyRestarts(p: RestartPolicy | undefined, f: ExitFacts): boolean {
  if (isNoRestart(p)) return false;
  switch (p!.Name) {
    case 'always':
      return true;
    case 'unless-stopped':
      return !f.manuallyStopped;
    case 'on-failure': {
      const max = p!.MaximumRetryCount ?? 0;
      return (max === 0 || f.restartCount < max) && f.exitCode !== 0;
    }
    default:
      return false;
  }
}

/**
 * One container's restart state while the engine runs: its back-off and whether the user ended
 * restarting (stop, kill). A manual start replaces it with a fresh one, as docker's does.
 */
export class RestartManager {
  private delayMs = 0;
  private canceledFlag = false;
  private readonly abort = new AbortController();

  constructor(public policy: RestartPolicy | undefined) {}

  get canceled(): boolean {
    return this.canceledFlag;
  }

  /** The delay before restarting, or undefined when the container stays down. */
  shouldRestart(f: ExitFacts & { ranMs: number }): number | undefined {
    if (isNoRestart(this.policy) || this.canceledFlag) return undefined;
    // The back-off advances on every exit the policy sees, restarted or not (as docker's).
    this.delayMs = nextDelay(this.delayMs, f.ranMs);
    return policyRestarts(this.policy, f) ? this.delayMs : undefined;
  }

  /** Waits out the delay: true to go on with the restart, false if canceled meanwhile. */
  wait(ms: number): Promise<boolean> {
    if (this.canceledFlag) return Promise.resolve(false);
    return new Promise((resolve) => {
      const done = (go: boolean): void => {
        clearTimeout(timer);
        this.abort.signal.removeEventListener('abort', onAbort);
        resolve(go);
      };
      const onAbort = (): void => done(false);
      const timer = setTimeout(() => done(true), ms);
      this.abort.signal.addEventListener('abort', onAbort);
    });
  }

  /** Ends restarting for good (this manager's life). */
  cancel(): void {
    if (this.canceledFlag) return;
    this.canceledFlag = true;
    this.abort.abort();
  }
}
