/** `compose port`: the host address a service's container port is published on. */
import type { ComposeCommand } from '../cli/context.js';
import { StatusError } from '../../cli/flags.js';
import { api, serviceContainer } from './common.js';

export const command: ComposeCommand = {
  spec: {
    name: 'compose port',
    usage: '[OPTIONS] SERVICE PRIVATE_PORT',
    description: 'Print the public port for a port binding',
    flags: [
      { name: 'protocol', kind: 'string', default: 'tcp', help: 'tcp or udp' },
      { name: 'index', kind: 'int', help: 'Index of the container if service has multiple replicas' },
    ],
    exactArgs: 2,
  },
  async run(c, p) {
    const [service, port] = p.args as [string, string];
    const ct = await serviceContainer(c, service, p.has('index') ? p.num('index') : undefined);
    const info = await api(c).inspect(ct.Id);
    const bindings = info.NetworkSettings.Ports?.[`${port}/${p.str('protocol')}`] ?? [];
    const first = bindings.find((b) => !b.HostIp.includes(':')) ?? bindings[0];
    if (!first) throw new StatusError(`no port ${port}/${p.str('protocol')} for container ${info.Name.replace(/^\//, '')}: ${info.Name.replace(/^\//, '')}`, 1);
    c.out.write(`${first.HostIp.includes(':') ? `[${first.HostIp}]` : first.HostIp}:${first.HostPort}\n`);
    return 0;
  },
};
