import { messageOf } from '../../core/errors.js';
import type { ContainerConfig } from './model.js';

/**
 * Health checks as docker runs them (daemon/health.go): a probe command exec'd in the container
 * every interval; its exit code 0 means healthy, anything else a failure; `retries` failures in a
 * row make the container unhealthy. Failures within the start period do not count until a probe
 * succeeded. The state and the last five results are kept in State.Health.
 */

export type HealthStatus = 'starting' | 'healthy' | 'unhealthy';

/** One probe's result as inspect shows it. */
export interface HealthcheckResult {
  Start: string;
  End: string;
  ExitCode: number;
  Output: string;
}

/** State.Health in inspect. */
export interface Health {
  Status: HealthStatus;
  FailingStreak: number;
  Log: HealthcheckResult[];
}

export const DEFAULT_INTERVAL_MS = 30_000;
export const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_START_PERIOD_MS = 0;
export const DEFAULT_START_INTERVAL_MS = 5_000;
export const DEFAULT_RETRIES = 3;
export const MAX_LOG_ENTRIES = 5;
export const MAX_OUTPUT_BYTES = 4096;

/** A container's health check with docker's defaults filled in; durations in ms. */
export interface HealthSettings {
  /** The probe's argv (CMD as given; CMD-SHELL through the container's shell). */
  argv: string[];
  intervalMs: number;
  timeoutMs: number;
  /** The timeout in nanoseconds, for the message docker words with Go's duration format. */
  timeoutNs: number;
  startPeriodMs: number;
  startIntervalMs: number;
  retries: number;
}

const nsToMs = (ns: number | undefined, dflt: number): number => (ns ? ns / 1e6 : dflt);

/** The probe to run, or undefined when there is none (no Healthcheck, empty or NONE test). */
export function healthSettings(c: ContainerConfig): HealthSettings | undefined {
  const h = c.Healthcheck;
  const test = h?.Test ?? [];
  if (!h || test.length === 0) return undefined;
  let argv: string[];
  if (test[0] === 'CMD') argv = test.slice(1);
  else if (test[0] === 'CMD-SHELL') argv = [...(c.Shell?.length ? c.Shell : ['/bin/sh', '-c']), ...test.slice(1)];
  else return undefined;
  if (argv.length === 0) return undefined;
  return {
    argv,
    intervalMs: nsToMs(h.Interval, DEFAULT_INTERVAL_MS),
    timeoutMs: nsToMs(h.Timeout, DEFAULT_TIMEOUT_MS),
    timeoutNs: h.Timeout || DEFAULT_TIMEOUT_MS * 1e6,
    startPeriodMs: nsToMs(h.StartPeriod, DEFAULT_START_PERIOD_MS),
    startIntervalMs: nsToMs(h.StartInterval, DEFAULT_START_INTERVAL_MS),
    retries: h.Retries && h.Retries > 0 ? h.Retries : DEFAULT_RETRIES,
  };
}

export function initialHealth(previous?: Health): Health {
  // As docker: a (re)start resets the status and streak, and keeps the log.
  return { Status: 'starting', FailingStreak: 0, Log: previous?.Log ?? [] };
}

/**
 * Applies one probe result; returns the status before it. `sinceStartMs` is the time from the
 * container's start to the probe's start (for the start period).
 */
export function recordResult(h: Health, r: HealthcheckResult, s: Pick<HealthSettings, 'retries' | 'startPeriodMs'>, sinceStartMs: number): HealthStatus {
  const before = h.Status;
  h.Log = [...h.Log, r].slice(-MAX_LOG_ENTRIES);
  if (r.ExitCode === 0) {
    h.FailingStreak = 0;
    h.Status = 'healthy';
    return before;
  }
  // Never healthy yet and still in the start period: the failure does not count.
  if (h.Status === 'starting' && sinceStartMs < s.startPeriodMs) return before;
  h.FailingStreak++;
  if (h.FailingStreak >= s.retries) h.Status = 'unhealthy';
  return before;
}

/** The wait before the next probe: the start interval while starting within the start period. */
export function nextInterval(s: Pick<HealthSettings, 'intervalMs' | 'startIntervalMs' | 'startPeriodMs'>, sinceStartMs: number, status: HealthStatus): number {
  if (sinceStartMs >= s.startPeriodMs) return s.intervalMs;
  return status === 'starting' ? s.startIntervalMs : s.intervalMs;
}

export interface ProbeOutcome {
  exitCode: number;
  output: string;
}

export interface HealthMonitorOptions {
  settings: HealthSettings;
  /** The container's start (for the start period). */
  startedAtMs: number;
  /** The container's State.Health, updated in place. */
  health: Health;
  /** Runs one probe; aborted when monitoring stops. */
  probe: (signal: AbortSignal) => Promise<ProbeOutcome>;
  /** After each recorded result, with whether the status changed. */
  onResult: (changed: boolean) => void;
}

/** Probes one running container until stopped; never more than one probe at a time. */
export class HealthMonitor {
  private readonly abort = new AbortController();
  /** Resolves when the loop has ended (after stop(), once a running probe returned). */
  readonly done: Promise<void>;

  constructor(private readonly o: HealthMonitorOptions) {
    this.done = this.loop().catch(() => {});
  }

  get stopped(): boolean {
    return this.abort.signal.aborted;
  }

  /** Stops probing; a probe in flight is aborted and its result dropped. */
  stop(): void {
    this.abort.abort();
  }

  private async loop(): Promise<void> {
    const { settings: s, health: h, startedAtMs } = this.o;
    const signal = this.abort.signal;
    while (!signal.aborted) {
      if (!(await sleep(nextInterval(s, Date.now() - startedAtMs, h.Status), signal))) return;
      const start = Date.now();
      let out: ProbeOutcome;
      try {
        out = await this.o.probe(signal);
      } catch (err) {
        out = { exitCode: -1, output: messageOf(err) };
      }
      if (signal.aborted) return;
      const result: HealthcheckResult = { Start: new Date(start).toISOString(), End: new Date().toISOString(), ExitCode: out.exitCode, Output: out.output };
      const before = recordResult(h, result, s, start - startedAtMs);
      this.o.onResult(before !== h.Status);
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
