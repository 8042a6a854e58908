import type { HttpResponse } from '../client.js';
import type { Command, Ctx } from '../command.js';
import { enc, errorLine, println } from '../command.js';
import { StatusError } from '../flags.js';
import { bytesSize, humanSize, shortId } from '../format.js';
import { marshalFields, renderList } from '../listing.js';
import { jsonStream } from '../progress.js';

interface StatsJSON {
  id?: string;
  name?: string;
  cpu_stats?: { cpu_usage?: { total_usage?: number; percpu_usage?: number[] }; system_cpu_usage?: number; online_cpus?: number };
  precpu_stats?: { cpu_usage?: { total_usage?: number }; system_cpu_usage?: number };
  memory_stats?: { usage?: number; limit?: number; stats?: Record<string, number> };
  networks?: Record<string, { rx_bytes: number; tx_bytes: number }>;
  blkio_stats?: { io_service_bytes_recursive?: { op: string; value: number }[] | null };
  pids_stats?: { current?: number };
}

const fields = ['BlockIO', 'CPUPerc', 'Container', 'ID', 'MemPerc', 'MemUsage', 'Name', 'NetIO', 'PIDs'];

/** formatter.statsContext over one sample, computed as docker's stats helpers do. */
export class StatsRow {
  constructor(
    readonly Container: string,
    private s: StatsJSON | undefined,
    private trunc: boolean,
  ) {}
  get ID(): string {
    const id = this.s?.id ?? this.Container;
    return this.trunc ? shortId(id) : id;
  }
  get Name(): string {
    return (this.s?.name ?? '--').replace(/^\//, '');
  }
  get CPUPerc(): string {
    const s = this.s;
    if (!s) return '--';
    const cpuDelta = (s.cpu_stats?.cpu_usage?.total_usage ?? 0) - (s.precpu_stats?.cpu_usage?.total_usage ?? 0);
    const sysDelta = (s.cpu_stats?.system_cpu_usage ?? 0) - (s.precpu_stats?.system_cpu_usage ?? 0);
    const online = s.cpu_stats?.online_cpus || s.cpu_stats?.cpu_usage?.percpu_usage?.length || 0;
    const pct = sysDelta > 0 && cpuDelta > 0 ? (cpuDelta / sysDelta) * online * 100 : 0;
    return `${pct.toFixed(2)}%`;
  }
  private mem(): number {
    const m = this.s?.memory_stats;
    const st = m?.stats ?? {};
    const inactive = st.total_inactive_file !== undefined && st.total_inactive_file < (m?.usage ?? 0) ? st.total_inactive_file : st.inactive_file !== undefined && st.inactive_file < (m?.usage ?? 0) ? st.inactive_file : 0;
    return (m?.usage ?? 0) - inactive;
  }
  get MemUsage(): string {
    if (!this.s) return '-- / --';
    return `${bytesSize(this.mem())} / ${bytesSize(this.s.memory_stats?.limit ?? 0)}`;
  }
  get MemPerc(): string {
    if (!this.s) return '--';
    const limit = this.s.memory_stats?.limit ?? 0;
    return `${(limit ? (this.mem() / limit) * 100 : 0).toFixed(2)}%`;
  }
  get NetIO(): string {
    if (!this.s) return '--';
    let rx = 0;
    let tx = 0;
    for (const n of Object.values(this.s.networks ?? {})) {
      rx += n.rx_bytes;
      tx += n.tx_bytes;
    }
    return `${humanSize(rx, 3)} / ${humanSize(tx, 3)}`;
  }
  get BlockIO(): string {
    if (!this.s) return '--';
    let r = 0;
    let w = 0;
    for (const e of this.s.blkio_stats?.io_service_bytes_recursive ?? []) {
      if (e.op.toLowerCase() === 'read') r += e.value;
      else if (e.op.toLowerCase() === 'write') w += e.value;
    }
    return `${humanSize(r, 3)} / ${humanSize(w, 3)}`;
  }
  get PIDs(): string {
    return this.s ? String(this.s.pids_stats?.current ?? 0) : '--';
  }
  toJSON(): Record<string, unknown> {
    return marshalFields(this, fields);
  }
}

const headers = { Container: 'CONTAINER', ID: 'CONTAINER ID', Name: 'NAME', CPUPerc: 'CPU %', MemUsage: 'MEM USAGE / LIMIT', MemPerc: 'MEM %', NetIO: 'NET I/O', BlockIO: 'BLOCK I/O', PIDs: 'PIDS' };
const table = '{{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}';

async function targets(ctx: Ctx, args: string[], all: boolean): Promise<string[]> {
  if (args.length) return args;
  const list = await ctx.client().get<{ Id: string }[]>('/containers/json', { all: all || undefined });
  // docker names listed containers by their short ID (the "Container" field)
  return list.map((c) => c.Id.slice(0, 12));
}

export const command: Command = {
  spec: {
    name: 'stats',
    usage: '[OPTIONS] [CONTAINER...]',
    description: 'Display a live stream of container(s) resource usage statistics',
    aliases: ['container stats', 'stats'],
    flags: [
      { name: 'all', short: 'a', kind: 'bool', help: 'Show all containers (default shows just running)' },
      { name: 'format', kind: 'string', help: 'Format output using a custom template' },
      { name: 'no-stream', kind: 'bool', help: 'Disable streaming stats and only pull the first result' },
      { name: 'no-trunc', kind: 'bool', help: "Don't truncate output" },
    ],
  },
  async run(ctx, p) {
    const client = ctx.client();
    const names = await targets(ctx, p.args, p.bool('all'));
    const trunc = !p.bool('no-trunc');
    const render = (rows: StatsRow[]): string => renderList({ format: p.str('format'), table, headers }, rows);
    if (p.bool('no-stream')) {
      const rows: StatsRow[] = [];
      const errors: string[] = [];
      for (const n of names) {
        try {
          rows.push(new StatsRow(n, await client.get<StatsJSON>(`/containers/${enc(n)}/stats`, { stream: false }), trunc));
        } catch (e) {
          if (e instanceof Error && e.name === 'ConnectError') throw e;
          errors.push(errorLine(e));
        }
      }
      // docker: any container without stats fails the command before anything is drawn
      if (errors.length) throw new StatusError(errors.join('\n'), 1);
      ctx.out.write(render(rows));
      return 0;
    }
    const latest = new Map<string, StatsJSON | undefined>(names.map((n) => [n, undefined]));
    const streams: HttpResponse[] = [];
    const readers = names.map(async (n) => {
      try {
        const res = await client.stream('GET', `/containers/${enc(n)}/stats`, { query: { stream: true } });
        streams.push(res);
        for await (const s of jsonStream(res)) latest.set(n, s as StatsJSON);
      } catch (e) {
        println(ctx.err, errorLine(e));
        latest.delete(n);
      }
    });
    const tty = (ctx.out as { isTTY?: boolean }).isTTY === true;
    const draw = (): void => {
      const rows = [...latest].map(([n, s]) => new StatsRow(n, s, trunc));
      ctx.out.write(`${tty ? '\x1b[2J\x1b[H' : ''}${render(rows)}`);
    };
    const timer = setInterval(draw, 500);
    try {
      await Promise.all(readers);
    } finally {
      clearInterval(timer);
      for (const s of streams) s.destroy();
    }
    draw();
    return 0;
  },
};
