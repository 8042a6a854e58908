import type { ExecConfig, ExecService } from '../containers/exec.js';
import type { Router } from './router.js';
import { EXEC_CREATE, EXEC_START } from './body-types.js';
import { EscapeProxy, FrameFilter, Framer, MULTIPLEXED_STREAM, RAW_STREAM, frame, parseDetachKeys } from './streams.js';
import { messageOf } from '../../core/errors.js';

export function execRoutes(r: Router, execs: ExecService): void {
  r.on('POST', '/containers/:id/exec', async (ctx) => {
    const config = await ctx.bodyOf<ExecConfig>(EXEC_CREATE);
    if (config.DetachKeys) parseDetachKeys(config.DetachKeys);
    ctx.send(201, { Id: execs.create(ctx.param('id'), config) });
  });

  r.on('POST', '/exec/:id/start', async (ctx) => {
    const id = ctx.param('id');
    const body = await ctx.bodyOf<{ Detach: boolean; Tty: boolean; ConsoleSize: [number, number] }>(EXEC_START);
    const session = execs.get(id);
    // As dockerd: the process gets a terminal if the exec was created with one; the start's Tty
    // only says whether the client reads one raw stream or stdout/stderr frames.
    const tty = session.config.Tty ?? false;
    const raw = body.Tty ?? false;
    if (body.ConsoleSize) session.config.ConsoleSize = body.ConsoleSize;
    if (body.Detach) {
      const proc = await execs.start(id, tty);
      proc.output.resume();
      proc.stdin?.end();
      ctx.send(200);
      return;
    }
    // As docker: the connection is taken over first; a failed start is told on the stream and
    // in the exec's exit code, which the CLI reads next.
    const conn = ctx.hijack(raw || !ctx.versionAtLeast('1.42') ? RAW_STREAM : MULTIPLEXED_STREAM);
    let proc;
    try {
      proc = await execs.start(id, tty);
    } catch (err) {
      const msg = Buffer.from(`${messageOf(err)}\r\n`);
      conn.end(raw ? msg : frame(1, msg));
      return;
    }
    const c = session.config;
    let output = proc.output;
    if (tty && !raw) output = output.pipe(new Framer());
    else if (!tty && (raw || !c.AttachStdout || !c.AttachStderr)) {
      output = output.pipe(new FrameFilter({ stdout: c.AttachStdout ?? false, stderr: c.AttachStderr ?? false, unwrap: raw }));
    }
    output.pipe(conn, { end: false });
    if (proc.stdin && c.AttachStdin) {
      const input = tty ? conn.pipe(new EscapeProxy(parseDetachKeys(c.DetachKeys || 'ctrl-p,ctrl-q'), () => conn.end())) : conn;
      input.pipe(proc.stdin);
      proc.stdin.on('error', () => {});
    } else {
      proc.stdin?.end();
    }
    await new Promise<void>((resolve) => {
      output.once('end', resolve);
      conn.once('close', resolve);
    });
    // The CLI reads the exit code with GET /exec/{id}/json right after the stream ends.
    await session.done;
    if (!conn.destroyed) conn.end();
  });

  r.on('POST', '/exec/:id/resize', async (ctx) => {
    const s = execs.get(ctx.param('id'));
    if (s.process) await s.process.resize(ctx.int('h') ?? 0, ctx.int('w') ?? 0);
    ctx.send(200);
  });

  r.on('GET', '/exec/:id/json', (ctx) => {
    ctx.send(200, execs.inspect(ctx.param('id')));
  });
}
