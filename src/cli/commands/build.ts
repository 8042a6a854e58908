/**
 * `minke build`: the context (a directory, a tar or tar.gz on stdin, or a Dockerfile alone on
 * stdin) sent as a tar to POST /build, as the docker CLI does without buildx; the engine's legacy
 * stream shown BuildKit-style (a line per step with its time, CACHED for cache hits) on a
 * terminal or with --progress plain, as is with --progress quiet / -q only the image ID.
 */
import { createReadStream } from 'node:fs';
import { lstat, readdir, readFile, readlink, stat, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { PassThrough, Readable, type Writable } from 'node:stream';
import tar from 'tar-stream';
import type { Command, Ctx } from '../command.js';
import { StatusError } from '../flags.js';
import { jsonStream } from '../progress.js';
import { flagBytes, parseUlimit } from '../container-opts.js';
import { buildAuthHeader } from '../registry-auth.js';
import { PatternMatcher, readDockerignore, type MatchInfo } from '../../engine/build/ignore.js';

type Progress = 'plain' | 'tty' | 'quiet';

async function readAllInput(input: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of input) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

function looksLikeTar(b: Buffer): boolean {
  if (b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b) return true; // gzip
  if (b.length >= 3 && b.subarray(0, 3).toString() === 'BZh') return true;
  if (b.length >= 6 && b[0] === 0xfd && b.subarray(1, 6).toString() === '7zXZ\0') return true;
  return b.length >= 262 && b.subarray(257, 262).toString() === 'ustar';
}

/**
 * The context directory as a tar, as the docker CLI sends it: owners 0:0, what .dockerignore
 * names left out (never the Dockerfile nor .dockerignore itself: the engine drops those when
 * listed), extra files added.
 */
function tarContext(dir: string, extra: Array<{ name: string; data: Buffer }>, ignore: PatternMatcher | undefined, keep: string[]): Readable {
  const pack = tar.pack();
  void (async () => {
    const walk = async (abs: string, rel: string, parent?: MatchInfo): Promise<void> => {
      for (const e of (await readdir(abs)).sort()) {
        const a = path.join(abs, e);
        const name = rel ? `${rel}/${e}` : e;
        const st = await lstat(a);
        let info: MatchInfo | undefined;
        if (ignore && !keep.includes(name)) {
          const m = ignore.matchesUsingParentResults(name, parent);
          info = m.info;
          if (m.matched) {
            // A directory an exclusion (!pattern) may reach into is walked, its own entry left out.
            if (st.isDirectory() && ignore.exclusions) await walk(a, name, info);
            continue;
          }
        }
        if (name === '.dockerignore' && extra.some((f) => f.name === name)) continue; // replaced below
        const base = { name, mode: st.mode & 0o7777, uid: 0, gid: 0, mtime: st.mtime };
        if (st.isDirectory()) {
          pack.entry({ ...base, type: 'directory' });
          await walk(a, name, info);
        } else if (st.isSymbolicLink()) {
          pack.entry({ ...base, type: 'symlink', linkname: await readlink(a) });
        } else if (st.isFile()) {
          await new Promise<void>((resolve, reject) => {
            const w = pack.entry({ ...base, type: 'file', size: st.size }, (err) => (err ? reject(err) : resolve()));
            createReadStream(a).on('error', reject).pipe(w);
          });
        }
      }
    };
    await walk(dir, '');
    for (const f of extra) pack.entry({ name: f.name, mode: 0o644, uid: 0, gid: 0, mtime: new Date() }, f.data);
    pack.finalize();
  })().catch((err: unknown) => pack.destroy(err as Error));
  // A Node stream for the HTTP client (tar-stream's own lacks pause/resume).
  return Readable.from(pack as unknown as AsyncIterable<Buffer>);
}

/**
 * A directory as the build context the docker CLI sends: its tar (.dockerignore applied) and
 * the Dockerfile's name in it; a Dockerfile outside the directory (or `-f -`, read by
 * readDockerfile) is sent along under a name of its own.
 */
export async function directoryContext(arg: string, file: string, readDockerfile: () => Promise<Buffer>): Promise<{ body: Readable; dockerfile?: string }> {
  let dockerfile: string | undefined;
  const dir = path.resolve(arg);
  try {
    if (!(await stat(dir)).isDirectory()) throw new Error('not a directory');
  } catch {
    throw new StatusError(`unable to prepare context: path "${arg}" not found`, 1);
  }
  const extra: Array<{ name: string; data: Buffer }> = [];
  let ignoreText = '';
  try {
    ignoreText = await readFile(path.join(dir, '.dockerignore'), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new StatusError(`error checking context: ${(err as Error).message}`, 1);
  }
  if (file === '-') {
    dockerfile = `.dockerfile.${randomBytes(10).toString('hex')}`;
    extra.push({ name: dockerfile, data: await readDockerfile() });
  } else if (file) {
    const abs = path.resolve(file);
    const rel = path.relative(dir, abs);
    if (rel.startsWith('..') || path.isAbsolute(rel)) {
      // Outside the context: sent along under a name of its own, as the docker CLI does.
      dockerfile = `.dockerfile.${randomBytes(10).toString('hex')}`;
      try {
        extra.push({ name: dockerfile, data: await readFile(abs) });
      } catch {
        throw new StatusError(`unable to prepare context: unable to evaluate symlinks in Dockerfile path: lstat ${abs}: no such file or directory`, 1);
      }
    } else dockerfile = rel.split(path.sep).join('/');
  }
  let ignore: PatternMatcher | undefined;
  try {
    ignore = ignoreText ? new PatternMatcher(readDockerignore(ignoreText)) : undefined;
  } catch (err) {
    throw new StatusError(`error checking context: ${(err as Error).message}`, 1);
  }
  // As the docker CLI: a Dockerfile sent along is listed in .dockerignore, so the engine keeps it out of COPY.
  if (extra.length) extra.push({ name: '.dockerignore', data: Buffer.from(`${ignoreText}\n.dockerignore\n${dockerfile!}`) });
  const body = tarContext(dir, extra, ignore, [dockerfile ?? 'Dockerfile', '.dockerignore']);
  return { body, dockerfile };
}

function parseKeyValues(items: string[], env: NodeJS.ProcessEnv, fromEnv: boolean): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const it of items) {
    const i = it.indexOf('=');
    // `--build-arg NAME` takes the value from the environment, as docker's; unset stays null.
    if (i < 0) out[it] = fromEnv ? (env[it] ?? null) : '';
    else out[it.slice(0, i)] = it.slice(i + 1);
  }
  return out;
}

/** Renders the legacy stream as BuildKit's progress does: one entry per step, timed. */
class StepRenderer {
  private current: { n: string; title: string; start: number; cached: boolean } | undefined;
  private readonly started = Date.now();
  private steps = 0;
  private total = '?';
  private output: string[] = [];
  readonly tags: string[] = [];

  constructor(private readonly out: Writable, private readonly mode: 'plain' | 'tty') {}

  private close(): void {
    const c = this.current;
    if (!c) return;
    const secs = ((Date.now() - c.start) / 1000).toFixed(1);
    if (this.mode === 'tty') {
      // One line per step, cut to the terminal's width, the time right-aligned (BuildKit's look).
      const width = Math.max(40, ((this.out as { columns?: number }).columns ?? 80) - 12);
      let label = `${c.cached ? 'CACHED ' : ''}[${c.n}/${this.total}] ${c.title}`;
      if (label.length > width) label = `${label.slice(0, width - 3)}...`;
      this.out.write(` => ${label.padEnd(width)} ${secs.padStart(5)}s\n`);
    }
    else this.out.write(`#${c.n} ${c.cached ? 'CACHED' : `DONE ${secs}s`}\n\n`);
    this.current = undefined;
    this.output = [];
  }

  text(s: string): void {
    for (const line of s.split(/(?<=\n)/)) {
      const step = /^Step (\d+)\/(\d+) : (.*)\n?$/.exec(line);
      if (step) {
        this.close();
        this.steps++;
        this.total = step[2]!;
        this.current = { n: step[1]!, title: step[3]!, start: Date.now(), cached: false };
        if (this.mode === 'plain') this.out.write(`#${step[1]} [${step[1]}/${step[2]}] ${step[3]}\n`);
        continue;
      }
      if (/^ ---> Using cache\n?$/.test(line)) {
        if (this.current) this.current.cached = true;
        continue;
      }
      const tagged = /^Successfully tagged (.*)\n?$/.exec(line);
      if (tagged) {
        this.tags.push(tagged[1]!);
        continue;
      }
      if (/^ ---> |^Removing intermediate container |^Successfully built /.test(line)) continue;
      // The step's own output (a RUN's): with a timestamp in plain mode, kept for a failure on a tty.
      const t = line.replace(/\x1b\[[0-9;]*m/g, '');
      if (t === '') continue;
      if (this.mode === 'plain' && this.current) this.out.write(`#${this.current.n} ${((Date.now() - this.current.start) / 1000).toFixed(3)} ${t}${t.endsWith('\n') ? '' : '\n'}`);
      else if (this.mode === 'plain') this.out.write(t);
      else this.output.push(t);
    }
  }

  finish(ok: boolean): void {
    if (!ok && this.mode === 'tty' && this.current) {
      this.out.write(` => ERROR [${this.current.n}/${this.total}] ${this.current.title}\n`);
      const last = this.output.join('').split('\n').filter(Boolean).slice(-10);
      if (last.length) this.out.write(`------\n${last.map((l) => ` > ${l}\n`).join('')}------\n`);
      this.current = undefined;
    }
    this.close();
    if (this.mode === 'tty') this.out.write(`[+] Building ${((Date.now() - this.started) / 1000).toFixed(1)}s (${this.steps}/${this.steps}) ${ok ? 'FINISHED' : 'FAILED'}\n`);
  }
}

export const command: Command = {
  spec: {
    name: 'build',
    usage: '[OPTIONS] PATH | URL | -',
    description: 'Build an image from a Dockerfile',
    aliases: ['image build', 'build', 'builder build'],
    flags: [
      { name: 'tag', short: 't', kind: 'list', type: 'list', help: 'Name and optionally a tag in the "name:tag" format' },
      { name: 'file', short: 'f', kind: 'string', help: 'Name of the Dockerfile (Default is "PATH/Dockerfile")' },
      { name: 'build-arg', kind: 'list', type: 'list', help: 'Set build-time variables' },
      { name: 'target', kind: 'string', help: 'Set the target build stage to build.' },
      { name: 'no-cache', kind: 'bool', help: 'Do not use cache when building the image' },
      { name: 'label', kind: 'list', type: 'list', help: 'Set metadata for an image' },
      { name: 'quiet', short: 'q', kind: 'bool', help: 'Suppress the build output and print image ID on success' },
      { name: 'iidfile', kind: 'string', help: 'Write the image ID to the file' },
      { name: 'progress', kind: 'string', help: 'Set type of progress output (auto, plain, tty, quiet)' },
      { name: 'network', kind: 'string', help: 'Set the networking mode for the RUN instructions during build' },
      { name: 'add-host', kind: 'list', type: 'list', help: 'Add a custom host-to-IP mapping ("host:ip")' },
      { name: 'platform', kind: 'string', help: 'Set platform if server is multi-platform capable' },
      { name: 'pull', kind: 'bool', help: 'Always attempt to pull a newer version of the image' },
      { name: 'secret', kind: 'list', type: 'list', help: 'Secret to expose to the build (format: "id=mysecret[,src=/local/secret]")' },
      { name: 'memory', short: 'm', kind: 'string', type: 'bytes', help: 'Memory limit' },
      { name: 'memory-swap', kind: 'string', type: 'bytes', help: "Swap limit equal to memory plus swap: -1 to enable unlimited swap" },
      { name: 'cpu-shares', short: 'c', kind: 'int', help: 'CPU shares (relative weight)' },
      { name: 'cpu-period', kind: 'int', help: 'Limit the CPU CFS (Completely Fair Scheduler) period' },
      { name: 'cpu-quota', kind: 'int', help: 'Limit the CPU CFS (Completely Fair Scheduler) quota' },
      { name: 'cpuset-cpus', kind: 'string', help: 'CPUs in which to allow execution (0-3, 0,1)' },
      { name: 'cpuset-mems', kind: 'string', help: 'MEMs in which to allow execution (0-3, 0,1)' },
      { name: 'shm-size', kind: 'string', type: 'bytes', help: 'Size of /dev/shm' },
      { name: 'ulimit', kind: 'list', type: 'ulimit', help: 'Ulimit options' },
      { name: 'cgroup-parent', kind: 'string', help: 'Set the parent cgroup for the "RUN" instructions during build' },
    ],
    minArgs: 1,
    maxArgs: 1,
  },
  async run(ctx, p) {
    const arg = p.args[0]!;
    const secrets = await readSecrets(p.list('secret'), ctx.env);
    const progressFlag = p.str('progress') || 'auto';
    if (!['auto', 'plain', 'tty', 'quiet'].includes(progressFlag)) throw new StatusError(`invalid progress mode "${progressFlag}": use auto, plain, tty or quiet`, 1);
    const quiet = p.bool('quiet') || progressFlag === 'quiet';
    const isTty = (ctx.err as { isTTY?: boolean }).isTTY === true;
    const mode: Progress = quiet ? 'quiet' : progressFlag === 'auto' ? (isTty ? 'tty' : 'plain') : progressFlag as Progress;
    const file = p.str('file');
    let body: Readable;
    let dockerfile: string | undefined;
    if (arg === '-') {
      if (file === '-') throw new StatusError('invalid argument: can\'t use stdin for both build context and dockerfile', 1);
      const data = await readAllInput(ctx.in);
      if (looksLikeTar(data)) {
        const pt = new PassThrough();
        pt.end(data);
        body = pt;
        dockerfile = file || undefined;
      } else {
        // A Dockerfile alone: the context is just that file.
        const pack = tar.pack();
        pack.entry({ name: 'Dockerfile', mode: 0o644, uid: 0, gid: 0, mtime: new Date() }, data);
        pack.finalize();
        body = Readable.from(pack as unknown as AsyncIterable<Buffer>);
      }
    } else {
      ({ body, dockerfile } = await directoryContext(arg, file, () => readAllInput(ctx.in)));
    }
    const query: Record<string, string | string[] | undefined> = {
      t: p.list('tag'),
      dockerfile,
      buildargs: JSON.stringify(parseKeyValues(p.list('build-arg'), ctx.env, true)),
      labels: JSON.stringify(parseKeyValues(p.list('label'), ctx.env, false)),
      target: p.str('target') || undefined,
      nocache: p.bool('no-cache') ? '1' : undefined,
      q: quiet ? '1' : undefined,
      networkmode: p.str('network') || undefined,
      extrahosts: p.list('add-host'),
      platform: p.str('platform') || undefined,
      pull: p.bool('pull') ? '1' : undefined,
      memory: num(flagBytes(p, 'memory', '-m, --memory')),
      memswap: num(flagBytes(p, 'memory-swap', '--memory-swap')),
      cpushares: p.has('cpu-shares') ? String(p.num('cpu-shares')) : undefined,
      cpuperiod: p.has('cpu-period') ? String(p.num('cpu-period')) : undefined,
      cpuquota: p.has('cpu-quota') ? String(p.num('cpu-quota')) : undefined,
      cpusetcpus: p.str('cpuset-cpus') || undefined,
      cpusetmems: p.str('cpuset-mems') || undefined,
      shmsize: num(flagBytes(p, 'shm-size', '--shm-size')),
      ulimits: p.list('ulimit').length ? JSON.stringify(p.list('ulimit').map(parseUlimit)) : undefined,
      cgroupparent: p.str('cgroup-parent') || undefined,
      rm: '1',
      version: '1',
    };
    if (secrets.size) {
      const r = await ctx.client().post<{ ID: string }>('/build/secrets', undefined, { Secrets: Object.fromEntries([...secrets].map(([k, v]) => [k, v.toString('base64')])) });
      query['secrets'] = r.ID;
    }
    const res = await ctx.client().stream('POST', '/build', { query, body, headers: { 'Content-Type': 'application/x-tar', ...buildAuthHeader(ctx.env) } });
    return show(ctx, res, mode, p.str('iidfile'));
  },
};

function num(n: number | undefined): string | undefined {
  return n === undefined ? undefined : String(n);
}

/** BuildKit's limit on one secret (session/secrets/secretsprovider). */
const MAX_SECRET_SIZE = 500 * 1024;

/**
 * --secret id=ID[,src=FILE|,env=VAR][,type=file|env] as buildx reads it: without src and env the
 * value is the environment variable named ID when there is one, else the file named ID.
 */
async function readSecrets(specs: string[], env: NodeJS.ProcessEnv): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (const spec of specs) {
    let id = '';
    let file = '';
    let envName = '';
    let type = '';
    for (const field of spec.split(',')) {
      const eq = field.indexOf('=');
      const key = (eq < 0 ? field : field.slice(0, eq)).trim().toLowerCase();
      const value = eq < 0 ? '' : field.slice(eq + 1);
      if (key === 'type') {
        if (value !== 'file' && value !== 'env') throw new StatusError(`invalid secret type "${value}": use file or env`, 1);
        type = value;
      } else if (key === 'id') id = value;
      else if (key === 'source' || key === 'src') file = value;
      else if (key === 'env') envName = value;
      else throw new StatusError(`unexpected key '${key}' in '${field}'`, 1);
    }
    if (type === 'env' && envName === '') [envName, file] = [file, ''];
    if (!id) throw new StatusError(`invalid secret ${JSON.stringify(spec)}: secret missing ID`, 1);
    if (!file && !envName) {
      if (env[id] !== undefined) envName = id;
      else file = id;
    }
    let value: Buffer;
    if (envName) {
      const v = env[envName];
      if (v === undefined) throw new StatusError(`secret ${id}: environment variable ${envName} is not set`, 1);
      value = Buffer.from(v);
    } else {
      try {
        if ((await stat(file)).size > MAX_SECRET_SIZE) throw new StatusError(`secret ${id} too big. max size 500KB`, 1);
        value = await readFile(file);
      } catch (err) {
        if (err instanceof StatusError) throw err;
        throw new StatusError(`failed to stat ${file}: ${(err as Error).message}`, 1);
      }
    }
    out.set(id, value);
  }
  return out;
}

async function show(ctx: Ctx, res: Readable, mode: Progress, iidfile: string): Promise<number> {
  const r = mode === 'quiet' ? undefined : new StepRenderer(mode === 'tty' ? ctx.err : ctx.out, mode);
  let id = '';
  for await (const m of jsonStream(res)) {
    if (m.error || m.errorDetail?.message) {
      r?.finish(false);
      throw new StatusError(m.errorDetail?.message ?? m.error ?? '', 1);
    }
    if (m.aux !== undefined) {
      const a = m.aux as { ID?: string };
      if (a.ID) id = a.ID;
      continue;
    }
    if (m.stream === undefined) continue;
    if (mode === 'quiet') {
      const t = m.stream.trim();
      if (/^sha256:[0-9a-f]{64}$/.test(t)) id = t;
      continue;
    }
    r!.text(m.stream);
  }
  r?.finish(true);
  if (!id) throw new StatusError('the engine did not say which image it built', 1);
  if (mode === 'quiet') ctx.out.write(`${id}\n`);
  else if (mode === 'tty') {
    ctx.err.write(` => writing image ${id}\n`);
    for (const t of r?.tags ?? []) ctx.err.write(` => naming to ${t}\n`);
  }
  if (iidfile) await writeFile(iidfile, id);
  return 0;
}
