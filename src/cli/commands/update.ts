import type { Command } from '../command.js';
import { enc, forEach, println } from '../command.js';
import { parseRestart } from '../container-opts.js';
import { StatusError } from '../flags.js';
import { parseRamBytes } from '../format.js';

function bytes(v: string, label: string): number {
  if (v === '-1') return -1;
  try {
    return parseRamBytes(v);
  } catch (e) {
    throw new StatusError(`invalid argument "${v}" for "${label}" flag: ${(e as Error).message}`, 125);
  }
}

export const command: Command = {
  spec: {
    name: 'update',
    usage: '[OPTIONS] CONTAINER [CONTAINER...]',
    description: 'Update configuration of one or more containers',
    aliases: ['container update', 'update'],
    flags: [
      { name: 'blkio-weight', kind: 'int', type: 'uint16', help: 'Block IO (relative weight), between 10 and 1000, or 0 to disable' },
      { name: 'cpu-period', kind: 'int', help: 'Limit CPU CFS (Completely Fair Scheduler) period' },
      { name: 'cpu-quota', kind: 'int', help: 'Limit CPU CFS (Completely Fair Scheduler) quota' },
      { name: 'cpu-shares', short: 'c', kind: 'int', help: 'CPU shares (relative weight)' },
      { name: 'cpus', kind: 'float', type: 'decimal', help: 'Number of CPUs' },
      { name: 'cpuset-cpus', kind: 'string', help: 'CPUs in which to allow execution (0-3, 0,1)' },
      { name: 'cpuset-mems', kind: 'string', help: 'MEMs in which to allow execution (0-3, 0,1)' },
      { name: 'memory', short: 'm', kind: 'string', type: 'bytes', help: 'Memory limit' },
      { name: 'memory-reservation', kind: 'string', type: 'bytes', help: 'Memory soft limit' },
      { name: 'memory-swap', kind: 'string', type: 'bytes', help: "Swap limit equal to memory plus swap: -1 to enable unlimited swap" },
      { name: 'pids-limit', kind: 'int', help: 'Tune container pids limit (set -1 for unlimited)' },
      { name: 'restart', kind: 'string', help: 'Restart policy to apply when a container exits' },
    ],
    minArgs: 1,
  },
  async run(ctx, p) {
    if (![...p.set].some((f) => f !== 'help')) throw new StatusError('you must provide one or more flags when using this command', 1);
    const body: Record<string, unknown> = {
      BlkioWeight: p.has('blkio-weight') ? p.num('blkio-weight') : undefined,
      CpuPeriod: p.has('cpu-period') ? p.num('cpu-period') : undefined,
      CpuQuota: p.has('cpu-quota') ? p.num('cpu-quota') : undefined,
      CpuShares: p.has('cpu-shares') ? p.num('cpu-shares') : undefined,
      NanoCpus: p.has('cpus') ? Math.round(p.num('cpus') * 1e9) : undefined,
      CpusetCpus: p.has('cpuset-cpus') ? p.str('cpuset-cpus') : undefined,
      CpusetMems: p.has('cpuset-mems') ? p.str('cpuset-mems') : undefined,
      Memory: p.has('memory') ? bytes(p.str('memory'), '-m, --memory') : undefined,
      MemoryReservation: p.has('memory-reservation') ? bytes(p.str('memory-reservation'), '--memory-reservation') : undefined,
      MemorySwap: p.has('memory-swap') ? bytes(p.str('memory-swap'), '--memory-swap') : undefined,
      PidsLimit: p.has('pids-limit') ? p.num('pids-limit') : undefined,
      RestartPolicy: p.has('restart') ? parseRestart(p.str('restart')) : undefined,
    };
    return forEach(ctx, p.args, async (name) => {
      const r = await ctx.client().post<{ Warnings?: string[] | null }>(`/containers/${enc(name)}/update`, undefined, body);
      for (const w of r?.Warnings ?? []) println(ctx.err, w);
      return name;
    }, (failed) => `Error: failed to update containers: ${failed.join(', ')}`);
  },
};
