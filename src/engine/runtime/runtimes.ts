/**
 * The OCI runtimes containers may name (HostConfig.Runtime): the engine's runc, and those the
 * configuration adds (daemon.json "runtimes", --add-runtime), any runc-compatible binary. A reload
 * replaces the table; a container resolves its runtime by name each time it starts, as dockerd's.
 */
import { InvalidArgument } from '../../core/errors.js';
import type { RuntimeBinary } from './runtime.js';

/** A runtime as daemon.json and `docker info` spell it. */
export interface RuntimeConfig {
  path: string;
  runtimeArgs?: string[];
}

/** The runtime every engine has (dockerd's StockRuntimeName). */
export const STOCK_RUNTIME = 'runc';

export class RuntimeTable {
  constructor(private runtimes: Record<string, RuntimeConfig> = {}, private defaultName = STOCK_RUNTIME) {}

  replace(runtimes: Record<string, RuntimeConfig>, defaultName: string): void {
    this.runtimes = runtimes;
    this.defaultName = defaultName;
  }

  get default(): string {
    return this.defaultName;
  }

  /** Every runtime, as `docker info` lists them. */
  all(): Record<string, RuntimeConfig> {
    return { [STOCK_RUNTIME]: { path: STOCK_RUNTIME }, ...this.runtimes };
  }

  /** HostConfig.Runtime at create: the default when none is named; an unknown name is refused. */
  resolveName(requested: string | undefined): string {
    const name = requested || this.defaultName;
    if (name !== STOCK_RUNTIME && !this.runtimes[name]) throw new InvalidArgument(`Unknown runtime specified ${name}`);
    return name;
  }

  /** The binary a container runs with; undefined for the engine's own runc (and records older than HostConfig.Runtime). */
  binary(name: string | undefined): RuntimeBinary | undefined {
    const n = name || STOCK_RUNTIME;
    if (n === STOCK_RUNTIME) return undefined;
    const rt = this.runtimes[n];
    if (!rt) throw new InvalidArgument(`unknown or invalid runtime name: ${n}`);
    return { path: rt.path, args: rt.runtimeArgs };
  }
}
