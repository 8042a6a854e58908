/**
 * The real-time CPU budget of containers' parent cgroups (cgroup v1, CONFIG_RT_GROUP_SCHED), as
 * dockerd's initCPURtController: a cgroup's tasks get real-time time only out of what each of
 * its ancestors was given, and a new cgroup is given none. The daemon's --cpu-rt-period and
 * --cpu-rt-runtime are written into every ancestor of the containers' parent before a container
 * asking for a real-time budget starts; without them (dockerd's default) its start fails as the
 * kernel refuses the container's own budget.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SystemError, messageOf } from '../../core/errors.js';

export interface CpuRealtimeBudget {
  /** Microseconds; 0 or undefined: left as it is. */
  period?: number;
  runtime?: number;
}

function cpuMount(): string | undefined {
  return ['/sys/fs/cgroup/cpu', '/sys/fs/cgroup/cpu,cpuacct'].find((d) => existsSync(join(d, 'cpu.rt_period_us')));
}

/** Gives each ancestor of `parent` (from the top; the root cgroup is the kernel's) the daemon's budget. */
export function initCpuRealtimeParents(parent: string, budget: CpuRealtimeBudget): void {
  const mnt = cpuMount();
  if (!mnt || (!budget.period && !budget.runtime)) return;
  const parts = parent.split('/').filter(Boolean);
  try {
    for (let i = 1; i <= parts.length; i++) {
      const dir = join(mnt, ...parts.slice(0, i));
      mkdirSync(dir, { recursive: true, mode: 0o755 });
      // The period first: a runtime is checked against it. Unchanged values are not rewritten,
      // as another engine's containers may hold budget under the same parent.
      for (const [file, v] of [['cpu.rt_period_us', budget.period], ['cpu.rt_runtime_us', budget.runtime]] as const) {
        if (!v || readFileSync(join(dir, file), 'utf8').trim() === String(v)) continue;
        writeFileSync(join(dir, file), String(v));
      }
    }
  } catch (err) {
    throw new SystemError(`failed to init CPU RT controller: ${messageOf(err)}`);
  }
}
