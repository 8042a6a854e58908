/**
 * The JSON message stream of dockerd's legacy builder, as the docker CLI reads it without buildx:
 * one JSON object per message ({"stream"}, {"aux"}, {"errorDetail","error"}), "\r\n" after each,
 * and Go's HTML-safe escaping (`>` as \u003e) so the bytes are dockerd's.
 */
import type { Writable } from 'node:stream';

/** encoding/json's output: <, > and & escaped, and U+2028/U+2029. */
export function goJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export interface BuildOutput {
  /** Text for the client's stdout ("Step 1/3 : ...\n"). */
  stream(text: string): void;
  aux(value: unknown): void;
  /** A pull's progress message ({status, id, progressDetail}), as dockerd's builder relays it. */
  progress?(message: Record<string, unknown>): void;
  /** The build failed: the last message. `code` is a failed RUN's exit code. */
  error(message: string, code?: number): void;
}

export class LegacyStream implements BuildOutput {
  constructor(private readonly out: Writable) {}

  private write(v: unknown): void {
    if (!this.out.writableEnded && !this.out.destroyed) this.out.write(`${goJson(v)}\r\n`);
  }

  stream(text: string): void {
    if (text) this.write({ stream: text });
  }

  aux(value: unknown): void {
    this.write({ aux: value });
  }

  progress(message: Record<string, unknown>): void {
    this.write(message);
  }

  error(message: string, code?: number): void {
    this.write({ errorDetail: code === undefined ? { message } : { code, message }, error: message });
  }
}

/** Collects the messages (quiet builds, tests). */
export class MemoryOutput implements BuildOutput {
  readonly lines: string[] = [];
  failure: { message: string; code?: number } | undefined;
  auxes: unknown[] = [];

  stream(text: string): void {
    this.lines.push(text);
  }

  aux(value: unknown): void {
    this.auxes.push(value);
  }

  error(message: string, code?: number): void {
    this.failure = code === undefined ? { message } : { message, code };
  }

  get text(): string {
    return this.lines.join('');
  }
}
