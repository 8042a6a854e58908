/**
 * The JSON progress stream of dockerd's pull and push (its streamformatter): one object per
 * line, `{"status","id","progressDetail":{"current","total"},"progress"}`, so the docker CLI
 * draws its per-layer lines natively. Byte counts are sent at most every 100 ms per layer.
 */
import { humanSize } from '../../../cli/format.js';

export interface JsonMessage {
  status?: string;
  id?: string;
  progressDetail?: { current?: number; total?: number };
  progress?: string;
  aux?: unknown;
  error?: string;
  errorDetail?: { message: string };
}

export type ProgressSink = (m: JsonMessage) => void;

/** jsonmessage.JSONProgress.String() for a 200-column terminal: `[====>    ]  1.2MB/3.4MB`. */
export function progressBar(current: number, total: number): string {
  if (current <= 0 && total <= 0) return '';
  if (total <= 0) return humanSize(current).padStart(8);
  const pct = Math.min(50, Math.floor(Math.floor((current / total) * 100) / 2));
  const bar = `[${'='.repeat(pct)}>${' '.repeat(Math.max(0, 50 - pct))}] `;
  const numbers = current > total ? '' : `${humanSize(current).padStart(8)}/${humanSize(total)}`;
  return bar + numbers;
}

/** A message without byte counts (`Pulling fs layer`, `Pushed`): an empty progressDetail, as dockerd sends. */
export function update(sink: ProgressSink, id: string, status: string): void {
  sink({ status, progressDetail: {}, id });
}

/** A line of its own (`Digest: ...`, `Status: ...`, `The push refers to ...`). */
export function message(sink: ProgressSink, status: string, id?: string): void {
  sink(id === undefined ? { status } : { status, id });
}

/** Byte counts of one layer's action, throttled; `done()` sends the last count whatever the time. */
export class Counter {
  private last = 0;
  private current = 0;

  constructor(private readonly sink: ProgressSink, private readonly id: string, private readonly action: string, private readonly total: number) {}

  add(n: number): void {
    this.set(this.current + n);
  }

  set(current: number): void {
    this.current = current;
    const now = Date.now();
    if (now - this.last < 100) return;
    this.last = now;
    this.send();
  }

  done(): void {
    this.send();
  }

  private send(): void {
    this.sink({ status: this.action, progressDetail: { current: this.current, total: this.total }, progress: progressBar(this.current, this.total), id: this.id });
  }
}

/** docker's short form of a digest in progress lines: 12 hex digits. */
export function shortDigest(d: string): string {
  return d.replace(/^sha256:/, '').slice(0, 12);
}
