/**
 * The Dockerfile parser as BuildKit's frontend reads a file (frontend/dockerfile/parser): parser
 * directives, line continuations (comments and empty lines inside them), instruction flags,
 * JSON and shell forms, heredocs and ONBUILD. The tree is flat: one Node per instruction.
 */
import { DockerfileError } from './errors.js';
import { goQuote, goQuoteList, trimLeftSpace, trimSpace } from './go-text.js';
import {
  LineError, parseHealthConfig, parseMaybeJSON, parseMaybeJSONToList, parseNameOrNameVal, parseNameVal,
  parseString, parseStringsWhitespaceDelimited, splitCommand, type ParsedArgs,
} from './line-parsers.js';
import { ShellLex, ShellLexError } from './shell-lex.js';

export interface Heredoc {
  /** The delimiter word, quotes removed. */
  name: string;
  /** The body as written, every line with its newline; `<<-` tabs are not stripped here (see heredocBody). */
  content: string;
  /** False when the delimiter was quoted (`<<'EOF'`, `<<"EOF"`): the body is not expanded. */
  expand: boolean;
  /** `<<-`: leading tabs are stripped from the body's lines and from the terminator. */
  chomp: boolean;
}

export interface Node {
  /** The instruction in lower case (`run`, also for an unknown one). */
  instruction: string;
  /** The instruction's text with continuations joined, as BuildKit keeps it. */
  original: string;
  /** `--name=value` flags in order, as written. */
  flags: string[];
  /** The arguments as the line parser left them (quotes kept; key, value, separator for ENV/LABEL). */
  args: string[];
  /** Whether the arguments were a JSON array. */
  json: boolean;
  heredocs: Heredoc[];
  /** ONBUILD's wrapped instruction. */
  next?: Node;
  startLine: number;
  /** The last line, heredoc bodies included. */
  endLine: number;
  /** The comment lines right above the instruction (without `#`). */
  comments: string[];
}

export interface Directives {
  syntax?: string;
  /** The escape token (`\` unless `# escape=` said otherwise). */
  escape: string;
  check?: string;
}

export interface ParseResult {
  /** The file name given to parseDockerfile (default `Dockerfile`), for later errors. */
  file: string;
  directives: Directives;
  escapeToken: string;
  nodes: Node[];
  warnings: string[];
}

export interface ParseOptions {
  /** The file name errors are given with (default `Dockerfile`). */
  file?: string;
}

const validDirectives = new Set(['syntax', 'escape', 'check']);
const heredocInstructions = new Set(['add', 'copy', 'run']);
// Go's \s in the directive regexp is [\t\n\f\r ]
const reDirective = /^#[\t\n\f\r ]*([a-zA-Z][a-zA-Z0-9]*)[\t\n\f\r ]*=[\t\n\f\r ]*(.+?)[\t\n\f\r ]*$/s;
const reHeredoc = /^([0-9]*)<<(-?)([^<]*)$/;
// Go's bufio.Scanner refuses longer lines
const MAX_LINE = 64 * 1024;

class ParseState {
  escapeToken = '\\';
  private continuation = /(?:)/;
  private directivesDone = false;
  private seen = new Set<string>();
  readonly directives: Directives = { escape: '\\' };

  constructor() {
    this.setEscapeToken('\\');
  }

  setEscapeToken(s: string): void {
    if (s !== '`' && s !== '\\') throw new LineError(`invalid escape token '${s}' does not match \` or \\`);
    this.escapeToken = s;
    this.directives.escape = s;
    const e = s === '\\' ? '\\\\' : s;
    // the escape token last on a line continues it, unless it is itself escaped
    this.continuation = new RegExp(`([^${e}])${e}[ \\t]*$|^${e}[ \\t]*$`);
  }

  /** Reads a possible parser directive; true when the line was one. */
  directive(line: string): boolean {
    if (this.directivesDone) return false;
    const m = reDirective.exec(line);
    const k = m?.[1].toLowerCase();
    if (!m || !k || !validDirectives.has(k)) {
      this.directivesDone = true;
      return false;
    }
    if (this.seen.has(k)) throw new LineError(`only one ${k} parser directive can be used`);
    this.seen.add(k);
    if (k === 'escape') this.setEscapeToken(m[2]);
    else if (k === 'syntax') this.directives.syntax = m[2];
    else this.directives.check = m[2];
    return true;
  }

  /** Strips a continuation token; `[line, endOfLine]`. */
  trimContinuation(line: string): [string, boolean] {
    if (this.continuation.test(line)) return [line.replace(this.continuation, '$1'), false];
    return [line, true];
  }
}

const trimNewline = (s: string): string => s.replace(/[\r\n]+$/, '');
const isComment = (s: string): boolean => trimLeftSpace(s).startsWith('#');
const isEmptyContinuationLine = (s: string): boolean => trimLeftSpace(trimNewline(s)).length === 0;

/** Splits text into lines that keep their `\n`, as BuildKit's scanner does. */
function splitLines(text: string): string[] {
  const lines: string[] = [];
  let at = 0;
  while (at < text.length) {
    const nl = text.indexOf('\n', at);
    const end = nl < 0 ? text.length : nl + 1;
    lines.push(text.slice(at, end));
    at = end;
  }
  return lines;
}

/** Parses a Dockerfile. Throws DockerfileError with the file and line of the first error. */
export function parseDockerfile(text: string, opts: ParseOptions = {}): ParseResult {
  const file = opts.file ?? 'Dockerfile';
  const fail = (line: number, e: unknown): never => {
    if (e instanceof DockerfileError) throw e;
    if (e instanceof LineError || e instanceof ShellLexError) throw new DockerfileError(file, line, e.message, { cause: e });
    throw e;
  };
  const d = new ParseState();
  const lines = splitLines(text);
  const nodes: Node[] = [];
  const warnings: string[] = [];
  let comments: string[] = [];
  let li = 0;
  let currentLine = 0;
  const scan = (): string | undefined => {
    if (li >= lines.length) return undefined;
    const l = lines[li++];
    if (l.length > MAX_LINE / 3 && Buffer.byteLength(l) > MAX_LINE) fail(li, new LineError(`dockerfile line greater than max allowed size of ${MAX_LINE - 1}`));
    return l;
  };
  const processLine = (raw: string, stripLeft: boolean, lineNo: number): [string, boolean] => {
    let token = trimNewline(raw);
    if (stripLeft) token = trimLeftSpace(token);
    let ok = false;
    try {
      ok = d.directive(token);
    } catch (e) {
      fail(lineNo, e);
    }
    return [isComment(token) ? '' : token, ok];
  };

  for (let raw = scan(); raw !== undefined; raw = scan()) {
    if (currentLine === 0 && raw.startsWith('\ufeff')) raw = raw.slice(1);
    if (isComment(raw)) {
      const c = trimSpace(raw.slice(1));
      if (c === '') comments = [];
      else comments.push(c);
    }
    const [first, isDirective] = processLine(raw, true, currentLine + 1);
    if (isDirective) comments.pop();
    currentLine++;
    const startLine = currentLine;
    let [buf, eol] = d.trimContinuation(first);
    if (eol && buf === '') continue;
    let hasEmptyContinuationLine = false;
    while (!eol) {
      const next = scan();
      if (next === undefined) break;
      const [bytes] = processLine(next, false, currentLine + 1);
      currentLine++;
      if (isComment(next)) continue; // a comment inside a continuation is dropped
      if (isEmptyContinuationLine(bytes)) {
        hasEmptyContinuationLine = true;
        continue;
      }
      let part: string;
      [part, eol] = d.trimContinuation(bytes);
      buf += part;
    }
    const line = buf;
    if (hasEmptyContinuationLine) warnings.push(`Empty continuation line found in: ${line}`);

    let node: Node;
    try {
      node = newNode(line, d, comments);
    } catch (e) {
      return fail(startLine, e);
    }
    if (canContainHeredoc(node) && line.includes('<<')) {
      let docs: Heredoc[] = [];
      try {
        docs = heredocsFromLine(line);
      } catch (e) {
        fail(startLine, e);
      }
      for (const doc of docs) {
        let terminated = false;
        for (let l = scan(); l !== undefined; l = scan()) {
          currentLine++;
          let terminator = trimNewline(l);
          if (doc.chomp) terminator = terminator.replace(/^\t+/, '');
          if (terminator === doc.name) {
            terminated = true;
            break;
          }
          doc.content += l;
        }
        if (!terminated) fail(startLine, new LineError('unterminated heredoc'));
        node.heredocs.push(doc);
      }
    }
    node.startLine = startLine;
    node.endLine = currentLine;
    nodes.push(node);
    comments = [];
  }
  if (warnings.length > 0) warnings.push('Empty continuation lines will become errors in a future release.');
  if (nodes.length === 0) fail(currentLine, new LineError('file with no instructions'));
  return { file, directives: { ...d.directives }, escapeToken: d.escapeToken, nodes, warnings };
}

function newNode(line: string, d: ParseState, comments: string[]): Node {
  const { cmd, flags, rest } = splitCommand(line, d.escapeToken);
  const instruction = cmd.toLowerCase();
  const node: Node = { instruction, original: line, flags, args: [], json: false, heredocs: [], startLine: 0, endLine: 0, comments: [...comments] };
  let parsed: ParsedArgs;
  switch (instruction) {
    case 'add': case 'copy': case 'volume': parsed = parseMaybeJSONToList(rest); break;
    case 'arg': parsed = parseNameOrNameVal(rest, d.escapeToken); break;
    case 'cmd': case 'entrypoint': case 'run': case 'shell': parsed = parseMaybeJSON(rest); break;
    case 'env': parsed = parseNameVal(rest, 'ENV', d.escapeToken); break;
    case 'label': parsed = parseNameVal(rest, 'LABEL', d.escapeToken); break;
    case 'expose': case 'from': parsed = parseStringsWhitespaceDelimited(rest); break;
    case 'healthcheck': parsed = parseHealthConfig(rest); break;
    case 'maintainer': case 'stopsignal': case 'user': case 'workdir': parsed = parseString(rest); break;
    case 'onbuild':
      if (rest !== '') {
        const child = newNode(rest, d, []);
        node.next = child;
      }
      return node;
    default:
      // an unknown instruction keeps one empty argument, as BuildKit's parseIgnore; parseStages refuses it
      parsed = { args: [''], json: false };
  }
  node.args = parsed.args;
  node.json = parsed.json;
  return node;
}

function canContainHeredoc(node: Node): boolean {
  const n = node.instruction === 'onbuild' && node.next ? node.next : node;
  return heredocInstructions.has(n.instruction) && !n.json;
}

const noEnv = { get: (): undefined => undefined };

/** The heredocs a line opens (`<<EOF`, `<<-EOF`, `<<"EOF"`, `3<<EOF`), in order. */
function heredocsFromLine(line: string): Heredoc[] {
  const lex = new ShellLex('\\', { rawQuotes: true, rawEscapes: true, skipUnsetEnv: true });
  let words: string[] = [];
  try {
    words = lex.processWords(line, noEnv);
  } catch {
    // BuildKit ignores a line its lexer cannot split: no heredocs
  }
  const docs: Heredoc[] = [];
  for (const w of words) {
    const h = parseHeredoc(w);
    if (h) docs.push(h);
  }
  return docs;
}

/** A heredoc word (`<<EOF`, `<<-"EOF"`) or undefined when the word is not one. */
export function parseHeredoc(word: string): Heredoc | undefined {
  const m = reHeredoc.exec(word);
  if (!m) return undefined;
  const chomp = m[2] === '-';
  const rest = m[3];
  if (rest === '') return undefined;
  // parsed with and without quotes: a difference means part of the word was quoted, so no expansion
  const words = new ShellLex('\\', { skipUnsetEnv: true }).processWords(rest, noEnv);
  if (words.length !== 1) return undefined;
  const raw = new ShellLex('\\', { skipUnsetEnv: true, rawQuotes: true }).processWords(rest, noEnv);
  if (raw.length !== words.length) throw new LineError(`internal lexing of heredoc produced inconsistent results: ${rest}`);
  const quotes = (s: string): number => s.split(/['"]/).length - 1;
  return { name: words[0], content: '', expand: quotes(words[0]) === quotes(raw[0]), chomp };
}

/** A heredoc's text as it is used: with `<<-` the leading tabs of every line removed. */
export function heredocBody(h: Heredoc): string {
  return h.chomp ? h.content.replace(/^\t+/gm, '') : h.content;
}

function dumpNode(n: Node): string {
  let s = n.instruction;
  if (n.flags.length > 0) s += ` ${goQuoteList(n.flags)}`;
  if (n.next) s += ` (${dumpNode(n.next)})`;
  for (const a of n.args) s += ` ${goQuote(a)}`;
  return trimSpace(s);
}

/** The parse tree in the format of BuildKit's parser test `result` files. */
export function dumpTree(result: ParseResult): string {
  return result.nodes.map((n) => `(${dumpNode(n)})\n`).join('');
}
