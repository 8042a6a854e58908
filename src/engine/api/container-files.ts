import { lstat, mkdir, readlink, rm, stat, writeFile } from 'node:fs/promises';
import { statSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join, posix } from 'node:path';
import { Conflict, InvalidArgument, NotFound, isErrno } from '../../core/errors.js';
import { archivePath, extractTar, tarDirectory } from '../archive/tar-dir.js';
import { commitLayer } from '../archive/commit.js';
import type { ImageStore } from '../images/image-store.js';
import type { ContainerRecord, MountPoint } from '../containers/model.js';
import { resolveSubpath } from '../containers/mounts.js';
import type { ContainerService, CreateRequest } from '../containers/service.js';
import { resolveUser } from '../runtime/user.js';
import { resolveInRoot } from '../snapshots/apply.js';
import { changes } from '../snapshots/diff.js';
import { mountAll, unmountAll } from '../snapshots/mount.js';
import type { DirSnapshotter } from '../snapshots/snapshotter.js';
import type { VolumeService } from '../volumes/service.js';
import type { ApiContext, Router } from './router.js';
import { CONTAINER_CREATE } from './body-types.js';
import { writeOut } from './streams.js';

export interface ContainerFilesDeps {
  containers: ContainerService;
  images: ImageStore;
  snapshotter: DirSnapshotter;
  execRoot: string;
  volumes: VolumeService;
}

/** Go's os.FileMode bits from a unix st_mode, as docker's path stat header carries them. */
function goFileMode(mode: number): number {
  let m = mode & 0o777;
  const type = mode & 0o170000;
  if (type === 0o040000) m += 2 ** 31;
  else if (type === 0o120000) m += 2 ** 27;
  else if (type === 0o010000) m += 2 ** 25;
  else if (type === 0o140000) m += 2 ** 24;
  else if (type === 0o020000) m += 2 ** 26 + 2 ** 21;
  else if (type === 0o060000) m += 2 ** 26;
  if (mode & 0o4000) m += 2 ** 23;
  if (mode & 0o2000) m += 2 ** 22;
  if (mode & 0o1000) m += 2 ** 20;
  return m;
}

/** Whether path is the root of a mount (another device than its parent's). */
function isMountPoint(path: string): boolean {
  try {
    return statSync(path).dev !== statSync(dirname(path)).dev;
  } catch {
    return false;
  }
}

/**
 * Routes that read or change a container's filesystem. A running container is reached through
 * its mounted rootfs; a stopped one is mounted for the duration of the request.
 */
export function containerFileRoutes(r: Router, d: ContainerFilesDeps): void {
  const { containers: svc, snapshotter } = d;

  /**
   * The container's root filesystem on a private mount point for the request: a bind of the
   * running container's rootfs (which outlives the container's exit clean-up), else the snapshot
   * mounted anew (a stopped container, or one that exited meanwhile).
   */
  async function withRootfs<T>(rec: ContainerRecord, fn: (root: string) => Promise<T>): Promise<T> {
    const target = join(d.execRoot, 'mounts', `${rec.Id.slice(0, 12)}-${randomBytes(4).toString('hex')}`);
    await mkdir(target, { recursive: true });
    try {
      const live = join(svc.bundleDir(rec.Id), 'rootfs');
      let bound = false;
      if (rec.State.Running && isMountPoint(live)) {
        try {
          mountAll([{ type: 'bind', source: live, options: ['bind'] }], target);
          bound = true;
        } catch {
          // it exited meanwhile
        }
      }
      if (!bound) mountAll(await snapshotter.mounts(rec.Id), target);
      try {
        return await fn(target);
      } finally {
        unmountAll(target);
      }
    } finally {
      await rm(target, { recursive: true, force: true });
    }
  }

  /**
   * The container's filesystem as its processes see it, for `docker cp`: the root filesystem with
   * its volumes and bind mounts on top (tmpfs mounts exist only inside the container). Built on a
   * private mount point so a running container's own mounts stay untouched.
   */
  async function withFiles<T>(rec: ContainerRecord, fn: (root: string) => Promise<T>): Promise<T> {
    const points = Object.values(rec.MountPoints ?? {})
      .filter((m) => m.Type !== 'tmpfs' && m.Source)
      .sort((a, b) => a.Destination.split('/').length - b.Destination.split('/').length);
    if (points.length === 0) return withRootfs(rec, fn);
    const target = join(d.execRoot, 'mounts', `${rec.Id.slice(0, 12)}-${randomBytes(4).toString('hex')}`);
    const mountId = `cp-${randomBytes(6).toString('hex')}`;
    const volumesMounted: string[] = [];
    const stacked: string[] = [];
    await mkdir(target, { recursive: true });
    try {
      if (rec.State.Running) mountAll([{ type: 'bind', source: join(svc.bundleDir(rec.Id), 'rootfs'), options: ['bind'] }], target);
      else mountAll(await snapshotter.mounts(rec.Id), target);
      stacked.push(target);
      for (const mp of points) {
        let src = mp.Source;
        if (mp.Type === 'volume' && mp.Name) {
          const path = await d.volumes.mount(mp.Name, mountId);
          volumesMounted.push(mp.Name);
          src = mp.Spec.VolumeOptions?.Subpath ? await resolveSubpath(path, mp.Spec.VolumeOptions.Subpath) : path;
        }
        const srcStat = await stat(src).catch(() => undefined);
        if (!srcStat) continue;
        const dest = await mountTargetIn(target, mp, srcStat.isDirectory());
        mountAll([{ type: 'bind', source: src, options: mp.RW ? ['rbind'] : ['rbind', 'ro'] }], dest);
        stacked.push(dest);
      }
      return await fn(target);
    } finally {
      for (const m of stacked.reverse()) {
        try {
          unmountAll(m);
        } catch {
          // best effort: the directory removal below fails loudly if something stayed
        }
      }
      for (const name of volumesMounted) await d.volumes.unmount(name, mountId).catch(() => {});
      await rm(target, { recursive: true, force: true });
    }
  }

  /** The mount point of mp inside root, made if missing (a directory, or a file for a file bind). */
  async function mountTargetIn(root: string, mp: MountPoint, dir: boolean): Promise<string> {
    const parent = await resolveInRoot(root, posix.dirname(mp.Destination), true);
    const dest = await resolveInRoot(root, mp.Destination, dir);
    if (!dir && !(await lstat(dest).catch(() => undefined))) {
      await mkdir(parent, { recursive: true });
      await writeFile(dest, '', { flag: 'a' });
    }
    return dest;
  }

  async function statPath(root: string, ref: string, path: string): Promise<{ abs: string; header: string }> {
    if (!path) throw new InvalidArgument('path is required');
    const clean = posix.normalize(path.startsWith('/') ? path : `/${path}`);
    // Resolve the parent through symlinks inside the rootfs; the last component itself is not followed.
    const parent = await resolveInRoot(root, posix.dirname(clean));
    const abs = clean === '/' ? root : join(parent, posix.basename(clean));
    let st;
    try {
      st = await lstat(path.endsWith('/') || path.endsWith('/.') ? await resolveInRoot(root, clean) : abs);
    } catch (err) {
      if (isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR')) throw new NotFound(`Could not find the file ${path} in container ${ref}`);
      throw err;
    }
    if ((path.endsWith('/') || path.endsWith('/.')) && !st.isDirectory()) throw new InvalidArgument('not a directory');
    const linkTarget = st.isSymbolicLink() ? await readlink(abs) : '';
    const stat = { name: clean === '/' ? '/' : basename(clean), size: st.size, mode: goFileMode(st.mode), mtime: st.mtime.toISOString(), linkTarget };
    return { abs, header: Buffer.from(JSON.stringify(stat)).toString('base64') };
  }

  r.on('HEAD', '/containers/:id/archive', async (ctx) => {
    const rec = svc.get(ctx.param('id'));
    const header = await withFiles(rec, async (root) => (await statPath(root, ctx.param('id'), ctx.query.get('path') ?? '')).header);
    ctx.res!.writeHead(200, { 'X-Docker-Container-Path-Stat': header, 'Content-Type': 'application/x-tar' }).end();
  });

  r.on('GET', '/containers/:id/archive', async (ctx) => {
    const rec = svc.get(ctx.param('id'));
    await withFiles(rec, async (root) => {
      const path = ctx.query.get('path') ?? '';
      const { abs, header } = await statPath(root, ctx.param('id'), path);
      const follow = path.endsWith('/') || path.endsWith('/.');
      const src = follow ? await resolveInRoot(root, path) : abs;
      // As dockerd's rebase: a path ending in "/." gives the directory's content as "./...".
      const top = path === '/' || path === '.' || path.endsWith('/.') ? '.' : basename(posix.normalize(`/${path}`)) || '.';
      const stream = await archivePath(src, top);
      svc.emit('event', { action: 'archive-path', rec });
      ctx.res!.setHeader('X-Docker-Container-Path-Stat', header);
      await pipeOut(ctx, stream);
    });
  });

  r.on('PUT', '/containers/:id/archive', async (ctx) => {
    const rec = svc.get(ctx.param('id'));
    const path = ctx.query.get('path') ?? '';
    await withFiles(rec, async (root) => {
      const dir = await resolveInRoot(root, path);
      // As docker: a read-only mount refuses the copy; a read-only rootfs does, unless the path is in a mount.
      const inContainer = dir === root ? '/' : dir.slice(root.length);
      const mount = mountOf(rec, inContainer);
      if (mount && !mount.RW) throw new InvalidArgument('mounted volume is marked read-only');
      if (!mount && rec.HostConfig.ReadonlyRootfs) throw new Conflict('container rootfs is marked read-only');
      let st;
      try {
        st = await lstat(dir);
      } catch (err) {
        if (isErrno(err, 'ENOENT')) throw new NotFound(`Could not find the file ${path} in container ${ctx.param('id')}`);
        throw err;
      }
      if (!st.isDirectory()) throw new InvalidArgument(`extraction point is not a directory`);
      // copyUIDGID (docker cp -a): everything owned by the container's user, else the tar's owners.
      // dockerd looks that user up on the host (moby#34142, still open); it is the container's
      // user, so it is resolved as its processes are, in the container's /etc/passwd and /etc/group.
      const user = ctx.flag('copyUIDGID') && rec.Config.User ? await resolveUser(root, rec.Config.User) : undefined;
      await extractTar(dir, ctx.bodyStream() as AsyncIterable<Buffer>, user ? { owner: { uid: user.uid, gid: user.gid } } : {});
    });
    svc.emit('event', { action: 'extract-to-dir', rec });
    ctx.send(200);
  });

  r.on('GET', '/containers/:id/changes', async (ctx) => {
    const rec = svc.get(ctx.param('id'));
    const list = await changes(await snapshotter.dir(rec.Id), await snapshotter.parentDirs(rec.Id));
    ctx.send(200, list.length ? list : null);
  });

  r.on('GET', '/containers/:id/export', async (ctx) => {
    const rec = svc.get(ctx.param('id'));
    await withRootfs(rec, async (root) => {
      svc.emit('event', { action: 'export', rec });
      await pipeOut(ctx, tarDirectory(root));
    });
  });

  r.on('POST', '/commit', async (ctx) => {
    const body: Record<string, unknown> = await ctx.bodyOf<CreateRequest>(CONTAINER_CREATE);
    const rec = svc.get(ctx.query.get('container') ?? '');
    // The config of the commit: the request's Config fields (dockerd's container decoder reads the whole CreateRequest).
    delete body.HostConfig;
    delete body.NetworkingConfig;
    const repo = ctx.query.get('repo');
    const tag = ctx.query.get('tag');
    const pause = ctx.query.get('pause') === null ? true : ctx.flag('pause');
    // As dockerd, pausing is best effort: a container that exits meanwhile is committed as it is.
    const paused = pause && rec.State.Running && !rec.State.Paused
      && await svc.runtime.pause(rec.Id).then(() => true, () => false);
    try {
      const parent = await d.images.get(rec.Image).catch(() => null);
      const c = rec.Config;
      const config = Object.keys(body).length ? { ...c, ...body } : c;
      const img = await commitLayer(d, {
        upperDir: await snapshotter.dir(rec.Id),
        lowerDirs: await snapshotter.parentDirs(rec.Id),
        parent,
        config: {
          User: config.User, ExposedPorts: config.ExposedPorts ?? undefined, Env: config.Env ?? undefined,
          Entrypoint: config.Entrypoint ?? null, Cmd: config.Cmd ?? null, Volumes: config.Volumes ?? undefined,
          WorkingDir: config.WorkingDir, Labels: config.Labels ?? undefined, StopSignal: config.StopSignal,
          Healthcheck: config.Healthcheck ?? undefined, OnBuild: config.OnBuild ?? null, Shell: config.Shell ?? undefined,
        },
        author: ctx.query.get('author') ?? undefined,
        comment: ctx.query.get('comment') ?? undefined,
        changes: ctx.query.getAll('changes').flatMap((ch) => ch.split('\n')).filter((x) => x.trim()),
        containerId: rec.Id,
        createdBy: [rec.Path, ...rec.Args].join(' '),
        tags: repo ? [tag ? `${repo}:${tag}` : repo] : [],
      });
      svc.emit('event', { action: 'commit', rec, attributes: { comment: ctx.query.get('comment') ?? '', imageID: img.id, imageRef: repo ? (tag ? `${repo}:${tag}` : repo) : '' } });
      ctx.send(201, { Id: img.id });
    } finally {
      if (paused) await svc.runtime.resume(rec.Id).catch(() => {});
    }
  });
}

/** The mount (other than tmpfs) holding a path of the container, the deepest one. */
function mountOf(rec: ContainerRecord, path: string): MountPoint | undefined {
  let best: MountPoint | undefined;
  for (const m of Object.values(rec.MountPoints ?? {})) {
    if (m.Type === 'tmpfs') continue;
    const inside = path === m.Destination || path.startsWith(m.Destination === '/' ? '/' : `${m.Destination}/`);
    if (inside && (!best || m.Destination.length > best.Destination.length)) best = m;
  }
  return best;
}

async function pipeOut(ctx: ApiContext, stream: AsyncIterable<Buffer>): Promise<void> {
  const res = ctx.stream('application/x-tar');
  for await (const chunk of stream) {
    if (!(await writeOut(res, chunk))) return;
  }
  res.end();
}
