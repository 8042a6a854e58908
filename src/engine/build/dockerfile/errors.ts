/** The one error class of the Dockerfile module: every syntax or instruction error names file:line. */
export class DockerfileError extends Error {
  override name = 'DockerfileError';
  /** The file name as the caller gave it (default `Dockerfile`). */
  readonly file: string;
  /** 1-based line of the instruction at fault; 0 when the error concerns the whole file. */
  readonly line: number;
  /** The message without the `file:line: ` prefix. */
  readonly detail: string;

  constructor(file: string, line: number, detail: string, options?: { cause?: unknown }) {
    super(line > 0 ? `${file}:${line}: ${detail}` : `${file}: ${detail}`, options);
    this.file = file;
    this.line = line;
    this.detail = detail;
  }
}
