import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Conflict, InvalidArgument, SystemError } from '../../core/errors.js';
import type { ContainerService } from '../containers/service.js';
import type { HostConfig } from '../containers/model.js';
import { validateHostConfig, validateRestartPolicy } from '../containers/create-config.js';
import { isNoRestart } from '../containers/restart-policy.js';
import { readInterfaceStats } from '../networks/interface-stats.js';
import type { Router } from './router.js';
import { adaptUpdateRequest, statsOneShot } from './versions.js';
import { CONTAINER_UPDATE } from './body-types.js';

const run = promisify(execFile);

/** Routes about a container's processes and resources: top, stats, update. */
export function containerProcessRoutes(r: Router, svc: ContainerService): void {
  r.on('GET', '/containers/:id/top', async (ctx) => {
    const rec = svc.get(ctx.param('id'));
    if (!rec.State.Running) throw new Conflict(`container ${rec.Id} is not running`);
    const psArgs = ctx.query.get('ps_args') || '-ef';
    // dockerd's validatePSArgs: only the pid column may be renamed to PID.
    for (const m of psArgs.matchAll(/\s+(\S*)=\s*(PID\S*)/g)) {
      if (m[1] !== 'pid') throw new InvalidArgument(`specifying "${m[1]}=${m[2]}" is not allowed`);
    }
    const pids = new Set(await svc.runtime.pids(rec.Id));
    const args = psArgs.split(' ').filter(Boolean);
    let out: string;
    try {
      // As dockerd: the container's processes asked for with -q (which BSD-style arguments need
      // to select anything without a terminal), then without it for options q conflicts with.
      out = (await run('ps', [...args, `-q${[...pids].join(',')}`], { maxBuffer: 16 << 20 })).stdout;
    } catch {
      try {
        out = (await run('ps', args, { maxBuffer: 16 << 20 })).stdout;
      } catch (err) {
        const e = err as { stderr?: string; code?: unknown };
        const first = (e.stderr ?? '').split('\n')[0]?.trim();
        // ps refusing the arguments given is the request's fault; no ps at all is the host's.
        if (typeof e.code === 'number') throw new InvalidArgument(`ps: ${first || `exit status ${e.code}`}`);
        throw new SystemError(`ps: ${first || (err as Error).message}`);
      }
    }
    const lines = out.split('\n').filter((l) => l.trim());
    const titles = lines[0]!.trim().split(/\s+/);
    const pidCol = titles.indexOf('PID');
    if (pidCol < 0) throw new InvalidArgument(`Couldn't find PID field in ps output`);
    const processes: string[][] = [];
    for (const line of lines.slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (!pids.has(Number(fields[pidCol]))) continue;
      // The last column (the command) may contain spaces.
      processes.push([...fields.slice(0, titles.length - 1), fields.slice(titles.length - 1).join(' ')]);
    }
    svc.emit('event', { action: 'top', rec });
    ctx.send(200, { Titles: titles, Processes: processes });
  });

  r.on('GET', '/containers/:id/stats', async (ctx) => {
    const rec = svc.get(ctx.param('id'));
    const stream = ctx.query.get('stream') === null ? true : ctx.flag('stream');
    const oneShot = statsOneShot(ctx.version, ctx.flag('one-shot'));
    const sample = async (): Promise<Record<string, unknown>> => {
      const base = rec.State.Running ? await svc.runtime.stats(rec.Id).catch(() => emptyStats()) : emptyStats();
      // The counters of the container's own interfaces (none for host, none or container: modes).
      const ifnames = Object.values(rec.NetworkSettings?.Networks ?? {}).flatMap((ep) => (ep.ifname ? [ep.ifname] : []));
      const networks = rec.State.Running && rec.State.Pid && ifnames.length
        ? await readInterfaceStats(rec.State.Pid, ifnames).catch(() => undefined)
        : undefined;
      return { name: rec.Name, id: rec.Id, ...base, ...(networks ? { networks } : {}) };
    };
    // Docker's first sample carries the previous CPU reading so clients can compute a percentage.
    let prev = await sample();
    if (!stream) {
      if (!oneShot && rec.State.Running) {
        await new Promise((r) => setTimeout(r, 1000));
        const cur = await sample();
        ctx.send(200, { ...cur, precpu_stats: prev.cpu_stats });
      } else ctx.send(200, { ...prev, precpu_stats: emptyStats().cpu_stats });
      return;
    }
    const res = ctx.stream('application/json');
    let closed = false;
    res.on('close', () => { closed = true; });
    res.write(JSON.stringify({ ...prev, precpu_stats: emptyStats().cpu_stats }) + '\n');
    while (!closed) {
      await new Promise((r) => setTimeout(r, 1000));
      if (closed) break;
      const cur = await sample();
      res.write(JSON.stringify({ ...cur, precpu_stats: prev.cpu_stats }) + '\n');
      prev = cur;
      if (!rec.State.Running) break;
    }
    res.end();
  });

  r.on('POST', '/containers/:id/update', async (ctx) => {
    const body: HostConfig = await ctx.bodyOf<HostConfig>(CONTAINER_UPDATE); // the body first, as dockerd: a bad one is a 400 whatever the container
    adaptUpdateRequest(ctx.version, body);
    const rec = svc.get(ctx.param('id'));
    const next: HostConfig = { ...rec.HostConfig };
    // dockerd's UpdateContainer: NanoCpus and CpuPeriod/CpuQuota exclude each other across updates.
    const cur = rec.HostConfig;
    if (body.NanoCpus && cur.CpuPeriod) throw new Conflict('Conflicting options: Nano CPUs cannot be updated as CPU Period has already been set');
    if (body.NanoCpus && cur.CpuQuota) throw new Conflict('Conflicting options: Nano CPUs cannot be updated as CPU Quota has already been set');
    if (body.CpuPeriod && cur.NanoCpus) throw new Conflict('Conflicting options: CPU Period cannot be updated as NanoCPUs has already been set');
    if (body.CpuQuota && cur.NanoCpus) throw new Conflict('Conflicting options: CPU Quota cannot be updated as NanoCPUs has already been set');
    for (const k of ['Memory', 'MemorySwap', 'MemoryReservation', 'NanoCpus', 'CpuShares', 'CpuPeriod', 'CpuQuota', 'CpusetCpus', 'CpusetMems', 'PidsLimit', 'BlkioWeight'] as const) {
      if (body[k] !== undefined && body[k] !== null && body[k] !== 0 && body[k] !== '') (next as Record<string, unknown>)[k] = body[k];
    }
    // The CLI always sends a RestartPolicy; an empty name means "unchanged" (docker's UpdateContainer).
    if (body.RestartPolicy?.Name) {
      validateRestartPolicy(body.RestartPolicy);
      if (rec.HostConfig.AutoRemove && !isNoRestart(body.RestartPolicy)) {
        throw new Conflict(`Cannot update container ${rec.Id}: Restart policy cannot be updated because AutoRemove is enabled for the container`);
      }
      next.RestartPolicy = { Name: body.RestartPolicy.Name, MaximumRetryCount: body.RestartPolicy.MaximumRetryCount ?? 0 };
    }
    if (body.Memory && !body.MemorySwap && rec.HostConfig.MemorySwap && rec.HostConfig.MemorySwap > 0 && rec.HostConfig.MemorySwap < body.Memory) {
      throw new Conflict('Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time');
    }
    if (body.NanoCpus) {
      next.CpuPeriod = 0;
      next.CpuQuota = 0;
    }
    const warnings: string[] = [];
    const checked = validateHostConfig(next, undefined, warnings);
    next.BlkioWeight = checked.BlkioWeight;
    if (rec.State.Running) {
      await svc.runtime.update(rec.Id, {
        memory: body.Memory || undefined,
        memorySwap: body.MemorySwap || (body.Memory && !next.MemorySwap ? body.Memory * 2 : undefined),
        memoryReservation: body.MemoryReservation || undefined,
        nanoCpus: body.NanoCpus || undefined,
        cpuShares: body.CpuShares || undefined,
        cpuPeriod: body.CpuPeriod || undefined,
        cpuQuota: body.CpuQuota || undefined,
        cpusetCpus: body.CpusetCpus || undefined,
        cpusetMems: body.CpusetMems || undefined,
        pidsLimit: body.PidsLimit || undefined,
        blkioWeight: next.BlkioWeight !== rec.HostConfig.BlkioWeight ? next.BlkioWeight || undefined : undefined,
      });
    }
    rec.HostConfig = next;
    svc.restartPolicyUpdated(rec);
    await svc.store.save(rec);
    svc.emit('event', { action: 'update', rec });
    ctx.send(200, { Warnings: warnings });
  });
}

function emptyStats(): Record<string, unknown> {
  return {
    read: '0001-01-01T00:00:00Z',
    preread: '0001-01-01T00:00:00Z',
    pids_stats: {},
    blkio_stats: { io_service_bytes_recursive: null, io_serviced_recursive: null, io_queue_recursive: null, io_service_time_recursive: null, io_wait_time_recursive: null, io_merged_recursive: null, io_time_recursive: null, sectors_recursive: null },
    num_procs: 0,
    storage_stats: {},
    cpu_stats: { cpu_usage: { total_usage: 0, usage_in_kernelmode: 0, usage_in_usermode: 0 }, throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 } },
    memory_stats: {},
  };
}
