import type { Duplex } from 'node:stream';
import { Conflict, InvalidArgument, NotImplemented } from '../../core/errors.js';
import { userRegExp } from '../../core/patterns.js';
import { parseTimestamp, parseTimestampNs } from '../../core/units.js';
import type { ContainerRecord } from '../containers/model.js';
import type { ContainerService, CreateRequest, WaitCondition } from '../containers/service.js';
import type { LogEntry } from '../containers/ports.js';
import type { ApiContext, Router } from './router.js';
import { containerFilter, inspectView, labelMatch, normaliseFilters, summaryView } from './container-views.js';
import { adaptCreateRequest, containerInspectForVersion, createPlatform, stopSignal, waitCondition } from './versions.js';
import { CONTAINER_CREATE } from './body-types.js';
import { EscapeProxy, FrameFilter, MULTIPLEXED_STREAM, RAW_STREAM, frame, parseDetachKeys, writeOut } from './streams.js';
import { acceptWebSocket } from './websocket.js';

export interface ContainerRoutesDeps {
  containers: ContainerService;
  /** Resolves an image reference to its ID for the ancestor filter, if known. */
  imageIdOf: (ref: string) => string | undefined;
  execIdsOf: (containerId: string) => string[];
  graphDriverOf: (containerId: string) => Record<string, string>;
  sizeOf: (containerId: string) => Promise<{ rw: number; rootFs: number }>;
}

/** A since/until value as the daemon takes it (see parseTimestamp), or undefined when absent. */
export function parseTime(v: string | null): number | undefined {
  return v === null || v === '' ? undefined : parseTimestamp(v);
}

function streamType(rec: ContainerRecord, ctx: ApiContext): string {
  return rec.Config.Tty || !ctx.versionAtLeast('1.42') ? RAW_STREAM : MULTIPLEXED_STREAM;
}

function entryBytes(e: LogEntry, tty: boolean, timestamps: boolean, details?: string): Buffer {
  const prefix = `${timestamps ? `${e.time} ` : ''}${details ?? ''}`;
  const data = prefix ? Buffer.concat([Buffer.from(prefix), e.data]) : e.data;
  return tty ? data : frame(e.stream === 'stdout' ? 1 : 2, data);
}

/** Go's url.QueryEscape. */
function queryEscape(v: string): string {
  return Array.from(Buffer.from(v, 'utf8'))
    .map((b) => (/[A-Za-z0-9\-_.~]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : b === 32 ? '+' : `%${b.toString(16).toUpperCase().padStart(2, '0')}`))
    .join('');
}

/**
 * logs --details: the attributes the log options name (labels, labels-regex, env, env-regex), as
 * dockerd's drivers attach them to every line: "k=v,k2=v2 " sorted by key, values query-escaped.
 */
export function logDetails(rec: ContainerRecord): string {
  const opts = rec.HostConfig.LogConfig?.Config ?? {};
  const labels = rec.Config.Labels ?? {};
  const env = new Map<string, string>();
  for (const e of rec.Config.Env ?? []) {
    const i = e.indexOf('=');
    if (i > 0) env.set(e.slice(0, i), e.slice(i + 1));
  }
  const extra = new Map<string, string>();
  const pick = (names: string | undefined, from: Map<string, string>): void => {
    for (const n of names ? names.split(',') : []) if (from.has(n)) extra.set(n, from.get(n)!);
  };
  const pickRe = (re: string | undefined, from: Map<string, string>): void => {
    if (!re) return;
    const r = userRegExp(re);
    for (const [k, v] of from) if (r?.test(k)) extra.set(k, v);
  };
  const labelMap = new Map(Object.entries(labels));
  pick(opts.labels, labelMap);
  pickRe(opts['labels-regex'], labelMap);
  pick(opts.env, env);
  pickRe(opts['env-regex'], env);
  const attrs = [...extra].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => `${k}=${queryEscape(v)}`).join(',');
  return `${attrs} `;
}

export function containerRoutes(r: Router, d: ContainerRoutesDeps): void {
  const svc = d.containers;

  r.on('POST', '/containers/create', async (ctx) => {
    const decoded = await ctx.decode<CreateRequest>(CONTAINER_CREATE, { required: true });
    // As dockerd: a body that names no field of the container's Config has none.
    if (!decoded!.embedded.has('Config')) throw new InvalidArgument('config cannot be empty in order to create a container');
    const body = decoded!.value;
    const before144 = !ctx.versionAtLeast('1.44');
    if (before144) readOnlyBindsBefore144(body);
    const name = ctx.query.get('name') ?? undefined;
    const platform = createPlatform(ctx.version, ctx.query);
    const warnings = adaptCreateRequest(ctx.version, body);
    const created = await svc.create(body, name || undefined, { platform, readOnlyNonRecursive: before144 });
    ctx.send(201, { ...created, Warnings: [...created.Warnings, ...warnings] });
  });

  r.on('GET', '/containers/json', async (ctx) => {
    const all = ctx.flag('all');
    const size = ctx.flag('size');
    const limit = ctx.int('limit');
    const filters = normaliseFilters(ctx.jsonQuery('filters'));
    const match = containerFilter(filters, (ref) => svc.store.find(ref), d.imageIdOf);
    let recs = svc.list()
      .filter((c) => (all || c.State.Running || limit !== undefined && limit > 0 || filters.status || filters.exited) && match(c))
      .sort((a, b) => Date.parse(b.Created) - Date.parse(a.Created));
    if (limit !== undefined && limit > 0) recs = recs.slice(0, limit);
    // As dockerd: the image by the name it was run from while that name still means it, else by ID.
    const imageOf = (c: ContainerRecord): string => {
      const ref = c.Config.Image;
      return ref && (ref === c.Image || d.imageIdOf(ref) === c.Image) ? ref : c.Image;
    };
    ctx.send(200, await Promise.all(recs.map(async (c) => ({
      ...summaryView(c, size ? await d.sizeOf(c.Id) : undefined, svc.linkNamesOf(c)),
      Image: imageOf(c),
    }))));
  });

  r.on('GET', '/containers/:id/json', async (ctx) => {
    const rec = svc.get(ctx.param('id'));
    const size = ctx.flag('size') ? await d.sizeOf(rec.Id) : undefined;
    const view = inspectView(rec, { execIds: d.execIdsOf(rec.Id), graphDriver: d.graphDriverOf(rec.Id), sizeRw: size?.rw });
    if (size) view.SizeRootFs = size.rootFs;
    containerInspectForVersion(ctx.version, view, rec);
    ctx.send(200, view);
  });

  r.on('POST', '/containers/:id/start', async (ctx) => {
    await svc.start(ctx.param('id'));
    ctx.noContent();
  });

  const stopOpts = (ctx: ApiContext): { signal?: string; timeout?: number } => ({
    signal: stopSignal(ctx.version, ctx.query),
    timeout: ctx.int('t'),
  });
  r.on('POST', '/containers/:id/stop', async (ctx) => {
    await svc.stop(ctx.param('id'), stopOpts(ctx));
    ctx.noContent();
  });
  r.on('POST', '/containers/:id/restart', async (ctx) => {
    await svc.restart(ctx.param('id'), stopOpts(ctx));
    ctx.noContent();
  });
  r.on('POST', '/containers/:id/kill', async (ctx) => {
    await svc.kill(ctx.param('id'), ctx.query.get('signal') || 'SIGKILL');
    ctx.noContent();
  });
  r.on('POST', '/containers/:id/pause', async (ctx) => {
    await svc.pause(ctx.param('id'));
    ctx.noContent();
  });
  r.on('POST', '/containers/:id/unpause', async (ctx) => {
    await svc.unpause(ctx.param('id'));
    ctx.noContent();
  });
  r.on('POST', '/containers/:id/rename', async (ctx) => {
    await svc.rename(ctx.param('id'), ctx.query.get('name') ?? '');
    ctx.noContent();
  });
  r.on('DELETE', '/containers/:id', async (ctx) => {
    if (ctx.flag('link')) await svc.removeLink(ctx.param('id'));
    else await svc.remove(ctx.param('id'), { force: ctx.flag('force'), volumes: ctx.flag('v') });
    ctx.noContent();
  });
  // A legacy link's name (/web/db): with link=1 the link goes, else the container it names.
  r.on('DELETE', '/containers/:parent/:alias', async (ctx) => {
    const name = `${ctx.param('parent')}/${ctx.param('alias')}`;
    if (ctx.flag('link')) await svc.removeLink(name);
    else await svc.removeByLinkName(name, { force: ctx.flag('force'), volumes: ctx.flag('v') });
    ctx.noContent();
  });

  r.on('POST', '/containers/:id/wait', async (ctx) => {
    const cond = waitCondition(ctx.version, ctx.query) as WaitCondition;
    if (!['not-running', 'next-exit', 'removed'].includes(cond)) {
      throw new InvalidArgument(`invalid condition: "${cond}"`);
    }
    const rec = svc.get(ctx.param('id'));
    const abort = new AbortController();
    const done = svc.wait(rec.Id, cond, abort.signal);
    // The docker CLI waits for these headers before it starts the container: send them now.
    const res = ctx.stream('application/json');
    res.on('close', () => abort.abort());
    const code = await done;
    const err = rec.State.Error && cond !== 'removed' ? { Message: rec.State.Error } : null;
    res.end(JSON.stringify({ Error: err, StatusCode: code }) + '\n');
  });

  r.on('POST', '/containers/:id/resize', async (ctx) => {
    const rec = svc.get(ctx.param('id'));
    const h = ctx.int('h') ?? 0;
    const w = ctx.int('w') ?? 0;
    if (!rec.State.Running) throw new InvalidArgument(`Container ${rec.Id} is not running`);
    await svc.runtime.resize(svc.bundleDir(rec.Id), h, w);
    svc.emit('event', { action: 'resize', rec, attributes: { height: String(h), width: String(w) } });
    ctx.send(200);
  });

  r.on('POST', '/containers/prune', async (ctx) => {
    const filters = normaliseFilters(ctx.jsonQuery('filters'));
    // As dockerd: only these; anything else is refused rather than ignored (which would prune all).
    for (const k of Object.keys(filters)) if (k !== 'until' && k !== 'label' && k !== 'label!') throw new InvalidArgument(`invalid filter '${k}'`);
    const until = filters.until?.[0] ? parseTime(filters.until[0]) : undefined;
    const labels = filters.label ?? [];
    const notLabels = filters['label!'] ?? [];
    const result = await svc.prune((rec) => {
      if (until !== undefined && Date.parse(rec.Created) >= until) return false;
      const have = rec.Config.Labels ?? {};
      return labels.every((f) => labelMatch(have, f)) && !notLabels.some((f) => labelMatch(have, f));
    });
    ctx.send(200, { ContainersDeleted: result.ContainersDeleted.length ? result.ContainersDeleted : null, SpaceReclaimed: result.SpaceReclaimed });
  });

  r.on('GET', '/containers/:id/logs', async (ctx) => {
    const rec = svc.get(ctx.param('id'));
    // The `none` driver keeps nothing to read back (attach still streams the output live).
    if (rec.HostConfig.LogConfig?.Type === 'none') throw new NotImplemented('configured logging driver does not support reading');
    const stdout = ctx.flag('stdout');
    const stderr = ctx.flag('stderr');
    if (!stdout && !stderr) throw new InvalidArgument('Bad parameters: you must choose at least one stream');
    const tailRaw = ctx.query.get('tail');
    // As dockerd: anything but a whole number of lines ("all", "random") means every line.
    const tailN = tailRaw === null ? NaN : Number(tailRaw);
    const tail = tailRaw !== null && /^\s*-?\d+\s*$/.test(tailRaw) && tailN >= 0 ? tailN : undefined;
    const follow = ctx.flag('follow');
    const timestamps = ctx.flag('timestamps');
    const details = ctx.flag('details') ? logDetails(rec) : undefined;
    // Log lines are stamped to the nanosecond: so are since and until.
    const ns = (v: string | null): bigint | undefined => (v === null || v === '' ? undefined : parseTimestampNs(v));
    const q = { follow: follow && rec.State.Running, since: ns(ctx.query.get('since')), until: ns(ctx.query.get('until')), tail, stdout, stderr };
    const abort = new AbortController();
    const res = ctx.stream(streamType(rec, ctx));
    res.on('close', () => abort.abort());
    const exited = svc.exitPromise(rec.Id) ?? Promise.resolve(0);
    const tty = rec.Config.Tty ?? false;
    try {
      for await (const e of svc.runtime.logs(rec.LogPath, q, abort.signal, exited)) {
        if (!(await writeOut(res, entryBytes(e, tty, timestamps, details)))) break;
      }
    } catch (err) {
      if (!abort.signal.aborted) throw err;
    }
    res.end();
  });

  r.on('POST', '/containers/:id/attach', async (ctx) => {
    const rec = attachable(svc, ctx.param('id'));
    const want = {
      stdin: ctx.flag('stdin'),
      stdout: ctx.flag('stdout'),
      stderr: ctx.flag('stderr'),
      stream: ctx.flag('stream'),
      logs: ctx.flag('logs'),
    };
    const detachKeys = parseDetachKeys(ctx.query.get('detachKeys') || 'ctrl-p,ctrl-q');
    const conn = ctx.hijack(streamType(rec, ctx));
    svc.emit('event', { action: 'attach', rec });
    await attach(svc, rec, conn, { ...want, detachKeys, muxed: true });
  });

  // As moby's: stdout and stderr unframed in one stream of messages (binary from API 1.28, text
  // before); the stdin/stdout/stderr choice from 1.42, every stream before.
  r.on('GET', '/containers/:id/attach/ws', async (ctx) => {
    const rec = attachable(svc, ctx.param('id'));
    const every = !ctx.versionAtLeast('1.42');
    const want = {
      stdin: every || ctx.flag('stdin'),
      stdout: every || ctx.flag('stdout'),
      stderr: every || ctx.flag('stderr'),
      stream: ctx.flag('stream'),
      logs: ctx.flag('logs'),
    };
    const detachKeys = parseDetachKeys(ctx.query.get('detachKeys') || 'ctrl-p,ctrl-q');
    const conn = await acceptWebSocket(ctx, ctx.versionAtLeast('1.28'));
    if (!conn) return;
    svc.emit('event', { action: 'attach', rec });
    await attach(svc, rec, conn, { ...want, detachKeys, muxed: false });
  });
}

/**
 * BindOptions' read-only modes came with API 1.44 (moby's create route): an older client cannot
 * ask for a recursive one, its ReadOnlyNonRecursive is ignored, and its read-only binds stay
 * non-recursive as they were (the create's readOnlyNonRecursive).
 */
function readOnlyBindsBefore144(body: CreateRequest): void {
  for (const m of body.HostConfig?.Mounts ?? []) {
    if (m.BindOptions?.ReadOnlyForceRecursive) throw new InvalidArgument('BindOptions.ReadOnlyForceRecursive needs API v1.44 or newer');
    if (m.BindOptions) delete m.BindOptions.ReadOnlyNonRecursive;
  }
}

/** The container to attach to, refused as dockerd refuses it while paused or restarting. */
function attachable(svc: ContainerService, name: string): ContainerRecord {
  const rec = svc.get(name);
  if (rec.State.Paused) throw new Conflict(`container ${name} is paused, unpause the container before attach`);
  if (rec.State.Restarting) throw new Conflict(`container ${name} is restarting, wait until the container is running`);
  return rec;
}

interface AttachOptions {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  stream: boolean;
  logs: boolean;
  detachKeys: Buffer;
  /** Docker's multiplexed frames without a terminal; false: the bare bytes of both streams (WebSocket). */
  muxed: boolean;
}

/**
 * Docker's attach on a hijacked connection. With stdin, the conmon attach socket carries both
 * directions (connected before the process starts when the container is not running yet, so no
 * output is lost); without stdin the output is followed from the container's log.
 */
async function attach(svc: ContainerService, rec: ContainerRecord, conn: Duplex, o: AttachOptions): Promise<void> {
  const tty = rec.Config.Tty ?? false;
  const unframed = tty || !o.muxed;
  const closed = new Promise<void>((resolve) => {
    conn.once('close', () => resolve());
    conn.once('error', () => resolve());
  });
  const end = (): void => {
    if (!conn.destroyed) conn.end();
  };
  const abort = new AbortController();
  void closed.then(() => abort.abort());

  if (o.logs) {
    for await (const e of svc.runtime.logs(rec.LogPath, { follow: false, stdout: o.stdout, stderr: o.stderr }, abort.signal, Promise.resolve())) {
      conn.write(entryBytes(e, unframed, false));
    }
  }
  if (!o.stream) {
    end();
    return;
  }

  const useSocket = o.stdin && rec.Config.OpenStdin;
  if (useSocket) {
    const connect = async (): Promise<void> => {
      const s = await svc.attachRuntime(rec, true);
      let output = s.output;
      if (!tty && (!o.muxed || !o.stdout || !o.stderr)) output = output.pipe(new FrameFilter({ stdout: o.stdout, stderr: o.stderr, unwrap: !o.muxed }));
      // A terminal's output is stdout: attached for stderr alone, the client gets none of it.
      if (tty && !o.stdout) output.resume();
      else output.pipe(conn, { end: false });
      output.on('end', end);
      const input = tty ? conn.pipe(new EscapeProxy(o.detachKeys, () => {
        svc.emit('event', { action: 'detach', rec });
        s.close();
        end();
      })) : conn;
      if (s.stdin) {
        input.pipe(s.stdin);
        s.stdin.on('error', () => {});
      }
      // As dockerd when the client's input ends: a StdinOnce container without a terminal gets
      // EOF on its stdin (the pipe above) and the attach lasts while it writes; otherwise this
      // attach ends, and the container keeps running.
      // The input may have ended already, while the bridge above was starting: a socket reads its
      // EOF at once (Node's stream read(0) on EOF), paused or not, so 'end' may be past.
      const inputEnded = (): void => {
        if (rec.Config.StdinOnce && !tty) return;
        s.close();
        end();
      };
      if (conn.readableEnded) inputEnded();
      else conn.once('end', inputEnded);
      void closed.then(() => s.close());
    };
    const connectOrEnd = async (): Promise<void> => {
      try {
        await connect();
      } catch (err) {
        end();
        throw err;
      }
    };
    if (rec.State.Running) await connectOrEnd();
    else {
      svc.onBeforeStart(rec.Id, connectOrEnd);
      // A start that fails never runs the hook: end the stream then.
      void waitForRun(svc, rec, abort.signal).then((started) => {
        if (!started) end();
      });
    }
    await closed;
    return;
  }

  // Output only: follow the log from this run's start.
  if (!o.stdout && !o.stderr) {
    // Nothing to stream: docker keeps the connection until the container exits.
    await waitForRun(svc, rec, abort.signal);
    await (svc.exitPromise(rec.Id) ?? Promise.resolve());
    end();
    return;
  }
  const started = rec.State.Running ? Promise.resolve(true) : waitForRun(svc, rec, abort.signal);
  const fromStart = !rec.State.Running;
  const positionNow = rec.State.Running ? await svc.runtime.logPosition(rec.LogPath) : undefined;
  if (!(await started)) {
    end();
    return;
  }
  const exited = svc.exitPromise(rec.Id) ?? Promise.resolve(0);
  const from = fromStart ? svc.logOffsets.get(rec.Id) : positionNow;
  try {
    for await (const e of svc.runtime.logs(rec.LogPath, { follow: true, stdout: o.stdout, stderr: o.stderr, from }, abort.signal, exited)) {
      if (!(await writeOut(conn, entryBytes(e, unframed, false)))) break;
    }
  } catch {
    // client went away
  }
  end();
}

/** Resolves true when the container starts (false if the attach was abandoned or start failed). */
function waitForRun(svc: ContainerService, rec: ContainerRecord, signal: AbortSignal): Promise<boolean> {
  if (rec.State.Running) return Promise.resolve(true);
  return new Promise((resolve) => {
    const onEvent = (e: { action: string; rec: ContainerRecord }): void => {
      if (e.rec.Id !== rec.Id) return;
      if (e.action === 'start') finish(true);
      if (e.action === 'destroy' || e.action === 'start-failed') finish(false);
    };
    const finish = (v: boolean): void => {
      svc.off('event', onEvent);
      resolve(v);
    };
    svc.on('event', onEvent);
    signal.addEventListener('abort', () => finish(false));
  });
}
