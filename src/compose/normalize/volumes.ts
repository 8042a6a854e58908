/**
 * Service volumes: the short syntax (`SOURCE:TARGET[:MODE]`, `TARGET` alone for an anonymous
 * volume) made long; a source that is a path (`/`, `.`, `~`) is a bind mount, resolved against
 * the file's directory, any other source names a volume of the project.
 */
import path from 'node:path';
import type { VolumeMount } from '../model.js';
import { fail, toBool, toBytes, toInt } from './values.js';

const PROPAGATION = new Set(['shared', 'rshared', 'slave', 'rslave', 'private', 'rprivate']);

/** A path of the file made absolute: `~` from HOME, relative from the file's directory. */
export function resolvePath(p: string, dir: string, home: string | undefined): string {
  if (p === '~' || p.startsWith('~/')) return path.join(home ?? '/', p.slice(1));
  return path.resolve(dir, p);
}

function isPath(s: string): boolean {
  return s.startsWith('/') || s.startsWith('.') || s.startsWith('~') || /^[A-Za-z]:[\\/]/.test(s);
}

export function parseVolumeSpec(spec: string, at: string, dir: string, home: string | undefined): VolumeMount {
  const parts = spec.split(':');
  if (parts.some((p, i) => p === '' && i < 2)) fail(at, `invalid spec: ${spec}: empty section between colons`);
  if (parts.length === 1) return { type: 'volume', target: parts[0]!, volume: {} };
  if (parts.length > 3) fail(at, `invalid spec: ${spec}: too many colons`);
  const [source, target, mode] = parts as [string, string, string | undefined];
  const bind = isPath(source);
  const m: VolumeMount = bind
    ? { type: 'bind', source: resolvePath(source, dir, home), target, bind: { create_host_path: true } }
    : { type: 'volume', source, target, volume: {} };
  for (const opt of mode ? mode.split(',') : []) {
    if (opt === 'ro') m.read_only = true;
    else if (opt === 'rw') m.read_only = undefined;
    else if (opt === 'z' || opt === 'Z') {
      if (m.bind) m.bind.selinux = opt;
    } else if (opt === 'nocopy') {
      if (m.volume) m.volume.nocopy = true;
    } else if (PROPAGATION.has(opt)) {
      if (m.bind) m.bind.propagation = opt;
    } else if (opt !== 'consistent' && opt !== 'cached' && opt !== 'delegated') fail(at, `invalid spec: ${spec}: unknown option: ${opt}`);
  }
  return ordered(m);
}

/** The keys in compose's order (type, source, target, read_only, then the type's options). */
function ordered(m: VolumeMount): VolumeMount {
  const out: Record<string, unknown> = {};
  for (const k of ['type', 'source', 'target', 'read_only', 'consistency', 'bind', 'volume', 'tmpfs', 'image'] as const) if (m[k] !== undefined) out[k] = m[k];
  return out as unknown as VolumeMount;
}

function longVolume(o: Record<string, unknown>, at: string, dir: string, home: string | undefined): VolumeMount {
  const type = String(o.type) as VolumeMount['type'];
  if (o.target === undefined) fail(at, 'missing property \'target\'');
  const m: VolumeMount = { type, target: String(o.target) };
  if (o.source !== undefined && o.source !== '') m.source = type === 'bind' ? resolvePath(String(o.source), dir, home) : String(o.source);
  if (o.read_only !== undefined && toBool(o.read_only, `${at}.read_only`)) m.read_only = true;
  if (o.consistency !== undefined) m.consistency = String(o.consistency);
  if (o.bind && typeof o.bind === 'object') {
    const b = o.bind as Record<string, unknown>;
    m.bind = {
      ...(b.propagation !== undefined ? { propagation: String(b.propagation) } : {}),
      ...(b.create_host_path !== undefined ? { create_host_path: toBool(b.create_host_path, `${at}.bind.create_host_path`) } : {}),
      ...(b.recursive !== undefined ? { recursive: String(b.recursive) } : {}),
      ...(b.selinux !== undefined ? { selinux: String(b.selinux) } : {}),
    };
  } else if (type === 'bind') m.bind = { create_host_path: true };
  if (o.volume && typeof o.volume === 'object') {
    const v = o.volume as Record<string, unknown>;
    m.volume = {
      ...(v.nocopy !== undefined ? { nocopy: toBool(v.nocopy, `${at}.volume.nocopy`) } : {}),
      ...(v.subpath !== undefined ? { subpath: String(v.subpath) } : {}),
    };
  } else if (type === 'volume') m.volume = {};
  if (o.tmpfs && typeof o.tmpfs === 'object') {
    const t = o.tmpfs as Record<string, unknown>;
    m.tmpfs = {
      ...(t.size !== undefined ? { size: toBytes(t.size, `${at}.tmpfs.size`) } : {}),
      ...(t.mode !== undefined ? { mode: typeof t.mode === 'number' ? t.mode : toInt(t.mode, `${at}.tmpfs.mode`) } : {}),
    };
  }
  if (o.image && typeof o.image === 'object') m.image = { ...(o.image as { subpath?: string }) };
  if (type === 'bind' && !m.source) fail(at, 'invalid mount config for type "bind": field Source must not be empty');
  if (type === 'tmpfs' && m.source) fail(at, 'invalid mount config for type "tmpfs": field Source must not be specified');
  return ordered(m);
}

export function normalizeVolumes(v: unknown, at: string, dir: string, home: string | undefined): VolumeMount[] {
  if (!Array.isArray(v)) return [];
  return v.map((x, i) => (typeof x === 'string' ? parseVolumeSpec(x, `${at}[${i}]`, dir, home) : longVolume(x as Record<string, unknown>, `${at}[${i}]`, dir, home)));
}
