/**
 * Phase timings for the hot paths, printed to stderr when MINKE_TRACE is set (used to find where
 * `run --rm` spends its time; costs one branch otherwise).
 */
const enabled = Boolean(process.env.MINKE_TRACE);
const starts = new Map<string, number>();

export function trace(key: string, phase: string): void {
  if (!enabled) return;
  const now = performance.now();
  const t0 = starts.get(key) ?? now;
  if (!starts.has(key)) starts.set(key, now);
  process.stderr.write(`[trace] ${key.slice(0, 12)} ${phase} +${(now - t0).toFixed(1)}ms\n`);
}

export function traceEnd(key: string): void {
  if (enabled) starts.delete(key);
}
