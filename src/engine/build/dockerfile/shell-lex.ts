/**
 * Variable substitution and word splitting as BuildKit's shell lexer does them
 * (frontend/dockerfile/shell): quotes, the escape token, `$v`, `${v}`, `${v:-x}`, `${v-x}`,
 * `${v:+x}`, `${v+x}`, `${v:?x}`, `${v?x}`, `${v#p}`, `${v##p}`, `${v%p}`, `${v%%p}`, `${v/a/b}`,
 * `${v//a/b}`. Positional and special parameters (`$1`, `$@`...) are never set.
 */
import { goQuote, isDigit, isLetter, isSpace } from './go-text.js';

/**
 * What the lexer reads variables from: a `Map<string, string>` fits. `get` returns undefined
 * for an unset variable and '' for one set to the empty string (`${v-x}` tells them apart).
 */
export interface Env {
  get(key: string): string | undefined;
}

export interface ShellLexOptions {
  /** Keep quote characters in the result (the parser uses this to find heredoc words). */
  rawQuotes?: boolean;
  /** Keep escape tokens in the result. */
  rawEscapes?: boolean;
  /** Treat quotes as ordinary characters (heredoc bodies of COPY/ADD). */
  skipProcessQuotes?: boolean;
  /** Leave references to unset variables as written. */
  skipUnsetEnv?: boolean;
}

/** A word the lexer refuses (unterminated quote, bad substitution, `${v:?}` on an empty v). */
export class ShellLexError extends Error {
  override name = 'ShellLexError';
}

export interface WordWithMatches {
  result: string;
  /** Variables the word referred to that were set. */
  matched: Set<string>;
  /** Variables the word referred to that were not set. */
  unmatched: Set<string>;
}

const EOF = -1;

export class ShellLex {
  readonly escapeToken: string;
  readonly options: Readonly<ShellLexOptions>;

  constructor(escapeToken = '\\', options: ShellLexOptions = {}) {
    this.escapeToken = escapeToken;
    this.options = { ...options };
  }

  /** The word with variables substituted and quotes removed (spaces kept). */
  processWord(word: string, env: Env): string {
    return new ShellWord(this, word, env).process().result;
  }

  /** The word substituted, then split on unquoted whitespace (after substitution, as BuildKit). */
  processWords(word: string, env: Env): string[] {
    return new ShellWord(this, word, env).process().words;
  }

  processWordWithMatches(word: string, env: Env): WordWithMatches {
    const sw = new ShellWord(this, word, env);
    const r = sw.process();
    return { result: r.result, matched: sw.matched, unmatched: sw.unmatched };
  }
}

/**
 * The word being built. BuildKit keeps one such buffer per lexer and clears it each time it
 * starts reading a `${name:...}` argument, so the part of a word before a `${v:-x}` (or `#`, `%`,
 * `/`...) is dropped from the split words: ProcessWords("a${v:-b}c") is ["bc"] there, and here.
 */
interface WordBuffer {
  text: string;
}

class Words {
  words: string[] = [];
  inWord = false;

  constructor(private readonly buf: WordBuffer) {}

  addChar(cp: number): void {
    if (isSpace(cp) && this.inWord) {
      if (this.buf.text.length !== 0) {
        this.words.push(this.buf.text);
        this.buf.text = '';
        this.inWord = false;
      }
    } else if (!isSpace(cp)) {
      this.addRawChar(cp);
    }
  }

  addRawChar(cp: number): void {
    this.buf.text += String.fromCodePoint(cp);
    this.inWord = true;
  }

  addString(s: string): void {
    for (const ch of s) this.addChar(ch.codePointAt(0) as number);
  }

  addRawString(s: string): void {
    this.buf.text += s;
    this.inWord = true;
  }

  get(): string[] {
    if (this.buf.text.length > 0) {
      this.words.push(this.buf.text);
      this.buf.text = '';
      this.inWord = false;
    }
    return this.words;
  }
}

const str = (cp: number): string => (cp === EOF ? '\ufffd' : String.fromCodePoint(cp));

class ShellWord {
  private readonly cps: number[];
  private pos = 0;
  private readonly esc: number;
  private rawEscapes: boolean;
  private readonly wordBuffer: WordBuffer = { text: '' };
  readonly matched = new Set<string>();
  readonly unmatched = new Set<string>();

  constructor(private readonly lex: ShellLex, private readonly source: string, private readonly env: Env) {
    this.cps = Array.from(source, (c) => c.codePointAt(0) as number);
    this.esc = lex.escapeToken.codePointAt(0) as number;
    this.rawEscapes = lex.options.rawEscapes === true;
  }

  private peek(): number {
    return this.pos < this.cps.length ? this.cps[this.pos] : EOF;
  }

  private next(): number {
    return this.pos < this.cps.length ? this.cps[this.pos++] : EOF;
  }

  process(): { result: string; words: string[] } {
    try {
      return this.processStopOn(EOF, this.rawEscapes);
    } catch (e) {
      if (e instanceof ShellLexError) throw new ShellLexError(`failed to process ${goQuote(this.source)}: ${e.message}`);
      throw e;
    }
  }

  private processStopOn(stop: number, rawEscapes: boolean): { result: string; words: string[] } {
    let result = '';
    this.wordBuffer.text = '';
    const words = new Words(this.wordBuffer);
    const saved = this.rawEscapes;
    this.rawEscapes = rawEscapes;
    try {
      const quotes = this.lex.options.skipProcessQuotes !== true;
      while (this.peek() !== EOF) {
        let ch = this.peek();
        if (stop !== EOF && ch === stop) {
          this.next();
          return { result, words: words.get() };
        }
        if (ch === 0x24 /* $ */ || (quotes && (ch === 0x27 || ch === 0x22))) {
          const tmp = ch === 0x24 ? this.processDollar() : ch === 0x27 ? this.processSingleQuote() : this.processDoubleQuote();
          result += tmp;
          if (ch === 0x24) words.addString(tmp);
          else words.addRawString(tmp);
          continue;
        }
        ch = this.next();
        if (ch === this.esc) {
          if (this.rawEscapes) {
            words.addRawChar(ch);
            result += str(ch);
          }
          // the escape token escapes the next character, except at the end of the word
          ch = this.next();
          if (ch === EOF) break;
          words.addRawChar(ch);
        } else {
          words.addChar(ch);
        }
        result += str(ch);
      }
      if (stop !== EOF) throw new ShellLexError(`unexpected end of statement while looking for matching ${str(stop)}`);
      return { result, words: words.get() };
    } finally {
      this.rawEscapes = saved;
    }
  }

  private processSingleQuote(): string {
    // everything up to the next ' is literal; a ' cannot be escaped inside
    let result = '';
    let ch = this.next();
    if (this.lex.options.rawQuotes) result += str(ch);
    for (;;) {
      ch = this.next();
      if (ch === EOF) throw new ShellLexError('unexpected end of statement while looking for matching single-quote');
      if (ch === 0x27) {
        if (this.lex.options.rawQuotes) result += str(ch);
        return result;
      }
      result += str(ch);
    }
  }

  private processDoubleQuote(): string {
    // literal except $ and the escape token, which escapes only " $ and itself
    let result = '';
    let ch = this.next();
    if (this.lex.options.rawQuotes) result += str(ch);
    for (;;) {
      const p = this.peek();
      if (p === EOF) throw new ShellLexError('unexpected end of statement while looking for matching double-quote');
      if (p === 0x22) {
        ch = this.next();
        if (this.lex.options.rawQuotes) result += str(ch);
        return result;
      }
      if (p === 0x24) {
        result += this.processDollar();
        continue;
      }
      ch = this.next();
      if (ch === this.esc) {
        if (this.rawEscapes) result += str(ch);
        const q = this.peek();
        if (q === EOF) continue;
        if (q === 0x22 || q === 0x24 || q === this.esc) ch = this.next();
      }
      result += str(ch);
    }
  }

  private getEnv(name: string): string | undefined {
    const v = this.env.get(name);
    if (v !== undefined) this.matched.add(name);
    else this.unmatched.add(name);
    return v;
  }

  private processDollar(): string {
    this.next();
    const skipUnset = this.lex.options.skipUnsetEnv === true;
    if (this.peek() !== 0x7b /* { */) {
      const name = this.processName();
      if (name === '') return '$';
      const v = this.getEnv(name);
      if (v === undefined && skipUnset) return `$${name}`;
      return v ?? '';
    }
    this.next();
    const p = this.peek();
    if (p === EOF) throw new ShellLexError("syntax error: missing '}'");
    if (p === 0x7b || p === 0x7d || p === 0x3a) throw new ShellLexError('syntax error: bad substitution');
    const name = this.processName();
    let ch = this.next();
    let chs = str(ch);
    let nullIsUnset = false;
    switch (ch) {
      case 0x7d: { // }
        const v = this.getEnv(name);
        if (v === undefined && skipUnset) return `\${${name}}`;
        return v ?? '';
      }
      case 0x3a: // :
      case 0x2b: case 0x2d: case 0x3f: case 0x23: case 0x25: { // + - ? # %
        if (ch === 0x3a) {
          nullIsUnset = true;
          ch = this.next();
          chs += str(ch);
        }
        const raw = ch === 0x23 || ch === 0x25;
        if (nullIsUnset && raw) throw new ShellLexError(`unsupported modifier (${chs}) in substitution`);
        let word = this.inBraces(0x7d, raw, "syntax error: missing '}'");
        const value = this.getEnv(name);
        if (skipUnset && value === undefined) return `\${${name}${chs}${word}}`;
        const empty = value === undefined || (nullIsUnset && value === '');
        switch (ch) {
          case 0x2d: return empty ? word : (value as string);
          case 0x2b: return empty ? '' : word;
          case 0x3f:
            if (value === undefined) throw new ShellLexError(`${name}: ${word || 'is not allowed to be unset'}`);
            if (nullIsUnset && value === '') throw new ShellLexError(`${name}: ${word || 'is not allowed to be empty'}`);
            return value;
          case 0x25: case 0x23: {
            // one # or % takes the shortest match, two the longest
            let greedy = false;
            if (word.length > 0 && word.codePointAt(0) === ch) {
              greedy = true;
              word = word.slice(1);
            }
            return ch === 0x25 ? trimSuffix(word, value ?? '', greedy) : trimPrefix(word, value ?? '', greedy);
          }
          default:
            throw new ShellLexError(`unsupported modifier (${chs}) in substitution`);
        }
      }
      case 0x2f: { // /
        const all = this.peek() === 0x2f;
        if (all) this.next();
        const pattern = this.inBraces(0x2f, true, "syntax error: missing '/' in ${}");
        const replacement = this.inBraces(0x7d, true, "syntax error: missing '}'");
        const value = this.getEnv(name);
        if (skipUnset && value === undefined) return `\${${name}/${pattern}/${replacement}}`;
        const re = patternRegex(pattern, true, false, all);
        const v = value ?? '';
        if (all) return v.replace(re, (m) => expandGoTemplate(replacement, m));
        const m = re.exec(v);
        return m ? v.slice(0, m.index) + replacement + v.slice(m.index + m[0].length) : v;
      }
      default:
        throw new ShellLexError(`unsupported modifier (${chs}) in substitution`);
    }
  }

  /** The text up to `stop` inside `${...}`; running out of input is `missing`. */
  private inBraces(stop: number, rawEscapes: boolean, missing: string): string {
    try {
      return this.processStopOn(stop, rawEscapes).result;
    } catch (e) {
      if (e instanceof ShellLexError && this.peek() === EOF) throw new ShellLexError(missing);
      throw e;
    }
  }

  private processName(): string {
    // a name is letters, digits and _; one starting with a digit is all digits ($1, $001)
    let name = '';
    while (this.peek() !== EOF) {
      const ch = this.peek();
      if (name.length === 0 && isDigit(ch)) {
        while (this.peek() !== EOF && isDigit(this.peek())) name += str(this.next());
        return name;
      }
      if (name.length === 0 && isSpecialParam(ch)) return str(this.next());
      if (!isLetter(ch) && !isDigit(ch) && ch !== 0x5f) break;
      name += str(this.next());
    }
    return name;
  }
}

function isSpecialParam(cp: number): boolean {
  return '@*#?-$!0'.includes(String.fromCodePoint(cp));
}

/**
 * A shell pattern (`*`, `?`, `\` escaping `*`, `?` and `\`) as a regular expression, as
 * BuildKit's convertShellPatternToRegex (no bracket expressions). Go's `.` matches `\r`, so
 * `[^\n]` stands for it.
 */
function patternRegex(pattern: string, greedy: boolean, anchored: boolean, global = false): RegExp {
  const cps = Array.from(pattern);
  let out = anchored ? '^' : '';
  const star = greedy ? '[^\\n]*' : '[^\\n]*?';
  for (let i = 0; i < cps.length; i++) {
    const tok = cps[i];
    switch (tok) {
      case '*': out += star; continue;
      case '?': out += '[^\\n]'; continue;
      case '\\': {
        // } and / are escaped to stay inside ${}, the escape is not part of the pattern
        const nx = cps[i + 1];
        if (nx === '}' || nx === '/') continue;
        i++;
        if (nx !== '*' && nx !== '?' && nx !== '\\') {
          throw new ShellLexError(`invalid pattern (${pattern}) in substitution: invalid escape '\\${nx ?? '\ufffd'}'`);
        }
        out += `\\${nx}`;
        continue;
      }
      case '[': case ']': case '{': case '}': case '.': case '+': case '(': case ')': case '|': case '^': case '$':
        out += `\\${tok}`;
        continue;
    }
    out += tok;
  }
  return new RegExp(out, global ? 'gu' : 'u');
}

function trimPrefix(pattern: string, value: string, greedy: boolean): string {
  const m = patternRegex(pattern, greedy, true).exec(value);
  return m ? value.slice(m[0].length) : value;
}

/** Reverses a pattern by characters, keeping each escape before the character it escapes. */
export function reversePattern(pattern: string): string {
  const p = Array.from(pattern);
  const out: string[] = new Array<string>(p.length);
  const last = p.length - 1;
  for (let i = 0; i <= last;) {
    const at = last - i;
    if (p[i] === '\\' && i !== last) {
      out[at - 1] = p[i];
      out[at] = p[i + 1];
      i += 2;
    } else {
      out[at] = p[i];
      i++;
    }
  }
  return out.join('');
}

const reverse = (s: string): string => Array.from(s).reverse().join('');

function trimSuffix(pattern: string, value: string, greedy: boolean): string {
  // the shortest rightmost match is the shortest leftmost one of the reversed strings
  return reverse(trimPrefix(reversePattern(pattern), reverse(value), greedy));
}

/**
 * Go's Regexp.ReplaceAllString template: `$$` is `$`, `$name`/`${name}` a group (only `$0`, the
 * match, exists in these patterns; others are empty), a `$` not followed by a name stays.
 */
function expandGoTemplate(template: string, match: string): string {
  let out = '';
  for (let i = 0; i < template.length; i++) {
    const c = template[i];
    if (c !== '$') { out += c; continue; }
    const rest = template.slice(i + 1);
    if (rest.startsWith('$')) { out += '$'; i++; continue; }
    const m = /^\{([A-Za-z0-9_]+)\}/.exec(rest) ?? /^([A-Za-z0-9_]+)/.exec(rest);
    if (!m) { out += '$'; continue; }
    if (/^[0-9]+$/.test(m[1]) && Number(m[1]) === 0) out += match;
    i += m[0].length;
  }
  return out;
}
