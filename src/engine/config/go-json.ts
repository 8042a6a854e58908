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

/** Go's words (syscall.Errno strings) for the errors a file operation meets. */
const ERRNO_WORDS: Record<string, string> = {
  ENOENT: 'no such file or directory', EACCES: 'permission denied', ENOTDIR: 'not a directory', EISDIR: 'is a directory',
  ENAMETOOLONG: 'file name too long', EEXIST: 'file exists', ENOSPC: 'no space left on device', EROFS: 'read-only file system',
  EPERM: 'operation not permitted', EBUSY: 'device or resource busy', ENOTEMPTY: 'directory not empty', EINVAL: 'invalid argument',
};

/** An *os.PathError of a failed open, as Go prints it ("open F: no such file or directory"). */
export function goOpenError(path: string, err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return `open ${path}: ${(e.code && ERRNO_WORDS[e.code]) ?? e.message}`;
}

/** A Node system error as Go's *os.PathError prints it ("mkdir /x: file name too long"); other errors' own message. */
export function goSystemMessage(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (!(err instanceof Error) || !e.code || !e.syscall) return err instanceof Error ? err.message : String(err);
  const words = ERRNO_WORDS[e.code] ?? e.message.replace(/^[A-Z]+: /, '').replace(/, .*$/, '');
  // A program that is not there, as Go's os/exec says it.
  if (e.syscall.startsWith('spawn') && e.code === 'ENOENT') return `exec: "${e.path ?? e.syscall.slice(6)}": executable file not found in $PATH`;
  return e.path && !e.syscall.endsWith(` ${e.path}`) ? `${e.syscall} ${e.path}: ${words}` : `${e.syscall}: ${words}`;
}

/** A JSON value as Go's decoder sees it: numbers keep their literal (Go's errors quote it), objects their key order and repeats. */
export type GoJsonNode =
  | { k: 'null' }
  | { k: 'bool'; v: boolean }
  | { k: 'number'; raw: string }
  | { k: 'string'; v: string }
  | { k: 'array'; items: GoJsonNode[] }
  | { k: 'object'; entries: Array<[string, GoJsonNode]> };

/** A node as the plain value json.Unmarshal makes of it for an interface{} (a later repeated key wins). */
export function goPlain(node: GoJsonNode): unknown {
  switch (node.k) {
    case 'null':
      return null;
    case 'bool':
    case 'string':
      return node.v;
    case 'number':
      return Number(node.raw);
    case 'array':
      return node.items.map(goPlain);
    case 'object':
      return Object.fromEntries(node.entries.map(([k, v]) => [k, goPlain(v)]));
  }
}

/** What Go's json.Decoder.Decode returned instead of a value: io.EOF, io.ErrUnexpectedEOF or a *SyntaxError. */
export class GoSyntaxError extends Error {
  constructor(message: string, readonly eof = false) {
    super(message);
  }
}

/** Go's quoteChar: a byte as the scanner's errors print it (a byte past ASCII as the rune of that value). */
function quoteChar(c: number): string {
  if (c === 0x27) return `'\\''`;
  if (c === 0x22) return `'"'`;
  const named: Record<number, string> = { 7: '\\a', 8: '\\b', 9: '\\t', 10: '\\n', 11: '\\v', 12: '\\f', 13: '\\r', 0x5c: '\\\\' };
  if (named[c]) return `'${named[c]}'`;
  if (c < 0x20 || c === 0x7f) return `'\\x${c.toString(16).padStart(2, '0')}'`;
  if ((c >= 0x80 && c < 0xa1) || c === 0xad) return `'\\u${c.toString(16).padStart(4, '0')}'`;
  return `'${String.fromCharCode(c)}'`;
}

const MAX_DEPTH = 10000; // Go's maxNestingDepth
const ESCAPES: Record<number, string> = { 0x22: '"', 0x5c: '\\', 0x2f: '/', 0x62: '\b', 0x66: '\f', 0x6e: '\n', 0x72: '\r', 0x74: '\t' };
const isSpace = (c: number): boolean => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
const isHex = (c: number): boolean => isDigit(c) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);

/**
 * Reads the first JSON value of `buf` as Go's json.Decoder does, with its errors' words ("invalid
 * character 'x' looking for beginning of value", "unexpected EOF", EOF for nothing but space), and
 * says whether more than space follows (Decoder.More: anything but a closing ']' or '}').
 * Iterative, so a deeply nested body meets Go's depth limit rather than the JavaScript stack's.
 */
export function parseGoJson(buf: Buffer): { value: GoJsonNode; more: boolean } {
  let i = 0;
  const n = buf.length;
  const fail = (context: string): never => {
    if (i >= n) throw new GoSyntaxError('unexpected EOF', true);
    throw new GoSyntaxError(`invalid character ${quoteChar(buf[i]!)} ${context}`);
  };
  const skip = (): void => {
    while (i < n && isSpace(buf[i]!)) i++;
  };
  const decoder = new TextDecoder('utf-8');
  const readString = (): string => {
    i++; // the opening quote
    // The common case: no escapes, so one slice of the buffer.
    let j = i;
    while (j < n && buf[j] !== 0x22 && buf[j] !== 0x5c && buf[j]! >= 0x20) j++;
    if (buf[j] === 0x22) {
      const v = buf.toString('utf8', i, j);
      i = j + 1;
      return v;
    }
    const parts: string[] = [];
    let escapedU = false;
    let start = i;
    for (;;) {
      if (i >= n) fail('in string literal');
      const c = buf[i]!;
      if (c === 0x22) break;
      if (c < 0x20) fail('in string literal');
      if (c !== 0x5c) {
        i++;
        continue;
      }
      parts.push(decoder.decode(buf.subarray(start, i)));
      i++;
      if (i >= n) fail('in string escape code');
      const e = buf[i]!;
      if (ESCAPES[e] !== undefined) {
        parts.push(ESCAPES[e]);
        i++;
      } else if (e === 0x75) {
        i++;
        for (let j = 0; j < 4; j++, i++) if (i >= n || !isHex(buf[i]!)) fail('in \\u hexadecimal character escape');
        parts.push(String.fromCharCode(parseInt(buf.toString('latin1', i - 4, i), 16)));
        escapedU = true;
      } else {
        fail('in string escape code');
      }
      start = i;
    }
    parts.push(decoder.decode(buf.subarray(start, i)));
    i++;
    // As Go: a lone surrogate half becomes U+FFFD.
    if (!escapedU) return parts.join('');
    return parts.join('').replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
  };
  const readNumber = (): GoJsonNode => {
    const start = i;
    if (buf[i] === 0x2d) {
      i++;
      if (i >= n || !isDigit(buf[i]!)) fail('in numeric literal');
    }
    if (buf[i] === 0x30) i++;
    else while (i < n && isDigit(buf[i]!)) i++;
    if (buf[i] === 0x2e) {
      i++;
      if (i >= n || !isDigit(buf[i]!)) fail('after decimal point in numeric literal');
      while (i < n && isDigit(buf[i]!)) i++;
    }
    if (buf[i] === 0x65 || buf[i] === 0x45) {
      i++;
      if (buf[i] === 0x2b || buf[i] === 0x2d) i++;
      if (i >= n || !isDigit(buf[i]!)) fail('in exponent of numeric literal');
      while (i < n && isDigit(buf[i]!)) i++;
    }
    return { k: 'number', raw: buf.toString('latin1', start, i) };
  };
  const readLiteral = (word: string): void => {
    for (let j = 0; j < word.length; j++, i++) {
      if (i >= n || buf[i] !== word.charCodeAt(j)) {
        if (j === 0) fail('looking for beginning of value');
        fail(`in literal ${word} (expecting ${quoteChar(word.charCodeAt(j))})`);
      }
    }
  };

  type Frame = { node: Extract<GoJsonNode, { k: 'array' | 'object' }>; key?: string };
  const stack: Frame[] = [];
  let result: GoJsonNode | undefined;
  skip();
  if (i >= n) throw new GoSyntaxError('EOF', true);
  for (;;) {
    // A value begins here.
    skip();
    let value: GoJsonNode | undefined;
    const c = buf[i];
    if (c === undefined) fail('looking for beginning of value');
    if (c === 0x7b || c === 0x5b) {
      if (stack.length >= MAX_DEPTH) fail('exceeded max depth');
      i++;
      skip();
      if (c === 0x7b) {
        const node: Frame['node'] = { k: 'object', entries: [] };
        if (buf[i] === 0x7d) {
          i++;
          value = node;
        } else {
          if (buf[i] !== 0x22) fail('looking for beginning of object key string');
          const key = readString();
          skip();
          if (buf[i] !== 0x3a) fail('after object key');
          i++;
          stack.push({ node, key });
          continue;
        }
      } else {
        const node: Frame['node'] = { k: 'array', items: [] };
        if (buf[i] === 0x5d) {
          i++;
          value = node;
        } else {
          stack.push({ node });
          continue;
        }
      }
    } else if (c === 0x22) value = { k: 'string', v: readString() };
    else if (c === 0x2d || isDigit(c!)) value = readNumber();
    else if (c === 0x74 || c === 0x66 || c === 0x6e) {
      const word = c === 0x74 ? 'true' : c === 0x66 ? 'false' : 'null';
      readLiteral(word);
      value = word === 'null' ? { k: 'null' } : { k: 'bool', v: word === 'true' };
    } else fail('looking for beginning of value');

    // A value ended: add it to its container, then close containers or go on to the next element.
    for (;;) {
      const top = stack[stack.length - 1];
      if (!top) {
        result = value;
        break;
      }
      if (top.node.k === 'object') top.node.entries.push([top.key!, value!]);
      else top.node.items.push(value!);
      skip();
      const d = buf[i];
      if (top.node.k === 'object') {
        if (d === 0x2c) {
          i++;
          skip();
          if (buf[i] !== 0x22) fail('looking for beginning of object key string');
          top.key = readString();
          skip();
          if (buf[i] !== 0x3a) fail('after object key');
          i++;
          break;
        }
        if (d !== 0x7d) fail('after object key:value pair');
      } else {
        if (d === 0x2c) {
          i++;
          break;
        }
        if (d !== 0x5d) fail('after array element');
      }
      i++;
      value = stack.pop()!.node;
    }
    if (result) break;
  }
  skip();
  return { value: result, more: i < n && buf[i] !== 0x5d && buf[i] !== 0x7d };
}
