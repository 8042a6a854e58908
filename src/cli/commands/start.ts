import type { Command } from '../command.js';
import { enc, errorLine, println } from '../command.js';
import { StatusError } from '../flags.js';
import { forwardSignals, holdHijacked, monitorTtySize, setRawTerminal } from '../stream.js';
import { waitExitOrRemoved } from './run.js';

interface Info {
  Id: string;
  Config: { Tty: boolean; OpenStdin: boolean };
  HostConfig?: { AutoRemove?: boolean };
}

export const command: Command = {
  spec: {
    name: 'start',
    usage: '[OPTIONS] CONTAINER [CONTAINER...]',
    description: 'Start one or more stopped containers',
    aliases: ['container start', 'start'],
    flags: [
      { name: 'attach', short: 'a', kind: 'bool', help: 'Attach STDOUT/STDERR and forward signals' },
      { name: 'detach-keys', kind: 'string', help: 'Override the key sequence for detaching a container' },
      { name: 'interactive', short: 'i', kind: 'bool', help: "Attach container's STDIN" },
    ],
    minArgs: 1,
  },
  async run(ctx, p) {
    const client = ctx.client();
    if (p.bool('attach') || p.bool('interactive')) {
      if (p.args.length > 1) throw new StatusError('you cannot start and attach multiple containers at once', 1);
      const c = await client.get<Info>(`/containers/${enc(p.args[0])}/json`);
      const tty = c.Config.Tty;
      const stdin = p.bool('interactive') && c.Config.OpenStdin;
      const conn = await client.hijack(`/containers/${enc(c.Id)}/attach`, {
        stream: true,
        stdin,
        stdout: true,
        stderr: true,
        detachKeys: p.str('detach-keys') || undefined,
      });
      const status = await waitExitOrRemoved(ctx, c.Id, c.HostConfig?.AutoRemove === true);
      const restore = stdin && tty ? setRawTerminal(ctx.in) : () => {};
      const session = holdHijacked(conn, { stdin, stdout: true, stderr: true, tty, detachKeys: p.str('detach-keys'), input: ctx.in, output: ctx.out, errorOutput: ctx.err });
      session.catch(() => undefined);
      const stopSignals = tty ? () => {} : forwardSignals(client, c.Id);
      try {
        await client.post(`/containers/${enc(c.Id)}/start`);
        const stopResize = tty ? monitorTtySize(client, `/containers/${enc(c.Id)}`, ctx.out) : () => {};
        const how = await session;
        stopResize();
        if (how === 'detached') return 0;
        return await status.exit;
      } finally {
        stopSignals();
        restore();
      }
    }
    const failed: string[] = [];
    for (const name of p.args) {
      try {
        await client.post(`/containers/${enc(name)}/start`);
        println(ctx.out, name);
      } catch (e) {
        println(ctx.err, errorLine(e));
        failed.push(name);
      }
    }
    if (failed.length) throw new StatusError(`Error: failed to start containers: ${failed.join(', ')}`, 1);
    return 0;
  },
};
