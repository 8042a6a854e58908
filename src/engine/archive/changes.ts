/**
 * `--change` instructions of docker import/commit: Dockerfile lines applied to an image's runtime
 * config. Only docker's commit commands are valid (CMD, ENTRYPOINT, ENV, EXPOSE, HEALTHCHECK, LABEL,
 * ONBUILD, STOPSIGNAL, USER, VOLUME, WORKDIR).
 */
import { posix } from 'node:path';
import { InvalidArgument } from '../../core/errors.js';
import type { HealthConfig, ImageRuntimeConfig } from '../images/types.js';
import { parseGoDuration } from '../../core/units.js';

const VALID = new Set(['cmd', 'entrypoint', 'env', 'expose', 'healthcheck', 'label', 'onbuild', 'stopsignal', 'user', 'volume', 'workdir']);

/** Splits on whitespace, honouring quotes and backslash escapes, keeping `k="a b"` as one word. */
export function splitWords(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: string | null = null;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (quote) {
      if (c === quote) quote = null;
      else if (c === '\\' && quote === '"' && i + 1 < s.length) cur += s[++i]!;
      else cur += c;
      continue;
    }
    if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < s.length) {
      cur += s[++i]!;
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) out.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (quote) throw new InvalidArgument(`unexpected end of statement while looking for matching ${quote}`);
  if (inWord) out.push(cur);
  return out;
}

function jsonArray(rest: string): string[] | null {
  const t = rest.trim();
  if (!t.startsWith('[')) return null;
  try {
    const v: unknown = JSON.parse(t);
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
  } catch {
    // not JSON: shell form
  }
  return null;
}

/** HEALTHCHECK [--interval=D --timeout=D --start-period=D --start-interval=D --retries=N] CMD ... | NONE, as the Dockerfile builder parses it. */
export function parseHealthcheck(rest: string): HealthConfig {
  let t = rest.trim();
  const flags: Record<string, string> = {};
  for (let m = /^--([a-z-]+)=(\S*)\s*/.exec(t); m; m = /^--([a-z-]+)=(\S*)\s*/.exec(t)) {
    if (!['interval', 'timeout', 'start-period', 'start-interval', 'retries'].includes(m[1]!)) {
      throw new InvalidArgument(`Unknown flag: ${m[1]}`);
    }
    flags[m[1]!] = m[2]!;
    t = t.slice(m[0].length);
  }
  if (!t) throw new InvalidArgument('HEALTHCHECK requires at least one argument');
  const typ = (/^\S+/.exec(t)![0]).toUpperCase();
  const args = t.slice(typ.length).trim();
  if (typ === 'NONE') {
    if (args) throw new InvalidArgument('HEALTHCHECK NONE takes no arguments');
    return { Test: ['NONE'] };
  }
  if (typ !== 'CMD') throw new InvalidArgument(`Unknown type "${typ}" in HEALTHCHECK (try CMD)`);
  const json = jsonArray(args);
  if (json ? json.length === 0 : !args) throw new InvalidArgument('Missing command after HEALTHCHECK CMD');
  const h: HealthConfig = { Test: json ? ['CMD', ...json] : ['CMD-SHELL', args] };
  const durations = [['interval', 'Interval'], ['timeout', 'Timeout'], ['start-period', 'StartPeriod'], ['start-interval', 'StartInterval']] as const;
  for (const [flag, key] of durations) {
    const v = flags[flag];
    if (!v) continue;
    const ns = parseGoDuration(v);
    if (ns === undefined) throw new InvalidArgument(`time: invalid duration "${v}"`);
    if (ns === 0) continue;
    if (ns < 1e6) throw new InvalidArgument(`Interval "${flag}" cannot be less than 1ms`);
    h[key] = ns;
  }
  if (flags.retries) {
    const n = Number(flags.retries);
    if (!/^[+-]?\d+$/.test(flags.retries)) throw new InvalidArgument(`strconv.ParseInt: parsing "${flags.retries}": invalid syntax`);
    if (n < 0) throw new InvalidArgument(`--retries cannot be negative (${n})`);
    h.Retries = n;
  }
  return h;
}

/** `k=v k2="v 2"` or the legacy `k v with spaces` form (ENV, LABEL). */
function keyValues(instr: string, rest: string): Array<[string, string]> {
  const words = splitWords(rest);
  if (words.length === 0) throw new InvalidArgument(`${instr.toUpperCase()} requires at least one argument`);
  if (!words[0]!.includes('=')) {
    const m = /^\s*(\S+)\s+(.*)$/s.exec(rest);
    if (!m) throw new InvalidArgument(`${instr.toUpperCase()} must have two arguments`);
    return [[m[1]!, m[2]!.trim()]];
  }
  return words.map((w) => {
    const eq = w.indexOf('=');
    if (eq <= 0) throw new InvalidArgument(`${instr.toUpperCase()} names can not be blank`);
    return [w.slice(0, eq), w.slice(eq + 1)];
  });
}

function normalizePort(p: string): string[] {
  const m = /^(\d+)(?:-(\d+))?(?:\/(tcp|udp|sctp))?$/i.exec(p);
  if (!m) throw new InvalidArgument(`invalid containerPort: ${p}`);
  const proto = (m[3] ?? 'tcp').toLowerCase();
  const start = parseInt(m[1]!, 10);
  const end = m[2] ? parseInt(m[2], 10) : start;
  if (end < start) throw new InvalidArgument(`invalid range specified for container port: ${p}`);
  const out: string[] = [];
  for (let n = start; n <= end; n++) out.push(`${n}/${proto}`);
  return out;
}

/**
 * The Dockerfile's variable substitution on an instruction's arguments, from the config's Env as
 * it was before the instruction: $VAR, ${VAR}, ${VAR:-word}, ${VAR:+word}. Nothing is expanded
 * inside single quotes or after a backslash (both left for the word splitting that follows).
 */
export function expandVars(s: string, env: readonly string[]): string {
  const vars = new Map<string, string>();
  for (const e of env) {
    const i = e.indexOf('=');
    if (i > 0) vars.set(e.slice(0, i), e.slice(i + 1));
  }
  let out = '';
  let single = false;
  let double = false;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    if (ch === '\\' && !single) {
      out += ch + (s[i + 1] ?? '');
      i++;
      continue;
    }
    if (ch === "'" && !double) single = !single;
    else if (ch === '"' && !single) double = !double;
    if (ch !== '$' || single) {
      out += ch;
      continue;
    }
    const braced = /^\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-+])([^}]*))?\}/.exec(s.slice(i));
    const plain = /^\$([A-Za-z_][A-Za-z0-9_]*)/.exec(s.slice(i));
    if (braced) {
      const [all, name, op, word = ''] = braced;
      const v = vars.get(name!);
      const set = op?.startsWith(':') ? v !== undefined && v !== '' : v !== undefined;
      if (op?.endsWith('-')) out += set ? v : word;
      else if (op?.endsWith('+')) out += set ? word : '';
      else out += v ?? '';
      i += all.length - 1;
    } else if (plain) {
      out += vars.get(plain[1]!) ?? '';
      i += plain[0].length - 1;
    } else {
      out += ch;
    }
  }
  return out;
}

const EXPANDED = new Set(['env', 'label', 'expose', 'volume', 'workdir', 'user', 'stopsignal']);

/** Applies --change lines to a copy of config; InvalidArgument for what docker rejects. */
export function applyChanges(config: ImageRuntimeConfig | undefined, changes: readonly string[]): ImageRuntimeConfig {
  const c: ImageRuntimeConfig = structuredClone(config ?? {});
  let cmdSet = false;
  const lines = changes.flatMap((ch) => ch.split('\n')).map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  for (const line of lines) {
    const m = /^(\S+)\s*(.*)$/s.exec(line)!;
    const instr = m[1]!.toLowerCase();
    const rest = EXPANDED.has(instr) ? expandVars(m[2]!, c.Env ?? []) : m[2]!;
    if (!VALID.has(instr)) throw new InvalidArgument(`${instr} is not a valid change command`);
    const shellOrExec = (): string[] => jsonArray(rest) ?? [...(c.Shell ?? ['/bin/sh', '-c']), rest.trim()];
    switch (instr) {
      case 'cmd':
        c.Cmd = shellOrExec();
        cmdSet = true;
        break;
      case 'entrypoint': {
        const arr = jsonArray(rest);
        c.Entrypoint = arr ?? (rest.trim() === '' ? [...(c.Shell ?? ['/bin/sh', '-c']), ''] : [...(c.Shell ?? ['/bin/sh', '-c']), rest.trim()]);
        if (!cmdSet) c.Cmd = null;
        break;
      }
      case 'env': {
        const env = c.Env ? [...c.Env] : [];
        for (const [k, v] of keyValues(instr, rest)) {
          const i = env.findIndex((e) => e.split('=')[0] === k);
          if (i >= 0) env[i] = `${k}=${v}`;
          else env.push(`${k}=${v}`);
        }
        c.Env = env;
        break;
      }
      case 'label':
        c.Labels = { ...c.Labels };
        for (const [k, v] of keyValues(instr, rest)) c.Labels[k] = v;
        break;
      case 'expose': {
        const ports = splitWords(rest);
        if (!ports.length) throw new InvalidArgument('EXPOSE requires at least one argument');
        c.ExposedPorts = { ...c.ExposedPorts };
        for (const p of ports) for (const k of normalizePort(p)) c.ExposedPorts[k] = {};
        break;
      }
      case 'volume': {
        const vols = jsonArray(rest) ?? splitWords(rest);
        if (!vols.length) throw new InvalidArgument('VOLUME requires at least one argument');
        c.Volumes = { ...c.Volumes };
        for (const v of vols) {
          if (!v.trim()) throw new InvalidArgument('VOLUME specified can not be an empty string');
          c.Volumes[v] = {};
        }
        break;
      }
      case 'workdir': {
        const w = rest.trim();
        if (!w) throw new InvalidArgument('WORKDIR requires exactly one argument');
        c.WorkingDir = posix.isAbsolute(w) ? w : posix.join(c.WorkingDir || '/', w);
        break;
      }
      case 'healthcheck':
        c.Healthcheck = parseHealthcheck(rest);
        break;
      case 'user':
        if (!rest.trim()) throw new InvalidArgument('USER requires exactly one argument');
        c.User = rest.trim();
        break;
      case 'stopsignal':
        if (!rest.trim()) throw new InvalidArgument('STOPSIGNAL requires exactly one argument');
        c.StopSignal = rest.trim();
        break;
      case 'onbuild': {
        const t = rest.trim();
        const sub = (/^(\S+)/.exec(t)?.[1] ?? '').toUpperCase();
        if (!sub) throw new InvalidArgument('ONBUILD requires at least one argument');
        if (sub === 'ONBUILD') throw new InvalidArgument("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
        if (sub === 'FROM' || sub === 'MAINTAINER') throw new InvalidArgument(`${sub} isn't allowed as an ONBUILD trigger`);
        c.OnBuild = [...(c.OnBuild ?? []), t]; // kept as written, as dockerd's commit keeps it
        break;
      }
    }
  }
  return c;
}
