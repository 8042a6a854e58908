/**
 * Users from an htpasswd file of bcrypt entries (`user:$2y$...`, as `htpasswd -B` writes them and
 * distribution's htpasswd auth reads them). The file is read again when it changes.
 *
 * bcrypt costs tens of milliseconds a check by design, and clients send Basic credentials with
 * every request (skopeo does): a check that succeeded is remembered for a few minutes, keyed by
 * a hash of user, password and entry, so a push of many blobs does not spend its time in bcrypt.
 */
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import bcrypt from 'bcryptjs';

const REMEMBER_MS = 5 * 60 * 1000;

export class Htpasswd {
  private entries = new Map<string, string>();
  private mtimeMs = -1;
  private readonly verified = new Map<string, number>();

  constructor(
    readonly path: string,
    private readonly warn: (msg: string) => void = () => {},
  ) {}

  /** Reads the file (again when it changed since); throws when it cannot be read. */
  async load(): Promise<void> {
    const st = await stat(this.path);
    if (st.mtimeMs === this.mtimeMs) return;
    const entries = new Map<string, string>();
    for (const [i, raw] of (await readFile(this.path, 'utf8')).split('\n').entries()) {
      const line = raw.trim();
      if (!line || line.startsWith('#')) continue;
      const colon = line.indexOf(':');
      const user = line.slice(0, colon);
      const hash = line.slice(colon + 1);
      if (colon <= 0 || !/^\$2[aby]\$\d\d\$/.test(hash)) {
        this.warn(`${this.path}:${i + 1}: not a bcrypt entry, ignored`);
        continue;
      }
      entries.set(user, hash);
    }
    this.entries = entries;
    this.mtimeMs = st.mtimeMs;
    this.verified.clear();
  }

  async verify(user: string, password: string): Promise<boolean> {
    await this.load().catch((err: unknown) => this.warn(`htpasswd: ${(err as Error).message}`));
    const hash = this.entries.get(user);
    if (hash === undefined) return false;
    const key = createHash('sha256').update(`${user}\0${password}\0${hash}`).digest('hex');
    const until = this.verified.get(key);
    if (until !== undefined && until > Date.now()) return true;
    if (!(await bcrypt.compare(password, hash))) return false;
    if (this.verified.size > 10_000) this.verified.clear();
    this.verified.set(key, Date.now() + REMEMBER_MS);
    return true;
  }
}

/** `Authorization: Basic ...` as user and password, or undefined. */
export function basicCredentials(header: string | undefined): { user: string; password: string } | undefined {
  const m = /^\s*basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (!m) return undefined;
  const text = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = text.indexOf(':');
  if (colon < 0) return undefined;
  return { user: text.slice(0, colon), password: text.slice(colon + 1) };
}
