import type { Command } from '../command.js';
import { enc, println } from '../command.js';
import { StatusError } from '../flags.js';

type Bindings = Record<string, { HostIp: string; HostPort: string }[] | null>;

function hostPort(b: { HostIp: string; HostPort: string }): string {
  const ip = b.HostIp || '0.0.0.0';
  return ip.includes(':') ? `[${ip}]:${b.HostPort}` : `${ip}:${b.HostPort}`;
}

function portKey(k: string): [number, string] {
  const [n, proto = 'tcp'] = k.split('/');
  return [Number(n), proto];
}

export const command: Command = {
  spec: {
    name: 'port',
    usage: 'CONTAINER [PRIVATE_PORT[/PROTO]]',
    description: 'List port mappings or a specific mapping for the container',
    aliases: ['container port', 'port'],
    flags: [],
    minArgs: 1,
    maxArgs: 2,
  },
  async run(ctx, p) {
    const c = await ctx.client().get<{ NetworkSettings: { Ports?: Bindings | null } }>(`/containers/${enc(p.args[0])}/json`);
    const ports = c.NetworkSettings.Ports ?? {};
    if (p.args[1]) {
      const [port, proto = 'tcp'] = p.args[1].split('/');
      const key = `${port}/${proto}`;
      const list = ports[key];
      if (!list || !list.length) throw new StatusError(`Error: No public port '${key}' published for ${p.args[0]}`, 1);
      for (const b of list) println(ctx.out, hostPort(b));
      return 0;
    }
    const keys = Object.keys(ports).sort((a, b) => {
      const [na, pa] = portKey(a);
      const [nb, pb] = portKey(b);
      return na !== nb ? na - nb : pa < pb ? -1 : pa > pb ? 1 : 0;
    });
    for (const k of keys) for (const b of ports[k] ?? []) println(ctx.out, `${k} -> ${hostPort(b)}`);
    return 0;
  },
};
