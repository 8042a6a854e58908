/**
 * Restart policies at work, as dockerd's restart manager: a back-off per container (canceled by
 * stop, kill and rm), and the policy restarts under way, which stop/kill/rm wait to settle.
 * The container service decides when an exit restarts; this runs the restart and its retries.
 */
import type { ContainerRecord } from './model.js';
import { RestartManager } from './restart-policy.js';

/** What a policy restart needs of the container service. */
export interface RestartHost {
  /** Settles once the engine is ready to start containers (after boot). */
  readonly ready: Promise<void>;
  /** The engine shuts down: restarts due are left to the next engine. */
  closing(): boolean;
  /** The record is still the container's (not removed meanwhile). */
  current(rec: ContainerRecord): boolean;
  start(rec: ContainerRecord): Promise<void>;
  /** Docker's SetRestarting: still "running" for stop/rm/wait, without a process. */
  setRestarting(rec: ContainerRecord): void;
  save(rec: ContainerRecord): Promise<void>;
  /** The container stays down: waiters on its exit are woken. */
  stayedDown(rec: ContainerRecord): void;
}

export class PolicyRestarts {
  private readonly managers = new Map<string, RestartManager>();
  /** A policy restart waiting out its back-off or starting: settles once running or given up. */
  private readonly pendingRestarts = new Map<string, Promise<void>>();

  constructor(private readonly host: RestartHost) {}

  manager(rec: ContainerRecord): RestartManager {
    let m = this.managers.get(rec.Id);
    if (!m) {
      m = new RestartManager(rec.HostConfig.RestartPolicy);
      this.managers.set(rec.Id, m);
    }
    return m;
  }

  /** A manual start (start, restart, the engine's own at boot): fresh back-off, RestartCount 0. */
  reset(rec: ContainerRecord): void {
    this.forget(rec.Id);
    rec.RestartCount = 0;
    rec.ManuallyStopped = false;
  }

  /** The container is gone: its back-off ends. */
  forget(id: string): void {
    this.managers.get(id)?.cancel();
    this.managers.delete(id);
  }

  /** `docker update --restart`: the new policy applies to the next exit. */
  policyUpdated(rec: ContainerRecord): void {
    const m = this.managers.get(rec.Id);
    if (m) m.policy = rec.HostConfig.RestartPolicy;
  }

  pending(id: string): boolean {
    return this.pendingRestarts.has(id);
  }

  /** Ends a policy restart in progress (after the caller canceled the manager) and waits for it to settle. */
  async settle(rec: ContainerRecord): Promise<void> {
    for (let p = this.pendingRestarts.get(rec.Id); p; p = this.pendingRestarts.get(rec.Id)) await p;
  }

  /** Starts the container again after the back-off, while the policy says so (also when a start fails). */
  schedule(rec: ContainerRecord, delayMs: number): void {
    const rm = this.manager(rec);
    const host = this.host;
    const run = async (): Promise<void> => {
      let delay = delayMs;
      for (;;) {
        const go = await rm.wait(delay);
        await host.ready;
        // Shutting down: leave it restarting on disk; the next engine's adopt() restarts it.
        if (host.closing()) return;
        if (!go || !rec.State.Restarting || !host.current(rec)) break;
        try {
          await host.start(rec);
          return;
        } catch {
          // The start recorded the error (when it got that far); the policy decides again.
          if (rec.State.Restarting) rec.State = { ...rec.State, Status: 'exited', Running: false, Restarting: false };
        }
        const next = rm.shouldRestart({ exitCode: rec.State.ExitCode, manuallyStopped: rec.ManuallyStopped, restartCount: rec.RestartCount, ranMs: 0 });
        if (next === undefined) return;
        rec.RestartCount++;
        host.setRestarting(rec);
        await host.save(rec).catch(() => {});
        delay = next;
      }
      // Canceled (stop, kill, rm -f) or removed: it stays down.
      if (rec.State.Restarting) {
        rec.State = { ...rec.State, Status: 'exited', Running: false, Restarting: false };
        await host.save(rec).catch(() => {});
        host.stayedDown(rec);
      }
    };
    const p: Promise<void> = run().catch(() => {}).finally(() => {
      if (this.pendingRestarts.get(rec.Id) === p) this.pendingRestarts.delete(rec.Id);
    });
    this.pendingRestarts.set(rec.Id, p);
  }
}
