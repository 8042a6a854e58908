/**
 * jsonmessage: the engine's streamed progress (pull, load, import) printed as docker does — one
 * line per layer redrawn in place on a terminal, plain status lines otherwise.
 */
import type { Readable, Writable } from 'node:stream';
import { StatusError } from './flags.js';

export interface JsonMessage {
  id?: string;
  status?: string;
  progress?: string;
  stream?: string;
  error?: string;
  errorDetail?: { message?: string };
  aux?: unknown;
}

/** The non-empty lines of a newline-delimited stream (the engine's JSON streams), trimmed. */
export async function* streamLines(src: AsyncIterable<unknown>): AsyncGenerator<string> {
  let buf = '';
  for await (const chunk of src) {
    buf += (chunk as Buffer).toString('utf8');
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      if (line) yield line;
    }
  }
  if (buf.trim()) yield buf.trim();
}

/** Splits a stream of newline-separated JSON objects. */
export async function* jsonStream(src: Readable): AsyncGenerator<JsonMessage> {
  for await (const line of streamLines(src)) yield JSON.parse(line) as JsonMessage;
}

/** Prints a progress stream; throws (exit 1) on an error message. Returns aux values seen. */
export async function displayJsonMessages(src: Readable, out: Writable, opts: { quiet?: boolean } = {}): Promise<unknown[]> {
  const tty = (out as Writable & { isTTY?: boolean }).isTTY === true;
  const lines = new Map<string, number>();
  let total = 0;
  const aux: unknown[] = [];
  for await (const m of jsonStream(src)) {
    if (m.error || m.errorDetail?.message) throw new StatusError(m.errorDetail?.message ?? m.error ?? '', 1);
    if (m.aux !== undefined) {
      aux.push(m.aux);
      continue;
    }
    if (opts.quiet) continue;
    if (m.stream !== undefined) {
      out.write(m.stream);
      continue;
    }
    const text = m.id ? `${m.id}: ${m.status ?? ''}${m.progress ? ` ${m.progress}` : ''}` : `${m.status ?? ''}${m.progress ? ` ${m.progress}` : ''}`;
    if (tty && m.id) {
      const line = lines.get(m.id);
      if (line === undefined) {
        lines.set(m.id, total++);
        out.write(`${text}\n`);
      } else {
        const up = total - line;
        out.write(`\x1b[${up}A\r\x1b[2K${text}\r\x1b[${up}B`);
      }
      continue;
    }
    if (!tty && m.progress) continue;
    out.write(`${text}\n`);
    if (tty) total++;
  }
  return aux;
}
