/**
 * `RUN --mount=...` as BuildKit reads it (instructions/commands_runmount.go). At parse time
 * (no expander) only the shape is checked and `from` may hold no variable; the values are
 * read for real once expanded at dispatch.
 */
import { goQuote } from './go-text.js';
import { csvFields, parseBool, parseUint32, ramInBytes, withSuggestion } from './go-values.js';

export type MountType = 'bind' | 'cache' | 'tmpfs' | 'secret' | 'ssh';
export type CacheSharing = 'shared' | 'private' | 'locked';

export interface Mount {
  type: MountType;
  /** bind/cache: a stage or image to take the source from. */
  from?: string;
  source?: string;
  target?: string;
  readOnly: boolean;
  /** cache: the cache id; secret/ssh: the secret or agent id. */
  id?: string;
  sharing?: CacheSharing;
  /** secret/ssh: fail when the secret or agent is missing. */
  required: boolean;
  /** tmpfs: size in bytes. */
  size?: number;
  mode?: number;
  uid?: number;
  gid?: number;
  /** secret: expose it as this environment variable (instead of, or as well as, a file). */
  env?: string;
}

const mountTypes: MountType[] = ['bind', 'cache', 'tmpfs', 'secret', 'ssh'];
const sharingModes = new Set(['shared', 'private', 'locked']);
const allKeys = ['type', 'from', 'source', 'target', 'readonly', 'id', 'sharing', 'required', 'size', 'mode', 'uid', 'gid', 'src', 'dst', 'destination', 'ro', 'rw', 'readwrite', 'env'];

/** Parses one --mount value; `expand` undefined is BuildKit's parse-time check. Throws Error. */
export function parseMount(value: string, expand?: (word: string) => string): Mount {
  let fields: string[];
  try {
    fields = csvFields(value);
  } catch (e) {
    throw new Error(`failed to parse csv mounts: ${(e as Error).message}`);
  }
  const m: Mount = { type: 'bind', readOnly: false, required: false };
  let roAuto = true;
  for (const field of fields) {
    const eq = field.indexOf('=');
    const key = (eq < 0 ? field : field.slice(0, eq)).toLowerCase();
    if (eq < 0) {
      if (!expand) continue; // read later
      switch (key) {
        case 'readonly': case 'ro': m.readOnly = true; roAuto = false; continue;
        case 'readwrite': case 'rw': m.readOnly = false; roAuto = false; continue;
        case 'required':
          if (m.type === 'secret' || m.type === 'ssh') { m.required = true; continue; }
          throw new Error(`unexpected key '${key}' for mount type '${m.type}'`);
        default:
          throw new Error(`invalid field '${field}' must be a key=value pair`);
      }
    }
    let v = field.slice(eq + 1);
    if (expand) {
      v = expand(v);
    } else if (key === 'from') {
      const at = v.indexOf('$');
      if (at !== -1 && at !== v.length - 1) throw new Error(`'${key}' doesn't support variable expansion, define alias stage instead`);
    } else {
      continue; // read once expanded
    }
    const bool = (): boolean => {
      const b = parseBool(v);
      if (b === undefined) throw new Error(`invalid value for ${key}: ${v}`);
      return b;
    };
    const uint = (base: 8 | 10, what: string): number => {
      const n = parseUint32(v, base);
      if (n === undefined) throw new Error(`invalid value ${v} for ${what}`);
      return n;
    };
    switch (key) {
      case 'type': {
        const t = v.toLowerCase();
        if (!(mountTypes as string[]).includes(t)) throw new Error(withSuggestion(`unsupported mount type ${goQuote(v)}`, v, mountTypes, true));
        m.type = t as MountType;
        break;
      }
      case 'from': m.from = v; break;
      case 'source': case 'src': m.source = v; break;
      case 'target': case 'dst': case 'destination': m.target = v; break;
      case 'readonly': case 'ro': m.readOnly = bool(); roAuto = false; break;
      case 'readwrite': case 'rw': m.readOnly = !bool(); roAuto = false; break;
      case 'required':
        if (m.type !== 'secret' && m.type !== 'ssh') throw new Error(`unexpected key '${key}' for mount type '${m.type}'`);
        m.required = bool();
        break;
      case 'size':
        if (m.type !== 'tmpfs') throw new Error(`unexpected key '${key}' for mount type '${m.type}'`);
        try {
          m.size = ramInBytes(v);
        } catch {
          throw new Error(`invalid value for ${key}: ${v}`);
        }
        break;
      case 'id': m.id = v; break;
      case 'sharing':
        if (!sharingModes.has(v.toLowerCase())) throw new Error(`unsupported sharing value ${goQuote(v)}`);
        m.sharing = v.toLowerCase() as CacheSharing;
        break;
      case 'mode': m.mode = uint(8, 'mode'); break;
      case 'uid': m.uid = uint(10, 'uid'); break;
      case 'gid': m.gid = uint(10, 'gid'); break;
      case 'env': m.env = v; break;
      default:
        throw new Error(withSuggestion(`unexpected key '${key}' in '${field}'`, key, allKeys, true));
    }
  }
  const fileInfo = m.type === 'secret' || m.type === 'ssh' || m.type === 'cache';
  if (!fileInfo) {
    if (m.mode !== undefined) throw new Error(`mode not allowed for "${m.type}" type mounts`);
    if (m.uid !== undefined) throw new Error(`uid not allowed for "${m.type}" type mounts`);
    if (m.gid !== undefined) throw new Error(`gid not allowed for "${m.type}" type mounts`);
  }
  if (roAuto) m.readOnly = !(m.type === 'cache' || m.type === 'tmpfs');
  if (m.sharing !== undefined && m.type !== 'cache') throw new Error(`invalid cache sharing set for ${m.type} mount`);
  if (m.type === 'secret') {
    if (m.from) throw new Error('secret mount should not have a from');
    if (m.sharing) throw new Error('secret mount should not define sharing');
    if (!m.source && !m.target && !m.id && m.env === undefined) throw new Error('invalid secret mount. one of source, target required');
    if (m.source && m.id) throw new Error("both source and id can't be set");
  }
  return m;
}
