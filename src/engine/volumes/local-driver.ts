/**
 * The `local` driver's side of a volume: which names and options it accepts (moby's
 * volume/local), and mounting a volume whose options name a filesystem (`type=tmpfs`,
 * `type=none,o=bind,device=/path`, ...) on its `_data` directory.
 */
import { readFileSync } from 'node:fs';
import { InvalidArgument, SystemError, messageOf } from '../../core/errors.js';
import { mountAll, unmountAll } from '../snapshots/mount.js';

export const LOCAL_DRIVER = 'local';

const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

/** Docker's rules for a local volume's name (it names a directory under the data root). */
export function validateVolumeName(name: string): void {
  if (name.length === 1) {
    throw new InvalidArgument('volume name is too short, names should be at least two alphanumeric characters');
  }
  if (!NAME_RE.test(name)) {
    throw new InvalidArgument(
      `"${name}" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`,
    );
  }
}

const VALID_OPTS = new Set(['type', 'o', 'device', 'size']);
/** An option that needs others beside it (moby's mandatoryOpts). */
const MANDATORY: Array<[string, string[]]> = [['device', ['type']], ['type', ['device']], ['o', ['device', 'type']]];

/** go-units RAMInBytes: `10m`, `1.5g`, `512` (bytes). */
function ramInBytes(v: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgtp]?)i?b?$/i.exec(v.trim());
  if (!m) throw new InvalidArgument(`invalid size: '${v}'`);
  const mult = { '': 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40, p: 2 ** 50 }[m[2]!.toLowerCase() as '' | 'k'];
  return Math.floor(Number(m[1]) * mult);
}

/** Checks driver options as the local driver does; the wording is docker's. */
export function validateOptions(opts: Record<string, string> | null | undefined): void {
  if (!opts) return;
  const keys = Object.keys(opts);
  for (const k of keys) if (!VALID_OPTS.has(k)) throw new InvalidArgument(`invalid option: "${k}"`);
  if (opts.size !== undefined && ramInBytes(opts.size) > 0) {
    // Quotas need project quotas on the backing filesystem, which this engine does not set up.
    throw new InvalidArgument('quota size requested but no quota support');
  }
  for (const [opt, needs] of MANDATORY) {
    if (opts[opt] === undefined) continue;
    for (const n of needs) if (opts[n] === undefined) throw new InvalidArgument(`missing required option: "${n}"`);
  }
}

/** A volume with a device or type is mounted on its data directory while containers use it. */
export function needsMount(opts: Record<string, string> | null | undefined): boolean {
  return !!opts && (!!opts.device || !!opts.type);
}

const FLAG_BITS: Record<string, number> = { ro: 0x1, nosuid: 0x2, nodev: 0x4, noexec: 0x8, bind: 0x1000, rbind: 0x5000 };
const ERRNO_TEXT: Record<string, string> = {
  ENOENT: 'no such file or directory', EACCES: 'permission denied', EINVAL: 'invalid argument', ENODEV: 'no such device',
  ENOTDIR: 'not a directory', EPERM: 'operation not permitted', EBUSY: 'device or resource busy', ENOTBLK: 'block device required',
};

/** Mounts the volume's filesystem on path (`mount -t TYPE -o O DEVICE path`); errors worded as moby's mount package. */
export function mountVolume(opts: Record<string, string>, path: string): void {
  const device = opts.device ?? '';
  if (!device) throw new SystemError(`error while mounting volume '${path}': missing device in volume options`);
  let options = (opts.o ?? '').split(',').filter(Boolean);
  if (opts.type === 'none' && !options.some((o) => o === 'bind' || o === 'rbind')) options = ['bind', ...options];
  try {
    mountAll([{ type: opts.type === 'none' ? 'bind' : (opts.type ?? ''), source: device, options }], path);
  } catch (err) {
    const flags = options.reduce((f, o) => f | (FLAG_BITS[o] ?? 0), 0);
    const data = options.filter((o) => FLAG_BITS[o] === undefined).join(',');
    const code = (err as { code?: string }).code ?? '';
    const reason = ERRNO_TEXT[code] ?? messageOf(err);
    throw new SystemError(
      `error while mounting volume '${path}': failed to mount local volume: mount ${device}:${path}${flags ? `, flags: 0x${flags.toString(16)}` : ''}${data ? `, data: ${data}` : ''}: ${reason}`,
      { cause: err },
    );
  }
}

export function unmountVolume(path: string): void {
  unmountAll(path);
}

/** Decodes the octal escapes mountinfo uses for spaces and the like. */
function unescapeMountPath(p: string): string {
  return p.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** Mount points at or under dir, deepest first (from /proc/self/mountinfo). */
export function mountsUnder(dir: string): string[] {
  let info = '';
  try {
    info = readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const line of info.split('\n')) {
    const f = line.split(' ');
    if (f.length < 5) continue;
    const p = unescapeMountPath(f[4]!);
    if (p === dir || p.startsWith(dir + '/')) out.push(p);
  }
  return out.sort((a, b) => b.length - a.length);
}

export function isMountPoint(path: string): boolean {
  return mountsUnder(path).includes(path);
}
