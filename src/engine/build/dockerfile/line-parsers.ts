/**
 * How each instruction's arguments become a node's argument list, as BuildKit's line parsers
 * (frontend/dockerfile/parser/line_parsers.go and split_command.go). Quotes and escapes are
 * kept here: they are removed when the words are expanded at dispatch.
 */
import { decodeUtf8, encodeUtf8, isRawByte, isSpace, goQuote, trimLeftSpace, trimSpace } from './go-text.js';

/** What a line parser makes of an instruction's arguments. */
export interface ParsedArgs {
  args: string[];
  json: boolean;
}

/** A plain error of the line parsers; the parser adds file and line. */
export class LineError extends Error {}

const NOT_STRING_ARRAY = 'when using JSON array syntax, arrays must be comprised of strings only';

/** Go's regexp.Split(s, n) for `[\t\v\f\r ]+` (n < 0: all pieces). */
export function splitWhitespace(s: string, n = -1): string[] {
  if (s === '') return [''];
  const re = /[\t\v\f\r ]+/g;
  const out: string[] = [];
  let beg = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s)) !== null) {
    if (n > 0 && out.length === n - 1) break;
    out.push(s.slice(beg, m.index));
    beg = m.index + m[0].length;
  }
  out.push(s.slice(beg));
  return out;
}

/**
 * Splits off the instruction and its `--flags` (splitCommand + extractBuilderFlags; quotes and
 * the escape token work inside a flag, so its value may hold spaces). Go walks
 * the flags byte by byte and writes each byte as a rune, so non-ASCII flag values come out as
 * Go's do (Latin-1 of their UTF-8 bytes).
 */
export function splitCommand(line: string, escapeToken = '\\'): { cmd: string; flags: string[]; rest: string } {
  const trimmed = trimSpace(line);
  const m = /[\t\v\f\r ]+/.exec(trimmed);
  const cmd = m ? trimmed.slice(0, m.index) : trimmed;
  if (!m) return { cmd, flags: [], rest: '' };
  const { rest, flags } = extractBuilderFlags(trimmed.slice(m.index + m[0].length), escapeToken.charCodeAt(0));
  return { cmd, flags, rest: trimSpace(rest) };
}

/** A string's UTF-8 bytes as an indexable view: ASCII text is used as is, without a copy. */
interface Bytes {
  length: number;
  at(i: number): number;
  /** Bytes from `i` on (or up to `end`), decoded back to a string. */
  text(i: number, end?: number): string;
}

const ascii = /^[\x00-\x7f]*$/;

function bytesOf(s: string): Bytes {
  if (ascii.test(s)) return { length: s.length, at: (i) => s.charCodeAt(i), text: (i, end) => s.slice(i, end) };
  const b = encodeUtf8(s);
  return { length: b.length, at: (i) => b[i], text: (i, end) => decodeUtf8(b.subarray(i, end)) };
}

function extractBuilderFlags(line: string, esc: number): { rest: string; flags: string[] } {
  const b = bytesOf(line);
  const words: string[] = [];
  const IN_SPACES = 0, IN_WORD = 1, IN_QUOTE = 2;
  let phase = IN_SPACES;
  let word = '';
  let quote = 0;
  let blankOK = false;
  let ch = 0;
  for (let pos = 0; pos <= b.length; pos++) {
    if (pos !== b.length) ch = b.at(pos);
    if (phase === IN_SPACES) {
      if (pos === b.length) break;
      if (isSpace(ch)) continue;
      // only a word starting with -- is a flag; the arguments start at the first other word
      if (ch !== 0x2d || pos + 1 === b.length || b.at(pos + 1) !== 0x2d) return { rest: b.text(pos), flags: words };
      phase = IN_WORD;
    }
    if ((phase === IN_WORD || phase === IN_QUOTE) && pos === b.length) {
      if (word !== '--' && (blankOK || word.length > 0)) words.push(word);
      break;
    }
    if (phase === IN_WORD) {
      if (isSpace(ch)) {
        phase = IN_SPACES;
        if (word === '--') return { rest: b.text(pos), flags: words };
        if (blankOK || word.length > 0) words.push(word);
        word = '';
        blankOK = false;
        continue;
      }
      if (ch === 0x27 || ch === 0x22) {
        quote = ch;
        blankOK = true;
        phase = IN_QUOTE;
        continue;
      }
      if (ch === esc) {
        if (pos + 1 === b.length) continue;
        pos++;
        ch = b.at(pos);
      }
      word += String.fromCharCode(ch);
      continue;
    }
    // IN_QUOTE
    if (ch === quote) {
      phase = IN_WORD;
      continue;
    }
    if (ch === esc) {
      if (pos + 1 === b.length) {
        phase = IN_WORD;
        continue;
      }
      pos++;
      ch = b.at(pos);
    }
    word += String.fromCharCode(ch);
  }
  return { rest: '', flags: words };
}

/**
 * Space-separated words with quotes and escapes kept (parseWords). Go decodes runes here, so an
 * invalid byte becomes U+FFFD.
 */
export function parseWords(rest: string, escapeToken: string): string[] {
  const IN_SPACES = 0, IN_WORD = 1, IN_QUOTE = 2;
  const cps = Array.from(rest, (c) => {
    const cp = c.codePointAt(0) as number;
    return isRawByte(cp) ? 0xfffd : cp;
  });
  const esc = escapeToken.codePointAt(0) as number;
  const words: string[] = [];
  let phase = IN_SPACES;
  let quote = 0;
  let blankOK = false;
  let sb = '';
  let ch = 0;
  for (let pos = 0; pos <= cps.length; pos++) {
    if (pos !== cps.length) ch = cps[pos];
    if (phase === IN_SPACES) {
      if (pos === cps.length) break;
      if (isSpace(ch)) continue;
      phase = IN_WORD;
    }
    if (pos === cps.length) {
      if (blankOK || sb.length > 0) words.push(sb);
      break;
    }
    if (phase === IN_WORD) {
      if (isSpace(ch)) {
        phase = IN_SPACES;
        if (blankOK || sb.length > 0) words.push(sb);
        sb = '';
        blankOK = false;
        continue;
      }
      if (ch === 0x27 || ch === 0x22) {
        quote = ch;
        blankOK = true;
        phase = IN_QUOTE;
      }
      if (ch === esc) {
        if (pos + 1 === cps.length) continue; // an escape token at the end is dropped
        // outside quotes the escape and the next character both stay, even a quote
        sb += String.fromCodePoint(ch);
        pos++;
        ch = cps[pos];
      }
      sb += String.fromCodePoint(ch);
      continue;
    }
    // IN_QUOTE
    if (ch === quote) phase = IN_WORD;
    if (ch === esc && quote !== 0x27) {
      if (pos + 1 === cps.length) {
        phase = IN_WORD;
        continue;
      }
      pos++;
      sb += String.fromCodePoint(ch);
      ch = cps[pos];
    }
    sb += String.fromCodePoint(ch);
  }
  return words;
}

/** ENV and LABEL: `k v` (legacy, one pair) or `k=v ...`; each pair with its separator. */
export function parseNameVal(rest: string, key: string, escapeToken: string): ParsedArgs {
  const words = parseWords(rest, escapeToken);
  if (words.length === 0) return { args: [], json: false };
  if (!words[0].includes('=')) {
    const parts = splitWhitespace(rest, 2);
    if (parts.length < 2) throw new LineError(`${key} must have two arguments`);
    return { args: [parts[0], parts[1], ''], json: false };
  }
  const args: string[] = [];
  for (const w of words) {
    const eq = w.indexOf('=');
    if (eq < 0) throw new LineError(`Syntax error - can't find = in ${goQuote(w)}. Must be of the form: name=value`);
    args.push(w.slice(0, eq), w.slice(eq + 1), '=');
  }
  return { args, json: false };
}

/** ARG: the words as given (`name`, `name=value`). */
export function parseNameOrNameVal(rest: string, escapeToken: string): ParsedArgs {
  return { args: parseWords(rest, escapeToken), json: false };
}

export function parseStringsWhitespaceDelimited(rest: string): ParsedArgs {
  if (rest === '') return { args: [], json: false };
  return { args: splitWhitespace(rest), json: false };
}

export function parseString(rest: string): ParsedArgs {
  return { args: rest === '' ? [] : [rest], json: false };
}

const loneSurrogate = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** A JSON array of strings, or undefined when the text is not one (Go's json.Unmarshal). */
function parseJSON(rest: string): string[] | undefined {
  const t = trimLeftSpace(rest);
  if (!t.startsWith('[')) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(t);
  } catch {
    return undefined;
  }
  if (!Array.isArray(v)) return undefined;
  const out: string[] = [];
  for (const e of v as unknown[]) {
    if (typeof e !== 'string') throw new LineError(NOT_STRING_ARRAY);
    // Go's decoder turns invalid UTF-8 and unpaired \ud8xx escapes into U+FFFD
    out.push(e.replace(loneSurrogate, '\ufffd'));
  }
  return out;
}

/** CMD, ENTRYPOINT, RUN, SHELL: a JSON array, else the whole text as one argument. */
export function parseMaybeJSON(rest: string): ParsedArgs {
  if (rest === '') return { args: [], json: false };
  const list = parseJSON(rest);
  if (list) return { args: list, json: true };
  return { args: [rest], json: false };
}

/** ADD, COPY, VOLUME: a JSON array, else whitespace-separated words. */
export function parseMaybeJSONToList(rest: string): ParsedArgs {
  const list = parseJSON(rest);
  if (list) return { args: list, json: true };
  return parseStringsWhitespaceDelimited(rest);
}

/** HEALTHCHECK: a type word (`CMD`, `NONE`), then as CMD. Go splits the type off by bytes. */
export function parseHealthConfig(rest: string): ParsedArgs {
  const b = bytesOf(rest);
  let sep = 0;
  while (sep < b.length && !isSpace(b.at(sep))) sep++;
  let next = sep;
  while (next < b.length && isSpace(b.at(next))) next++;
  if (sep === 0) return { args: [], json: false };
  const cmd = parseMaybeJSON(b.text(next));
  return { args: [b.text(0, sep), ...cmd.args], json: cmd.json };
}
