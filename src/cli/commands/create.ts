import { writeFileSync } from 'node:fs';
import { ApiError } from '../client.js';
import type { Command, Ctx } from '../command.js';
import { println } from '../command.js';
import { buildCreate, containerFlags } from '../container-opts.js';
import type { Parsed } from '../flags.js';
import { StatusError } from '../flags.js';
import { displayJsonMessages } from '../progress.js';
import { splitTag, withDefaultTag } from '../reference.js';

export interface Created {
  id: string;
  warnings: string[];
}

async function pull(ctx: Ctx, image: string, platform: string | undefined, quiet: boolean): Promise<void> {
  const { repo, tag } = splitTag(withDefaultTag(image));
  const res = await ctx.client().stream('POST', '/images/create', { query: { fromImage: repo, tag: tag || undefined, platform } });
  await displayJsonMessages(res, ctx.err, { quiet });
}

/**
 * docker's createContainer: create; when the image is missing locally, say so, pull it (unless
 * --pull=never) and create again. Writes --cidfile. Errors end the command with 125.
 */
export async function createContainer(ctx: Ctx, p: Parsed, cmdName: string): Promise<Created> {
  const req = buildCreate(p, ctx.env);
  const pullPolicy = p.str('pull') || 'missing';
  if (!['always', 'missing', 'never'].includes(pullPolicy)) throw new StatusError(`${cmdName === 'run' ? 'minke: ' : ''}invalid pull option: '${pullPolicy}': must be one of "always", "missing" or "never"`, 125);
  const cidfile = p.str('cidfile');
  if (cidfile) {
    try {
      writeFileSync(cidfile, '', { flag: 'wx' });
    } catch {
      throw new StatusError(`${cmdName === 'run' ? 'minke: ' : ''}container ID file found, make sure the other container isn't running or delete ${cidfile}`, 125);
    }
  }
  const query = { name: req.name, platform: req.platform };
  const create = (): Promise<{ Id: string; Warnings?: string[] | null }> => ctx.client().post('/containers/create', query, req.body);
  let res: { Id: string; Warnings?: string[] | null };
  try {
    if (pullPolicy === 'always') await pull(ctx, req.image, req.platform, p.bool('quiet'));
    try {
      res = await create();
    } catch (e) {
      if (!(e instanceof ApiError) || e.status !== 404 || pullPolicy === 'never' || !/image/i.test(e.message)) throw e;
      println(ctx.err, `Unable to find image '${withDefaultTag(req.image)}' locally`);
      await pull(ctx, req.image, req.platform, p.bool('quiet'));
      res = await create();
    }
  } catch (e) {
    throw runError(e, cmdName, 125);
  }
  for (const w of res.Warnings ?? []) println(ctx.err, `WARNING: ${w}`);
  if (cidfile) writeFileSync(cidfile, res.Id);
  return { id: res.Id, warnings: res.Warnings ?? [] };
}

/** The error line docker prints for a failed run/create: "minke: <msg>" + help hint. */
export function runError(e: unknown, cmdName: string, code: number): Error {
  if (e instanceof StatusError) return e;
  if (e instanceof Error && e.name === 'ConnectError') return e;
  const msg = e instanceof ApiError ? e.display : e instanceof Error ? e.message : String(e);
  return new StatusError(`minke: ${msg}\n\nRun 'minke ${cmdName} --help' for more information`, code);
}

export const command: Command = {
  spec: {
    name: 'create',
    usage: '[OPTIONS] IMAGE [COMMAND] [ARG...]',
    description: 'Create a new container',
    aliases: ['container create', 'create'],
    flags: containerFlags,
    stopAtPositional: true,
    minArgs: 1,
  },
  async run(ctx, p) {
    const { id } = await createContainer(ctx, p, 'create');
    println(ctx.out, id);
    return 0;
  },
};
