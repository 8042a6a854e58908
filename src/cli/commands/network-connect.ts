import type { Command } from '../command.js';
import { enc } from '../command.js';
import type { CommandSpec } from '../flags.js';
import { csvValue, stringSlice, validateLink } from '../network-opts.js';

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
    { name: 'alias', kind: 'list', type: 'strings', validate: csvValue, help: 'Add network-scoped alias for the container' },
    { name: 'driver-opt', kind: 'list', type: 'strings', validate: csvValue, help: 'driver options for the network' },
    { name: 'gw-priority', kind: 'int', help: 'Highest gw-priority provides the default gateway. Accepts positive and negative values.' },
    { name: 'ip', kind: 'string', help: 'IPv4 address (e.g., "172.30.100.104")' },
    { name: 'ip6', kind: 'string', help: 'IPv6 address (e.g., "2001:db8::33")' },
    { name: 'link', kind: 'list', validate: validateLink, help: 'Add link to another container' },
    { name: 'link-local-ip', kind: 'list', type: 'strings', validate: csvValue, help: 'Add a link-local address for the container' },
  ],
  exactArgs: 2,
};

export const command: Command = {
  spec,
  async run(ctx, p) {
    const aliases = stringSlice(p.list('alias'));
    const opts = stringSlice(p.list('driver-opt'));
    const linkLocal = stringSlice(p.list('link-local-ip'));
    const links = p.list('link');
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
