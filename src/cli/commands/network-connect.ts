import type { Command } from '../command.js';
import { enc } from '../command.js';
import type { CommandSpec } from '../flags.js';
import { UsageError } from '../flags.js';
import { stringSlice, validateLink } from '../network-opts.js';

/** convertDriverOpt: key=value pairs, blanks around each trimmed. */
function driverOpts(values: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const opt of values) {
    const eq = opt.indexOf('=');
    const k = (eq < 0 ? opt : opt.slice(0, eq)).trim();
    if (eq < 0 || k === '') throw new Error('invalid key/value pair format in driver options');
    out[k] = opt.slice(eq + 1).trim();
  }
  return out;
}

const spec: CommandSpec = {
  name: 'network connect',
  usage: '[OPTIONS] NETWORK CONTAINER',
  description: 'Connect a container to a network',
  flags: [
    { name: 'alias', kind: 'list', type: 'strings', help: 'Add network-scoped alias for the container' },
    { name: 'driver-opt', kind: 'list', type: 'strings', help: 'driver options for the network' },
    { name: 'gw-priority', kind: 'int', help: 'Highest gw-priority provides the default gateway. Accepts positive and negative values.' },
    { name: 'ip', kind: 'string', help: 'IPv4 address (e.g., "172.30.100.104")' },
    { name: 'ip6', kind: 'string', help: 'IPv6 address (e.g., "2001:db8::33")' },
    { name: 'link', kind: 'list', help: 'Add link to another container' },
    { name: 'link-local-ip', kind: 'list', type: 'strings', help: 'Add a link-local address for the container' },
  ],
  exactArgs: 2,
};

export const command: Command = {
  spec,
  async run(ctx, p) {
    const used = { ...spec, name: ctx.command ?? spec.name };
    const flagValue = (name: string, read: (v: string) => string[]): string[] =>
      p.list(name).flatMap((v) => {
        try {
          return read(v);
        } catch (e) {
          throw new UsageError(`invalid argument ${JSON.stringify(v)} for "--${name}" flag: ${(e as Error).message}`, used, 125);
        }
      });
    const aliases = flagValue('alias', (v) => stringSlice([v]));
    const opts = flagValue('driver-opt', (v) => stringSlice([v]));
    const linkLocal = flagValue('link-local-ip', (v) => stringSlice([v]));
    const links = flagValue('link', (v) => [validateLink(v)]);
    const ipam: Record<string, unknown> = {};
    if (p.str('ip')) ipam.IPv4Address = p.str('ip');
    if (p.str('ip6')) ipam.IPv6Address = p.str('ip6');
    if (linkLocal.length) ipam.LinkLocalIPs = linkLocal;
    const [network, container] = p.args;
    await ctx.client().post(`/networks/${enc(network)}/connect`, undefined, {
      Container: container,
      EndpointConfig: {
        IPAMConfig: ipam,
        Links: links.length ? links : null,
        Aliases: aliases,
        DriverOpts: driverOpts(opts),
        GwPriority: p.num('gw-priority'),
      },
    });
    return 0;
  },
};
