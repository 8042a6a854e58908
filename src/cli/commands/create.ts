import { ApiError } from '../client.js';
import type { Command, Ctx } from '../command.js';
import { println } from '../command.js';
import { buildCreate, containerFlags } from '../container-opts.js';
import type { CreateRequest } from '../container-opts.js';
import type { Parsed } from '../flags.js';
import { StatusError, UsageError } from '../flags.js';
import { parseNormalizedNamed, withDefaultTag } from '../reference.js';

const { writeFileSync } = process.getBuiltinModule('node:fs');

export interface Created {
  id: string;
  warnings: string[];
}

async function pull(ctx: Ctx, image: string, platform: string | undefined, quiet: boolean): Promise<void> {
  // the client's ImageCreate: the normalized name, and the tag or digest apart
  const ref = parseNormalizedNamed(withDefaultTag(image));
  const { authHeaderFor } = await import('../registry-auth.js');
  const res = await ctx.client().stream('POST', '/images/create', { query: { fromImage: ref.name, tag: ref.digest ?? ref.tag, platform }, headers: authHeaderFor(image, ctx.env) });
  const { displayJsonMessages } = await import('../progress.js');
  await displayJsonMessages(res, ctx.err, { quiet });
}

const usage = '[OPTIONS] IMAGE [COMMAND] [ARG...]';

/**
 * docker's parse(): flag values its flag parser rejects read "invalid argument ..." with the
 * usage; options parse() rejects read "minke: <msg>" with the help hint; both exit 125.
 */
export function parseCreate(ctx: Ctx, p: Parsed, cmdName: 'run' | 'create'): CreateRequest {
  try {
    const req = buildCreate(p, ctx.env);
    const pullPolicy = p.str('pull') || 'missing';
    if (!['always', 'missing', 'never'].includes(pullPolicy)) throw new StatusError(optionErrorText(`invalid pull option: '${pullPolicy}': must be one of "always", "missing" or "never"`, cmdName), 125);
    return req;
  } catch (e) {
    if (e instanceof Error && e.name === 'FlagValueError') throw new UsageError(e.message, { name: ctx.command ?? cmdName, usage, description: '', flags: [] }, 125);
    if (e instanceof Error && e.name === 'OptionError') throw new StatusError(optionErrorText(e.message, cmdName), 125);
    throw e;
  }
}

function optionErrorText(msg: string, cmdName: string): string {
  return `minke: ${msg}\n\nRun 'minke ${cmdName} --help' for more information`;
}

/**
 * docker's createContainer: create; when the image is missing locally, say so, pull it (unless
 * --pull=never) and create again. Writes --cidfile. Errors are returned as they are: `run`
 * words them "minke: ..." with exit 125, `create` prints them plainly with exit 1.
 */
export async function createContainer(ctx: Ctx, p: Parsed, req: CreateRequest): Promise<Created> {
  const pullPolicy = p.str('pull') || 'missing';
  const cidfile = p.str('cidfile');
  if (cidfile) {
    try {
      writeFileSync(cidfile, '', { flag: 'wx' });
    } catch {
      throw new Error(`container ID file found, make sure the other container isn't running or delete ${cidfile}`);
    }
  }
  // reference.ParseAnyReference: IDs and digests, else a name docker would accept (and pull)
  const named = !/^(?:sha256:)?[a-f0-9]{64}$/.test(req.image);
  if (named) parseNormalizedNamed(req.image);
  const query = { name: req.name, platform: req.platform };
  const create = (): Promise<{ Id: string; Warnings?: string[] | null }> => ctx.client().post('/containers/create', query, req.body);
  let res: { Id: string; Warnings?: string[] | null };
  if (pullPolicy === 'always') await pull(ctx, req.image, req.platform, p.bool('quiet'));
  try {
    res = await create();
  } catch (e) {
    // docker pulls on any "not found" (a missing --network container:X too), as its CLI does
    if (!(e instanceof ApiError) || e.status !== 404 || pullPolicy !== 'missing' || !named) throw e;
    if (!p.bool('quiet')) println(ctx.err, `Unable to find image '${withDefaultTag(req.image)}' locally`);
    await pull(ctx, req.image, req.platform, p.bool('quiet'));
    res = await create();
  }
  const warnings = [...(res.Warnings ?? [])];
  const localDns = ((req.body.HostConfig as { Dns?: string[] } | undefined)?.Dns ?? []).find((ip) => /^127\.\d+\.\d+\.\d+$/.test(ip) || ip === '::1');
  if (localDns) warnings.push(`Localhost DNS (${localDns}) may fail in containers.`);
  for (const w of warnings) println(ctx.err, `WARNING: ${w}`);
  if (cidfile) writeFileSync(cidfile, res.Id);
  return { id: res.Id, warnings };
}

/** The error line docker prints for a failed run: "minke: <msg>" + help hint. */
export function runError(e: unknown, cmdName: string, code: number): Error {
  if (e instanceof StatusError) return e;
  if (e instanceof Error && e.name === 'ConnectError') return e;
  const msg = e instanceof ApiError ? e.display : e instanceof Error ? e.message : String(e);
  return new StatusError(optionErrorText(msg, cmdName), code);
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
    const req = parseCreate(ctx, p, 'create');
    const { id } = await createContainer(ctx, p, req);
    println(ctx.out, id);
    return 0;
  },
};
