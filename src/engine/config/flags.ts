/**
 * `minke daemon`'s flags, parsed as dockerd's (pflag) are: repeated list flags, `--flag=value`,
 * booleans that also take `=true`/`=false` (`--tlsverify=false` says "TLS without verification"),
 * and a record of which flags were given (a flag and a daemon.json key may not both set a value).
 */

export type FlagKind = 'string' | 'list' | 'bool';

export interface FlagSpec {
  name: string;
  short?: string;
  kind: FlagKind;
  /** The daemon.json key this flag sets (conflicts are found through it); none for CLI-only flags. */
  key?: string;
}

export const DAEMON_FLAGS: readonly FlagSpec[] = [
  { name: 'host', short: 'H', kind: 'list', key: 'hosts' },
  { name: 'data-root', kind: 'string', key: 'data-root' },
  { name: 'root', kind: 'string', key: 'data-root' },
  { name: 'exec-root', kind: 'string', key: 'exec-root' },
  { name: 'pidfile', short: 'p', kind: 'string', key: 'pidfile' },
  { name: 'bridge', short: 'b', kind: 'string', key: 'bridge' },
  { name: 'bip', kind: 'string', key: 'bip' },
  { name: 'default-address-pool', kind: 'list', key: 'default-address-pools' },
  { name: 'label', kind: 'list', key: 'labels' },
  { name: 'debug', short: 'D', kind: 'bool', key: 'debug' },
  { name: 'log-level', short: 'l', kind: 'string', key: 'log-level' },
  { name: 'log-driver', kind: 'string', key: 'log-driver' },
  { name: 'log-opt', kind: 'list', key: 'log-opts' },
  { name: 'default-ulimit', kind: 'list', key: 'default-ulimits' },
  { name: 'cpu-rt-period', kind: 'string', key: 'cpu-rt-period' },
  { name: 'cpu-rt-runtime', kind: 'string', key: 'cpu-rt-runtime' },
  { name: 'dns', kind: 'list', key: 'dns' },
  { name: 'dns-search', kind: 'list', key: 'dns-search' },
  { name: 'dns-opt', kind: 'list', key: 'dns-opts' },
  { name: 'insecure-registry', kind: 'list', key: 'insecure-registries' },
  { name: 'registry-mirror', kind: 'list', key: 'registry-mirrors' },
  // minke's own: serve an OCI registry from the engine's process (its content under the data root)
  { name: 'registry', kind: 'string' },
  { name: 'add-runtime', kind: 'list', key: 'runtimes' },
  { name: 'default-runtime', kind: 'string', key: 'default-runtime' },
  // minke's older name for --default-runtime.
  { name: 'runtime', kind: 'string', key: 'default-runtime' },
  { name: 'tls', kind: 'bool', key: 'tls' },
  { name: 'tlsverify', kind: 'bool', key: 'tlsverify' },
  { name: 'tlscacert', kind: 'string', key: 'tlscacert' },
  { name: 'tlscert', kind: 'string', key: 'tlscert' },
  { name: 'tlskey', kind: 'string', key: 'tlskey' },
  { name: 'config-file', kind: 'string' },
  { name: 'validate', kind: 'bool' },
  { name: 'help', short: 'h', kind: 'bool' },
];

/** The flags given on the command line, by long name (lists in order, booleans as given). */
export class GivenFlags {
  readonly values = new Map<string, string | string[] | boolean>();

  has(name: string): boolean {
    return this.values.has(name);
  }

  str(name: string): string | undefined {
    const v = this.values.get(name);
    return typeof v === 'string' ? v : undefined;
  }

  list(name: string): string[] | undefined {
    const v = this.values.get(name);
    return Array.isArray(v) ? v : undefined;
  }

  bool(name: string): boolean | undefined {
    const v = this.values.get(name);
    return typeof v === 'boolean' ? v : undefined;
  }

  /** The flag's value as pflag's Value.String() prints it (conflict messages). */
  printed(name: string): string {
    const v = this.values.get(name);
    if (name === 'log-opt' && Array.isArray(v)) {
      const m = Object.fromEntries(v.map((kv) => [kv.split('=')[0]!, kv.slice(kv.indexOf('=') + 1)]));
      return `map[${Object.keys(m).sort().map((k) => `${k}:${m[k]}`).join(' ')}]`;
    }
    return Array.isArray(v) ? `[${v.join(' ')}]` : String(v);
  }
}

function parseBool(name: string, v: string): boolean {
  if (['1', 't', 'T', 'true', 'TRUE', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(v)) return false;
  throw new Error(`invalid argument "${v}" for "--${name}" flag: strconv.ParseBool: parsing "${v}": invalid syntax`);
}

export function parseFlags(argv: readonly string[], specs: readonly FlagSpec[] = DAEMON_FLAGS): GivenFlags {
  const out = new GivenFlags();
  const set = (spec: FlagSpec, value: string | undefined, shown: string): void => {
    if (spec.kind === 'bool') {
      out.values.set(spec.name, value === undefined ? true : parseBool(spec.name, value));
      return;
    }
    if (value === undefined) throw new Error(`flag needs an argument: ${shown}`);
    if (spec.kind === 'list') out.values.set(spec.name, [...(out.list(spec.name) ?? []), value]);
    else out.values.set(spec.name, value);
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq < 0 ? a.slice(2) : a.slice(2, eq);
      const spec = specs.find((s) => s.name === name);
      if (!spec) throw new Error(`unknown flag: --${name}`);
      let value = eq < 0 ? undefined : a.slice(eq + 1);
      if (value === undefined && spec.kind !== 'bool' && i + 1 < argv.length) value = argv[++i];
      set(spec, value, `--${name}`);
    } else if (a.startsWith('-') && a.length > 1) {
      const c = a[1]!;
      const spec = specs.find((s) => s.short === c);
      if (!spec) throw new Error(`unknown shorthand flag: '${c}' in ${a}`);
      let value: string | undefined = a.length > 2 ? a.slice(a[2] === '=' ? 3 : 2) : undefined;
      if (value === undefined && spec.kind !== 'bool' && i + 1 < argv.length) value = argv[++i];
      set(spec, value, `'${c}' in -${c}`);
    } else {
      throw new Error(`"minke daemon" accepts no arguments (got ${JSON.stringify(a)})`);
    }
  }
  return out;
}
