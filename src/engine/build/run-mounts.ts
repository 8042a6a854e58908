/**
 * What a RUN step is given besides its parent's filesystem: `--mount` of a kept cache directory,
 * a tmpfs, a secret (a file or an environment variable; never in the layer nor in the cache key),
 * or a bind of the context's, a stage's or an image's files (read-only, or writable with the
 * writes thrown away); and the script of a `RUN <<EOF` heredoc. Everything made for the step is
 * removed when it ends, whatever happened.
 */
import { createHash, randomBytes } from 'node:crypto';
import { chmod, chown, copyFile, lstat, mkdir, readdir, readlink, rename, rm, stat, writeFile } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { existsSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import { InvalidArgument, NotFound } from '../../core/errors.js';
import type { MountInput } from '../runtime/index.js';
import { resolveInRoot } from '../snapshots/apply.js';
import { mountAll, unmountAll } from '../snapshots/mount.js';
import { cleanSource, fileDigest } from './copy-step.js';
import { heredocBody, type Heredoc, type Mount } from './dockerfile/index.js';

export interface RunMountDeps {
  /** The engine's build dir: cache mounts live in cache-mounts/, a step's scratch in tmp/. */
  buildRoot: string;
  /** Where a step's secret files are written (the exec root: memory, not disk, where it is a tmpfs). */
  secretsRoot: string;
  /** --secret's values by id. */
  secrets: ReadonlyMap<string, Buffer>;
  /** The step's WORKDIR: relative targets are below it. */
  workdir: string;
  /** The filesystem from= names (the context when undefined), mounted for as long as fn runs. */
  withSource<T>(from: string | undefined, fn: (root: string, fromContext: boolean) => Promise<T>): Promise<T>;
  /** What identifies a stage's or an image's filesystem (undefined: from= is the context). */
  sourceIdentity(from: string | undefined): Promise<string | undefined>;
}

/** The mounts and environment a RUN step's container gets. */
export interface StepExtras {
  mounts: MountInput[];
  env: string[];
}

export const SECRETS_DIR = '/run/secrets';

function targetOf(m: Mount, workdir: string): string {
  const t = m.target ?? '';
  if (t === '') throw new InvalidArgument(`RUN --mount=type=${m.type}: a target is required`);
  return posix.resolve(workdir || '/', t);
}

function secretId(m: Mount): string {
  // BuildKit: the id, else the source, else the target's base name.
  return m.id || m.source || posix.basename(m.target ?? '');
}

/** A digest of a tree's names, types, modes and contents (not times): a bind mount's part of the cache key. */
async function treeDigest(abs: string): Promise<string> {
  const h = createHash('sha256');
  const walk = async (p: string, rel: string, st: Stats): Promise<void> => {
    if (st.isDirectory()) {
      h.update(`\0d ${rel} ${st.mode}`);
      for (const n of (await readdir(p)).sort()) await walk(join(p, n), `${rel}/${n}`, await lstat(join(p, n)));
    } else if (st.isSymbolicLink()) h.update(`\0l ${rel} ${await readlink(p)}`);
    else if (st.isFile()) h.update(`\0f ${rel} ${st.mode} ${await fileDigest(p, st.size)}`);
    else h.update(`\0o ${rel} ${st.mode}`);
  };
  await walk(abs, '', await stat(abs));
  return `sha256:${h.digest('hex')}`;
}

async function bindSource(root: string, m: Mount): Promise<{ abs: string; st: Stats }> {
  const rel = cleanSource(m.source ?? '');
  const abs = await resolveInRoot(root, rel);
  try {
    return { abs, st: await stat(abs) };
  } catch {
    throw new NotFound(`RUN --mount=type=bind: failed to compute cache key: "/${rel}" not found`);
  }
}

/**
 * The cache-key inputs of a step's mounts: a bind's source content (the context's files) or
 * identity (a stage's or an image's); a cache's id. Secrets are left out, as BuildKit's.
 */
export async function mountKeyInputs(mounts: readonly Mount[], d: RunMountDeps): Promise<string[]> {
  const out: string[] = [];
  for (const m of mounts) {
    if (m.type !== 'bind') continue;
    const id = await d.sourceIdentity(m.from);
    if (id !== undefined) out.push(`bind ${id} ${cleanSource(m.source ?? '')}`);
    else out.push(`bind ${await d.withSource(undefined, async (root) => treeDigest((await bindSource(root, m)).abs))}`);
  }
  return out;
}

/** Runs fn with the step's mounts in place; removes what was made for them afterwards. */
export async function withRunMounts<T>(mounts: readonly Mount[], d: RunMountDeps, fn: (x: StepExtras) => Promise<T>): Promise<T> {
  const x: StepExtras = { mounts: [], env: [] };
  const cleanups: Array<() => Promise<void> | void> = [];
  const scratch = async (): Promise<string> => {
    const dir = join(d.buildRoot, 'tmp', `mount-${randomBytes(6).toString('hex')}`);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    cleanups.unshift(() => rm(dir, { recursive: true, force: true }));
    return dir;
  };
  const go = async (i: number): Promise<T> => {
    const m = mounts[i];
    if (!m) return fn(x);
    switch (m.type) {
      case 'cache': {
        if (m.from) throw new InvalidArgument('RUN --mount=type=cache,from=... is not supported by this builder: seed the cache in a RUN step');
        const target = targetOf(m, d.workdir);
        x.mounts.push({ type: 'bind', source: await cacheDir(d.buildRoot, m, target), destination: target, readonly: m.readOnly });
        return go(i + 1);
      }
      case 'tmpfs':
        x.mounts.push({ type: 'tmpfs', destination: targetOf(m, d.workdir), options: m.size ? `size=${m.size}` : undefined });
        return go(i + 1);
      case 'secret': {
        const id = secretId(m);
        const value = d.secrets.get(id);
        if (value === undefined) {
          if (m.required) throw new NotFound(`secret ${id}: not found`);
          return go(i + 1); // BuildKit: an optional secret that was not given is not mounted
        }
        if (m.env) x.env.push(`${m.env}=${value.toString()}`);
        if (m.target || m.env === undefined) {
          const dir = join(d.secretsRoot, randomBytes(8).toString('hex'));
          await mkdir(dir, { recursive: true, mode: 0o700 });
          cleanups.unshift(() => rm(dir, { recursive: true, force: true }));
          const file = join(dir, 'secret');
          await writeFile(file, value, { mode: 0o600 });
          await chown(file, m.uid ?? 0, m.gid ?? 0);
          await chmod(file, m.mode ?? 0o400);
          const target = m.target ? targetOf(m, d.workdir) : `${SECRETS_DIR}/${posix.basename(id)}`;
          x.mounts.push({ type: 'bind', source: file, destination: target, readonly: true });
        }
        return go(i + 1);
      }
      case 'bind': {
        const target = targetOf(m, d.workdir);
        return d.withSource(m.from, async (root) => {
          const src = await bindSource(root, m);
          if (m.readOnly) {
            x.mounts.push({ type: 'bind', source: src.abs, destination: target, readonly: true });
          } else if (src.st.isDirectory()) {
            // Writable: an overlay on the source whose upper dir is thrown away with the step.
            const dir = await scratch();
            const merged = join(dir, 'merged');
            await Promise.all(['upper', 'work', 'merged'].map((n) => mkdir(join(dir, n))));
            mountAll([{ type: 'overlay', source: 'overlay', options: [`lowerdir=${src.abs}`, `upperdir=${join(dir, 'upper')}`, `workdir=${join(dir, 'work')}`] }], merged);
            cleanups.unshift(() => unmountAll(merged));
            x.mounts.push({ type: 'bind', source: merged, destination: target });
          } else {
            const copy = join(await scratch(), 'file');
            await copyFile(src.abs, copy);
            x.mounts.push({ type: 'bind', source: copy, destination: target });
          }
          return go(i + 1);
        });
      }
      case 'ssh':
        throw new InvalidArgument('RUN --mount=type=ssh needs an SSH agent forwarded by the client, which this builder does not support');
      default:
        throw new InvalidArgument(`RUN --mount=type=${String((m as Mount).type)} is not supported`);
    }
  };
  try {
    return await go(0);
  } finally {
    for (const c of cleanups) {
      try {
        await c();
      } catch {
        // best effort: the next cleanup still runs
      }
    }
  }
}

/** A cache mount's directory (by id, the target by default), made with the owner and mode given. */
async function cacheDir(buildRoot: string, m: Mount, target: string): Promise<string> {
  const dir = join(buildRoot, 'cache-mounts', createHash('sha256').update(m.id || target).digest('hex').slice(0, 32));
  if (!existsSync(dir)) {
    await mkdir(dirname(dir), { recursive: true });
    const tmp = `${dir}.${randomBytes(4).toString('hex')}`;
    await mkdir(tmp, { mode: m.mode ?? 0o755 });
    await chmod(tmp, m.mode ?? 0o755);
    await chown(tmp, m.uid ?? 0, m.gid ?? 0);
    await rename(tmp, dir).catch(() => rm(tmp, { recursive: true, force: true })); // made by another step meanwhile
  }
  return dir;
}

/** The command of a RUN with heredocs, as BuildKit's dispatchRun makes it. */
export interface HeredocCommand {
  args: string[];
  /** A script with a shebang: written to a file and mounted at /dev/pipes/<name>. */
  script?: { name: string; data: string };
}

export function heredocCommand(cmdLine: string, docs: readonly Heredoc[], shell: string[]): HeredocCommand {
  const whole = /^<<-?(["']?)([^\s"']+)\1$/.exec(cmdLine.trim());
  if (docs.length === 1 && whole && whole[2] === docs[0]!.name) {
    const h = docs[0]!;
    const data = heredocBody(h);
    // `RUN <<EOF` alone: a script with #! runs as a file, any other runs in the shell.
    if (data.startsWith('#!')) return { args: [`/dev/pipes/${h.name}`], script: { name: h.name, data } };
    return { args: [...shell, data] };
  }
  // Heredocs fed to a command (`RUN python3 <<EOF`): the shell itself reads them from the line.
  let line = cmdLine;
  for (const h of docs) line += `\n${h.content}${h.name}`;
  return { args: [...shell, line] };
}
