/**
 * Human-readable values exactly as docker prints them: go-units sizes and durations, Go's %g,
 * text/tabwriter columns (minwidth 10, padding 3), ID truncation, port lists.
 */

const decimalAbbrs = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];
const binaryAbbrs = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB', 'ZiB', 'YiB'];

/** Go's fmt %.{prec}g: shortest of %e/%f by Go's rule, trailing zeros removed. */
export function goG(x: number, prec: number): string {
  if (x === 0) return '0';
  if (!Number.isFinite(x)) return x > 0 ? '+Inf' : x < 0 ? '-Inf' : 'NaN';
  const exp = Number(x.toExponential(prec - 1).split('e')[1]);
  if (exp < -4 || exp >= prec) {
    const [m, e] = x.toExponential(prec - 1).split('e');
    const mant = m.includes('.') ? m.replace(/0+$/, '').replace(/\.$/, '') : m;
    const n = Number(e);
    return `${mant}e${n < 0 ? '-' : '+'}${String(Math.abs(n)).padStart(2, '0')}`;
  }
  const s = x.toFixed(Math.max(0, prec - 1 - exp));
  return s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s;
}

function customSize(size: number, prec: number, base: number, units: string[]): string {
  let i = 0;
  while (size >= base && i < units.length - 1) {
    size /= base;
    i++;
  }
  return goG(size, prec) + units[i];
}

/** units.HumanSizeWithPrecision: SI (base 1000) sizes, as `docker images` and `ps -s` print. */
export function humanSize(size: number, prec = 4): string {
  return customSize(size, prec, 1000, decimalAbbrs);
}

/** units.BytesSize: binary sizes (KiB, MiB), as `docker stats` prints memory. */
export function bytesSize(size: number): string {
  return customSize(size, 4, 1024, binaryAbbrs);
}

/** units.HumanDuration (shared with the engine's ps Status). */
export { humanDuration } from '../core/units.js';
import { humanDuration } from '../core/units.js';
import { StatusError } from './flags.js';

/** "2 minutes ago" for a unix-seconds or RFC 3339 timestamp. */
export function ago(when: number | string, now = Date.now()): string {
  const t = typeof when === 'number' ? when * 1000 : Date.parse(when);
  return `${humanDuration(now - t)} ago`;
}

/** strconv.ParseFloat's syntax (decimal forms), with its error wording. */
export function goParseFloat(s: string, fn = 'ParseFloat'): number {
  if (!/^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/.test(s) && !/^[+-]?(?:inf|infinity|nan)$/i.test(s)) {
    throw new Error(`strconv.${fn}: parsing ${JSON.stringify(s)}: invalid syntax`);
  }
  return Number(s.replace(/^([+-]?)inf(inity)?$/i, '$1Infinity'));
}

/** go-units RAMInBytes: "512m", "1g", "1.5GB" (binary multipliers, as docker's -m), with its errors. */
export function parseRamBytes(s: string): number {
  let sep = -1;
  for (let i = s.length - 1; i >= 0; i--) {
    if ('0123456789. '.includes(s[i])) {
      sep = i;
      break;
    }
  }
  if (sep === -1) throw new Error(`invalid size: '${s}'`);
  const num = s[sep] !== ' ' ? s.slice(0, sep + 1) : s.slice(0, sep);
  const raw = s.slice(sep + 1);
  const size = goParseFloat(num);
  if (size < 0) throw new Error(`invalid size: '${s}'`);
  if (!raw) return Math.trunc(size);
  const badSuffix = (x: string): Error => new Error(`invalid suffix: '${x}'`);
  if (raw.length > 3) throw badSuffix(raw);
  const sfx = raw.toLowerCase();
  if (sfx[0] === 'b') {
    if (sfx.length > 1) throw badSuffix(sfx);
    return Math.trunc(size);
  }
  const mult: Record<string, number> = { k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };
  const mul = mult[sfx[0]];
  if (mul === undefined) throw badSuffix(sfx);
  if ((sfx.length === 2 && sfx[1] !== 'b') || (sfx.length === 3 && sfx.slice(1) !== 'ib')) throw badSuffix(sfx);
  return Math.trunc(size * mul);
}

/** Go's time.Duration parsing ("10s", "1m30s", "500ms"); returns milliseconds. */
export function parseGoDuration(s: string): number {
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
  const unit: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60000, h: 3600000 };
  if (s === '0') return 0;
  let total = 0;
  let pos = 0;
  let m: RegExpExecArray | null;
  re.lastIndex = 0;
  while ((m = re.exec(s)) !== null) {
    total += Number(m[1]) * unit[m[2]];
    pos = re.lastIndex;
  }
  if (pos !== s.length || s.length === 0) throw new Error(`time: invalid duration "${s}"`);
  return total;
}

/** docker's --since/--until values: RFC 3339 dates, unix timestamps or relative durations. */
/** --since/--until as the engine takes them; a bad value is docker's error with exit 1. */
export function sinceUntil(since: string, until: string): { since?: string; until?: string } {
  try {
    return { since: since ? timestampArg(since) : undefined, until: until ? timestampArg(until) : undefined };
  } catch (e) {
    throw new StatusError((e as Error).message, 1);
  }
}

export function timestampArg(value: string, now = Date.now()): string {
  if (/^\d+(\.\d+)?$/.test(value)) return value;
  try {
    const ms = parseGoDuration(value);
    return ((now - ms) / 1000).toFixed(9);
  } catch {
    const t = Date.parse(value);
    if (Number.isNaN(t)) throw new Error(`failed to parse value as time or duration: "${value}"`);
    return (t / 1000).toFixed(9);
  }
}

export function shortId(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12);
}

/** Display width of a string in runes, as tabwriter counts it. */
function runeLen(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/**
 * text/tabwriter with docker's settings (minwidth 10, tabwidth 1, padding 3, pad ' '): cells end
 * at tabs; text after the last tab on a line is not a cell and is not padded. Columns are aligned
 * within blocks of consecutive lines that have that column, as tabwriter does.
 */
export function tabwrite(text: string, minwidth = 10, padding = 3): string {
  const trailingNl = text.endsWith('\n');
  const lines = (trailingNl ? text.slice(0, -1) : text).split('\n').map((l) => l.split('\t'));
  const widths: number[][] = lines.map((cells) => cells.map(() => 0));
  const format = (line0: number, line1: number, col: number): void => {
    let start = line0;
    for (let i = line0; i < line1; i++) {
      if (lines[i].length - 1 <= col) {
        if (i > start) formatBlock(start, i, col);
        start = i + 1;
      }
    }
    if (line1 > start) formatBlock(start, line1, col);
  };
  const formatBlock = (a: number, b: number, col: number): void => {
    let width = minwidth;
    for (let i = a; i < b; i++) width = Math.max(width, runeLen(lines[i][col]) + padding);
    for (let i = a; i < b; i++) widths[i][col] = width;
    format(a, b, col + 1);
  };
  format(0, lines.length, 0);
  const out = lines.map((cells, i) =>
    cells.map((c, j) => (j < cells.length - 1 ? c + ' '.repeat(Math.max(0, widths[i][j] - runeLen(c))) : c)).join(''),
  );
  return out.join('\n') + (trailingNl ? '\n' : '');
}

export interface ApiPort {
  IP?: string;
  PrivatePort: number;
  PublicPort?: number;
  Type: string;
}

/** formatter.DisplayablePorts: "0.0.0.0:8080->80/tcp, 443/tcp", consecutive ports merged. */
export function displayablePorts(input: ApiPort[]): string {
  const ports = [...input].sort((i, j) => {
    if (i.PrivatePort !== j.PrivatePort) return i.PrivatePort - j.PrivatePort;
    if ((i.IP ?? '') !== (j.IP ?? '')) return (i.IP ?? '') < (j.IP ?? '') ? -1 : 1;
    if ((i.PublicPort ?? 0) !== (j.PublicPort ?? 0)) return (i.PublicPort ?? 0) - (j.PublicPort ?? 0);
    return i.Type < j.Type ? -1 : i.Type > j.Type ? 1 : 0;
  });
  const groups = new Map<string, { first: number; last: number }>();
  const result: string[] = [];
  const hostMappings: string[] = [];
  const joinHostPort = (ip: string, port: number): string => (ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`);
  const formGroup = (key: string, first: number, last: number): string => {
    const slash = key.lastIndexOf('/');
    const ip = slash >= 0 ? key.slice(0, slash) : '';
    const type = slash >= 0 ? key.slice(slash + 1) : key;
    let group = String(first);
    if (first !== last) group += `-${last}`;
    if (ip) group = `${ip.includes(':') ? `[${ip}]` : ip}:${group}->${group}`;
    return `${group}/${type}`;
  };
  for (const port of ports) {
    const current = port.PrivatePort;
    let key = port.Type;
    if (port.IP) {
      if (port.PublicPort !== current) {
        hostMappings.push(`${joinHostPort(port.IP, port.PublicPort ?? 0)}->${port.PrivatePort}/${port.Type}`);
        continue;
      }
      key = `${port.IP}/${port.Type}`;
    }
    const g = groups.get(key);
    if (!g) {
      groups.set(key, { first: current, last: current });
      continue;
    }
    if (current === g.last + 1) {
      g.last = current;
      continue;
    }
    result.push(formGroup(key, g.first, g.last));
    // Go re-inserts into the map, so the key keeps its original position
    groups.set(key, { first: current, last: current });
  }
  for (const [key, g] of groups) result.push(formGroup(key, g.first, g.last));
  return [...result, ...hostMappings].join(', ');
}

/** Ellipsis truncation as docker's formatter.Ellipsis: keeps maxDisplayWidth runes, last one "…". */
export function ellipsis(s: string, max: number): string {
  const r = [...s];
  if (r.length <= max) return s;
  return r.slice(0, max - 1).join('') + '…';
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

function zoneSuffix(d: Date): string {
  const off = -d.getTimezoneOffset();
  if (off === 0) return 'Z';
  return `${off > 0 ? '+' : '-'}${pad2(Math.floor(Math.abs(off) / 60))}:${pad2(Math.abs(off) % 60)}`;
}

/** time.RFC3339 in local time: "2024-01-02T15:04:05Z" / "...+01:00". */
export function rfc3339(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())}T${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}${zoneSuffix(d)}`;
}

/** jsonmessage.RFC3339NanoFixed ("2006-01-02T15:04:05.000000000Z07:00") from unix nanoseconds. */
export function rfc3339NanoFixed(nanos: bigint): string {
  const ms = Number(nanos / 1000000n);
  const frac = String(nanos % 1000000000n).padStart(9, '0');
  const base = rfc3339(ms);
  const z = base.endsWith('Z') ? 'Z' : base.slice(-6);
  return `${base.slice(0, 19)}.${frac}${z}`;
}

/** time.Unix(sec).String(): "2024-01-02 15:04:05 +0000 UTC" in local time. */
export function goTime(sec: number): string {
  const d = new Date(sec * 1000);
  const off = -d.getTimezoneOffset();
  const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
  const sign = off >= 0 ? '+' : '-';
  const zone = off === 0 ? 'UTC' : (new Intl.DateTimeFormat('en-US', { timeZoneName: 'short' }).formatToParts(d).find((x) => x.type === 'timeZoneName')?.value ?? '');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())} ${sign}${pad(Math.floor(Math.abs(off) / 60))}${pad(Math.abs(off) % 60)} ${zone}`;
}

/** time.Time.String() of an RFC 3339 timestamp as the engine sends it ("2024-01-02 15:04:05.123 +0000 UTC"). */
export function goTimeText(rfc3339: string): string {
  const m = /^(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(rfc3339);
  if (!m) return rfc3339;
  const frac = (m[3] ?? '').slice(0, 9).replace(/0+$/, '');
  const zone = m[4] === 'Z' ? '+0000 UTC' : `${m[4].replace(':', '')} ${m[4].replace(':', '')}`;
  return `${m[1]} ${m[2]}${frac ? `.${frac}` : ''} ${zone}`;
}

const isDigit = (c: string): boolean => c >= '0' && c <= '9';

/** fvbommel/sortorder.NaturalLess: digit runs compare as numbers, digits before other characters. */
export function naturalLess(a: string, b: string): boolean {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const d1 = isDigit(a[i]);
    const d2 = isDigit(b[j]);
    if (d1 !== d2) return d1;
    if (!d1) {
      if (a[i] !== b[j]) return a[i] < b[j];
      i++;
      j++;
      continue;
    }
    while (i < a.length && a[i] === '0') i++;
    while (j < b.length && b[j] === '0') j++;
    const nz1 = i;
    const nz2 = j;
    while (i < a.length && isDigit(a[i])) i++;
    while (j < b.length && isDigit(b[j])) j++;
    if (i - nz1 !== j - nz2) return i - nz1 < j - nz2;
    const n1 = a.slice(nz1, i);
    const n2 = b.slice(nz2, j);
    if (n1 !== n2) return n1 < n2;
    if (nz1 !== nz2) return nz1 < nz2;
  }
  return a.length < b.length;
}
