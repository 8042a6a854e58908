/**
 * daemon.json values checked by type with the words of Go's encoding/json, which dockerd decodes
 * its configuration file with ("json: cannot unmarshal string into Go struct field Config.labels
 * of type []string"), and values printed as Go's %v prints them (conflict messages).
 */

function jsonKind(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (v === null) return 'null';
  if (typeof v === 'object') return 'object';
  return typeof v === 'boolean' ? 'bool' : typeof v;
}

export class DecodeError extends Error {}

/** `field` is Go's struct-field path (`Config.labels`, `Ulimit.default-ulimits.Hard`). */
function mismatch(v: unknown, field: string, goType: string): DecodeError {
  const num = typeof v === 'number' && goType.startsWith('int') ? ` ${v}` : '';
  return new DecodeError(`json: cannot unmarshal ${jsonKind(v)}${num} into Go struct field ${field} of type ${goType}`);
}

export function goString(v: unknown, field: string): string {
  if (typeof v !== 'string') throw mismatch(v, field, 'string');
  return v;
}

export function goBool(v: unknown, field: string): boolean {
  if (typeof v !== 'boolean') throw mismatch(v, field, 'bool');
  return v;
}

export function goInt(v: unknown, field: string, goType = 'int64'): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) throw mismatch(v, field, goType);
  return v;
}

/** A JSON array, for a Go slice of `goType`. */
export function goArray(v: unknown, field: string, goType: string): unknown[] {
  if (!Array.isArray(v)) throw mismatch(v, field, goType);
  return v;
}

/** A JSON array of strings; null elements become "" as Go leaves them. */
export function goStringList(v: unknown, field: string): string[] {
  if (!Array.isArray(v)) throw mismatch(v, field, '[]string');
  return v.map((e) => (e === null ? '' : goString(e, field)));
}

export function goObject(v: unknown, field: string, goType: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw mismatch(v, field, goType);
  return v as Record<string, unknown>;
}

export function goStringMap(v: unknown, field: string): Record<string, string> {
  const o = goObject(v, field, 'map[string]string');
  return Object.fromEntries(Object.entries(o).map(([k, e]) => [k, e === null ? '' : goString(e, field)]));
}

/** A struct's field by its JSON name, matched case-insensitively as Go's decoder does. */
export function goField(o: Record<string, unknown>, name: string): unknown {
  if (name in o) return o[name];
  const k = Object.keys(o).find((key) => key.toLowerCase() === name.toLowerCase());
  return k === undefined ? undefined : o[k];
}

/** A value as Go's fmt %v prints the interface{} json.Unmarshal made of it. */
export function goFormat(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (Array.isArray(v)) return `[${v.map(goFormat).join(' ')}]`;
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `map[${Object.keys(o).sort().map((k) => `${k}:${goFormat(o[k])}`).join(' ')}]`;
  }
  return String(v);
}

/** An *os.PathError of a failed open, as Go prints it ("open F: no such file or directory"). */
export function goOpenError(path: string, err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  const words: Record<string, string> = { ENOENT: 'no such file or directory', EACCES: 'permission denied', ENOTDIR: 'not a directory', EISDIR: 'is a directory' };
  return `open ${path}: ${(e.code && words[e.code]) ?? e.message}`;
}
