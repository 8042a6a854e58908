/**
 * A container's LogConfig as dockerd takes it: the engine's default driver and options filled in
 * at create (mergeAndVerifyLogConfig), the driver's option names checked then, and the values
 * checked when the driver starts (at the container's start, as dockerd's logger New does).
 */
import { InvalidArgument, SystemError } from '../../core/errors.js';

export interface LogConfig { Type: string; Config: Record<string, string> }

/** How the engine keeps a container's log file: rotated at maxSize (-1: never), maxFile files in all. */
export interface LogPolicy {
  driver: string;
  maxSize: number;
  maxFile: number;
  compress: boolean;
}

/** The engine's default when daemon.json and the flags name none, as dockerd's. */
export const DEFAULT_LOG_DRIVER = 'json-file';

/** Options dockerd's logger package handles itself for every driver (builtInLogOpts). */
const BUILT_IN_OPTS: ReadonlySet<string> = new Set(['mode', 'max-buffer-size']);
/** The drivers minke has, and the options each takes (dockerd's: local takes no attributes). */
const DRIVER_OPTS: ReadonlyMap<string, ReadonlySet<string>> = new Map([
  ['json-file', new Set(['max-file', 'max-size', 'compress', 'labels', 'labels-regex', 'env', 'env-regex', 'tag'])],
  ['local', new Set(['max-file', 'max-size', 'compress'])],
  ['none', new Set<string>()],
]);

/** go-units' FromHumanSize: a decimal size with an optional k/m/g/t/p unit (1k = 1000), "b"/"ib" ignored. */
export function parseHumanSize(s: string): number {
  const m = /^(\d+(?:\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$/.exec(s);
  if (!m) throw new Error(`invalid size: '${s}'`);
  const n = Number.parseFloat(m[1]!);
  if (!Number.isFinite(n)) throw new Error(`invalid size: '${s}'`);
  const mult = { k: 1e3, m: 1e6, g: 1e9, t: 1e12, p: 1e15 }[(m[2] ?? '').toLowerCase()] ?? 1;
  return Math.trunc(n * mult);
}

/** Go's strconv.Atoi, with its error wording. */
function atoi(s: string): number {
  if (!/^[+-]?\d+$/.test(s)) throw new Error(`strconv.Atoi: parsing ${JSON.stringify(s)}: invalid syntax`);
  return Number.parseInt(s, 10);
}

/** Go's strconv.ParseBool, with its error wording. */
function parseBool(s: string): boolean {
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(s)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(s)) return false;
  throw new Error(`strconv.ParseBool: parsing ${JSON.stringify(s)}: invalid syntax`);
}

/**
 * The LogConfig stored at create: no Type is the engine's default driver; the engine's default
 * options fill the keys the container leaves unset when it uses that driver. Checked as dockerd's
 * ValidateLogOpts does (names, mode, max-buffer-size); values are checked at start.
 */
export function defaultLogConfig(lc: Partial<LogConfig> | undefined | null, engine: LogConfig = { Type: DEFAULT_LOG_DRIVER, Config: {} }): LogConfig {
  const out: LogConfig = { Type: lc?.Type || engine.Type, Config: { ...(lc?.Config ?? {}) } };
  if (out.Type === engine.Type) {
    for (const [k, v] of Object.entries(engine.Config)) if (!(k in out.Config)) out.Config[k] = v;
  }
  validateLogConfig(out);
  return out;
}

/** dockerd's ValidateLogOpts: what create refuses. */
export function validateLogConfig(lc: LogConfig): void {
  if (lc.Type === 'none') return;
  const cfg = lc.Config;
  const mode = cfg.mode ?? '';
  if (mode !== '' && mode !== 'blocking' && mode !== 'non-blocking') throw new InvalidArgument(`logger: logging mode not supported: ${mode}`);
  if (cfg['max-buffer-size'] !== undefined) {
    if (mode !== 'non-blocking') throw new InvalidArgument("logger: max-buffer-size option is only supported with 'mode=non-blocking'");
    if (!/^\d+(\.\d+)?\s?([kKmMgGtTpP])?[iI]?[bB]?$/.test(cfg['max-buffer-size'])) {
      throw new InvalidArgument(`error parsing option max-buffer-size: invalid size: '${cfg['max-buffer-size']}'`);
    }
  }
  const known = DRIVER_OPTS.get(lc.Type);
  // dockerd looks a driver it does not have up as a plugin; minke has no logging plugins (nor
  // syslog, journald, gelf... which a missing feature refuses rather than fakes).
  if (!known) throw new InvalidArgument(`error looking up logging plugin ${lc.Type}: plugin "${lc.Type}" not found`);
  for (const k of Object.keys(cfg)) {
    if (BUILT_IN_OPTS.has(k) || known.has(k)) continue;
    throw new InvalidArgument(lc.Type === 'json-file' ? `unknown log opt '${k}' for json-file log driver` : `unknown log opt '${k}' for log driver ${lc.Type}`);
  }
}

/** A driver that cannot start: dockerd's start answers 500 with these words. */
function initError(reason: string): SystemError {
  return new SystemError(`failed to initialize logging driver: ${reason}`);
}

/**
 * The driver's options read as its logger reads them when it starts (jsonfilelog.New,
 * local.newConfig), with their errors. `none` keeps no readable log; the engine still bounds the
 * file that live attaches read (1 MB, truncated).
 */
export function logPolicy(lc: LogConfig | undefined): LogPolicy {
  const type = lc?.Type || DEFAULT_LOG_DRIVER;
  const cfg = lc?.Config ?? {};
  if (type === 'none') return { driver: 'none', maxSize: 1_000_000, maxFile: 1, compress: false };
  if (type === 'local') {
    const p: LogPolicy = { driver: 'local', maxSize: 20 * 1024 * 1024, maxFile: 5, compress: true };
    if (cfg['max-size'] !== undefined) {
      try {
        p.maxSize = parseHumanSize(cfg['max-size']);
      } catch (err) {
        throw initError(`invalid value for max-size: ${cfg['max-size']}: ${(err as Error).message}`);
      }
    }
    if (cfg['max-file'] !== undefined) {
      try {
        p.maxFile = atoi(cfg['max-file']);
      } catch (err) {
        throw initError(`invalid value for max-file: ${cfg['max-file']}: ${(err as Error).message}`);
      }
    }
    if (cfg.compress !== undefined) {
      try {
        p.compress = parseBool(cfg.compress);
      } catch (err) {
        throw initError(`error reading compress log option: ${(err as Error).message}`);
      }
    }
    if (p.maxFile < 0) throw initError('max file count cannot be less than 0');
    // As dockerd's local: no count is one file; size 0 rotates before every entry (conmon's
    // smallest cut, 1 byte, does that: each record gets its file).
    if (p.maxFile === 0) p.maxFile = 1;
    if (p.compress && p.maxFile <= 1) throw initError('compression cannot be enabled when max file count is 1');
    if (p.maxSize === 0) p.maxSize = 1;
    return p;
  }
  const p: LogPolicy = { driver: type, maxSize: -1, maxFile: 1, compress: false };
  const bad = (f: () => void): void => {
    try {
      f();
    } catch (err) {
      throw initError((err as Error).message);
    }
  };
  if (cfg['max-size'] !== undefined) {
    bad(() => { p.maxSize = parseHumanSize(cfg['max-size']!); });
    if (p.maxSize <= 0) throw initError('max-size must be a positive number');
  }
  if (cfg['max-file'] !== undefined) {
    bad(() => { p.maxFile = atoi(cfg['max-file']!); });
    if (p.maxFile < 1) throw initError('max-file cannot be less than 1');
  }
  if (cfg.compress !== undefined) {
    bad(() => { p.compress = parseBool(cfg.compress!); });
    if (p.compress && (p.maxFile === 1 || p.maxSize === -1)) throw initError('compress cannot be true when max-file is less than 2 or max-size is not set');
  }
  return p;
}
