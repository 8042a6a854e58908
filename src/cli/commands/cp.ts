import { createReadStream } from 'node:fs';
import { chmod, lstat, mkdir, readdir, readlink, stat, symlink, utimes } from 'node:fs/promises';
import { createWriteStream } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { ApiError } from '../client.js';
import type { Command, Ctx } from '../command.js';
import { enc, println } from '../command.js';
import { StatusError } from '../flags.js';
import { humanSize } from '../format.js';

interface PathStat {
  name: string;
  size: number;
  mode: number;
  mtime: string;
  linkTarget: string;
}

/** Go's os.ModeDir bit as the engine reports it in X-Docker-Container-Path-Stat. */
const MODE_DIR = 0x80000000;

function splitCpArg(arg: string): { container?: string; path: string } {
  if (path.isAbsolute(arg) || arg.startsWith('.')) return { path: arg };
  const colon = arg.indexOf(':');
  if (colon <= 0) return { path: arg };
  return { container: arg.slice(0, colon), path: arg.slice(colon + 1) };
}

function decodeStat(h: string | string[] | undefined): PathStat | undefined {
  if (typeof h !== 'string' || !h) return undefined;
  return JSON.parse(Buffer.from(h, 'base64').toString('utf8')) as PathStat;
}

/** Packs a local file or directory tree, naming its top entry `as`. */
async function packLocal(src: string, as: string, followLink: boolean): Promise<{ pack: tar.Pack; size: Promise<number> }> {
  const pack = tar.pack();
  const size = (async () => {
    let total = 0;
    const walk = async (abs: string, name: string): Promise<void> => {
      const st = followLink && abs === src ? await stat(abs) : await lstat(abs);
      const base = { name, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: st.mtime };
      if (st.isDirectory()) {
        pack.entry({ ...base, type: 'directory' });
        for (const e of (await readdir(abs)).sort()) await walk(path.join(abs, e), `${name}/${e}`);
      } else if (st.isSymbolicLink()) {
        pack.entry({ ...base, type: 'symlink', linkname: await readlink(abs) });
      } else if (st.isFile()) {
        total += st.size;
        await new Promise<void>((resolve, reject) => {
          const w = pack.entry({ ...base, type: 'file', size: st.size }, (err) => (err ? reject(err) : resolve()));
          createReadStream(abs).on('error', reject).pipe(w);
        });
      }
    };
    try {
      await walk(src, as);
      pack.finalize();
    } catch (e) {
      pack.destroy(e as Error);
    }
    return total;
  })();
  return { pack, size };
}

/** Extracts an archive into `destDir`, renaming its top entry from `from` to `to` if given. */
async function extractTo(src: NodeJS.ReadableStream, destDir: string, rename?: { from: string; to: string }): Promise<number> {
  const ex = tar.extract();
  let total = 0;
  const done = (async () => {
    for await (const entry of ex) {
      const h = entry.header;
      let name = h.name.replace(/^\/+/, '').replace(/\/+$/, '');
      if (rename && (name === rename.from || name.startsWith(`${rename.from}/`))) name = rename.to + name.slice(rename.from.length);
      const target = path.join(destDir, name);
      if (!target.startsWith(path.resolve(destDir))) {
        entry.resume();
        continue;
      }
      if (h.type === 'directory') {
        await mkdir(target, { recursive: true });
        entry.resume();
      } else if (h.type === 'symlink') {
        await symlink(h.linkname ?? '', target).catch(() => undefined);
        entry.resume();
      } else if (h.type === 'file' || h.type === 'contiguous-file') {
        await mkdir(path.dirname(target), { recursive: true });
        await pipeline(entry, createWriteStream(target));
        total += h.size ?? 0;
      } else {
        entry.resume();
        continue;
      }
      if (h.mode !== undefined && h.type !== 'symlink') await chmod(target, h.mode & 0o7777).catch(() => undefined);
      if (h.mtime && h.type !== 'symlink') await utimes(target, h.mtime, h.mtime).catch(() => undefined);
    }
  })();
  await pipeline(src, ex);
  await done;
  return total;
}

async function fromContainer(ctx: Ctx, container: string, srcPath: string, dest: string): Promise<number> {
  const client = ctx.client();
  const res = await client.stream('GET', `/containers/${enc(container)}/archive`, { query: { path: srcPath } });
  const st = decodeStat(res.headers['x-docker-container-path-stat']);
  if (dest === '-') {
    for await (const c of res) ctx.out.write(c as Buffer);
    return 0;
  }
  const srcBase = st?.name ?? path.basename(srcPath);
  const destStat = await stat(dest).catch(() => undefined);
  if (destStat?.isDirectory()) {
    // "cp c:/dir/. dest" copies the content, not the directory
    if (srcPath.endsWith('/.')) return extractTo(res, dest, { from: srcBase, to: '.' });
    return extractTo(res, dest);
  }
  if (dest.endsWith('/') && !destStat) throw new StatusError(`Error response from daemon: invalid output path: directory "${dest}" does not exist`, 1);
  const srcIsDir = st ? (st.mode & MODE_DIR) !== 0 : false;
  if (destStat && srcIsDir) throw new StatusError('cannot copy a directory to a file', 1);
  return extractTo(res, path.dirname(path.resolve(dest)), { from: srcBase, to: path.basename(dest) });
}

async function toContainer(ctx: Ctx, src: string, container: string, destPath: string, o: { followLink: boolean; copyUIDGID: boolean }): Promise<number> {
  const client = ctx.client();
  const { followLink } = o;
  // As the docker CLI: copyUIDGID only with -a.
  const extra = o.copyUIDGID ? { copyUIDGID: true } : {};
  if (src === '-') {
    await client.call('PUT', `/containers/${enc(container)}/archive`, { query: { path: destPath, noOverwriteDirNonDir: true, ...extra }, body: ctx.in });
    return 0;
  }
  const local = await (followLink ? stat(src) : lstat(src)).catch(() => undefined);
  if (!local) throw new StatusError(`lstat ${path.resolve(src)}: no such file or directory`, 1);
  let destIsDir = false;
  let exists = false;
  try {
    const res = await client.stream('HEAD', `/containers/${enc(container)}/archive`, { query: { path: destPath } });
    res.resume();
    exists = true;
    const st = decodeStat(res.headers['x-docker-container-path-stat']);
    destIsDir = st ? (st.mode & MODE_DIR) !== 0 : false;
  } catch (e) {
    if (!(e instanceof ApiError && e.status === 404)) throw e;
  }
  let dir: string;
  let name: string;
  const contentOnly = src.endsWith('/.') && local.isDirectory();
  if (exists && destIsDir) {
    dir = destPath;
    name = path.basename(path.resolve(src));
  } else {
    // archive.PrepareArchiveCopy: a destination that asserts a directory must exist
    if (destPath.endsWith('/') || path.posix.basename(destPath) === '.') throw new StatusError('no such directory', 1);
    dir = path.posix.dirname(destPath);
    name = path.posix.basename(destPath);
  }
  const { pack, size } = await packLocal(path.resolve(src), contentOnly ? '.' : name, followLink);
  await client.call('PUT', `/containers/${enc(container)}/archive`, { query: { path: contentOnly && exists ? destPath : dir, noOverwriteDirNonDir: true, ...extra }, body: pack });
  return size;
}

export const command: Command = {
  spec: {
    name: 'cp',
    usage: '[OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n\tminke cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH',
    description: "Copy files/folders between a container and the local filesystem\n\nUse '-' as the source to read a tar archive from stdin\nand extract it to a directory destination in a container.\nUse '-' as the destination to stream a tar archive of a\ncontainer source to stdout.",
    aliases: ['container cp', 'cp'],
    flags: [
      { name: 'archive', short: 'a', kind: 'bool', help: 'Archive mode (copy all uid/gid information)' },
      { name: 'follow-link', short: 'L', kind: 'bool', help: 'Always follow symbol link in SRC_PATH' },
      { name: 'quiet', short: 'q', kind: 'bool', help: 'Suppress progress output during copy. Progress output is automatically suppressed if no terminal is attached' },
    ],
    exactArgs: 2,
  },
  async run(ctx, p) {
    const src = splitCpArg(p.args[0]);
    const dst = splitCpArg(p.args[1]);
    if (src.container && dst.container) throw new StatusError('copying between containers is not supported', 1);
    if (!src.container && !dst.container) throw new StatusError('must specify at least one container source', 1);
    const followLink = p.bool('follow-link');
    const quiet = p.bool('quiet') || !(ctx.err as { isTTY?: boolean }).isTTY;
    if (src.container) {
      if (!src.path) throw new StatusError('filesystem path cannot be empty', 1);
      const n = await fromContainer(ctx, src.container, src.path, dst.path);
      if (!quiet && dst.path !== '-') println(ctx.err, `Successfully copied ${humanSize(n)} to ${dst.path}`);
    } else if (dst.container) {
      const n = await toContainer(ctx, src.path, dst.container, dst.path || '/', { followLink, copyUIDGID: p.bool('archive') });
      if (!quiet && src.path !== '-') println(ctx.err, `Successfully copied ${humanSize(n)} to ${dst.container}:${dst.path}`);
    }
    return 0;
  },
};
