import type { Command } from '../command.js';
import { enc } from '../command.js';
import { envValue, readKVFile } from '../kvfile.js';
import { StatusError } from '../flags.js';
import { holdHijacked, monitorTtySize, setRawTerminal } from '../stream.js';

export const command: Command = {
  spec: {
    name: 'exec',
    usage: '[OPTIONS] CONTAINER COMMAND [ARG...]',
    description: 'Execute a command in a running container',
    aliases: ['container exec', 'exec'],
    flags: [
      { name: 'detach', short: 'd', kind: 'bool', help: 'Detached mode: run command in the background' },
      { name: 'detach-keys', kind: 'string', help: 'Override the key sequence for detaching a container' },
      { name: 'env', short: 'e', kind: 'list', type: 'list', help: 'Set environment variables' },
      { name: 'env-file', kind: 'list', type: 'list', help: 'Read in a file of environment variables' },
      { name: 'interactive', short: 'i', kind: 'bool', help: 'Keep STDIN open even if not attached' },
      { name: 'privileged', kind: 'bool', help: 'Give extended privileges to the command' },
      { name: 'tty', short: 't', kind: 'bool', help: 'Allocate a pseudo-TTY' },
      { name: 'user', short: 'u', kind: 'string', help: 'Username or UID (format: "<name|uid>[:<group|gid>]")' },
      { name: 'workdir', short: 'w', kind: 'string', help: 'Working directory inside the container' },
    ],
    stopAtPositional: true,
    minArgs: 2,
  },
  async run(ctx, p) {
    const client = ctx.client();
    const [container, ...cmd] = p.args;
    const tty = p.bool('tty');
    const interactive = p.bool('interactive');
    const detach = p.bool('detach');
    if (tty && interactive && !ctx.inIsTerminal && !detach) throw new StatusError('the input device is not a TTY', 1);
    const env = [...p.list('env-file').flatMap((f) => readKVFile(f, ctx.env, true)), ...p.list('env').map((e) => envValue(e, ctx.env))];
    const created = await client.post<{ Id: string }>(`/containers/${enc(container)}/exec`, undefined, {
      User: p.str('user'),
      Privileged: p.bool('privileged'),
      Tty: tty,
      AttachStdin: interactive && !detach,
      AttachStdout: !detach,
      AttachStderr: !detach,
      DetachKeys: p.str('detach-keys'),
      Env: env,
      WorkingDir: p.str('workdir'),
      Cmd: cmd,
    });
    const id = created.Id;
    if (detach) {
      await client.post(`/exec/${enc(id)}/start`, undefined, { Detach: true, Tty: tty });
      return 0;
    }
    const conn = await client.hijack(`/exec/${enc(id)}/start`, undefined, { Detach: false, Tty: tty });
    const stdin = interactive;
    const restore = stdin && tty ? setRawTerminal(ctx.in) : () => {};
    const stopResize = tty ? monitorTtySize(client, `/exec/${enc(id)}`, ctx.out) : () => {};
    try {
      const how = await holdHijacked(conn, { stdin, stdout: true, stderr: true, tty, detachKeys: p.str('detach-keys'), input: ctx.in, output: ctx.out, errorOutput: ctx.err });
      if (how === 'detached') throw new StatusError('read escape sequence', 1);
    } finally {
      stopResize();
      restore();
    }
    const info = await client.get<{ ExitCode: number | null; Running?: boolean }>(`/exec/${enc(id)}/json`);
    return info.ExitCode ?? 0;
  },
};
