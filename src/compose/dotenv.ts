/**
 * `.env` files as compose reads them (compose-go's dotenv, a fork of godotenv): `KEY=value`,
 * `KEY: value`, `export KEY=value`, single quotes raw (but `\'`), double quotes with escapes
 * (`\n`, `\t`, `\0123`...), inline comments after a blank, values over several lines inside
 * quotes, a bare `KEY` taken from the environment, and `$VAR` / `${VAR:-d}` expanded from the
 * lines above and the environment (not inside single quotes; `\$` is a literal `$`).
 */
import { interpolate, InterpolationError, type Lookup } from './interpolate.js';

export class DotenvError extends Error {
  override name = 'DotenvError';
}

const ESCAPES: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\', '"': '"', $: '$' };

/** Escapes inside double quotes: known ones replaced, `\0NNN` octal, anything else kept as written. */
function unescapeDouble(s: string): string {
  return s.replace(/\\(?:([abfnrtv\\"$])|0([0-7]{0,3}))/g, (_m, c: string | undefined, oct: string | undefined) => {
    if (c !== undefined) return c === '$' ? '\\$' : ESCAPES[c]!;
    return String.fromCharCode(parseInt(oct || '0', 8));
  });
}

/** `$VAR` and `${...}` expanded, `\$` kept as a literal `$`. */
function expand(value: string, lookup: Lookup): string {
  if (!value.includes('$')) return value;
  // `\$` protects a dollar: swap it for a `$$`, which the interpolator turns into a `$`.
  const parts = value.split('\\$');
  return parts.map((p) => {
    try {
      return interpolate(p, lookup, { keepDoubleDollar: true });
    } catch (e) {
      if (e instanceof InterpolationError) throw new DotenvError(e.message);
      throw e;
    }
  }).join('$');
}

const KEY_CHAR = /[A-Za-z0-9_.\-[\]]/;

/**
 * Parses a .env text. `lookup` answers variables the file uses but does not set (the process
 * environment, which compose lets win over the file's own values when `preferLookup` is true).
 */
export function parseDotenv(text: string, lookup: Lookup = () => undefined, preferLookup = false): Map<string, string> {
  const out = new Map<string, string>();
  const src = text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
  const resolve: Lookup = (name) => {
    if (preferLookup) {
      const v = lookup(name);
      if (v !== undefined) return v;
    }
    return out.get(name) ?? lookup(name);
  };
  let i = 0;
  let line = 1;
  const fail = (msg: string): never => {
    throw new DotenvError(`line ${line}: ${msg}`);
  };
  while (i < src.length) {
    // blank lines, comments and leading blanks
    const c = src[i]!;
    if (c === '\n') {
      line++;
      i++;
      continue;
    }
    if (c === ' ' || c === '\t') {
      i++;
      continue;
    }
    if (c === '#') {
      while (i < src.length && src[i] !== '\n') i++;
      continue;
    }
    // `export ` before a key
    const m = /^export[ \t]+/.exec(src.slice(i, i + 16));
    if (m) i += m[0].length;
    const keyStart = i;
    let k = i;
    while (k < src.length && KEY_CHAR.test(src[k]!)) k++;
    const key = src.slice(i, k);
    i = k;
    while (src[i] === ' ' || src[i] === '\t') i++;
    const sep = src[i];
    if (sep === '\n' || sep === undefined || sep === '#') {
      // a bare key: its value comes from the environment, if there
      if (key === '') fail('unexpected character');
      const v = lookup(key);
      if (v !== undefined) out.set(key, v);
      continue;
    }
    if (sep !== '=' && sep !== ':') {
      const end = src.indexOf('\n', i);
      fail(`unexpected character ${JSON.stringify(src[i])} in variable name ${JSON.stringify(src.slice(keyStart, end < 0 ? undefined : end).trim())}`);
    }
    i++;
    while (src[i] === ' ' || src[i] === '\t') i++;
    const q = src[i];
    let value: string;
    if (q === '"' || q === "'") {
      // quoted: up to the matching quote not escaped by a backslash, maybe over several lines
      let j = i + 1;
      while (j < src.length && src[j] !== q) {
        if (src[j] === '\\' && j + 1 < src.length) j++;
        j++;
      }
      if (j >= src.length) fail(`unterminated quoted value ${src.slice(i, src.indexOf('\n', i) < 0 ? undefined : src.indexOf('\n', i))}`);
      const raw = src.slice(i + 1, j);
      line += raw.split('\n').length - 1;
      value = q === "'" ? raw.replaceAll("\\'", "'") : expand(unescapeDouble(raw), resolve);
      i = j + 1;
      // whatever follows on the line (a comment) is ignored
      while (i < src.length && src[i] !== '\n') i++;
    } else {
      let j = i;
      while (j < src.length && src[j] !== '\n') j++;
      let raw = src.slice(i, j);
      const hash = raw.search(/[ \t]#/);
      if (hash >= 0) raw = raw.slice(0, hash);
      value = expand(raw.trim(), resolve);
      i = j;
    }
    out.set(key, value);
  }
  return out;
}
