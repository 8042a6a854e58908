/**
 * `--user` resolution against the container's own /etc/passwd and /etc/group, with runc's
 * libcontainer/user semantics (which docker uses): `name|uid[:group|gid]`, numeric ids need no
 * entry, supplementary groups come from /etc/group only when no group was given.
 */
import { readFile, readlink } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { InvalidArgument, isErrno } from '../../core/errors.js';

export interface ResolvedUser {
  uid: number;
  gid: number;
  /** Primary gid first, then supplementary and `--group-add` groups, as docker builds it. */
  additionalGids: number[];
  home: string;
}

interface PasswdEntry { name: string; uid: number; gid: number; home: string }
interface GroupEntry { name: string; gid: number; members: string[] }

const MAX_ID = 2 ** 31 - 1;

/** Resolves `path` (absolute, inside the container) to a host path, following symlinks without leaving root. */
export async function resolveInRoot(root: string, path: string): Promise<string> {
  const parts = path.split('/').filter((p) => p !== '' && p !== '.');
  const done: string[] = [];
  let hops = 0;
  while (parts.length > 0) {
    const part = parts.shift()!;
    if (part === '..') {
      done.pop();
      continue;
    }
    const candidate = join(root, ...done, part);
    let target: string | undefined;
    try {
      target = await readlink(candidate);
    } catch (err) {
      if (!isErrno(err, 'EINVAL') && !isErrno(err, 'ENOENT') && !isErrno(err, 'ENOTDIR')) throw err;
    }
    if (target === undefined) {
      done.push(part);
      continue;
    }
    if (++hops > 255) throw new InvalidArgument(`too many levels of symbolic links: ${path}`);
    const rest = target.split('/').filter((p) => p !== '' && p !== '.');
    if (target.startsWith('/')) done.length = 0;
    parts.unshift(...rest);
  }
  return join(root, ...done);
}

async function readOptional(root: string, path: string): Promise<string | undefined> {
  try {
    return await readFile(await resolveInRoot(root, path), 'utf8');
  } catch (err) {
    if (isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR')) return undefined;
    throw err;
  }
}

function parseId(s: string): number | undefined {
  if (!/^-?\d+$/.test(s)) return undefined;
  const n = Number(s);
  if (n < 0 || n > MAX_ID) throw new InvalidArgument('uids and gids must be in range 0-2147483647');
  return n;
}

export function parsePasswd(text: string): PasswdEntry[] {
  const out: PasswdEntry[] = [];
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (t === '' || t.startsWith('#')) continue;
    const f = t.split(':');
    out.push({ name: f[0] ?? '', uid: Number(f[2] ?? 0) || 0, gid: Number(f[3] ?? 0) || 0, home: f[5] ?? '' });
  }
  return out;
}

export function parseGroup(text: string): GroupEntry[] {
  const out: GroupEntry[] = [];
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (t === '' || t.startsWith('#')) continue;
    const f = t.split(':');
    const members = (f[3] ?? '').split(',').filter((m) => m !== '');
    out.push({ name: f[0] ?? '', gid: Number(f[2] ?? 0) || 0, members });
  }
  return out;
}

/**
 * Resolves a docker `--user` value (`""`, `name`, `uid`, `name:group`, `uid:gid`, ...) and
 * `--group-add` entries against the rootfs's /etc/passwd and /etc/group.
 */
export async function resolveUser(rootfsDir: string, spec: string, groupAdd: readonly string[] = []): Promise<ResolvedUser> {
  const [userArg = '', groupArg = ''] = splitOnce(spec, ':');
  const passwd = parsePasswd((await readOptional(rootfsDir, '/etc/passwd')) ?? '');
  const needGroups = groupArg !== '' || userArg !== '' || groupAdd.length > 0;
  const groups = needGroups ? parseGroup((await readOptional(rootfsDir, '/etc/group')) ?? '') : [];

  let uid = 0;
  let gid = 0;
  let home = '/';
  let matchedName: string | undefined;
  if (userArg !== '') {
    const found = passwd.find((p) => p.name === userArg || String(p.uid) === userArg);
    if (found) {
      uid = found.uid;
      gid = found.gid;
      home = found.home || '/';
      matchedName = found.name;
    } else {
      const n = parseId(userArg);
      if (n === undefined) throw new InvalidArgument(`unable to find user ${userArg}: no matching entries in passwd file`);
      uid = n;
    }
  }
  const sgids: number[] = [];
  if (groupArg !== '') {
    const g = groups.find((e) => e.name === groupArg || String(e.gid) === groupArg);
    if (g) gid = g.gid;
    else {
      const n = parseId(groupArg);
      if (n === undefined) throw new InvalidArgument(`unable to find group ${groupArg}: no matching entries in group file`);
      gid = n;
    }
  } else if (matchedName !== undefined) {
    for (const g of groups) if (g.members.includes(matchedName)) sgids.push(g.gid);
  }
  for (const extra of groupAdd) {
    const g = groups.find((e) => e.name === extra);
    if (g) sgids.push(g.gid);
    else {
      const n = parseId(extra);
      if (n === undefined) throw new InvalidArgument(`unable to find group ${extra}: no matching entries in group file`);
      sgids.push(n);
    }
  }
  return { uid, gid, additionalGids: [gid, ...sgids], home: posix.normalize(home) };
}

function splitOnce(s: string, sep: string): [string, string] {
  const i = s.indexOf(sep);
  return i < 0 ? [s, ''] : [s.slice(0, i), s.slice(i + 1)];
}
