/**
 * `.dockerignore` as Docker reads and applies it (moby/patternmatcher and its ignorefile
 * package): comments, `!` exclusions (the last matching pattern wins), `**`, Go's
 * filepath.Match syntax (`*`, `?`, `[a-z]`, `[^a]`, `\` escapes), a pattern matching a parent
 * directory matching everything below it. Paths are slash-separated, relative to the context.
 */
import { trimSpace } from './dockerfile/go-text.js';

/** Go's filepath.ErrBadPattern. */
export class BadPatternError extends Error {
  override name = 'BadPatternError';
  constructor(message = 'syntax error in pattern') {
    super(message);
  }
}

/** Go's path.Clean (filepath.Clean on Linux). */
export function cleanPath(p: string): string {
  if (p === '') return '.';
  const rooted = p[0] === '/';
  const n = p.length;
  let out = rooted ? '/' : '';
  let r = rooted ? 1 : 0;
  let dotdot = rooted ? 1 : 0;
  while (r < n) {
    if (p[r] === '/') {
      r++;
    } else if (p[r] === '.' && (r + 1 === n || p[r + 1] === '/')) {
      r++;
    } else if (p[r] === '.' && p[r + 1] === '.' && (r + 2 === n || p[r + 2] === '/')) {
      r += 2;
      if (out.length > dotdot) {
        let w = out.length - 1;
        while (w > dotdot && out[w] !== '/') w--;
        out = out.slice(0, w);
      } else if (!rooted) {
        out += out.length > 0 ? '/..' : '..';
        dotdot = out.length;
      }
    } else {
      if ((rooted && out.length !== 1) || (!rooted && out.length !== 0)) out += '/';
      while (r < n && p[r] !== '/') out += p[r++];
    }
  }
  return out === '' ? '.' : out;
}

/** Go's filepath.Dir. */
function dirName(p: string): string {
  const i = p.lastIndexOf('/');
  return cleanPath(p.slice(0, i + 1));
}

/** One class range or character of a filepath.Match chunk (getEsc). */
function getEsc(chunk: string[], at: number): [string, number] {
  let i = at;
  if (i >= chunk.length || chunk[i] === '-' || chunk[i] === ']') throw new BadPatternError();
  if (chunk[i] === '\\') {
    i++;
    if (i >= chunk.length) throw new BadPatternError();
  }
  const r = chunk[i];
  i++;
  if (i >= chunk.length) throw new BadPatternError();
  return [r, i];
}

/** matchChunk: the rest of `s` after `chunk` matched its start, or undefined. Checks the syntax of the whole chunk. */
function matchChunk(chunk: string[], s: string[]): string[] | undefined {
  let failed = false;
  let si = 0;
  let ci = 0;
  while (ci < chunk.length) {
    if (!failed && si >= s.length) failed = true;
    const c = chunk[ci];
    if (c === '[') {
      const r = failed ? '' : s[si++];
      ci++;
      let negated = false;
      if (ci < chunk.length && chunk[ci] === '^') {
        negated = true;
        ci++;
      }
      let match = false;
      let nrange = 0;
      for (;;) {
        if (ci < chunk.length && chunk[ci] === ']' && nrange > 0) {
          ci++;
          break;
        }
        let lo: string, hi: string;
        [lo, ci] = getEsc(chunk, ci);
        hi = lo;
        if (chunk[ci] === '-') [hi, ci] = getEsc(chunk, ci + 1);
        const cp = r.codePointAt(0) ?? -1;
        if ((lo.codePointAt(0) as number) <= cp && cp <= (hi.codePointAt(0) as number)) match = true;
        nrange++;
      }
      if (match === negated) failed = true;
    } else if (c === '?') {
      if (!failed) {
        if (s[si] === '/') failed = true;
        si++;
      }
      ci++;
    } else {
      if (c === '\\') {
        ci++;
        if (ci >= chunk.length) throw new BadPatternError();
      }
      if (!failed) {
        if (chunk[ci] !== s[si]) failed = true;
        si++;
      }
      ci++;
    }
  }
  return failed ? undefined : s.slice(si);
}

/** scanChunk: leading stars, then up to the next star outside a class. */
function scanChunk(p: string[]): { star: boolean; chunk: string[]; rest: string[] } {
  let star = false;
  let at = 0;
  while (at < p.length && p[at] === '*') {
    at++;
    star = true;
  }
  let inRange = false;
  let i = at;
  for (; i < p.length; i++) {
    const c = p[i];
    if (c === '\\') {
      if (i + 1 < p.length) i++;
    } else if (c === '[') {
      inRange = true;
    } else if (c === ']') {
      inRange = false;
    } else if (c === '*' && !inRange) {
      break;
    }
  }
  return { star, chunk: p.slice(at, i), rest: p.slice(i) };
}

/** Go's filepath.Match on Linux; throws BadPatternError for a malformed pattern. */
export function filepathMatch(pattern: string, name: string): boolean {
  let p = Array.from(pattern);
  let s = Array.from(name);
  outer: while (p.length > 0) {
    const { star, chunk, rest } = scanChunk(p);
    p = rest;
    if (star && chunk.length === 0) return !s.includes('/');
    const t = matchChunk(chunk, s);
    if (t && (t.length === 0 || p.length > 0)) {
      s = t;
      continue;
    }
    if (star) {
      for (let i = 0; i < s.length && s[i] !== '/'; i++) {
        const t2 = matchChunk(chunk, s.slice(i + 1));
        if (t2) {
          if (p.length === 0 && t2.length > 0) continue;
          s = t2;
          continue outer;
        }
      }
    }
    // no match: the rest of the pattern must still be well-formed
    while (p.length > 0) {
      const next = scanChunk(p);
      p = next.rest;
      matchChunk(next.chunk, []);
    }
    return false;
  }
  return s.length === 0;
}

export type MatchType = 'exactMatch' | 'prefixMatch' | 'suffixMatch' | 'regexpMatch';

const escapeChars = new Set(['.', '+', '(', ')', '|', '{', '}', '$']);
const jsSyntax = new Set(['^', '$', '\\', '.', '*', '+', '?', '(', ')', '[', ']', '{', '}', '|', '/']);
const goClassEscapes: Record<string, string> = { d: '\\d', D: '\\D', w: '\\w', W: '\\W', s: '[\\t\\n\\f\\r ]', S: '[^\\t\\n\\f\\r ]', b: '\\b', B: '\\B', a: '\\x07', f: '\\f', t: '\\t', n: '\\n', r: '\\r', v: '\\v', z: '$', A: '^' };

/**
 * patternmatcher's Pattern.compile: how a cleaned pattern matches, and for regexpMatch the
 * regular expression (Go syntax, as patternmatcher builds it, and an equivalent JS RegExp).
 */
export function compilePattern(pattern: string): { matchType: MatchType; regexp: string; re?: RegExp } {
  let reg = '^';
  let js = '^';
  let type: MatchType = 'exactMatch';
  let inClass = false;
  let jsValid = true;
  const p = Array.from(pattern);
  let k = 0;
  for (let i = 0; k < p.length; i++) {
    const ch = p[k++];
    if (ch === '*') {
      if (p[k] === '*') {
        k++;
        if (p[k] === '/') k++; // **/ is **
        if (k >= p.length) {
          if (type === 'exactMatch') {
            type = 'prefixMatch';
          } else {
            reg += '.*';
            js += '[^\\n]*';
            type = 'regexpMatch';
          }
        } else {
          // any number of directories, even none
          reg += '(.*/)?';
          js += '(?:[^\\n]*/)?';
          type = 'regexpMatch';
        }
        if (i === 0) type = 'suffixMatch';
      } else {
        reg += '[^/]*';
        js += '[^/]*';
        type = 'regexpMatch';
      }
    } else if (ch === '?') {
      reg += '[^/]';
      js += '[^/]';
      type = 'regexpMatch';
    } else if (escapeChars.has(ch)) {
      reg += `\\${ch}`;
      js += `\\${ch}`;
    } else if (ch === '\\') {
      if (k < p.length) {
        const nx = p[k++];
        reg += `\\${nx}`;
        if (jsSyntax.has(nx) || nx === '-') js += inClass || nx !== '-' ? `\\${nx}` : '-';
        else if (/[0-9A-Za-z]/.test(nx)) {
          const g = goClassEscapes[nx];
          if (g) js += g;
          else jsValid = false; // Go refuses the escape too
        } else js += `\\u{${(nx.codePointAt(0) as number).toString(16)}}`;
        type = 'regexpMatch';
      } else {
        reg += '\\';
        jsValid = false;
      }
    } else if (ch === '[' || ch === ']') {
      reg += ch;
      if (ch === '[') {
        js += inClass ? '\\[' : '[';
        inClass = true;
      } else {
        js += inClass ? ']' : '\\]';
        inClass = false;
      }
      type = 'regexpMatch';
    } else {
      reg += ch;
      js += jsSyntax.has(ch) && !(inClass && ch === '^') && ch !== '^' ? `\\${ch}` : ch;
    }
  }
  if (type !== 'regexpMatch') return { matchType: type, regexp: '' };
  reg += '$';
  js += '$';
  let re: RegExp | undefined;
  if (jsValid && !inClass) {
    try {
      re = new RegExp(js, 'u');
    } catch {
      re = undefined;
    }
  }
  return { matchType: type, regexp: reg, re };
}

interface Pattern {
  cleaned: string;
  dirs: string[];
  exclusion: boolean;
  compiled?: ReturnType<typeof compilePattern>;
}

function matchPattern(p: Pattern, path: string): boolean {
  p.compiled ??= compilePattern(p.cleaned);
  const c = p.compiled;
  switch (c.matchType) {
    case 'exactMatch': return path === p.cleaned;
    case 'prefixMatch': return path.startsWith(p.cleaned.slice(0, -2));
    case 'suffixMatch': {
      const suffix = p.cleaned.slice(2);
      if (path.endsWith(suffix)) return true;
      return suffix[0] === '/' && path === suffix.slice(1); // **/foo matches foo
    }
    case 'regexpMatch':
      if (!c.re) throw new BadPatternError();
      return c.re.test(path);
  }
}

/** The per-pattern results of a directory, passed on to its entries (MatchesUsingParentResults). */
export interface MatchInfo {
  parentMatched: boolean[];
}

/** patternmatcher.PatternMatcher. The constructor throws on a bad pattern, as New does. */
export class PatternMatcher {
  private readonly patterns: Pattern[] = [];
  /** Whether any pattern is an exclusion (`!`). */
  readonly exclusions: boolean = false;

  constructor(patterns: string[]) {
    for (let raw of patterns) {
      raw = trimSpace(raw);
      if (raw === '') continue;
      let p = cleanPath(raw);
      let exclusion = false;
      if (p[0] === '!') {
        if (p.length === 1) throw new BadPatternError('illegal exclusion pattern: "!"');
        exclusion = true;
        p = p.slice(1);
        this.exclusions = true;
      }
      filepathMatch(p, '.'); // its syntax check
      this.patterns.push({ cleaned: p, dirs: p.split('/'), exclusion });
    }
  }

  /** The patterns as cleaned, `!` kept. */
  get patternList(): string[] {
    return this.patterns.map((p) => (p.exclusion ? `!${p.cleaned}` : p.cleaned));
  }

  /**
   * patternmatcher's (deprecated) Matches: a parent directory is tried only at the depth of
   * the pattern. Prefer matchesOrParentMatches.
   */
  matches(file: string): boolean {
    return this.match(file, true);
  }

  /** Whether the path itself is matched (no parent directory tried): MatchesExact. */
  matchesExact(file: string): boolean {
    let matched = false;
    for (const p of this.patterns) {
      if (p.exclusion !== matched) continue;
      if (matchPattern(p, file)) matched = !p.exclusion;
    }
    return matched;
  }

  /** Whether the path, or one of its parent directories, is matched (and not re-included). */
  matchesOrParentMatches(file: string): boolean {
    return this.match(file, false);
  }

  private match(file: string, depthOnly: boolean): boolean {
    let matched = false;
    const parent = dirName(file);
    const parentDirs = parent.split('/');
    for (const p of this.patterns) {
      if (p.exclusion !== matched) continue;
      let match = matchPattern(p, file);
      if (!match && parent !== '.') {
        if (depthOnly) {
          if (p.dirs.length <= parentDirs.length) match = matchPattern(p, parentDirs.slice(0, p.dirs.length).join('/'));
        } else {
          for (let i = 0; i < parentDirs.length && !match; i++) match = matchPattern(p, parentDirs.slice(0, i + 1).join('/'));
        }
      }
      if (match) matched = !p.exclusion;
    }
    return matched;
  }

  /**
   * As matchesOrParentMatches, reusing the results of the parent directory while walking a
   * tree (MatchesUsingParentResults): pass the parent's info, or none for a top-level entry.
   */
  matchesUsingParentResults(file: string, parent?: MatchInfo): { matched: boolean; info: MatchInfo } {
    const parentMatched = parent?.parentMatched ?? [];
    if (parentMatched.length !== 0 && parentMatched.length !== this.patterns.length) throw new Error('wrong number of values in parentMatched');
    let matched = false;
    const info: MatchInfo = { parentMatched: new Array<boolean>(this.patterns.length).fill(false) };
    this.patterns.forEach((p, i) => {
      let match = parentMatched.length !== 0 ? parentMatched[i] : false;
      if (!match) {
        if (p.exclusion !== matched) return;
        match = matchPattern(p, file);
        if (!match && parentMatched.length === 0) {
          const dir = dirName(file);
          if (dir !== '.') {
            const dirs = dir.split('/');
            for (let j = 0; j < dirs.length && !match; j++) match = matchPattern(p, dirs.slice(0, j + 1).join('/'));
          }
        }
      }
      info.parentMatched[i] = match;
      if (match) matched = !p.exclusion;
    });
    return { matched, info };
  }
}

/** ignorefile.ReadAll: the patterns of a .dockerignore, cleaned, `/`-relative, `!` kept. */
export function readDockerignore(text: string): string[] {
  const out: string[] = [];
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    if (i === 0 && line.startsWith('\ufeff')) line = line.slice(1);
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (line.startsWith('#')) return;
    let p = trimSpace(line);
    if (p === '') return;
    const invert = p[0] === '!';
    if (invert) p = trimSpace(p.slice(1));
    if (p.length > 0) {
      p = cleanPath(p);
      if (p.length > 1 && p[0] === '/') p = p.slice(1);
    }
    out.push(invert ? `!${p}` : p);
  });
  return out;
}
