import type { Command } from '../command.js';
import { enc } from '../command.js';
import { StatusError } from '../flags.js';
import { forwardSignals, holdHijacked, monitorTtySize, setRawTerminal } from '../stream.js';

interface Info {
  Id: string;
  State: { Running: boolean; Paused: boolean; Restarting: boolean };
  Config: { Tty: boolean; OpenStdin: boolean };
}

export const command: Command = {
  spec: {
    name: 'attach',
    usage: '[OPTIONS] CONTAINER',
    description: 'Attach local standard input, output, and error streams to a running container',
    aliases: ['container attach', 'attach'],
    flags: [
      { name: 'detach-keys', kind: 'string', help: 'Override the key sequence for detaching a container' },
      { name: 'no-stdin', kind: 'bool', help: 'Do not attach STDIN' },
      { name: 'sig-proxy', kind: 'bool', help: 'Proxy all received signals to the process', default: true },
    ],
    exactArgs: 1,
  },
  async run(ctx, p) {
    const client = ctx.client();
    const c = await client.get<Info>(`/containers/${enc(p.args[0])}/json`);
    if (!c.State.Running) throw new StatusError('You cannot attach to a stopped container, start it first', 1);
    if (c.State.Paused) throw new StatusError('You cannot attach to a paused container, unpause it first', 1);
    if (c.State.Restarting) throw new StatusError('You cannot attach to a restarting container, wait until it is running', 1);
    const tty = c.Config.Tty;
    const stdin = !p.bool('no-stdin') && c.Config.OpenStdin;
    const conn = await client.hijack(`/containers/${enc(c.Id)}/attach`, {
      stream: true,
      stdin,
      stdout: true,
      stderr: true,
      detachKeys: p.str('detach-keys') || undefined,
    });
    const restore = stdin && tty ? setRawTerminal(ctx.in) : () => {};
    const stopResize = tty ? monitorTtySize(client, `/containers/${enc(c.Id)}`, ctx.out, true) : () => {};
    const stopSignals = !tty && p.bool('sig-proxy') ? forwardSignals(client, c.Id) : () => {};
    try {
      const how = await holdHijacked(conn, { stdin, stdout: true, stderr: true, tty, detachKeys: p.str('detach-keys'), input: ctx.in, output: ctx.out, errorOutput: ctx.err });
      // docker returns term.EscapeError from attach: printed, exit 1
      if (how === 'detached') throw new StatusError('read escape sequence', 1);
    } finally {
      stopSignals();
      stopResize();
      restore();
    }
    const r = await client.post<{ StatusCode: number }>(`/containers/${enc(c.Id)}/wait`);
    return r.StatusCode;
  },
};
