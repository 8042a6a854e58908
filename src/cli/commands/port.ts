import type { Command } from '../command.js';
import { enc, println } from '../command.js';
import { StatusError } from '../flags.js';
import { naturalLess } from '../format.js';

type Bindings = Record<string, { HostIp: string; HostPort: string }[] | null>;

/** net.JoinHostPort */
function joinHostPort(host: string, port: string): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
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
    const [name, wanted] = p.args;
    const c = await ctx.client().get<{ NetworkSettings: { Ports?: Bindings | null } }>(`/containers/${enc(name)}/json`);
    const ports = c.NetworkSettings.Ports ?? {};
    const out: string[] = [];
    if (wanted !== undefined) {
      const slash = wanted.indexOf('/');
      const port = slash < 0 ? wanted : wanted.slice(0, slash);
      const proto = (slash < 0 ? '' : wanted.slice(slash + 1)) || 'tcp';
      if (!/^\d+$/.test(port) || Number(port) > 65535) {
        const why = /^\d+$/.test(port) ? 'value out of range' : 'invalid syntax';
        throw new StatusError(`Error: invalid port (${port}): strconv.ParseUint: parsing ${JSON.stringify(port)}: ${why}`, 1);
      }
      const frontends = ports[`${port}/${proto}`];
      if (!frontends?.length) throw new StatusError(`Error: No public port '${wanted}' published for ${name}`, 1);
      for (const f of frontends) out.push(joinHostPort(f.HostIp, f.HostPort));
    } else {
      for (const [from, frontends] of Object.entries(ports)) for (const f of frontends ?? []) out.push(`${from} -> ${joinHostPort(f.HostIp, f.HostPort)}`);
    }
    // docker sorts the lines as text, numbers by value
    out.sort((a, b) => (naturalLess(a, b) ? -1 : naturalLess(b, a) ? 1 : 0));
    if (out.length) println(ctx.out, out.join('\n'));
    return 0;
  },
};
