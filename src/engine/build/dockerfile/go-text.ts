/**
 * Go's text primitives that BuildKit's parser leans on, so the port behaves byte for byte:
 * unicode.IsSpace, strings.TrimSpace, strconv.Quote, and UTF-8 with invalid bytes kept.
 *
 * Invalid UTF-8 is carried in strings as lone surrogates U+DC80..U+DCFF (one per raw byte, as
 * Python's "surrogateescape"): Go keeps such bytes in its strings, and strconv.Quote prints them
 * as \xNN, which a plain TextDecoder would have turned into U+FFFD.
 */

/** Go's unicode.IsSpace. */
export function isSpace(cp: number): boolean {
  if (cp <= 0xff) return cp === 0x20 || (cp >= 0x09 && cp <= 0x0d) || cp === 0x85 || cp === 0xa0;
  return cp === 0x1680 || (cp >= 0x2000 && cp <= 0x200a) || cp === 0x2028 || cp === 0x2029 || cp === 0x202f || cp === 0x205f || cp === 0x3000;
}

/** Go's strings.TrimSpace. */
export function trimSpace(s: string): string {
  return trimRightSpace(trimLeftSpace(s));
}

/** Go's strings.TrimLeftFunc(s, unicode.IsSpace). */
export function trimLeftSpace(s: string): string {
  let i = 0;
  while (i < s.length) {
    const cp = s.codePointAt(i) as number;
    if (!isSpace(cp)) break;
    i += cp > 0xffff ? 2 : 1;
  }
  return s.slice(i);
}

export function trimRightSpace(s: string): string {
  let j = s.length;
  while (j > 0) {
    const cp = s.charCodeAt(j - 1);
    if (!isSpace(cp)) break; // every Go space is in the BMP
    j--;
  }
  return s.slice(0, j);
}

/** Decodes UTF-8 keeping invalid bytes as U+DC80+byte. */
export function decodeUtf8(buf: Uint8Array): string {
  let out = '';
  let i = 0;
  const n = buf.length;
  while (i < n) {
    const b = buf[i];
    if (b < 0x80) {
      // fast path for ASCII runs
      let j = i + 1;
      while (j < n && buf[j] < 0x80) j++;
      out += Buffer.from(buf.buffer, buf.byteOffset + i, j - i).toString('latin1');
      i = j;
      continue;
    }
    let need = 0;
    let cp = 0;
    let min = 0;
    if (b >= 0xc2 && b <= 0xdf) { need = 1; cp = b & 0x1f; min = 0x80; }
    else if (b >= 0xe0 && b <= 0xef) { need = 2; cp = b & 0x0f; min = 0x800; }
    else if (b >= 0xf0 && b <= 0xf4) { need = 3; cp = b & 0x07; min = 0x10000; }
    let ok = need > 0 && i + need < n;
    if (ok) {
      for (let k = 1; k <= need; k++) {
        const c = buf[i + k];
        if ((c & 0xc0) !== 0x80) { ok = false; break; }
        cp = (cp << 6) | (c & 0x3f);
      }
    }
    if (ok && (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))) ok = false;
    if (ok) {
      out += String.fromCodePoint(cp);
      i += need + 1;
    } else {
      out += String.fromCharCode(0xdc00 + b);
      i++;
    }
  }
  return out;
}

/** Encodes a string as UTF-8, turning U+DC80..U+DCFF back into the raw bytes they stand for. */
export function encodeUtf8(s: string): Buffer {
  if (!/[\udc80-\udcff]/.test(s)) return Buffer.from(s, 'utf8');
  const parts: Buffer[] = [];
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const lone = c >= 0xdc80 && c <= 0xdcff && !(i > 0 && s.charCodeAt(i - 1) >= 0xd800 && s.charCodeAt(i - 1) <= 0xdbff);
    if (lone) {
      parts.push(Buffer.from(s.slice(start, i), 'utf8'), Buffer.from([c - 0xdc00]));
      start = i + 1;
    }
  }
  parts.push(Buffer.from(s.slice(start), 'utf8'));
  return Buffer.concat(parts);
}

/** Whether a code point stands for one raw invalid byte. */
export function isRawByte(cp: number): boolean {
  return cp >= 0xdc80 && cp <= 0xdcff;
}

const printable = /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u;

/** Go's strconv.IsPrint. */
function isPrint(cp: number): boolean {
  if (cp === 0x20) return true;
  if (cp < 0x20 || cp === 0x7f) return false;
  return printable.test(String.fromCodePoint(cp));
}

const hex = (n: number, w: number): string => n.toString(16).padStart(w, '0');

/** Go's strconv.Quote. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0) as number;
    if (isRawByte(cp)) { out += `\\x${hex(cp - 0xdc00, 2)}`; continue; }
    if (cp >= 0xd800 && cp <= 0xdfff) { out += '\\ufffd'; continue; }
    switch (ch) {
      case '"': out += '\\"'; continue;
      case '\\': out += '\\\\'; continue;
      case '\x07': out += '\\a'; continue;
      case '\b': out += '\\b'; continue;
      case '\f': out += '\\f'; continue;
      case '\n': out += '\\n'; continue;
      case '\r': out += '\\r'; continue;
      case '\t': out += '\\t'; continue;
      case '\v': out += '\\v'; continue;
    }
    if (isPrint(cp)) out += ch;
    else if (cp < 0x20 || cp === 0x7f) out += `\\x${hex(cp, 2)}`;
    else if (cp < 0x10000) out += `\\u${hex(cp, 4)}`;
    else out += `\\U${hex(cp, 8)}`;
  }
  return `${out}"`;
}

/** Go's `%q` of a []string: `["a" "b"]`. */
export function goQuoteList(list: string[]): string {
  return `[${list.map(goQuote).join(' ')}]`;
}

/** Go's unicode.IsLetter / IsDigit, for the shell lexer's names. */
const letter = /^\p{L}$/u;
const digit = /^\p{Nd}$/u;
export function isLetter(cp: number): boolean {
  if (cp < 0x80) return (cp >= 0x41 && cp <= 0x5a) || (cp >= 0x61 && cp <= 0x7a);
  return letter.test(String.fromCodePoint(cp));
}
export function isDigit(cp: number): boolean {
  if (cp < 0x80) return cp >= 0x30 && cp <= 0x39;
  return digit.test(String.fromCodePoint(cp));
}
