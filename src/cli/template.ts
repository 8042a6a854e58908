/**
 * A subset of Go's text/template, enough for docker's --format: fields and methods, variables,
 * pipelines, if/else if/else, range (with $i, $v :=), with, and docker's function set (json, join,
 * split, lower, upper, title, pad, truncate) plus Go's builtins (index, len, printf, eq, and...).
 */

export type Fn = (...args: unknown[]) => unknown;

type Node =
  | { kind: 'text'; text: string }
  | { kind: 'action'; pipe: Pipe }
  | { kind: 'if' | 'with'; pipe: Pipe; list: Node[]; elseList: Node[] }
  | { kind: 'range'; pipe: Pipe; list: Node[]; elseList: Node[] };

interface Pipe {
  decl: string[];
  assign: boolean;
  cmds: Operand[][];
}

type Operand =
  | { kind: 'field'; recv: Operand | null; names: string[]; at?: At }
  | { kind: 'var'; name: string; names: string[]; at?: At }
  | { kind: 'ident'; name: string }
  | { kind: 'lit'; value: unknown }
  | { kind: 'pipe'; pipe: Pipe; names: string[] };

/** Where a node is in the template, for Go's error context: byte offset and its text. */
interface At {
  pos: number;
  text: string;
}

/**
 * A template error. `context` is Go's ErrorContext ("1:2" and the node's text) for errors while
 * executing; goMessage is the text Go's text/template gives ("template: :1:2: executing ...").
 */
export class TemplateError extends Error {
  context?: { loc: string; text: string };
  get goMessage(): string {
    return this.context ? `template: :${this.context.loc}: executing "" at <${this.context.text}>: ${this.message}` : `template: :1: ${this.message}`;
  }
}

/** A missing field or method on a typed value (a formatter context), as Go words it. */
export class MissingFieldError extends TemplateError {}

type Tok = { t: 'field' | 'var' | 'ident' | 'str' | 'num' | 'punct'; v: string; pos: number };

function lexAction(src: string, base = 0): Tok[] {
  const toks: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '"') {
      let j = i + 1;
      while (j < src.length && src[j] !== '"') j += src[j] === '\\' ? 2 : 1;
      if (j >= src.length) throw new TemplateError('unterminated quoted string');
      toks.push({ t: 'str', v: JSON.parse(src.slice(i, j + 1)) as string, pos: base + i });
      i = j + 1;
      continue;
    }
    if (c === '`') {
      const j = src.indexOf('`', i + 1);
      if (j < 0) throw new TemplateError('unterminated raw quoted string');
      toks.push({ t: 'str', v: src.slice(i + 1, j), pos: base + i });
      i = j + 1;
      continue;
    }
    if (c === ':' && src[i + 1] === '=') {
      toks.push({ t: 'punct', v: ':=', pos: base + i });
      i += 2;
      continue;
    }
    if ('|(),='.includes(c)) {
      toks.push({ t: 'punct', v: c, pos: base + i });
      i++;
      continue;
    }
    const m = /^(\.[A-Za-z0-9_.]*|\$[A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*|-?\d+(?:\.\d+)?|'(?:\\.|[^'])'|[A-Za-z_][A-Za-z0-9_]*)/.exec(src.slice(i));
    if (!m) throw new TemplateError(`unexpected "${c}" in command`);
    const w = m[1];
    const pos = base + i;
    if (w.startsWith('.')) toks.push({ t: 'field', v: w, pos });
    else if (w.startsWith('$')) toks.push({ t: 'var', v: w, pos });
    else if (/^-?\d/.test(w)) toks.push({ t: 'num', v: w, pos });
    else if (w.startsWith("'")) toks.push({ t: 'num', v: String(w.codePointAt(1)), pos });
    else toks.push({ t: 'ident', v: w, pos });
    i += w.length;
    // Go's lexer wants a field, variable or word to end at a blank, an operator or the action's end
    const after = src[i];
    if (!/^-?\d|^'/.test(w) && after !== undefined && !/[\s.,|:()]/.test(after)) {
      const cp = after.codePointAt(0) ?? 0;
      throw new TemplateError(`bad character U+${cp.toString(16).toUpperCase().padStart(4, '0')} '${after}'`);
    }
  }
  return toks;
}

class Parser {
  private pos = 0;
  constructor(private toks: Tok[]) {}

  pipe(): Pipe {
    const decl: string[] = [];
    let assign = false;
    // lookahead for "$x :=" or "$i, $v :="
    const save = this.pos;
    while (this.peek()?.t === 'var') {
      decl.push(this.next().v);
      const p = this.peek();
      if (p?.v === ',') {
        this.pos++;
        continue;
      }
      if (p?.v === ':=' || p?.v === '=') {
        assign = p.v === '=';
        this.pos++;
        break;
      }
      decl.length = 0;
      this.pos = save;
      break;
    }
    const cmds: Operand[][] = [];
    for (;;) {
      const cmd: Operand[] = [];
      while (this.peek() && this.peek()?.v !== '|' && this.peek()?.v !== ')') cmd.push(this.operand());
      if (cmd.length === 0) throw new TemplateError('missing value for command');
      cmds.push(cmd);
      if (this.peek()?.v === '|') {
        this.pos++;
        continue;
      }
      break;
    }
    return { decl, assign, cmds };
  }

  private operand(): Operand {
    const t = this.next();
    // Go reports a field chain at its last element: ".State.Nosuch" at ".Nosuch"
    const at = (): At => ({ pos: t.pos + t.v.lastIndexOf('.'), text: t.v });
    if (t.t === 'field') return { kind: 'field', recv: null, names: t.v === '.' ? [] : t.v.slice(1).split('.'), at: at() };
    if (t.t === 'var') {
      const [name, ...names] = t.v.split('.');
      return { kind: 'var', name, names, at: at() };
    }
    if (t.t === 'str') return { kind: 'lit', value: t.v };
    if (t.t === 'num') return { kind: 'lit', value: Number(t.v) };
    if (t.t === 'ident') {
      if (t.v === 'true' || t.v === 'false') return { kind: 'lit', value: t.v === 'true' };
      if (t.v === 'nil') return { kind: 'lit', value: null };
      return { kind: 'ident', name: t.v };
    }
    if (t.v === '(') {
      const pipe = this.pipe();
      if (this.next().v !== ')') throw new TemplateError('unclosed left paren');
      let names: string[] = [];
      const f = this.peek();
      if (f?.t === 'field' && f.v !== '.') {
        this.pos++;
        names = f.v.slice(1).split('.');
      }
      return { kind: 'pipe', pipe, names };
    }
    throw new TemplateError(`unexpected "${t.v}" in operand`);
  }

  private peek(): Tok | undefined {
    return this.toks[this.pos];
  }

  private next(): Tok {
    const t = this.toks[this.pos++];
    if (!t) throw new TemplateError('unexpected end of action');
    return t;
  }

  done(): boolean {
    return this.pos >= this.toks.length;
  }
}

function parse(src: string): Node[] {
  // split into text and actions, applying {{- and -}} trimming
  type Item = { text: string } | { action: string; pos: number };
  const items: Item[] = [];
  let i = 0;
  let trimNext = false;
  while (i < src.length) {
    const open = src.indexOf('{{', i);
    let text = open < 0 ? src.slice(i) : src.slice(i, open);
    if (trimNext) text = text.replace(/^\s+/, '');
    if (open < 0) {
      items.push({ text });
      break;
    }
    let start = open + 2;
    if (src[start] === '-' && /\s/.test(src[start + 1] ?? '')) {
      text = text.replace(/\s+$/, '');
      start++;
    }
    items.push({ text });
    const close = src.indexOf('}}', start);
    if (close < 0) throw new TemplateError('unclosed action');
    let body = src.slice(start, close);
    trimNext = false;
    if (/\s-$/.test(body)) {
      body = body.slice(0, -1);
      trimNext = true;
    }
    items.push({ action: body.trim(), pos: start + (body.length - body.trimStart().length) });
    i = close + 2;
  }

  let pos = 0;
  let elseAction = '';
  let elsePos = 0;
  const block = (word: string, src: string, at: number): Node => {
    if (word !== 'if' && word !== 'with' && word !== 'range') throw new TemplateError(`unexpected ${word} after else`);
    const pipe = new Parser(lexAction(src, at)).pipe();
    const body = list(['end', 'else']);
    let elseList: Node[] = [];
    if (body.end === 'else') elseList = list(['end']).nodes;
    else if (body.end === 'elseif') {
      const m = /^(\w+)\b\s*(.*)$/s.exec(elseAction);
      elseList = [block(m?.[1] ?? '', m?.[2] ?? '', elsePos + (elseAction.length - (m?.[2] ?? '').length))];
    }
    return { kind: word, pipe, list: body.nodes, elseList };
  };
  const list = (ends: string[]): { nodes: Node[]; end: string } => {
    const nodes: Node[] = [];
    while (pos < items.length) {
      const it = items[pos++];
      if ('text' in it) {
        if (it.text) nodes.push({ kind: 'text', text: it.text });
        continue;
      }
      const a = it.action;
      const at = it.pos;
      if (a.startsWith('/*')) continue;
      const kw = /^(\w+)\b\s*(.*)$/s.exec(a);
      const word = kw?.[1] ?? '';
      if (word === 'end' || word === 'else') {
        if (!ends.includes(word)) throw new TemplateError(`unexpected {{${word}}}`);
        if (word === 'else' && kw?.[2]) {
          elseAction = kw[2];
          elsePos = at + (a.length - kw[2].length);
          return { nodes, end: 'elseif' };
        }
        return { nodes, end: word };
      }
      if (word === 'if' || word === 'with' || word === 'range') {
        nodes.push(block(word, kw?.[2] ?? '', at + (a.length - (kw?.[2] ?? '').length)));
        continue;
      }
      const p = new Parser(lexAction(a, at));
      const pipe = p.pipe();
      if (!p.done()) throw new TemplateError(`unexpected token in action: ${a}`);
      nodes.push({ kind: 'action', pipe });
    }
    if (ends.length) throw new TemplateError('unexpected EOF');
    return { nodes, end: '' };
  };
  return list([]).nodes;
}

// ---------- evaluation ----------

export function truth(v: unknown): boolean {
  if (v === null || v === undefined || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (v instanceof Map) return v.size > 0;
  if (typeof v === 'object') return Object.keys(v).length > 0 || typeof (v as { toJSON?: unknown }).toJSON === 'function';
  return true;
}

/** fmt.Sprint of a value, as Go prints it. */
export function goString(v: unknown): string {
  if (v === undefined) return '<no value>';
  if (v === null) return '<nil>';
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : goFloat(v);
  if (typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `[${v.map(goString).join(' ')}]`;
  if (typeof v === 'object') {
    const s = (v as { toString?: () => string }).toString;
    if (s && s !== Object.prototype.toString) return s.call(v);
    const keys = Object.keys(v).sort();
    return `map[${keys.map((k) => `${k}:${goString((v as Record<string, unknown>)[k])}`).join(' ')}]`;
  }
  return String(v);
}

function goFloat(v: number): string {
  const exp = Math.floor(Math.log10(Math.abs(v)));
  if (exp < -4 || exp >= 21) {
    const [m, e] = v.toExponential().split('e');
    const n = Number(e);
    return `${m}e${n < 0 ? '-' : '+'}${String(Math.abs(n)).padStart(2, '0')}`;
  }
  return String(v);
}

/** A subset of Go's fmt verbs: %s %v %d %q %x %f %t %% with flags, width and precision. */
export function sprintf(format: string, ...args: unknown[]): string {
  let ai = 0;
  return format.replace(/%([-+ 0#]*)(\d+)?(?:\.(\d+))?([a-zA-Z%])/g, (_m, flags: string, width?: string, precStr?: string, verb?: string) => {
    if (verb === '%') return '%';
    if (ai >= args.length) return `%!${verb}(MISSING)`;
    const a = args[ai++];
    const prec = precStr === undefined ? undefined : Number(precStr);
    let s: string;
    switch (verb) {
      case 'd':
        s = typeof a === 'number' ? String(Math.trunc(a)) : `%!d(${typeof a}=${goString(a)})`;
        break;
      case 'f':
        s = typeof a === 'number' ? a.toFixed(prec ?? 6) : `%!f(${typeof a}=${goString(a)})`;
        break;
      case 'q':
        s = JSON.stringify(goString(a));
        break;
      case 'x':
        s = typeof a === 'number' ? a.toString(16) : Buffer.from(goString(a)).toString('hex');
        break;
      case 't':
      case 's':
      case 'v':
      default:
        s = goString(a);
        if (prec !== undefined && verb === 's') s = [...s].slice(0, prec).join('');
    }
    if (width) {
      const w = Number(width);
      const len = [...s].length;
      if (len < w) s = flags.includes('-') ? s + ' '.repeat(w - len) : (flags.includes('0') && verb !== 's' ? '0' : ' ').repeat(w - len) + s;
    }
    return s;
  });
}

/**
 * docker's `json` template function encodes without HTML escaping, but its formatter contexts
 * (our row classes, with toJSON) marshal themselves with json.Marshal, which escapes <, > and &.
 */
function jsonOf(v: unknown): string {
  // a value with 64-bit integers JSON.stringify cannot write exactly marshals itself
  const raw = (v as { goJSON?: () => string } | null | undefined)?.goJSON;
  if (typeof raw === 'function') return raw.call(v);
  const s = JSON.stringify(v === undefined ? null : v) ?? 'null';
  if (typeof (v as { toJSON?: unknown } | null | undefined)?.toJSON !== 'function') return s;
  return s.replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function length(v: unknown): number {
  if (typeof v === 'string' || Array.isArray(v)) return v.length;
  if (v instanceof Map) return v.size;
  if (v && typeof v === 'object') return Object.keys(v).length;
  throw new TemplateError(`len of type ${typeof v}`);
}

function cmp(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  throw new TemplateError('incompatible types for comparison');
}

const builtins: Record<string, Fn> = {
  json: (v) => jsonOf(v),
  join: (v, sep) => (Array.isArray(v) ? v.map(goString).join(String(sep)) : goString(v)),
  split: (s, sep) => goString(s).split(String(sep)),
  lower: (s) => goString(s).toLowerCase(),
  upper: (s) => goString(s).toUpperCase(),
  title: (s) => goString(s).replace(/(^|[^\p{L}\p{N}])(\p{L})/gu, (_m, a: string, b: string) => a + b.toUpperCase()),
  pad: (s, l, r) => ' '.repeat(Number(l)) + goString(s) + ' '.repeat(Number(r)),
  truncate: (s, n) => [...goString(s)].slice(0, Number(n)).join(''),
  index: (v, ...keys) => {
    let cur = v;
    for (const k of keys) {
      if (cur === null || cur === undefined) return undefined;
      if (Array.isArray(cur)) {
        if (typeof k !== 'number' || k < 0 || k >= cur.length) throw new TemplateError(`error calling index: index out of range: ${goString(k)}`);
        cur = cur[k];
      } else if (cur instanceof Map) cur = cur.get(k);
      else if (typeof cur === 'object') cur = Object.prototype.hasOwnProperty.call(cur, String(k)) ? (cur as Record<string, unknown>)[String(k)] : undefined;
      else throw new TemplateError(`can't index item of type ${typeof cur}`);
    }
    return cur === undefined && keys.length ? '' : cur;
  },
  len: (v) => length(v),
  print: (...a) => a.map(goString).join(''),
  println: (...a) => a.map(goString).join(' ') + '\n',
  printf: (f, ...a) => sprintf(goString(f), ...a),
  not: (v) => !truth(v),
  and: (...a) => {
    for (const x of a) if (!truth(x)) return x;
    return a[a.length - 1];
  },
  or: (...a) => {
    for (const x of a) if (truth(x)) return x;
    return a[a.length - 1];
  },
  eq: (a, ...bs) => bs.some((b) => a === b),
  ne: (a, b) => a !== b,
  lt: (a, b) => cmp(a, b) < 0,
  le: (a, b) => cmp(a, b) <= 0,
  gt: (a, b) => cmp(a, b) > 0,
  ge: (a, b) => cmp(a, b) >= 0,
  slice: (v, a, b) => (typeof v === 'string' || Array.isArray(v) ? v.slice(Number(a ?? 0), b === undefined ? undefined : Number(b)) : v),
};

/** docker's HeaderFunctions: in a table header every formatting function returns its input. */
const headerFns: Record<string, Fn> = {
  json: (v) => v,
  join: (v) => v,
  split: (v) => v,
  lower: (v) => v,
  upper: (v) => v,
  title: (v) => v,
  pad: (v) => v,
  truncate: (v) => v,
};

class Scope {
  constructor(
    private vars: Map<string, unknown>,
    private parent: Scope | null,
  ) {}
  get(name: string): unknown {
    if (this.vars.has(name)) return this.vars.get(name);
    if (this.parent) return this.parent.get(name);
    throw new TemplateError(`undefined variable: ${name}`);
  }
  set(name: string, v: unknown, assign: boolean): void {
    if (assign && !this.vars.has(name) && this.parent) this.parent.set(name, v, true);
    else this.vars.set(name, v);
  }
  child(): Scope {
    return new Scope(new Map(), this);
  }
}

/** The Go type a row class stands for, named in "can't evaluate field" errors. */
export const goType = Symbol('goType');

/** Fields that are Go maps in docker's inspect types: a missing key there is "<no value>", not an error. */
const goMaps = new Set(['Labels', 'Attributes', 'Networks', 'Ports', 'Volumes', 'ExposedPorts', 'Data', 'Options', 'DriverOpts', 'Sysctls', 'Tmpfs', 'Annotations', 'StorageOpt', 'Containers', 'Services']);

function field(recv: unknown, name: string, args: unknown[], final: boolean, missingKeyError: boolean, parent?: string): unknown {
  if (recv === null || recv === undefined) return undefined;
  let v: unknown;
  if (recv instanceof Map) v = recv.get(name);
  else if (typeof recv === 'object') {
    v = (recv as Record<string, unknown>)[name];
    if (v === undefined && !(name in recv)) {
      const type = (recv as { [goType]?: string })[goType];
      if (type) throw new MissingFieldError(`can't evaluate field ${name} in type ${type}`);
      if (missingKeyError && !(parent && goMaps.has(parent))) throw new TemplateError(`map has no entry for key "${name}"`);
    }
  } else throw new TemplateError(`can't evaluate field ${name} in type ${typeof recv}`);
  if (typeof v === 'function') return (v as Fn).apply(recv, final ? args : []);
  if (final && args.length) throw new TemplateError(`${name} has arguments but cannot be invoked as function`);
  return v;
}

export class Template {
  private nodes: Node[];
  private funcs: Record<string, Fn>;

  constructor(
    private src: string,
    funcs: Record<string, Fn> = {},
  ) {
    this.nodes = parse(src);
    this.funcs = { ...builtins, ...funcs };
  }

  private missingKeyError = false;

  /** missingKeyError: a key missing from a map fails (docker inspect's raw fallback) instead of "<no value>". */
  execute(data: unknown, opts: { header?: boolean; missingKeyError?: boolean } = {}): string {
    const funcs = opts.header ? { ...this.funcs, ...headerFns } : this.funcs;
    const out: string[] = [];
    const scope = new Scope(new Map([['$', data]]), null);
    this.missingKeyError = opts.missingKeyError === true;
    this.walk(this.nodes, data, scope, funcs, out);
    return out.join('');
  }

  private walk(nodes: Node[], dot: unknown, scope: Scope, funcs: Record<string, Fn>, out: string[]): void {
    for (const n of nodes) {
      switch (n.kind) {
        case 'text':
          out.push(n.text);
          break;
        case 'action': {
          const v = this.pipe(n.pipe, dot, scope, funcs);
          if (n.pipe.decl.length === 0) out.push(goString(v));
          break;
        }
        case 'if':
        case 'with': {
          const s = scope.child();
          const v = this.pipe(n.pipe, dot, s, funcs);
          if (truth(v)) this.walk(n.list, n.kind === 'with' ? v : dot, s, funcs, out);
          else this.walk(n.elseList, dot, s, funcs, out);
          break;
        }
        case 'range': {
          const s = scope.child();
          const decl = n.pipe.decl;
          const v = this.pipe({ ...n.pipe, decl: [] }, dot, s, funcs);
          let entries: [unknown, unknown][] = [];
          if (Array.isArray(v)) entries = v.map((x, i) => [i, x]);
          else if (v instanceof Map) entries = [...v.entries()].sort((a, b) => cmp(String(a[0]), String(b[0])));
          else if (typeof v === 'number') entries = Array.from({ length: v }, (_, i) => [i, i]);
          else if (v && typeof v === 'object') entries = Object.keys(v).sort().map((k) => [k, (v as Record<string, unknown>)[k]]);
          else if (v !== null && v !== undefined) throw new TemplateError(`range can't iterate over ${goString(v)}`);
          if (entries.length === 0) {
            this.walk(n.elseList, dot, s, funcs, out);
            break;
          }
          for (const [k, x] of entries) {
            const inner = s.child();
            if (decl.length === 1) inner.set(decl[0], x, false);
            else if (decl.length === 2) {
              inner.set(decl[0], k, false);
              inner.set(decl[1], x, false);
            }
            this.walk(n.list, x, inner, funcs, out);
          }
          break;
        }
      }
    }
  }

  private pipe(p: Pipe, dot: unknown, scope: Scope, funcs: Record<string, Fn>): unknown {
    let prev: unknown;
    let first = true;
    for (const cmd of p.cmds) {
      prev = this.command(cmd, dot, scope, funcs, first ? [] : [prev]);
      first = false;
    }
    for (const d of p.decl) scope.set(d, prev, p.assign);
    return prev;
  }

  private command(cmd: Operand[], dot: unknown, scope: Scope, funcs: Record<string, Fn>, piped: unknown[]): unknown {
    const [head, ...rest] = cmd;
    const args = (): unknown[] => [...rest.map((o) => this.operand(o, dot, scope, funcs, [])), ...piped];
    if (head.kind === 'ident') {
      const f = funcs[head.name];
      if (!f) throw new TemplateError(`function "${head.name}" not defined`);
      return f(...args());
    }
    if (rest.length === 0 && piped.length === 0) return this.operand(head, dot, scope, funcs, []);
    return this.operand(head, dot, scope, funcs, args());
  }

  private operand(o: Operand, dot: unknown, scope: Scope, funcs: Record<string, Fn>, args: unknown[]): unknown {
    let recv: unknown;
    let names: string[];
    switch (o.kind) {
      case 'lit':
        return o.value;
      case 'ident': {
        const f = funcs[o.name];
        if (!f) throw new TemplateError(`function "${o.name}" not defined`);
        return f(...args);
      }
      case 'field':
        recv = dot;
        names = o.names;
        break;
      case 'var':
        recv = scope.get(o.name);
        names = o.names;
        break;
      case 'pipe':
        recv = this.pipe(o.pipe, dot, scope.child(), funcs);
        names = o.names;
        break;
    }
    try {
      for (let i = 0; i < names.length; i++) recv = field(recv, names[i], args, i === names.length - 1, this.missingKeyError, names[i - 1]);
    } catch (e) {
      if (e instanceof TemplateError && !e.context && (o.kind === 'field' || o.kind === 'var') && o.at) {
        const before = this.src.slice(0, o.at.pos);
        const line = before.split('\n').length;
        e.context = { loc: `${line}:${o.at.pos - (before.lastIndexOf('\n') + 1)}`, text: o.at.text };
      }
      throw e;
    }
    return recv;
  }
}
