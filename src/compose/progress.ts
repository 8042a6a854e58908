/**
 * Progress of up, down and friends as docker compose v2 prints it on stderr: on a terminal a
 * block redrawn in place ("[+] Running 3/3", then a line per resource: a spinner or ✔, its name,
 * its state, the time it took); otherwise a plain line per event (" Container p-web-1  Started").
 */
import type { Writable } from 'node:stream';

export type Status = 'working' | 'done' | 'warning' | 'error';

export interface Progress {
  /** A resource's new state: `id` is "Container p-web-1", "Network p_default", `Volume "p_data"`. */
  event(id: string, status: Status, text: string): void;
  /** A message printed after the block (warnings, hints). */
  tail(msg: string): void;
  /** Draws the last state and stops redrawing. */
  stop(): void;
}

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

interface Line {
  id: string;
  status: Status;
  text: string;
  start: number;
  end?: number;
}

class TtyProgress implements Progress {
  private readonly lines = new Map<string, Line>();
  private readonly tails: string[] = [];
  private drawn = 0;
  private frame = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly out: Writable & { columns?: number },
    private readonly title: string,
    private readonly color: boolean,
  ) {
    this.timer = setInterval(() => this.draw(), 100);
    this.timer.unref();
  }

  event(id: string, status: Status, text: string): void {
    const now = Date.now();
    const l = this.lines.get(id);
    if (!l) this.lines.set(id, { id, status, text, start: now, end: status === 'working' ? undefined : now });
    else {
      if (status !== 'working' && l.status === 'working') l.end = now;
      if (status === 'working' && l.status !== 'working') {
        l.start = now;
        l.end = undefined;
      }
      l.status = status;
      l.text = text;
    }
  }

  tail(msg: string): void {
    this.tails.push(msg);
  }

  private paint(s: string, code: string): string {
    return this.color ? `\x1b[${code}m${s}\x1b[0m` : s;
  }

  private draw(): void {
    if (!this.lines.size) return;
    this.frame++;
    const width = this.out.columns || 80;
    const all = [...this.lines.values()];
    const done = all.filter((l) => l.status === 'done').length;
    const pad = Math.max(...all.map((l) => l.id.length + 1));
    let s = this.drawn ? `\x1b[${this.drawn}A\r` : '';
    const head = `[+] ${this.title} ${done}/${all.length}`;
    s += `\x1b[2K${done === all.length ? this.paint(head, '34') : head}\n`;
    for (const l of all) {
      const mark = l.status === 'working' ? SPINNER[this.frame % SPINNER.length]! : l.status === 'error' ? this.paint('✘', '31') : l.status === 'warning' ? this.paint('!', '33') : this.paint('✔', '32');
      const secs = `${(((l.end ?? Date.now()) - l.start) / 1000).toFixed(1)}s`;
      let text = ` ${mark} ${l.id.padEnd(pad)} ${this.paint(l.text, l.status === 'error' ? '31' : l.status === 'done' ? '32' : '0')}`;
      const visible = 4 + pad + l.text.length;
      const room = width - visible - secs.length - 1;
      if (room > 0) text += ' '.repeat(room) + this.paint(secs, '34');
      s += `\x1b[2K${text}\n`;
    }
    this.drawn = all.length + 1;
    this.out.write(s);
  }

  stop(): void {
    clearInterval(this.timer);
    this.draw();
    for (const t of this.tails) this.out.write(`${t}\n`);
  }
}

class PlainProgress implements Progress {
  constructor(private readonly out: Writable) {}
  event(id: string, _status: Status, text: string): void {
    this.out.write(` ${id}  ${text}\n`);
  }
  tail(msg: string): void {
    this.out.write(`${msg}\n`);
  }
  stop(): void {}
}

class JsonProgress implements Progress {
  constructor(private readonly out: Writable) {}
  event(id: string, status: Status, text: string): void {
    this.out.write(`${JSON.stringify({ id, status: text, ...(status === 'error' ? { error: true } : {}) })}\n`);
  }
  tail(msg: string): void {
    this.out.write(`${JSON.stringify({ tail: true, text: msg })}\n`);
  }
  stop(): void {}
}

class QuietProgress implements Progress {
  event(): void {}
  tail(): void {}
  stop(): void {}
}

/** The writer compose's --progress asks for (auto: a terminal gets the live block). */
export function newProgress(out: Writable, mode: string, title = 'Running', ansi = 'auto'): Progress {
  const tty = (out as { isTTY?: boolean }).isTTY === true;
  if (mode === 'quiet') return new QuietProgress();
  if (mode === 'json') return new JsonProgress(out);
  if (mode === 'tty' || (mode !== 'plain' && tty && ansi !== 'never')) return new TtyProgress(out, title, ansi !== 'never');
  return new PlainProgress(out);
}
