/**
 * Variable interpolation as the compose specification defines it: `$VAR`, `${VAR}`, `${VAR:-d}`,
 * `${VAR-d}`, `${VAR:?err}`, `${VAR?err}`, `${VAR:+r}`, `${VAR+r}`, `$$` for a literal `$`, and
 * defaults, messages and replacements that hold templates of their own (nested `${...}`).
 */

/** Looks a variable up: undefined when it is not set (an empty string is set). */
export type Lookup = (name: string) => string | undefined;

/** A template that cannot be interpolated: a bad `${...}` or a required variable without a value. */
export class InterpolationError extends Error {
  override name = 'InterpolationError';
}

export interface InterpolateOptions {
  /** Called once per unset variable used without a default (compose warns and uses ""). */
  onUnset?: (name: string) => void;
  /** Leaves `$$` as is (the .env parser, where `$$` is not an escape). */
  keepDoubleDollar?: boolean;
}

const NAME_START = /[A-Za-z_]/;
const NAME_CHAR = /[A-Za-z0-9_]/;

/** Interpolates one string. */
export function interpolate(template: string, lookup: Lookup, opts: InterpolateOptions = {}): string {
  if (!template.includes('$')) return template;
  return new Parser(template, lookup, opts).all();
}

class Parser {
  private i = 0;
  constructor(
    private readonly s: string,
    private readonly lookup: Lookup,
    private readonly opts: InterpolateOptions,
  ) {}

  all(): string {
    const out = this.until(undefined);
    return out;
  }

  private invalid(): never {
    throw new InterpolationError(`Invalid template: ${JSON.stringify(this.s)}`);
  }

  /** Text up to the closing brace of the current `${...}` (stop '}') or the end (stop undefined). */
  private until(stop: '}' | undefined): string {
    let out = '';
    const s = this.s;
    while (this.i < s.length) {
      const c = s[this.i]!;
      if (stop && c === stop) return out;
      if (c !== '$') {
        out += c;
        this.i++;
        continue;
      }
      out += this.substitution();
    }
    if (stop) this.invalid();
    return out;
  }

  /** One `$...` at this.i. */
  private substitution(): string {
    const s = this.s;
    const next = s[this.i + 1];
    if (next === '$') {
      this.i += 2;
      return this.opts.keepDoubleDollar ? '$$' : '$';
    }
    if (next !== undefined && NAME_START.test(next)) {
      let j = this.i + 1;
      while (j < s.length && NAME_CHAR.test(s[j]!)) j++;
      const name = s.slice(this.i + 1, j);
      this.i = j;
      return this.value(name);
    }
    if (next !== '{') this.invalid();
    this.i += 2;
    let j = this.i;
    if (j >= s.length || !NAME_START.test(s[j]!)) this.invalid();
    while (j < s.length && NAME_CHAR.test(s[j]!)) j++;
    const name = s.slice(this.i, j);
    this.i = j;
    if (s[this.i] === '}') {
      this.i++;
      return this.value(name);
    }
    const colon = s[this.i] === ':';
    if (colon) this.i++;
    const op = s[this.i];
    if (op !== '-' && op !== '?' && op !== '+') this.invalid();
    this.i++;
    // the argument is a template itself, interpolated only when it is used
    const start = this.i;
    const arg = (): string => {
      this.i = start;
      const v = this.until('}');
      this.i++;
      return v;
    };
    const skip = (): void => {
      this.skipArgument();
    };
    const v = this.lookup(name);
    const set = v !== undefined && (!colon || v !== '');
    switch (op) {
      case '-':
        if (set) {
          skip();
          return v;
        }
        return arg();
      case '+':
        if (set) return arg();
        skip();
        return '';
      default: {
        if (set) {
          skip();
          return v;
        }
        const msg = arg();
        throw new InterpolationError(`required variable ${name} is missing a value${msg ? `: ${msg}` : ''}`);
      }
    }
  }

  /** Moves past a `${...}` argument without evaluating it (braces of nested templates balanced). */
  private skipArgument(): void {
    const s = this.s;
    let depth = 0;
    while (this.i < s.length) {
      const c = s[this.i]!;
      if (c === '$' && s[this.i + 1] === '$') {
        this.i += 2;
        continue;
      }
      if (c === '$' && s[this.i + 1] === '{') {
        depth++;
        this.i += 2;
        continue;
      }
      if (c === '}') {
        if (depth === 0) {
          this.i++;
          return;
        }
        depth--;
      }
      this.i++;
    }
    this.invalid();
  }

  private value(name: string): string {
    const v = this.lookup(name);
    if (v === undefined) {
      this.opts.onUnset?.(name);
      return '';
    }
    return v;
  }
}

/** Where a value sits in the file, for errors: `services.web.ports[0]`. */
export function pathText(path: ReadonlyArray<string | number>): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out ? `.${p}` : p;
  }
  return out;
}

/**
 * Interpolates every string value (not keys) of a parsed file, in place of a copy. Errors name
 * the path: `error while interpolating services.web.image: required variable TAG is missing a value`.
 */
export function interpolateTree(tree: unknown, lookup: Lookup, opts: InterpolateOptions = {}, path: Array<string | number> = []): unknown {
  if (typeof tree === 'string') {
    try {
      return interpolate(tree, lookup, opts);
    } catch (e) {
      if (e instanceof InterpolationError) throw new InterpolationError(`error while interpolating ${pathText(path)}: ${e.message}`);
      throw e;
    }
  }
  if (Array.isArray(tree)) return tree.map((v, i) => interpolateTree(v, lookup, opts, [...path, i]));
  if (tree !== null && typeof tree === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(tree)) out[k] = interpolateTree(v, lookup, opts, [...path, k]);
    return out;
  }
  return tree;
}
