/** What every command module exports, and the context it runs in. */
import type { Readable, Writable } from 'node:stream';
import { ApiError, EngineClient } from './client.js';
import type { CommandSpec, Parsed } from './flags.js';
import { StatusError } from './flags.js';

export interface Ctx {
  host: string;
  out: Writable;
  err: Writable;
  in: Readable;
  /** Whether standard input is a terminal (without making the input stream). */
  inIsTerminal: boolean;
  env: NodeJS.ProcessEnv;
  /** The command as invoked ("run", "container run"), for messages that name it. */
  command?: string;
  /** The engine client, made on first use. */
  client(): EngineClient;
}

export interface Command {
  spec: CommandSpec;
  run(ctx: Ctx, p: Parsed): Promise<number>;
}

export function println(w: Writable, s = ''): void {
  w.write(`${s}\n`);
}

export const enc = encodeURIComponent;

/** The message docker prints for an error, or the error's message. */
export function errorLine(e: unknown): string {
  if (e instanceof ApiError) return e.display;
  return e instanceof Error ? e.message : String(e);
}

/**
 * Applies an action to each named object: prints what `ok` returns, reports each failure on
 * stderr as docker does and ends with exit 1 if any failed (`failure` adds a summary line).
 */
export async function forEach(ctx: Ctx, names: string[], action: (name: string) => Promise<string | undefined>, failure?: (failed: string[]) => string): Promise<number> {
  const failed: string[] = [];
  for (const name of names) {
    try {
      const line = await action(name);
      if (line !== undefined) println(ctx.out, line);
    } catch (e) {
      if (e instanceof Error && e.name === 'ConnectError') throw e;
      failed.push(name);
      println(ctx.err, errorLine(e));
    }
  }
  if (failed.length && failure) throw new StatusError(failure(failed), 1);
  return failed.length ? 1 : 0;
}

/** Asks y/N on the terminal as docker's prune commands do. */
export async function confirm(ctx: Ctx, question: string): Promise<boolean> {
  ctx.out.write(`${question} [y/N] `);
  const line = await new Promise<string>((resolve) => {
    let acc = '';
    const onData = (c: Buffer): void => {
      acc += c.toString('utf8');
      if (acc.includes('\n')) done();
    };
    const done = (): void => {
      ctx.in.removeListener('data', onData);
      ctx.in.removeListener('end', done);
      ctx.in.pause();
      resolve(acc);
    };
    ctx.in.on('data', onData);
    ctx.in.on('end', done);
    ctx.in.resume();
  });
  return /^\s*y(es)?\s*$/i.test(line.split('\n')[0]);
}

/** Reads a whole stream. */
export async function readAll(s: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}
