import type { Duplex } from 'node:stream';
import { ApiError } from '../client.js';
import type { Command, Ctx } from '../command.js';
import { enc, println } from '../command.js';
import { containerFlags } from '../container-opts.js';
import type { FlagSpec, Parsed } from '../flags.js';
import { StatusError } from '../flags.js';
import { forwardSignals, holdHijacked, monitorTtySize, setRawTerminal } from '../stream.js';
import { createContainer, parseCreate, runError } from './create.js';

/** docker's runStartContainerErr: 127 for a missing command, 126 for one that cannot run. */
export function startErrorCode(msg: string): number {
  if (/executable file not found|no such file or directory|system cannot find the file specified/.test(msg)) return 127;
  if (/permission denied|is a directory/.test(msg)) return 126;
  return 125;
}

interface WaitResult {
  StatusCode: number;
  Error?: { Message?: string } | null;
}

/** Registers the wait (its headers arrive at once) and returns the exit status promise. */
export async function waitExitOrRemoved(ctx: Ctx, id: string, autoRemove: boolean): Promise<{ exit: Promise<number> }> {
  const condition = autoRemove ? 'removed' : 'next-exit';
  const res = await ctx.client().stream('POST', `/containers/${enc(id)}/wait`, { query: { condition } });
  const exit = (async () => {
    const chunks: Buffer[] = [];
    for await (const c of res) chunks.push(c as Buffer);
    const text = Buffer.concat(chunks).toString('utf8').trim();
    const r = JSON.parse(text || '{"StatusCode":125}') as WaitResult;
    if (r.Error?.Message) {
      println(ctx.err, `Error waiting for container: ${r.Error.Message}`);
      return 125;
    }
    return r.StatusCode;
  })();
  exit.catch(() => undefined);
  return { exit };
}

export const command: Command = {
  spec: {
    name: 'run',
    usage: 'run [OPTIONS] IMAGE [COMMAND] [ARG...]'.slice(4),
    description: 'Create and run a new container from an image',
    aliases: ['container run', 'run'],
    flags: ([
      ...containerFlags,
      { name: 'detach', short: 'd', kind: 'bool', help: 'Run container in background and print container ID' },
      { name: 'detach-keys', kind: 'string', help: 'Override the key sequence for detaching a container' },
      { name: 'sig-proxy', kind: 'bool', help: 'Proxy received signals to the process', default: true },
    ] as FlagSpec[]).sort((a, b) => (a.name < b.name ? -1 : 1)),
    stopAtPositional: true,
    minArgs: 1,
  },
  run: runContainer,
};

async function runContainer(ctx: Ctx, p: Parsed): Promise<number> {
  const detach = p.bool('detach');
  const tty = p.bool('tty');
  const interactive = p.bool('interactive');
  const stdinTty = ctx.inIsTerminal;
  // docker's withHelp names "run" whichever way the command was invoked
  const cmdName = 'run';
  const req = parseCreate(ctx, p, cmdName);
  if (detach && p.list('attach').length) throw new StatusError('conflicting options: cannot specify both --attach and --detach', 1);
  if (tty && interactive && !stdinTty && !detach) {
    throw new StatusError('the input device is not a TTY', 1);
  }
  let id: string;
  try {
    ({ id } = await createContainer(ctx, p, req));
  } catch (e) {
    throw runError(e, cmdName, 125);
  }
  const client = ctx.client();
  if (detach) {
    try {
      await client.post(`/containers/${enc(id)}/start`);
    } catch (e) {
      throw runError(e, cmdName, startErrorCode((e as Error).message));
    }
    println(ctx.out, id);
    return 0;
  }

  const attach = p.list('attach').map((a) => a.toLowerCase());
  const io = {
    stdin: attach.length ? attach.includes('stdin') : interactive,
    stdout: attach.length ? attach.includes('stdout') : true,
    stderr: attach.length ? attach.includes('stderr') : true,
  };
  const autoRemove = p.bool('rm');
  let conn: Duplex | undefined;
  let status: { exit: Promise<number> };
  try {
    // attach and wait go out together (two connections): one round trip before start, not two
    const attached =
      io.stdin || io.stdout || io.stderr
        ? client.hijack(`/containers/${enc(id)}/attach`, {
            stream: true,
            stdin: io.stdin,
            stdout: io.stdout,
            stderr: io.stderr,
            detachKeys: p.str('detach-keys') || undefined,
          })
        : Promise.resolve(undefined);
    const waited = waitExitOrRemoved(ctx, id, autoRemove);
    [conn, status] = await Promise.all([attached, waited]);
  } catch (e) {
    throw runError(e, cmdName, 125);
  }

  const restore = io.stdin && tty ? setRawTerminal(ctx.in) : () => {};
  const session = conn
    ? holdHijacked(conn, { ...io, tty, detachKeys: p.str('detach-keys'), input: ctx.in, output: ctx.out, errorOutput: ctx.err })
    : undefined;
  // hold off unhandled rejections until we await it
  session?.catch(() => undefined);
  try {
    await client.post(`/containers/${enc(id)}/start`);
  } catch (e) {
    restore();
    conn?.destroy();
    if (autoRemove) await client.delete(`/containers/${enc(id)}`, { force: true }).catch(() => undefined);
    throw runError(e, cmdName, e instanceof ApiError ? startErrorCode(e.message) : 125);
  }
  const stopResize = tty ? monitorTtySize(client, `/containers/${enc(id)}`, ctx.out) : () => {};
  const stopSignals = !tty && p.bool('sig-proxy') ? forwardSignals(client, id) : () => {};
  try {
    if (session) {
      const how = await session;
      if (how === 'detached') return 0;
    }
    return await status.exit;
  } finally {
    stopSignals();
    stopResize();
    restore();
  }
}
