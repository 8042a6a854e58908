/**
 * Container output as compose prints it: each line prefixed with its container (`web-1  | `),
 * names padded to one width, a colour per service on a terminal.
 */
import { Writable } from 'node:stream';
import type { ComposeApi, ContainerSummary } from './engine/api.js';
import { demux, copyRaw } from '../cli/stream.js';
import { LABEL } from './engine/labels.js';
import { nameOf } from './engine/convergence.js';

const COLORS = ['36', '33', '32', '35', '34', '96', '93', '92', '95', '94'];

/** The name logs show: the container's name without its project prefix. */
export function logName(c: ContainerSummary): string {
  const name = nameOf(c);
  const project = c.Labels[LABEL.project];
  return project && name.startsWith(`${project}-`) ? name.slice(project.length + 1) : name;
}

/** Writes whole lines with a prefix; a last partial line is written at the end. */
class Prefixed extends Writable {
  private rest = '';
  constructor(
    private readonly out: NodeJS.WritableStream,
    private readonly prefix: string,
  ) {
    super();
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    const text = this.rest + chunk.toString('utf8');
    const lines = text.split('\n');
    this.rest = lines.pop()!;
    if (lines.length) this.out.write(lines.map((l) => `${this.prefix}${l.replace(/\r$/, '')}\n`).join(''));
    cb();
  }
  flushRest(): void {
    if (this.rest) this.out.write(`${this.prefix}${this.rest}\n`);
    this.rest = '';
  }
}

export class LogPrinter {
  private readonly width: number;
  private readonly colors = new Map<string, string>();
  constructor(
    private readonly out: NodeJS.WritableStream,
    names: string[],
    private readonly color: boolean,
    private readonly prefix = true,
  ) {
    this.width = Math.max(0, ...names.map((n) => n.length));
  }

  private colorFor(service: string): string {
    let c = this.colors.get(service);
    if (!c) {
      c = COLORS[this.colors.size % COLORS.length]!;
      this.colors.set(service, c);
    }
    return c;
  }

  prefixOf(c: ContainerSummary): string {
    if (!this.prefix) return '';
    const p = `${logName(c).padEnd(this.width)}  | `;
    return this.color ? `\x1b[${this.colorFor(c.Labels[LABEL.service] ?? '')}m${p}\x1b[0m` : p;
  }

  /** A line about a container ("web-1 exited with code 0"), in its colour. */
  status(c: ContainerSummary, text: string): void {
    const name = logName(c);
    this.out.write(this.color ? `\x1b[${this.colorFor(c.Labels[LABEL.service] ?? '')}m${name} ${text}\x1b[0m\n` : `${name} ${text}\n`);
  }

  /** Prints one container's logs (to their end, or as they come with follow). */
  async print(a: ComposeApi, c: ContainerSummary, query: Record<string, string | number | boolean | undefined>, tty: boolean): Promise<void> {
    const w = new Prefixed(this.out, this.prefixOf(c));
    const res = await a.logs(c.Id, { stdout: true, stderr: true, ...query });
    if (tty) await copyRaw(res, w);
    else await demux(res, w, w);
    w.flushRest();
  }
}
