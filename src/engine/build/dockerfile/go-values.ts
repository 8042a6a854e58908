/**
 * Go's value parsers that Dockerfile flags go through, with Go's error words: time.ParseDuration,
 * strconv.ParseBool/ParseInt/ParseUint, docker's units.RAMInBytes, a CSV record (encoding/csv),
 * and BuildKit's "did you mean" suggestions (util/suggest).
 */
import { goQuote } from './go-text.js';

const durationUnits: Record<string, number> = {
  ns: 1, us: 1e3, 'µs': 1e3, 'μs': 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9,
};

/** time.ParseDuration, in nanoseconds (integer arithmetic as Go, fractions truncated). */
export function parseDuration(s: string): number {
  const orig = s;
  const invalid = (): Error => new Error(`time: invalid duration ${goQuote(orig)}`);
  let neg = false;
  if (s !== '' && (s[0] === '-' || s[0] === '+')) {
    neg = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s === '') throw invalid();
  let total = 0n;
  while (s !== '') {
    const [all, whole, frac = ''] = /^([0-9]*)(?:\.([0-9]*))?/.exec(s) as RegExpExecArray;
    if (whole === '' && frac === '') throw invalid();
    s = s.slice(all.length);
    const unit = (/^[^0-9.]*/.exec(s) as RegExpExecArray)[0];
    if (unit === '') throw new Error(`time: missing unit in duration ${goQuote(orig)}`);
    const scale = durationUnits[unit];
    if (scale === undefined) throw new Error(`time: unknown unit ${goQuote(unit)} in duration ${goQuote(orig)}`);
    s = s.slice(unit.length);
    const u = BigInt(scale);
    total += BigInt(whole || '0') * u + (frac ? (BigInt(frac) * u) / 10n ** BigInt(frac.length) : 0n);
    if (total > 9223372036854775807n) throw invalid();
  }
  return Number(neg ? -total : total);
}

/** strconv.ParseBool; undefined when the text is not a boolean. */
export function parseBool(s: string): boolean | undefined {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(s)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(s)) return false;
  return undefined;
}

/** strconv.ParseInt(s, 10, 32) with Go's error text. */
export function parseInt32(s: string): number {
  if (!/^[+-]?[0-9]+$/.test(s)) throw new Error(`strconv.ParseInt: parsing ${goQuote(s)}: invalid syntax`);
  const n = Number(s);
  if (n > 2147483647 || n < -2147483648) throw new Error(`strconv.ParseInt: parsing ${goQuote(s)}: value out of range`);
  return n;
}

/** strconv.ParseUint(s, base, 32); undefined when invalid or out of range. */
export function parseUint32(s: string, base: 8 | 10): number | undefined {
  const re = base === 8 ? /^[0-7]+$/ : /^[0-9]+$/;
  if (!re.test(s)) return undefined;
  const n = parseInt(s, base);
  return n <= 0xffffffff ? n : undefined;
}

/** docker/go-units RAMInBytes: `64m`, `1.5g`, `100` (binary multiples). */
export function ramInBytes(size: string): number {
  const m = /^(\d+(?:\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$/.exec(size);
  if (!m) throw new Error(`invalid size: '${size}'`);
  const n = parseFloat(m[1]);
  const mul = { k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40, p: 2 ** 50 }[(m[2] ?? '').toLowerCase()] ?? 1;
  return Math.trunc(n * mul);
}

/** One record of encoding/csv (comma separated, `"` quoting with `""`), as docker reads --mount. */
export function csvFields(s: string): string[] {
  if (s === '') throw new Error('EOF');
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    let field = '';
    if (s[i] === '"') {
      i++;
      for (;;) {
        if (i >= s.length) throw new Error(`parse error on line 1, column ${i + 1}: extraneous or missing " in quoted-field`);
        if (s[i] === '"') {
          if (s[i + 1] === '"') { field += '"'; i += 2; continue; }
          i++;
          break;
        }
        field += s[i++];
      }
      if (i < s.length && s[i] !== ',') throw new Error(`parse error on line 1, column ${i + 1}: extraneous or missing " in quoted-field`);
    } else {
      while (i < s.length && s[i] !== ',') {
        if (s[i] === '"') throw new Error(`parse error on line 1, column ${i + 1}: bare " in non-quoted-field`);
        field += s[i++];
      }
    }
    fields.push(field);
    if (i >= s.length) return fields;
    i++; // the comma
  }
}

function levenshtein(a: string, b: string): number {
  const x = Array.from(a), y = Array.from(b);
  let prev = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const cur = [i];
    for (let j = 1; j <= y.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x[i - 1] === y[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[y.length];
}

const letters = (s: string): string => Array.from(s).sort().join('');

/**
 * BuildKit's suggest.WrapError: adds ` (did you mean X?)` for an option at distance < 3. Go
 * takes ties in map order (random); here an anagram (a transposition) wins a tie.
 */
export function withSuggestion(message: string, value: string, options: string[], caseSensitive: boolean): string {
  const val = caseSensitive ? value : value.toLowerCase();
  let match = '';
  let min = 3;
  let anagram = false;
  for (let opt of options) {
    if (!caseSensitive) opt = opt.toLowerCase();
    if (val === opt) return message;
    const d = levenshtein(val, opt);
    const isAnagram = letters(opt) === letters(val);
    if (d < min || (d === min && isAnagram && !anagram)) {
      anagram = isAnagram;
      match = caseSensitive ? opt : value === value.toLowerCase() ? opt.toLowerCase() : value === value.toUpperCase() ? opt.toUpperCase() : opt;
      min = d;
    }
  }
  return match ? `${message} (did you mean ${match}?)` : message;
}
