/**
 * Stages that run at the same time still print in the Dockerfile's order: the first unfinished
 * stage writes through, the others' messages wait in memory until every stage before them is done.
 */
import type { BuildOutput } from './legacy-stream.js';

type Msg = { t: 'stream'; text: string } | { t: 'aux'; v: unknown } | { t: 'error'; message: string; code?: number };

export class StageOutputs {
  private seq: number[] = [];
  private at = 0;
  private readonly held = new Map<number, Msg[]>();
  private readonly finished = new Set<number>();

  constructor(private readonly out: BuildOutput) {}

  /** The stages in print order. */
  order(seq: number[]): void {
    this.seq = seq;
  }

  private live(stage: number): boolean {
    return this.seq[this.at] === stage;
  }

  private emit(m: Msg): void {
    if (m.t === 'stream') this.out.stream(m.text);
    else if (m.t === 'aux') this.out.aux(m.v);
    else this.out.error(m.message, m.code);
  }

  of(stage: number): BuildOutput {
    const put = (m: Msg): void => {
      if (this.live(stage)) this.emit(m);
      else {
        let q = this.held.get(stage);
        if (!q) this.held.set(stage, (q = []));
        q.push(m);
      }
    };
    return {
      stream: (text) => put({ t: 'stream', text }),
      aux: (v) => put({ t: 'aux', v }),
      error: (message, code) => put(code === undefined ? { t: 'error', message } : { t: 'error', message, code }),
    };
  }

  done(stage: number): void {
    this.finished.add(stage);
    while (this.at < this.seq.length && this.finished.has(this.seq[this.at]!)) {
      this.at++;
      const next = this.seq[this.at];
      if (next === undefined) break;
      for (const m of this.held.get(next) ?? []) this.emit(m);
      this.held.delete(next);
    }
  }

  /** The build ends (or fails): whatever is still held goes out, in order. */
  flushAll(): void {
    for (const s of this.seq.slice(this.at)) {
      for (const m of this.held.get(s) ?? []) this.emit(m);
      this.held.delete(s);
    }
    this.at = this.seq.length;
  }
}
