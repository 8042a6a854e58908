/** Durations worded as docker's go-units prints them (the engine's ps Status and the CLI). */
import { InvalidArgument } from './errors.js';

export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < 1) return 'Less than a second';
  if (seconds === 1) return '1 second';
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.floor(ms / 60000);
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.floor(ms / 3600000 + 0.5);
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.floor(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.floor(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24 / 30)} months`;
  return `${Math.floor(Math.floor(ms / 3600000) / 24 / 365)} years`;
}

/** Go's time.Duration String() for a whole number of nanoseconds ("30s", "200ms", "1m30s", "1.5s"). */
export function goDuration(ns: number): string {
  ns = Math.round(ns);
  if (ns === 0) return '0s';
  const neg = ns < 0;
  let n = Math.abs(ns);
  const sign = neg ? '-' : '';
  const frac = (v: number, digits: number): string => {
    const whole = Math.floor(v / 10 ** digits);
    const rest = String(v % 10 ** digits).padStart(digits, '0').replace(/0+$/, '');
    return rest ? `${whole}.${rest}` : String(whole);
  };
  if (n < 1e3) return `${sign}${n}ns`;
  if (n < 1e6) return `${sign}${frac(n, 3)}µs`;
  if (n < 1e9) return `${sign}${frac(n, 6)}ms`;
  const hours = Math.floor(n / 3.6e12);
  n -= hours * 3.6e12;
  const minutes = Math.floor(n / 6e10);
  n -= minutes * 6e10;
  let out = `${frac(n, 9)}s`;
  if (hours > 0 || minutes > 0) out = `${minutes}m${out}`;
  if (hours > 0) out = `${hours}h${out}`;
  return sign + out;
}

const GO_UNITS: Record<string, number> = { ns: 1, us: 1e3, 'µs': 1e3, 'μs': 1e3, ms: 1e6, s: 1e9, m: 6e10, h: 3.6e12 };

/** Go's time.ParseDuration ("1m30s", "200ms", "1.5h", "0"), in nanoseconds; undefined when invalid. */
export function parseGoDuration(s: string): number | undefined {
  let rest = s;
  let sign = 1;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    if (rest[0] === '-') sign = -1;
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  if (rest === '') return undefined;
  let total = 0;
  const re = /^(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/;
  while (rest) {
    const m = re.exec(rest);
    if (!m) return undefined;
    total += Number(m[1]) * GO_UNITS[m[2]!]!;
    rest = rest.slice(m[0].length);
  }
  return sign * Math.round(total);
}

/**
 * docker's timetypes.GetTimestamp, in milliseconds since the epoch: unix seconds (with a
 * fraction), a Go duration back from now ("24h", "1h30m"), or a date and time (RFC 3339 and its
 * shorter forms; local time when no zone is given).
 */
export function parseTimestamp(v: string, now = Date.now()): number {
  if (/^\d+(\.\d+)?$/.test(v)) return parseFloat(v) * 1000;
  const ns = parseGoDuration(v);
  if (ns !== undefined) return now - ns / 1e6;
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw new InvalidArgument(`failed to parse value as time or duration: "${v}"`);
  return t;
}

/**
 * parseTimestamp to the nanosecond, for log lines stamped in nanoseconds: the docker CLI sends
 * "seconds.nanoseconds", which a double cannot hold exactly.
 */
export function parseTimestampNs(v: string, now = Date.now()): bigint {
  const num = /^(\d+)(?:\.(\d+))?$/.exec(v);
  if (num) return BigInt(num[1]!) * 1_000_000_000n + BigInt((num[2] ?? '').slice(0, 9).padEnd(9, '0'));
  const date = /^(.*\d\d:\d\d:\d\d)\.(\d+)(.*)$/.exec(v);
  if (date) return BigInt(parseTimestamp(date[1]! + date[3]!, now)) * 1_000_000n + BigInt(date[2]!.slice(0, 9).padEnd(9, '0'));
  return BigInt(Math.round(parseTimestamp(v, now) * 1e6));
}
